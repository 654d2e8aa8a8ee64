"""The language registry: which files are code, and how to load each language.

Rules-as-data: one :class:`LanguageSpec` per tree-sitter grammar. Importing this module is
cheap (no tree_sitter import): ``CodeSource.wants()`` uses :func:`language_for_path` on the
hook path. Grammars, queries and per-language modules are loaded lazily by :func:`load`.

A language whose ``queries/<name>.scm`` does not exist yet is skipped silently (it is not
"available"); a grammar that fails to load is skipped with one warning (see :func:`load`).
"""

from __future__ import annotations

import importlib
import os
import re
import warnings
from functools import lru_cache
from typing import Any, Callable, NamedTuple

QUERIES_DIR = os.path.join(os.path.dirname(__file__), "queries")


class LanguageSpec(NamedTuple):
    """(A NamedTuple: this module is on the hook path, where importing dataclasses costs ~10 ms.)"""

    name: str
    extensions: tuple[str, ...]  # lower-case, with the dot
    grammar_module: str  # the grammar wheel's module, e.g. "tree_sitter_python"
    grammar_function: str  # its function returning the language pointer, e.g. "language"
    lang_module: str | None  # optional hooks: patina.sources.code.lang_<lang_module>
    query: str | None = None  # the query file queries/<query>.scm (default: the name)
    # Definitions directly inside a function-like definition get visibility "local" (unless
    # the query captured an explicit @visibility): CONTRACT.md section 1, Visibility.
    function_locals: bool = False
    # How the language spells a qualified name: `Table.insert_all`, `Store::open`.
    separator: str = "."
    # Units (CONTRACT.md section 6): the facts of a top-level unit of the file depend on that
    # unit alone, so a new version of a file re-extracts only the units an edit touched. A
    # language whose hooks read context elsewhere in the file is extracted whole (only the
    # parse tree is reused).
    whole_file: bool = False
    # (node type, field): a node whose field's named children are units of their own (a class
    # body's methods); field "" = the node's own named children (a C `#ifdef` block).
    containers: tuple[tuple[str, str], ...] = ()
    # (node type, field): a node (decorators, `export`) whose named children are units when
    # its field (or, for "", its first named child) is a container.
    wrappers: tuple[tuple[str, str], ...] = ()

    @property
    def query_name(self) -> str:
        return self.query or self.name


_ECMA_CONTAINERS = (("class_declaration", "body"), ("class", "body"))
_TS_CONTAINERS = _ECMA_CONTAINERS + (
    ("abstract_class_declaration", "body"), ("interface_declaration", "body"), ("internal_module", "body"),
    ("module", "body"))
_ECMA_WRAPPERS = (("export_statement", "declaration"), ("expression_statement", ""))
_C_PREPROC = tuple((t, "") for t in ("preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif",
                                      "preproc_elifdef"))

LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec("python", (".py",), "tree_sitter_python", "language", "python", function_locals=True,
                 containers=(("class_definition", "body"),), wrappers=(("decorated_definition", "definition"),)),
    LanguageSpec("rust", (".rs",), "tree_sitter_rust", "language", "rust", separator="::",
                 containers=(("impl_item", "body"), ("trait_item", "body"), ("mod_item", "body"))),
    LanguageSpec("go", (".go",), "tree_sitter_go", "language", "go", function_locals=True),
    LanguageSpec("javascript", (".js", ".jsx", ".mjs", ".cjs"), "tree_sitter_javascript", "language",
                 "javascript", function_locals=True, containers=_ECMA_CONTAINERS, wrappers=_ECMA_WRAPPERS),
    # TypeScript's hooks are JavaScript's (accessibility modifiers included).
    LanguageSpec("typescript", (".ts",), "tree_sitter_typescript", "language_typescript", "javascript",
                 function_locals=True, containers=_TS_CONTAINERS, wrappers=_ECMA_WRAPPERS),
    # TSX is TypeScript's grammar plus JSX: the same rules apply.
    LanguageSpec("tsx", (".tsx",), "tree_sitter_typescript", "language_tsx", "javascript", "typescript",
                 function_locals=True, containers=_TS_CONTAINERS, wrappers=_ECMA_WRAPPERS),
    # C: `#ifdef` blocks (include guards) hold units; linkage blocks (`extern "C" {`) too.
    LanguageSpec("c", (".c", ".h"), "tree_sitter_c", "language", "c",
                 containers=_C_PREPROC + (("linkage_specification", "body"),)),
    # C++ is extracted whole: lang_cpp gives an out-of-line definition the access label of its
    # in-class declaration, and drops declarations the file defines (anywhere in the file).
    LanguageSpec("cpp", (".cpp", ".cc", ".cxx", ".hpp", ".hh", ".hxx"), "tree_sitter_cpp", "language", "cpp",
                 separator="::", whole_file=True),
    LanguageSpec("solidity", (".sol",), "tree_sitter_solidity", "language", "solidity",
                 containers=(("contract_declaration", "body"), ("library_declaration", "body"),
                             ("interface_declaration", "body"))),
    LanguageSpec("java", (".java",), "tree_sitter_java", "language", "java",
                 containers=(("class_declaration", "body"), ("interface_declaration", "body"),
                             ("enum_declaration", "body"), ("record_declaration", "body"),
                             ("annotation_type_declaration", "body"), ("enum_body_declarations", ""))),
    LanguageSpec("csharp", (".cs",), "tree_sitter_c_sharp", "language", "csharp",
                 containers=(("namespace_declaration", "body"), ("class_declaration", "body"),
                             ("struct_declaration", "body"), ("interface_declaration", "body"),
                             ("record_declaration", "body"))),
    # Ruby is extracted whole: a bare `private` (also at the top level) sets the visibility of
    # every later method of its body, and `private :m` names a method anywhere in it.
    LanguageSpec("ruby", (".rb",), "tree_sitter_ruby", "language", "ruby", whole_file=True),
)

BY_NAME: dict[str, LanguageSpec] = {spec.name: spec for spec in LANGUAGES}
_BY_EXT: dict[str, str] = {ext: spec.name for spec in LANGUAGES for ext in spec.extensions}


def query_path(name: str) -> str:
    return os.path.join(QUERIES_DIR, f"{BY_NAME[name].query_name}.scm")


_INHERITS = re.compile(r";+\s*inherits:\s*(.*)")
_QUERY_NAME = re.compile(r"[A-Za-z0-9_]+")


def inherited(text: str) -> list[str]:
    """The query files named by ``; inherits: a, b`` lines in a file's leading comments (the
    comment block before its first pattern)."""
    names: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith(";"):
            break
        found = _INHERITS.fullmatch(line)
        if found:
            names.extend(n.strip() for n in found.group(1).split(",") if n.strip())
    return names


def _read_query(query_name: str) -> str:
    if not _QUERY_NAME.fullmatch(query_name):
        raise ValueError(f"not a query file name: {query_name!r}")
    with open(os.path.join(QUERIES_DIR, f"{query_name}.scm"), encoding="utf-8") as fh:
        return fh.read()


def query_files(query_name: str) -> list[str]:
    """``query_name`` and the query files it inherits, in the order the loader joins them: a
    file's own patterns first (the first pattern that matches a node wins, so a file's
    patterns override what it inherits), then each inherited file's, depth first. A file
    appears once (a cycle ends). Raises OSError or ValueError for a missing or misnamed file."""
    order: list[str] = []
    stack = [query_name]
    while stack:
        name = stack.pop()
        if name in order:
            continue
        order.append(name)
        stack.extend(reversed(inherited(_read_query(name))))
    return order


def query_text(name: str) -> str:
    """The query the loader compiles for language ``name``: see :func:`query_files`."""
    return "\n".join(_read_query(q) for q in query_files(BY_NAME[name].query_name))


@lru_cache(maxsize=1)
def available() -> frozenset[str]:
    """Languages whose query file exists (listed once per process: cheap for ``wants``)."""
    try:
        present = set(os.listdir(QUERIES_DIR))
    except OSError:
        return frozenset()
    return frozenset(spec.name for spec in LANGUAGES if f"{spec.query_name}.scm" in present)


def language_for_path(path: str) -> str | None:
    """The language of a repository path by its extension (case-insensitive), if available."""
    dot = path.rfind(".")
    if dot < 0 or "/" in path[dot:]:
        return None
    name = _BY_EXT.get(path[dot:].lower())
    return name if name is not None and name in available() else None


