"""The code source's framework: history diffs, views, cache, bad input, code.since, symbol search.

Real git repositories (tests/gitutil.py) and the real pipeline; Python is the probe language.
"""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from codeutil import current_state, facts_of, head_state, lines_of

from patina import repo as patina_repo, store
from patina.config import Config, validate
from patina.sources.base import FileChange
from patina.sources.code import CodeSource, languages
from patina.sources.code.extract import body_hash, extract
from patina.sources.code.plugin import qualifier_parts
from patina.sources.code.symbols import name_words

V1 = "def f(x):\n    return g(x)\n\n\ndef g(y):\n    pass\n"
V2 = "def f(x, y):\n    return g(x)\n\n\ndef g(y):\n    pass\n\n\ndef h():\n    pass\n"


def code_rows(rows):
    """(event_type, source_id, data) of the code events, in log order."""
    return [(r[1], r[3], json.loads(r[5])) for r in rows if r[1].startswith("code.")]


def summary(rows):
    """(event_type, source_id) pairs, in log order: what happened, without payloads."""
    return [(t, s) for t, s, _ in code_rows(rows)]


def views(repo_path):
    return current_state(patina_repo.discover(str(repo_path)).db_path)


def assert_views_equal_head(repo_path):
    r = patina_repo.discover(str(repo_path))
    head = r and os.popen(f"git -C {repo_path} rev-parse HEAD").read().strip()
    assert views(repo_path) == head_state(r.git_dir, head)


# -- history ----------------------------------------------------------------------------------------

def test_add_change_rename_delete_emit_exact_events(repo, scrape):
    repo.commit("add", {"src/a.py": V1, "README.md": "not code"})
    _, rows = scrape(repo.path)
    assert summary(rows) == [
        ("code.call", "src/a.py::f->g"), ("code.file", "src/a.py"),
        ("code.function", "src/a.py::f"), ("code.function", "src/a.py::g"),
    ]
    assert_views_equal_head(repo.path)

    # change f's signature, add h; g unchanged (same lines) emits nothing
    repo.commit("change", {"src/a.py": V2})
    _, rows = scrape(repo.path)
    changed = summary(rows)[4:]
    assert changed == [("code.function", "src/a.py::f"), ("code.function", "src/a.py::h")]
    f = code_rows(rows)[4][2]
    assert f["parameters"] == ["x", "y"] and "line" not in f and len(f["body_hash"]) == 16
    assert_views_equal_head(repo.path)

    # a pure move changes positions, not facts: nothing is emitted
    repo.commit("move", {"src/a.py": "\n\n" + V2})
    _, rows = scrape(repo.path)
    assert summary(rows)[6:] == []
    assert lines_of("src/a.py", "\n\n" + V2)[("code.function", "src/a.py::h")] == [11, 12]

    # rename the file: every fact leaves a.py and arrives in b.py
    repo.git("mv", "src/a.py", "src/b.py")
    repo.commit("rename")
    _, rows = scrape(repo.path)
    renamed = summary(rows)[6:]
    assert renamed == [
        ("code.removed", "src/a.py::f->g"), ("code.removed", "src/a.py"), ("code.removed", "src/a.py::f"),
        ("code.removed", "src/a.py::g"), ("code.removed", "src/a.py::h"),
        ("code.call", "src/b.py::f->g"), ("code.file", "src/b.py"), ("code.function", "src/b.py::f"),
        ("code.function", "src/b.py::g"), ("code.function", "src/b.py::h"),
    ]
    assert_views_equal_head(repo.path)

    # remove a function, then delete the file
    repo.commit("drop h", {"src/b.py": "\n\n" + V1})
    _, rows = scrape(repo.path)
    assert code_rows(rows)[16] == ("code.removed", "src/b.py::h",
                                   {"kind": "function", "name": "h"})
    assert summary(rows)[17:] == [("code.function", "src/b.py::f")]  # its parameters changed back
    repo.commit("delete", {"src/b.py": None})
    result, rows = scrape(repo.path)
    assert summary(rows)[18:] == [("code.removed", "src/b.py::f->g"), ("code.removed", "src/b.py"),
                                  ("code.removed", "src/b.py::f"), ("code.removed", "src/b.py::g")]
    assert views(repo.path) == {}
    assert result.warnings == []


