"""Extraction along a file's history (patina/sources/code/incremental.py, CONTRACT.md section 6):
the facts of a version never depend on the route (which previous version, if any, was given),
and facts describe meaning, not place.

Real tree-sitter, no mocks: this repository's own history, and seeded random edits of every
language's fixture.
"""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest

from codeutil import FIXTURES

from patina.sources.code import languages
from patina.sources.code.extract import extract
from patina.sources.code.incremental import extract_next, find_edit, find_edits

REPO = Path(__file__).resolve().parent.parent


def facts_by_key(ff):
    return {(event, key): data for event, key, data in ff["facts"]}


def assert_same(got, want, label):
    """Equal FileFacts, with a readable difference when not."""
    if got == want:
        return
    a, b = facts_by_key(want), facts_by_key(got)
    diff = [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)][:5]
    pos = sorted((k, want["positions"].get(k), got["positions"].get(k))
                 for k in set(want["positions"]) | set(got["positions"])
                 if want["positions"].get(k) != got["positions"].get(k))[:5]
    raise AssertionError(f"{label}: incremental != full\n facts: {diff}\n positions: {pos}\n"
                         f" errors: {want['error_nodes']} vs {got['error_nodes']}")


# -- this repository's own history ----------------------------------------------------------------

def _py_histories(limit_commits: int = 400) -> dict[str, list[str]]:
    """path -> blob ids of this repository's Python files along its first-parent history."""
    from codeutil import file_histories

    try:
        return file_histories(str(REPO), lambda p: p.endswith(".py"), limit_commits, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return {}


def test_route_independence_on_this_repositorys_history():
    """For each .py file, each version extracted from the previous version's state equals its
    full extraction (facts, positions, error count)."""
    histories = {p: v for p, v in _py_histories().items() if len(v) > 1}
    if not histories:
        pytest.skip("no git history of this repository here")
    from patina import gitcmd

    git_dir = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--git-common-dir"], capture_output=True,
                             text=True, check=True).stdout.strip()
    reader = gitcmd.BlobReader(str((REPO / git_dir).resolve()) if not Path(git_dir).is_absolute() else git_dir)
    steps = 0
    try:
        for path, oids in sorted(histories.items()):
            state = None
            for oid in oids:
                data = reader(oid)
                assert data is not None
                got, state = extract_next("python", data, state)
                assert_same(got, extract("python", data), f"{path}@{oid[:10]}")
                steps += 1
    finally:
        reader.close()
    assert steps > 20


# -- random edits of every language's fixture ---------------------------------------------------

FIXTURE_FILES = sorted(p for p in FIXTURES.glob("*/*") if not p.name.endswith(".expected.json"))
WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
BREAKERS = [b"(", b"{", b"}", b")", b"\"", b"/*", b"'", b"def (:", b"class {", b"#if X\n", b"end\n", b"\n\n"]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def random_edit(rng: random.Random, data: bytes) -> bytes:
    """One edit of the kinds a history holds: insert, delete or duplicate lines, move a block
    (a definition moving), rename an identifier everywhere, break the syntax."""
    lines = _lines(data)
    n = len(lines)
    kind = rng.choice(["insert", "delete", "duplicate", "move", "rename", "break", "blank"])
    i = rng.randrange(n)
    j = min(n, i + rng.randint(1, 8))
    if kind == "insert":
        lines.insert(i, lines[rng.randrange(n)])
    elif kind == "delete" and n > 3:
        del lines[i:j]
    elif kind == "duplicate":
        lines[j:j] = lines[i:j]
    elif kind == "move" and n > 3:
        block = lines[i:j]
        del lines[i:j]
        k = rng.randrange(len(lines) + 1)
        lines[k:k] = block
    elif kind == "rename":
        words = sorted(set(WORD.findall(data)))
        if words:
            old = rng.choice(words)
            return re.sub(rb"\b" + re.escape(old) + rb"\b", old + b"_r", data)
    elif kind == "break":
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.choice(BREAKERS) + data[at:]
    elif kind == "blank":
        lines.insert(i, b"\n" * rng.randint(1, 3))
    return b"".join(lines)