_TEXT_PREDICATE = re.compile(r"#(?:not-)?(?:any-)?(?:eq|match|any-of)\?")
_SET = re.compile(r'\(\s*#set!\s+([^\s()"]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\)')


def _top_level_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level pattern: from a depth-0 ``(`` or ``[`` to the next one.
    Strings and ``;`` comments are skipped."""
    starts: list[int] = []
    depth = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == ";":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c in "([":
            if depth == 0 and not text.startswith("#", i + 1):  # a top-level (#pred ...) joins its pattern
                starts.append(i)
            depth += 1
        elif c in ")]":
            depth = max(0, depth - 1)
        i += 1
    return [(a, b) for a, b in zip(starts, starts[1:] + [n])]


def split_settings(text: str) -> tuple[str, dict[int, dict[str, Any]], int]:
    """Lift ``#set!`` directives out of patterns that also have a text predicate.

    py-tree-sitter 0.26.1 corrupts its heap (a later segfault) when one pattern holds both a
    text predicate (``#eq?``, ``#match?``, ``#any-of?``...) and ``#set!``. Such settings are
    removed from the query text (replaced by spaces: positions are kept) and returned by pattern
    index, for the extractor to merge. Returns (text, settings by pattern, pattern count).
    """
    spans = _top_level_spans(text)
    extra: dict[int, dict[str, Any]] = {}
    out = list(text)
    for index, (start, end) in enumerate(spans):
        chunk = _strip_comments(text[start:end])
        if "#set!" not in chunk or not _TEXT_PREDICATE.search(chunk):
            continue
        for m in _SET.finditer(text, start, end):
            extra.setdefault(index, {})[m.group(1)] = m.group(2)
            out[m.start():m.end()] = [" "] * (m.end() - m.start())
    return "".join(out), extra, len(spans)


def _strip_comments(chunk: str) -> str:
    return "\n".join(line.split(";", 1)[0] if '"' not in line else line for line in chunk.splitlines())


class LoadedLanguage:
    """A language ready to parse: tree-sitter objects plus the optional hook functions."""

    def __init__(self, spec: LanguageSpec, language: Any, query: Any,
                 pattern_info: dict[int, tuple[str | None, dict[str, Any]]] | None = None,
                 extra_settings: dict[int, dict[str, Any]] | None = None, parser: Any = None,
                 cursor: Any = None, hooks_by_name: dict[str, Callable[..., Any]] | None = None) -> None:
        self.spec = spec
        self.language = language  # tree_sitter.Language
        self.query = query  # tree_sitter.Query
        # pattern index -> (role capture name, #set! settings): filled on first use by the extractor
        self.pattern_info = pattern_info if pattern_info is not None else {}
        # settings lifted out of the query text (see split_settings), by pattern index
        self.extra_settings = extra_settings if extra_settings is not None else {}
        # reused for every file of the language (a process parses one file at a time)
        self.parser = parser  # tree_sitter.Parser
        self.cursor = cursor  # tree_sitter.QueryCursor over whole files
        self.range_cursor: Any = None  # a QueryCursor for byte ranges (incremental.py makes it)
        # the hook functions the module defines, by name (looked up once, not per definition)
        self.hooks_by_name = hooks_by_name if hooks_by_name is not None else {}


class LanguageUnavailable(Exception):
    """The grammar, query or hook module of a language could not be loaded (message says why)."""


def _grammar(spec: LanguageSpec) -> Any:
    from tree_sitter import Language

    module = importlib.import_module(spec.grammar_module)
    pointer = getattr(module, spec.grammar_function)()
    with warnings.catch_warnings():
        # tree_sitter_solidity's language() returns an int: accepted by tree-sitter 0.26 with a
        # DeprecationWarning that would otherwise reach the user.
        warnings.simplefilter("ignore", DeprecationWarning)
        return Language(pointer)


HOOK_NAMES = ("visibility", "modifiers", "parameters", "returns_result", "imports", "refine")

_LOADED: dict[str, LoadedLanguage | LanguageUnavailable] = {}


def load(name: str) -> LoadedLanguage:
    """The loaded language (memoised, failures too). Raises LanguageUnavailable with a
    one-line reason; the caller warns once via ctx.warn and skips the language's files."""
    cached = _LOADED.get(name)
    if cached is None:
        cached = _load_uncached(name)
        _LOADED[name] = cached
    if isinstance(cached, LanguageUnavailable):
        raise cached
    return cached


def _load_uncached(name: str) -> LoadedLanguage | LanguageUnavailable:
    spec = BY_NAME.get(name)
    if spec is None:
        return LanguageUnavailable(f"code: unknown language {name!r}")
    try:
        language = _grammar(spec)
    except Exception as exc:  # noqa: BLE001 - any failure means: skip this language
        return LanguageUnavailable(f"code: the {name} grammar ({spec.grammar_module}) failed to load, "
                                   f"skipping {name} files: {exc.__class__.__name__}: {exc}")
    try:
        from tree_sitter import Query

        text, extra, patterns = split_settings(query_text(name))
        query = Query(language, text)
    except Exception as exc:  # noqa: BLE001
        return LanguageUnavailable(f"code: queries/{name}.scm is invalid, skipping {name} files: "
                                   f"{exc.__class__.__name__}: {exc}")
    if extra and query.pattern_count != patterns:
        return LanguageUnavailable(f"code: queries/{name}.scm combines #set! with a text predicate in a "
                                   f"pattern this loader cannot rewrite safely; skipping {name} files")
    hooks = None
    if spec.lang_module:
        mod_name = f"patina.sources.code.lang_{spec.lang_module}"
        try:
            hooks = importlib.import_module(mod_name)
        except ModuleNotFoundError as exc:
            if exc.name != mod_name:
                return LanguageUnavailable(f"code: {mod_name} failed to import, skipping {name} files: {exc}")
        except Exception as exc:  # noqa: BLE001
            return LanguageUnavailable(f"code: {mod_name} failed to import, skipping {name} files: {exc}")
    from tree_sitter import Parser, QueryCursor

    found = {name: getattr(hooks, name) for name in HOOK_NAMES if callable(getattr(hooks, name, None))}
    return LoadedLanguage(spec, language, query, extra_settings=extra, parser=Parser(language),
                          cursor=QueryCursor(query), hooks_by_name=found)


def _grammar_stamp(module: str) -> str:
    """The grammar wheel's compiled files (name, size, mtime): cheap (no import, unlike
    importlib.metadata) and enough for a machine-local cache key."""
    import importlib.util

    try:
        found = importlib.util.find_spec(module)
        folder = os.path.dirname(found.origin) if found and found.origin else None
        if folder is None:
            return "?"
        entries = sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(folder)
                         if e.name.endswith((".so", ".pyd", ".dylib")))
    except (ImportError, OSError, ValueError):
        return "?"
    return repr(entries)


# The framework's modules that decide facts: the extractor, and what hook modules import.
FRAMEWORK_FILES = ("extract.py", "incremental.py", "facts.py", "plugin.py", "c_family.py")


@lru_cache(maxsize=None)
def extractor_version(name: str) -> str:
    """Hash of everything that decides a language's facts: the framework's modules, the
    language's .scm and the files it inherits, its hook module, its registry entry and the
    grammar's version. Part of the cache key, so a changed query or helper never serves stale
    facts."""
    import hashlib  # not at module level: this module is on the hook path

    digest = hashlib.sha256()
    here = os.path.dirname(__file__)
    spec = BY_NAME[name]
    try:
        queries = query_files(spec.query_name)
    except (OSError, ValueError):
        queries = [spec.query_name]  # load() reports it; the version only has to differ
    files = [(rel, os.path.join(here, rel)) for rel in FRAMEWORK_FILES]
    files.extend((f"queries/{q}.scm", os.path.join(QUERIES_DIR, f"{q}.scm")) for q in queries)
    if spec.lang_module:
        rel = f"lang_{spec.lang_module}.py"
        files.append((rel, os.path.join(here, rel)))
    for rel, path in files:
        digest.update(rel.encode() + b"\0")
        try:
            with open(path, "rb") as fh:
                digest.update(fh.read())
        except OSError:
            digest.update(b"-")
        digest.update(b"\0")
    digest.update(repr(spec).encode())  # the registry entry's data (function_locals, hook module)
    digest.update(_grammar_stamp(spec.grammar_module).encode())
    return digest.hexdigest()[:16]