def test_event_timestamp_is_the_commits_and_the_file_is_source_file_not_in_the_payload(repo, scrape):
    sha = repo.commit("add", {"m.py": "X_MAX = 1\n"}, when=1_700_000_000)
    _, rows = scrape(repo.path)
    const = [r for r in rows if r[1] == "code.constant"][0]
    assert const[2] == "2023-11-14T22:13:20Z" and const[4] == "m.py"
    assert json.loads(const[5]) == {"kind": "constant", "name": "X_MAX",
                                    "qualified_name": "X_MAX", "type": None, "body_hash": body_hash(b"X_MAX = 1")}
    assert sha


def test_incremental_updates_equal_a_full_rebuild(repo, scrape):
    repo.commit("1", {"a.py": V1})
    scrape(repo.path)
    repo.commit("2", {"a.py": V2, "b.py": "class K:\n    def m(self):\n        pass\n"})
    scrape(repo.path)
    repo.git("mv", "b.py", "c.py")
    repo.commit("3", {"a.py": None})
    _, incremental = scrape(repo.path)
    _, full = scrape(repo.path, full=True)
    assert incremental == full
    assert_views_equal_head(repo.path)


def test_merge_brings_in_the_branch_as_one_first_parent_diff(repo, scrape):
    repo.commit("base", {"a.py": V1})
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("topic 1", {"t.py": "def t1():\n    pass\n"})
    repo.commit("topic 2", {"t.py": "def t2():\n    pass\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main", {"a.py": V2})
    repo.merge("topic")
    _, rows = scrape(repo.path)
    ids = summary(rows)
    assert ("code.function", "t.py::t1") not in ids  # never on the first-parent chain
    assert ("code.function", "t.py::t2") in ids
    assert_views_equal_head(repo.path)


def test_views_after_full_build_equal_head_extraction_on_a_busier_history(repo, scrape):
    for i in range(6):
        files = {f"pkg/m{j}.py": f"import os\n\nclass C{j}:\n    N: int = {i}\n\n    def run(self, x{i}):\n"
                                 f"        return os.path.join(str(x{i}))\n" for j in range(i % 3 + 1)}
        if i == 4:
            files["pkg/m0.py"] = None
        repo.commit(f"c{i}", files)
    scrape(repo.path)
    assert_views_equal_head(repo.path)


# -- bad input --------------------------------------------------------------------------------------

def test_binary_non_utf8_huge_and_deep_files_never_lose_the_file(repo, scrape):
    many = "".join(f"def f{i}(a, b):\n    return f{i + 1}(b, a)\n\n" for i in range(3000))
    deep = "x = " + "(" * 400 + "1" + ")" * 400 + "\n" + "".join(
        "    " * i + f"def d{i}():\n" for i in range(60)) + "    " * 60 + "pass\n"
    repo.commit("bad", {
        "bin.py": b"\x00\x01\x02binary\x00" * 10,
        "latin.py": "def caf\u00e9():\n    return '\u00e9'\n".encode("latin-1"),
        "many.py": many,
        "deep.py": deep,
        "big.py": "A_BIG = 1\n" + "#" * 1_100_000,
        "broken.py": "def ok():\n    pass\n\ndef (:\n\nclass After:\n    pass\n",
    })
    result, rows = scrape(repo.path)
    state = views(repo.path)
    files = {s: d for (t, s), d in state.items() if t == "code.file"}
    assert sorted(files) == ["big.py", "bin.py", "broken.py", "deep.py", "latin.py", "many.py"]
    assert files["bin.py"]["skipped"] == "binary"
    assert files["big.py"]["skipped"] == "too_large"
    assert files["broken.py"]["error_nodes"] >= 1
    assert ("code.class", "broken.py::After") in state
    assert sum(1 for t, s in state if t == "code.function" and s.startswith("many.py::")) == 3000
    assert ("code.function", "deep.py::" + ".".join(f"d{i}" for i in range(60))) in state
    latin = [d for (t, s), d in state.items() if t == "code.function" and s.startswith("latin.py::")]
    assert len(latin) == 1 and latin[0]["name"].startswith("caf")  # the invalid byte ends the name
    assert result.warnings == []


def test_a_grammar_that_fails_to_load_skips_its_language_with_one_warning(repo, scrape, monkeypatch):
    broken = languages.LanguageSpec("python", (".py",), "tree_sitter_does_not_exist", "language", "python")
    monkeypatch.setitem(languages.BY_NAME, "python", broken)
    monkeypatch.setattr(languages, "_LOADED", {})
    repo.commit("1", {"a.py": V1, "b.py": V2, "c.rs": "fn main() {}\n"})
    repo.commit("2", {"a.py": V2})
    result, rows = scrape(repo.path)
    assert len(result.warnings) == 1 and "python grammar" in result.warnings[0]
    assert summary(rows) == [("code.file", "c.rs"), ("code.function", "c.rs::main")]


def test_missing_query_file_means_language_not_available():
    assert languages.language_for_path("x.py") == "python"
    assert languages.language_for_path("dir.py/README") is None
    assert languages.language_for_path("x.unknown") is None


def test_all_twelve_grammars_are_registered_with_their_extensions():
    exts = {s.name: s.extensions for s in languages.LANGUAGES}
    assert exts == {
        "python": (".py",), "rust": (".rs",), "go": (".go",), "javascript": (".js", ".jsx", ".mjs", ".cjs"),
        "typescript": (".ts",), "tsx": (".tsx",), "c": (".c", ".h"),
        "cpp": (".cpp", ".cc", ".cxx", ".hpp", ".hh", ".hxx"), "solidity": (".sol",), "java": (".java",),
        "csharp": (".cs",), "ruby": (".rb",),
    }
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for spec in languages.LANGUAGES:
            languages._grammar(spec)  # every wheel loads, solidity's int without a warning


# -- config -----------------------------------------------------------------------------------------

def change(path, old_path=None):
    return FileChange(path, "M", old_path, "1" * 40, "2" * 40, "100644", "100644", 1, 1, False)


def test_wants_uses_extension_and_globs():
    src = CodeSource(Config())
    assert src.wants(change("src/a.py"))
    assert src.wants(change("SRC/A.PY"))
    assert not src.wants(change("README.md"))
    assert not src.wants(change("vendor/x.py"))
    assert not src.wants(change("web/node_modules/x/y.py"))
    assert not src.wants(change("proto/a_pb2.py"))
    assert src.wants(change("docs/a.md", old_path="src/a.py"))  # renamed away from code
    custom = CodeSource(validate({"code": {"include": ["src/**"], "exclude": ["src/gen/**"]}}))
    assert custom.wants(change("src/a/b.py")) and not custom.wants(change("lib/a.py"))
    assert not custom.wants(change("src/gen/x.py"))


def test_team_config_excludes_and_size_limit(repo, scrape):
    repo.commit("cfg", {".patina/config.toml": '[code]\nexclude = ["gen/**"]\nmax_bytes = 40\n',
                        "gen/a.py": V1, "a.py": "def tiny():\n    pass\n", "b.py": V2})
    _, rows = scrape(repo.path)
    state = views(repo.path)
    assert not any(s.startswith("gen/") for _, s in state)
    assert state[("code.file", "b.py")]["skipped"] == "too_large"
    assert ("code.function", "a.py::tiny") in state


def test_code_since_snapshots_then_deltas(repo, scrape):
    day = 86_400
    t0 = 1_700_000_000
    repo.commit("old 1", {"a.py": V1, "b.py": "def gone():\n    pass\n"}, when=t0)
    repo.commit("old 2", {"a.py": V2, "b.py": None}, when=t0 + day)
    repo.commit("cfg", {".patina/config.toml": '[code]\nsince = "2023-11-20"\n'}, when=t0 + 2 * day)
    repo.commit("new", {"c.py": "def c():\n    pass\n"}, when=t0 + 7 * day)
    repo.commit("newer", {"a.py": V1}, when=t0 + 8 * day)
    _, rows = scrape(repo.path)
    ids = summary(rows)
    assert ("code.function", "b.py::gone") not in ids  # before the snapshot: not in the log
    assert ids[:6] == [("code.call", "a.py::f->g"), ("code.file", "a.py"), ("code.function", "a.py::f"),
                       ("code.function", "a.py::g"), ("code.function", "a.py::h"), ("code.file", "c.py")]
    assert all(r[2] >= "2023-11-21" for r in rows if r[1].startswith("code."))
    assert_views_equal_head(repo.path)


# -- cache ------------------------------------------------------------------------------------------

def test_cache_never_changes_results_and_is_hit_on_rebuild(repo, scrape, monkeypatch):
    repo.commit("1", {f"m{i}.py": V1.replace("f(", f"f{i}(") for i in range(30)})
    repo.commit("2", {f"m{i}.py": V2 for i in range(0, 30, 2)})
    _, first = scrape(repo.path)
    from patina.sources.code import history

    stats = []
    orig_init = history.CodeHistory.__init__

    def spy(self, source):
        orig_init(self, source)
        stats.append(self.stats)

    monkeypatch.setattr(history.CodeHistory, "__init__", spy)
    _, second = scrape(repo.path, full=True)
    assert second == first
    # every file change's delta came from the cache: no blob was parsed
    assert stats and stats[0]["parsed_here"] == stats[0]["parsed_by_worker"] == 0 and stats[0]["cache_hits"] > 0
    # a damaged cache file is ignored, not fatal
    cache = os.path.join(patina_repo.discover(str(repo.path)).data_dir, "cache", "code-history.db")
    with open(cache, "wb") as fh:
        fh.write(b"not a database" * 100)
    _, third = scrape(repo.path, full=True)
    assert third == first


def _positions(repo_path):
    conn = sqlite3.connect(patina_repo.discover(str(repo_path)).db_path)
    try:
        return conn.execute("SELECT * FROM code_positions ORDER BY source_id, event_type").fetchall()
    finally:
        conn.close()


def test_parallel_and_inline_parsing_give_the_same_events(repo, scrape, monkeypatch):
    """The worker keeps its paths' states across batches (versions parsed incrementally)."""
    from patina import update
    from patina.sources.code import history

    repo.commit("1", {f"p{i}.py": f"def f{i}():\n    g{i}()\n" for i in range(40)})
    for n in range(2, 6):
        repo.commit(str(n), {f"p{i}.py": "\n" * n + f"def f{i}(x):\n    g{i}(x)\n    h{n}()\n" for i in range(0, 40, n)})
    monkeypatch.setattr(update, "BATCH", 2)
    monkeypatch.setattr(history, "PARALLEL_MIN", 1)
    begun = []
    original_begin = history.CodeHistory.prefetch_begin

    def prefetch_begin(self, ctx, items):  # the next batch goes to the worker while this one is written
        original_begin(self, ctx, items)
        begun.append(len(self.pending.theirs))

    monkeypatch.setattr(history.CodeHistory, "prefetch_begin", prefetch_begin)
    _, parallel = scrape(repo.path, full=True)
    assert len(begun) == 2 and all(begun)  # batches [1, 2] [3, 4] [5]: two begun ahead, on the worker
    where = _positions(repo.path)
    os.remove(os.path.join(patina_repo.discover(str(repo.path)).data_dir, "cache", "code-history.db"))
    monkeypatch.setattr(history, "PARALLEL_MIN", 10_000)
    _, inline = scrape(repo.path, full=True)
    assert parallel == inline
    assert _positions(repo.path) == where and len(where) > 80


def test_a_build_stopped_with_a_batch_begun_keeps_no_wrong_positions(repo, scrape, monkeypatch):
    """The build dies while the worker holds the next batch's results: closing must not read them
    as positions; the next build equals an inline one."""
    from patina import store, update
    from patina.sources.code import history

    for n in range(1, 6):
        repo.commit(str(n), {f"p{i}.py": "\n" * n + f"def f{i}(x):\n    g{i}(x)\n" for i in range(0, 30, n)})
    monkeypatch.setattr(update, "BATCH", 2)
    monkeypatch.setattr(history, "PARALLEL_MIN", 1)
    appended = []
    original_append = store.append

    def append(conn, events, seq):
        appended.append(1)
        if len(appended) == 2:  # the second step of the first batch: the next one is begun
            raise OSError("disk full")
        return original_append(conn, events, seq)

    monkeypatch.setattr(store, "append", append)
    with pytest.raises(OSError):
        scrape(repo.path, full=True)
    monkeypatch.setattr(store, "append", original_append)
    _, after = scrape(repo.path)
    where = _positions(repo.path)
    os.remove(os.path.join(patina_repo.discover(str(repo.path)).data_dir, "cache", "code-history.db"))
    monkeypatch.setattr(history, "PARALLEL_MIN", 10_000)
    _, inline = scrape(repo.path, full=True)
    assert after == inline and _positions(repo.path) == where


def test_a_failing_parse_worker_costs_time_not_facts(repo, scrape, monkeypatch):
    """The forked worker dies before sending its results: its files are parsed inline."""
    from patina.sources.code import history

    repo.commit("1", {f"w{i}.py": f"def f{i}():\n    g{i}()\n" for i in range(40)})
    monkeypatch.setattr(history, "PARALLEL_MIN", 10_000)
    _, inline = scrape(repo.path, full=True)
    os.remove(os.path.join(patina_repo.discover(str(repo.path)).data_dir, "cache", "code-history.db"))

    def broken(*args):
        raise RuntimeError("worker crashed")

    monkeypatch.setattr(history, "PARALLEL_MIN", 1)
    monkeypatch.setattr(history, "_serve", broken)
    _, forked = scrape(repo.path, full=True)
    assert forked == inline


# -- symbol search ----------------------------------------------------------------------------------

def fts(repo_path, match):
    conn = sqlite3.connect(patina_repo.discover(str(repo_path)).db_path)
    try:
        return sorted(r[0] for r in conn.execute(
            "SELECT source_id FROM code_symbols_fts WHERE code_symbols_fts MATCH ?", (match,)))
    finally:
        conn.close()


def test_symbol_index_follows_the_log_incrementally(repo, scrape):
    repo.commit("1", {"s.py": "class HTTPStore:\n    def openFile(self):\n        pass\n\ndef close_file():\n    pass\n"})
    scrape(repo.path)
    assert fts(repo.path, "file") == ["s.py::HTTPStore.openFile", "s.py::close_file"]
    assert fts(repo.path, "http") == ["s.py::HTTPStore", "s.py::HTTPStore.openFile"]
    repo.commit("2", {"s.py": "class HTTPStore:\n    pass\n\ndef close_file(x):\n    pass\n"})
    scrape(repo.path)
    assert fts(repo.path, "file") == ["s.py::close_file"]
    conn = sqlite3.connect(patina_repo.discover(str(repo.path)).db_path)
    index = sorted(conn.execute("SELECT source_id, category, rowid FROM code_symbols_fts"))
    view = sorted(conn.execute("SELECT source_id, category, seq FROM code_symbols"))
    conn.close()
    assert index == view
    _, _ = scrape(repo.path, full=True)
    conn = sqlite3.connect(patina_repo.discover(str(repo.path)).db_path)
    assert sorted(conn.execute("SELECT source_id, category, rowid FROM code_symbols_fts")) == index
    conn.close()


def test_name_words_split_camel_and_snake_case():
    assert name_words("Store::openFile") == "store open file"
    assert name_words("HTTPServer_v2") == "http server v2"


# -- extraction units -------------------------------------------------------------------------------

def test_qualifier_text_is_normalised():
    assert qualifier_parts("*Store[T]") == ["Store"]
    assert qualifier_parts("a::b::C<T, U<V>>") == ["a", "b", "C"]
    assert qualifier_parts("&mut pkg.Type") == ["pkg", "Type"]


def test_duplicate_definitions_keep_the_first():
    src = "def f():\n    pass\n\ndef f(x):\n    pass\n"
    fs = [f for f in facts_of("d.py", src) if f["event_type"] == "code.function"]
    assert len(fs) == 1 and fs[0]["data"]["parameters"] == []
    assert lines_of("d.py", src)[("code.function", "d.py::f")] == [1, 2]


def test_extract_is_deterministic_and_json_plain():
    a = extract("python", V2.encode())
    assert a == extract("python", V2.encode())
    assert json.loads(json.dumps(a)) == a


@pytest.mark.parametrize("path", ["x.py", "x.rs"])
def test_empty_file_has_only_its_file_fact(path):
    assert [f["event_type"] for f in facts_of(path, b"")] == ["code.file"]


@pytest.mark.parametrize("path, source, key, visibility", [
    ("l.py", "def f():\n    def _g():\n        pass\n", "l.py::f._g", "local"),  # before the naming rule
    ("l.go", "package p\nfunc F() {\n\ttype T struct{}\n}\n", "l.go::F.T", "local"),
    ("l.rs", "fn f() {\n    pub fn g() {}\n}\n", "l.rs::f::g", "public"),  # Rust does not opt in
    ("l.cs", "class A { void M() { void L() {} } }", "l.cs::A.M.L", "private"),  # nor does C#
])
def test_definitions_inside_functions_are_local_where_the_language_opts_in(path, source, key, visibility):
    facts = {sid: data for event, sid, data in ((f["event_type"], f["source_id"], f["data"])
                                               for f in facts_of(path, source)) if "visibility" in data}
    assert facts[key]["visibility"] == visibility
    from patina.sources.code.languages import BY_NAME, language_for_path

    assert BY_NAME[language_for_path(path)].function_locals == (visibility == "local")

def test_resign_recomputes_the_extractors_signature_hash():
    """plugin.resign (hooks re-hash after changing a return type or name) gives exactly the
    extractor's hash for an unchanged fact (Java's hooks never re-hash)."""
    from patina.sources.code.plugin import resign

    src = "class A {\n  public static int f(int x, String y) { return x; }\n}\n"
    fact = {(f["event_type"], f["source_id"]): f["data"] for f in facts_of("A.java", src)}[
        ("code.function", "A.java::A.f")]
    again = dict(fact, signature_hash="")
    resign(again, {"public", "static"})
    assert again["signature_hash"] == fact["signature_hash"]


# -- tree-sitter 0.26.1 workaround ------------------------------------------------------------------

def test_settings_beside_text_predicates_are_lifted_out_of_the_query_text():
    text = ('; a comment with (#set! kind "x") and #eq?\n'
            '(a (b) @name (#eq? @name "x") (#set! kind "k")) @definition.function\n'
            '(c) @definition.class (#set! kind "plain")\n')
    clean, extra, count = languages.split_settings(text)
    assert count == 2 and extra == {0: {"kind": "k"}}
    assert "#set! kind \"k\"" not in clean and '(#set! kind "plain")' in clean
    assert len(clean) == len(text)


def test_queries_with_settings_and_predicates_compile_repeatedly_without_crashing():
    """py-tree-sitter 0.26.1 segfaults after a Query holding #set! and #eq? in one pattern is
    freed and another is compiled; the loader rewrites such patterns (run in a subprocess)."""
    import subprocess
    import sys

    prog = ("from tree_sitter import Query\n"
            "from patina.sources.code import languages as L\n"
            "for name in ('javascript', 'typescript', 'tsx'):\n"
            "    loaded = L.load(name)\n"
            "    text = L.split_settings(L.query_text(name))[0]\n"
            "    for _ in range(20):\n"
            "        Query(loaded.language, text)\n"
            "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-500:]
    facts = {(f["event_type"], f["source_id"]): f["data"] for f in facts_of(
        "k.js", "const a = require('a');\nclass K { constructor() {} }\n")}
    assert facts[("code.import", "k.js::a")]["import_kind"] == "require"
    assert facts[("code.function", "k.js::K.constructor")]["kind"] == "constructor"


# -- `; inherits:` ---------------------------------------------------------------------------------

def test_inherits_reads_only_the_leading_comments():
    text = ("; Title\n;inherits: a, b\n;; inherits: c\n\n(x) @definition.class\n"
            "; inherits: not_this_one\n")
    assert languages.inherited(text) == ["a", "b", "c"]
    assert languages.inherited("(x) @definition.class\n") == []


def test_inherited_patterns_follow_the_files_own_and_each_file_comes_once(tmp_path, monkeypatch):
    files = {"top": "; inherits: mid, base\n(top)\n", "mid": "; inherits: base, top\n(mid)\n", "base": "(base)\n"}
    for name, text in files.items():
        (tmp_path / f"{name}.scm").write_text(text)
    monkeypatch.setattr(languages, "QUERIES_DIR", str(tmp_path))
    assert languages.query_files("top") == ["top", "mid", "base"]
    with pytest.raises(ValueError):
        languages.query_files("../top")


def test_the_shipped_inheritance_and_its_version():
    """TypeScript's own imports come before the shared ones (so `import type` wins), and the
    extractor version hashes the inherited file too."""
    assert languages.query_files("typescript") == ["typescript", "_ecma"]
    assert languages.query_files("cpp") == ["cpp", "_c_family"]
    text = languages.query_text("typescript")
    assert text.index('(#set! import.kind "type")') < text.index("(#not-eq? @name \"require\")")
    facts = {f["source_id"]: f["data"] for f in facts_of("t.ts", "import type { A } from './a';\n")}
    assert facts["t.ts::./a"]["import_kind"] == "type"


def test_the_extractor_version_follows_an_inherited_file(tmp_path, monkeypatch):
    import shutil

    shutil.copytree(languages.QUERIES_DIR, tmp_path / "q")
    monkeypatch.setattr(languages, "QUERIES_DIR", str(tmp_path / "q"))
    languages.extractor_version.cache_clear()
    try:
        before = languages.extractor_version("javascript")
        with open(tmp_path / "q" / "_ecma.scm", "a") as fh:
            fh.write("\n; a change\n")
        languages.extractor_version.cache_clear()
        assert languages.extractor_version("javascript") != before
    finally:
        languages.extractor_version.cache_clear()

def test_a_missing_old_blob_falls_back_to_the_facts_in_the_log(repo, scrape):
    repo.commit("1", {"a.py": V1})
    scrape(repo.path)
    r = patina_repo.discover(str(repo.path))
    blob = repo.git("rev-parse", "HEAD:a.py")
    os.remove(os.path.join(r.git_dir, "objects", blob[:2], blob[2:]))  # a damaged/partial clone
    for name in os.listdir(os.path.join(r.data_dir, "cache")):
        os.remove(os.path.join(r.data_dir, "cache", name))
    repo.commit("2", {"a.py": V2})
    _, rows = scrape(repo.path)
    assert summary(rows)[4:] == [("code.function", "a.py::f"), ("code.function", "a.py::h")]


def test_a_non_utf8_path_is_spelled_as_the_git_source_spells_it(repo, scrape):
    name = b"caf\xe9.py"
    import subprocess

    with open(os.path.join(os.fsencode(str(repo.path)), name), "wb") as fh:
        fh.write(b"def f():\n    pass\n")
    subprocess.run(["git", "add", "."], cwd=repo.path, check=True)
    repo.commit("odd name")
    _, rows = scrape(repo.path)
    files = {r[4] for r in rows if r[1].startswith("code.")}
    assert files == {"caf\\xe9.py"}
    assert_views_equal_head(repo.path)


# -- function history -------------------------------------------------------------------------------

def test_function_history_lists_the_commits_that_changed_what_a_function_is(repo, scrape):
    from patina import projections

    repo.commit("add", {"app.py": "class App:\n    def run(self, x):\n        return x\n"},
                author=("Ann", "ann@example.com"))
    repo.commit("move it down", {"app.py": "\n\n\nclass App:\n    def run(self, x):\n        return x\n"})
    repo.commit("new body", {"app.py": "\n\n\nclass App:\n    def run(self, x):\n        return x + 1\n"},
                author=("Bob", "bob@example.com"))
    repo.commit("new parameter", {"app.py": "class App:\n    def run(self, x, y):\n        return x + y\n"})
    repo.commit("gone", {"app.py": "class App:\n    pass\n"})
    scrape(repo.path)
    conn = sqlite3.connect(patina_repo.discover(str(repo.path)).db_path)
    cols, rows = projections.run(conn, "function-history", {"name": "App.run"})
    got = [dict(zip(cols, r)) for r in rows]
    assert [(r["subject"], r["change"]) for r in got] == [
        ("add", "added"), ("new body", "changed"), ("new parameter", "changed"), ("gone", "removed")]
    assert got[1]["author"] == "Bob" and got[1]["changed"] == "body_hash"
    assert "parameters" in got[2]["changed"] and "signature_hash" in got[2]["changed"]
    assert all(r["file"] == "app.py" and len(r["sha"]) == 40 for r in got)
    assert projections.run(conn, "function-history", {"name": "App.run", "file": "other.py"})[1] == []


def test_positions_of_a_file_whose_name_starts_with_another_files_name_and_colons(repo, scrape):
    """A fact's source id starts with its path, so a file's rows are a key range; a file named
    ``m.py::z.py`` lies in that range of ``m.py`` and must keep its rows when ``m.py`` changes."""
    repo.commit("1", {"m.py": "def f():\n    pass\n", "m.py::z.py": "def g():\n    pass\n"})
    scrape(repo.path)
    repo.commit("2", {"m.py": "\n\ndef f():\n    pass\n"})
    scrape(repo.path)
    got = [r for r in _positions(repo.path) if r[1] == "code.function"]
    assert got == [("m.py::f", "code.function", "m.py", 3, 4), ("m.py::z.py::g", "code.function", "m.py::z.py", 1, 2)]
    conn = sqlite3.connect(patina_repo.discover(str(repo.path)).db_path)
    try:
        assert sorted(store.fold_facts(conn, "m.py", "code")) == [("code.file", ""), ("code.function", "f")]
    finally:
        conn.close()


def test_a_cache_file_of_an_earlier_layout_is_made_again_and_used(repo, scrape):
    from patina.sources.code import cache as code_cache

    repo.commit("1", {"a.py": "def f():\n    g()\n"})
    repo.commit("2", {"a.py": "def f(x):\n    g(x)\n"})
    folder = os.path.join(patina_repo.discover(str(repo.path)).data_dir, "cache")
    os.makedirs(folder)
    old = sqlite3.connect(os.path.join(folder, "code-history.db"))
    old.executescript("CREATE TABLE deltas (old TEXT NOT NULL, new TEXT NOT NULL, lang TEXT NOT NULL, "
                      "version TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (old, new, lang, version)) WITHOUT ROWID;"
                      "INSERT INTO deltas VALUES ('0', '1', 'python', 'v', x'00');")
    old.close()
    _, first = scrape(repo.path, full=True)
    conn = sqlite3.connect(os.path.join(folder, "code-history.db"))
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == code_cache.LAYOUT
        assert conn.execute("SELECT count(*) FROM deltas").fetchone()[0] == 2  # both changes of a.py
    finally:
        conn.close()
    assert [r[1] for r in first if r[1].startswith("code.")]


def test_blobs_read_in_one_stream_give_the_same_deltas_as_one_by_one(repo):
    """Engine.run_all reads the blobs of its jobs in one stream (BlobReader.many): the same
    bytes as one request at a time (a missing object is None), the same deltas, and a path's
    old version read only when its state does not hold it."""
    from patina import gitcmd
    from patina.sources.code import history

    blobs = {}
    for n in range(1, 5):
        repo.commit(str(n), {"a.py": "\n" * n + f"def f{n}(x):\n    g(x)\n", "b.py": f"X = {n}\n"})
        blobs[n] = {p: repo.git("rev-parse", f"HEAD:{p}").strip() for p in ("a.py", "b.py")}
    git_dir = os.path.join(str(repo.path), ".git")
    reader = gitcmd.BlobReader(git_dir)
    try:
        missing = "1" * 40
        oids = [blobs[1]["a.py"], blobs[2]["b.py"], missing, blobs[1]["a.py"], history.ZERO_OID]
        assert reader.many(oids) == {o: reader(o) for o in oids if o != history.ZERO_OID}
        assert reader.many(oids)[missing] is None and reader.many([]) == {}
        tree = repo.git("rev-parse", "HEAD^{tree}").strip()  # not a blob: None, and the stream stays in step
        assert reader.many([tree, blobs[3]["b.py"]]) == {tree: None, blobs[3]["b.py"]: b"X = 3\n"}
        assert reader(tree) is None and reader(blobs[4]["b.py"]) == b"X = 4\n"
        jobs = [history.Job("a.py", "python", history.ZERO_OID, blobs[1]["a.py"])]
        jobs += [history.Job(p, "python", blobs[n][p], blobs[n + 1][p]) for n in (1, 2, 3) for p in ("a.py", "b.py")]
        jobs.append(history.Job("b.py", "python", blobs[4]["b.py"], history.ZERO_OID))
        one = history.Engine(reader, 1 << 20)
        streamed = history.Engine(reader, 1 << 20)
        a, b = ({n: blobs[n][p] for n in blobs} for p in ("a.py", "b.py"))
        assert streamed._reads(jobs) == [a[1], a[2], b[1], b[2], a[3], b[3], a[4], b[4]]  # b.py's old once
        assert streamed.run_all(jobs) == [one.run(j) for j in jobs]
        assert all(streamed.run_all(jobs)) and len(one.paths) == 1  # deltas all there; b.py deleted
    finally:
        reader.close()