@pytest.mark.parametrize("line_diff", ["lines", "one hunk"])
@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_random_edits_give_the_facts_of_a_full_extraction(path, line_diff, monkeypatch):
    """A seeded walk of random edits from each fixture: at every step the facts extracted from
    the previous step's state (and, now and then, from an older state or a broken version's)
    equal the full extraction; a broken syntax is then fixed again. Edits are found as several
    hunks (a line diff of every change, whatever its size), or as one."""
    from patina.sources.code import incremental

    monkeypatch.setattr(incremental, "LINE_DIFF_MIN", 0 if line_diff == "lines" else 1 << 40)
    lang = languages.language_for_path(path.name)
    rng = random.Random(f"patina:{path.name}:{line_diff}")
    original = path.read_bytes()
    data = original
    _, state = extract_next(lang, data, None)
    history = [(data, state)]
    for step in range(70):
        if step % 17 == 16:
            new = original  # back to the start: a large edit
        else:
            new = random_edit(rng, data)
        previous = state if rng.random() < 0.8 else rng.choice(history)[1]
        got, new_state = extract_next(lang, new, previous)
        assert_same(got, extract(lang, new), f"{path.name} step {step}")
        if rng.random() < 0.3:  # break, then fix: the fix starts from the broken version's state
            at = rng.randrange(len(new) + 1)
            broken = new[:at] + rng.choice(BREAKERS) + new[at:]
            got_b, state_b = extract_next(lang, broken, new_state)
            assert_same(got_b, extract(lang, broken), f"{path.name} step {step} broken")
            again, new_state = extract_next(lang, new, state_b)
            assert_same(again, got, f"{path.name} step {step} fixed")
        data, state = new, new_state
        history.append((data, state))


def test_a_state_can_be_the_previous_version_of_several_versions():
    """extract_next never changes the state it is given (it edits a copy of the tree)."""
    v1 = b"class A:\n    def f(self):\n        return g()\n\n\ndef h():\n    pass\n"
    v2 = v1.replace(b"return g()", b"return g(1) + k()")
    v3 = v1.replace(b"def h():", b"def h(x):")
    _, s1 = extract_next("python", v1, None)
    for new in (v2, v3, v2, v1):
        assert extract_next("python", new, s1)[0] == extract("python", new)
    same, s1b = extract_next("python", v1, s1)
    assert s1b is s1 and same == extract("python", v1)


def test_deep_nesting_along_history_never_recurses():
    depth = 150
    src = "".join("    " * i + f"class C{i}:\n" for i in range(depth)) + "    " * depth + "def f(self):\n" + \
        "    " * (depth + 1) + "return g()\n"
    data = src.encode()
    _, state = extract_next("python", data, None)
    edited = data.replace(b"return g()", b"return g(2)")
    got, _ = extract_next("python", edited, state)
    assert got == extract("python", edited)
    key = ".".join(f"C{i}" for i in range(depth)) + ".f"
    assert ("code.function", key) in facts_by_key(got)


# -- meaning, not place -----------------------------------------------------------------------------

# Top-level blocks of a file: moving them (or adding blank lines) must change no fact.
MOVES = {
    "python": ["import os", "class Store:\n    N = 1\n\n    def open(self, p):\n        return os.open(p)\n\n"
               "    def close(self):\n        self.open(1)", "def main():\n    Store().open('x')"],
    "rust": ["use std::io;", "struct Store { n: u8 }", "impl Store {\n    fn open(&self) -> u8 { load(1) }\n\n"
             "    fn close(&self) { self.open(); }\n}", "fn main() { Store { n: 1 }.open(); }"],
    "java": ["import java.util.List;", "class Store {\n  int n;\n\n  int open(int p) { return load(p); }\n\n"
             "  void close() { open(1); }\n}", "class Main {\n  void run() { new Store().open(2); }\n}"],
    "c": ["#include <stdio.h>", "struct store { int n; };", "int open_store(int p) { return load(p); }",
          "void close_store(void) { open_store(1); }"],
}


def _source(blocks: list[str]) -> str:
    return "\n\n".join(blocks) + "\n"


@pytest.mark.parametrize("lang", sorted(MOVES))
def test_a_move_changes_positions_and_no_fact(lang):
    blocks = MOVES[lang]
    src = _source(blocks)
    base = extract(lang, src.encode())
    reordered = _source(blocks[:1] + blocks[:0:-1])
    for moved_src in ("\n\n\n" + src, src.replace("\n\n", "\n\n\n\n"), reordered):
        moved = extract(lang, moved_src.encode())
        assert moved["facts"] == base["facts"], moved_src
        assert moved["positions"] != base["positions"]
        assert set(moved["positions"]) == set(base["positions"])
        # and along the history
        assert extract_next(lang, moved_src.encode(), extract_next(lang, src.encode(), None)[1])[0] == moved


def test_positions_cover_every_fact_but_the_file():
    ff = extract("python", _source(MOVES["python"]).encode())
    assert set(ff["positions"]) == {f"{event}\t{key}" for event, key, _ in ff["facts"]}
    pos = ff["positions"]
    assert pos["code.class\tStore"] == [3, 10]
    assert pos["code.function\tStore.open"] == [6, 7]
    assert pos["code.member\tStore.N"] == [4, 4]
    assert pos["code.call\tStore.close->open"] == [10, 10]
    assert pos["code.import\tos"] == [1, 1]
    assert not any("line" in data for _, _, data in ff["facts"])


def test_body_hash_follows_the_text_and_a_class_leaves_its_methods_out():
    src = _source(MOVES["python"])
    base = facts_by_key(extract("python", src.encode()))
    edited = facts_by_key(extract("python", src.replace("return os.open(p)", "return os.open(p, 1)").encode()))
    assert edited[("code.function", "Store.open")]["body_hash"] != base[("code.function", "Store.open")]["body_hash"]
    assert edited[("code.function", "Store.open")]["signature_hash"] == base[("code.function", "Store.open")][
        "signature_hash"]
    assert edited[("code.class", "Store")] == base[("code.class", "Store")]  # its method changed, not the class
    assert edited[("code.function", "main")] == base[("code.function", "main")]
    # methods moved inside the class, or a method added: the class is the same
    swapped = src.replace("    def open(self, p):\n        return os.open(p)\n\n    def close(self):\n"
                          "        self.open(1)\n",
                          "    def close(self):\n        self.open(1)\n\n    def open(self, p):\n"
                          "        return os.open(p)\n")
    assert swapped != src
    assert facts_by_key(extract("python", swapped.encode()))[("code.class", "Store")] == base[("code.class", "Store")]
    added = src.replace("    N = 1\n", "    N = 1\n\n    def extra(self):\n        pass\n")
    assert facts_by_key(extract("python", added.encode()))[("code.class", "Store")] == base[("code.class", "Store")]
    # the class's own text (a base class, a docstring) does change it
    based = src.replace("class Store:", "class Store(Base):")
    assert facts_by_key(extract("python", based.encode()))[("code.class", "Store")]["body_hash"] != \
        base[("code.class", "Store")]["body_hash"]


def test_a_c_prototype_loses_to_the_definition_wherever_it_is():
    proto = "int f(int a);\n"
    body = "int f(int a) { return a; }\n"
    for src in (proto + body, body + proto):
        ff = extract("c", src.encode())
        fact = facts_by_key(ff)[("code.function", "f")]
        assert fact["body_hash"] == extract("c", body.encode())["facts"][-1][2]["body_hash"]
        line = src.splitlines().index(body.strip()) + 1
        assert ff["positions"]["code.function\tf"] == [line, line]
    assert facts_by_key(extract("c", (proto + proto.replace("int a", "int b")).encode()))[
        ("code.function", "f")]["parameters"] == ["int a"]  # two prototypes: the first


# -- qualified names in the language's spelling -----------------------------------------------------

SEPARATED = {
    "x.py": ("class Table:\n    def insert_all(self):\n        pass\n", "Table.insert_all"),
    "x.js": ("class Table { insert_all() {} }\n", "Table.insert_all"),
    "x.ts": ("class Table { insert_all(): void {} }\n", "Table.insert_all"),
    "x.tsx": ("class Table { insert_all(): void {} }\n", "Table.insert_all"),
    "X.java": ("class Table { void insert_all() {} }\n", "Table.insert_all"),
    "X.cs": ("class Table { void insert_all() {} }\n", "Table.insert_all"),
    "x.rb": ("class Table\n  def insert_all\n  end\nend\n", "Table.insert_all"),
    "x.go": ("package p\ntype Table struct{}\nfunc (t *Table) insert_all() {}\n", "Table.insert_all"),
    "x.sol": ("contract Table { function insert_all() public {} }\n", "Table.insert_all"),
    "x.rs": ("struct Table;\nimpl Table { fn insert_all(&self) {} }\n", "Table::insert_all"),
    "x.cpp": ("class Table { public: void insert_all() {} };\n", "Table::insert_all"),
    "x.c": ("void insert_all(void) {}\n", "insert_all"),
}


@pytest.mark.parametrize("path", sorted(SEPARATED))
def test_qualified_names_use_the_registrys_separator(path):
    src, key = SEPARATED[path]
    lang = languages.language_for_path(path)
    facts = facts_by_key(extract(lang, src.encode()))
    assert ("code.function", key) in facts, sorted(facts)
    assert facts[("code.function", key)]["qualified_name"] == key
    sep = languages.BY_NAME[lang].separator
    assert sep == ("::" if lang in ("rust", "cpp") else ".")


def test_callers_are_spelled_like_the_definitions_and_qualifiers_accept_both():
    facts = facts_by_key(extract("python", b"class A:\n    def f(self):\n        g()\n"))
    assert facts[("code.call", "A.f->g")]["caller"] == "A.f"
    go = facts_by_key(extract("go", b"package p\nfunc (s *pkg.Store) Open() { load() }\n"))
    assert ("code.function", "pkg.Store.Open") in go and ("code.call", "pkg.Store.Open->load") in go
    cpp = facts_by_key(extract("cpp", b"void kv::Store::put() { save(); }\n"))
    assert ("code.function", "kv::Store::put") in cpp and ("code.call", "kv::Store::put->save") in cpp


def test_whole_file_languages_are_data():
    whole = {s.name for s in languages.LANGUAGES if s.whole_file}
    assert whole == {"cpp", "ruby"}


def test_find_edit_is_the_common_prefix_and_suffix():
    assert find_edit(b"abcdef", b"abXdef") == (2, 3, 2, 3)
    assert find_edit(b"abc", b"abc") == (3, 3, 3, 3)
    assert find_edit(b"", b"xyz") == (0, 0, 0, 3)
    assert find_edit(b"aaaa", b"aa") == (2, 4, 2, 2)
    assert find_edit(b"x = 1\ny = 2\n", b"x = 1\nz = 3\ny = 2\n") == (6, 6, 6, 12)


def _check_hunks(old: bytes, new: bytes) -> list:
    """find_edits' hunks are sorted and the bytes between them are equal."""
    hunks = find_edits(old, new).hunks
    o = n = 0
    for h in hunks:
        assert h.start >= o and h.new_start >= n
        assert old[o:h.start] == new[n:h.new_start]
        o, n = h.old_end, h.new_end
    assert old[o:] == new[n:]
    return hunks


def test_find_edits_splits_distant_changes_into_hunks():
    body = "".join(f"def f{i}(x):\n    return g{i}(x) + {i}\n\n\n" for i in range(200))
    old = ("import os\n\n" + body).encode()
    new = ("import os, sys\n\n" + body.replace("return g150(x)", "return h150(x, 1)")).encode()
    hunks = _check_hunks(old, new)
    assert len(hunks) == 2 and sum(h.new_end - h.new_start for h in hunks) < 100
    rng = random.Random("hunks")
    data = FIXTURE_FILES[0].read_bytes() * 3
    for _ in range(200):
        new = random_edit(rng, data)
        if rng.random() < 0.5:
            new = random_edit(rng, new)
        _check_hunks(data, new)
        data = new


def test_a_commit_touching_both_ends_reextracts_little():
    """Only the units at the two hunks are extracted again (counted by their bytes)."""
    from patina.sources.code import incremental

    body = "".join(f"def f{i}(x):\n    return g{i}(x) + {i}\n\n\n" for i in range(200))
    old = ("import os\n\n" + body).encode()
    new = ("import os, sys\n\n" + body.replace("return g150(x)", "return h150(x, 1)")).encode()
    seen: list[int] = []
    original = incremental._Build._build

    def counting(self, batch):
        seen.extend(t.unit.end - t.unit.start for t in batch)
        original(self, batch)

    state = extract_next("python", old, None)[1]
    incremental._Build._build = counting
    try:
        got, _ = extract_next("python", new, state)
    finally:
        incremental._Build._build = original
    assert got == extract("python", new)
    assert 0 < sum(seen) < 200
