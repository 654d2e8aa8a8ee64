"""Python facts: the fixture's exact facts, plus the cases the fixture cannot show."""

from codeutil import check_fixture, facts_of


def test_fixture_facts():
    check_fixture("python", "sample.py")


def by_id(facts):
    return {(f["event_type"], f["source_id"]): f["data"] for f in facts}


def test_async_method_and_private_visibility():
    facts = by_id(facts_of("m.py", "class A:\n    async def _go(self, x: int) -> str:\n        pass\n"))
    fn = facts[("code.function", "m.py::A._go")]
    assert (fn["kind"], fn["is_async"], fn["visibility"], fn["is_public"]) == ("method", True, "private", False)
    assert (fn["parameters"], fn["return_type"]) == (["self", "x: int"], "str")


def test_nested_function_is_qualified_by_its_function():
    facts = by_id(facts_of("m.py", "def outer():\n    def inner():\n        pass\n    inner()\n"))
    assert ("code.function", "m.py::outer.inner") in facts
    assert facts[("code.call", "m.py::outer->inner")]["caller"] == "outer"


def test_syntax_error_keeps_the_facts_tree_sitter_recovers():
    facts = by_id(facts_of("m.py", "def good():\n    pass\n\ndef bad(:\n    pass\n\nclass Later:\n    pass\n"))
    assert ("code.function", "m.py::good") in facts
    assert ("code.class", "m.py::Later") in facts
    assert facts[("code.file", "m.py")]["error_nodes"] >= 1


def test_signature_hash_ignores_position_but_not_parameters():
    a = by_id(facts_of("m.py", "def f(x):\n    pass\n"))[("code.function", "m.py::f")]
    b = by_id(facts_of("m.py", "\n\n\ndef f(x):\n    return 1\n"))[("code.function", "m.py::f")]
    c = by_id(facts_of("m.py", "def f(x, y):\n    pass\n"))[("code.function", "m.py::f")]
    assert a["signature_hash"] == b["signature_hash"] != c["signature_hash"]


def test_history_add_change_rename_delete(repo, scrape):
    from codeutil import step

    v1 = "class Store:\n    def open(self):\n        pass\n"
    v2 = "class Store:\n    def open(self, mode):\n        pass\n"
    assert step(repo, scrape, "add", {"pkg/db.py": v1}) == [
        ("code.class", "pkg/db.py::Store"), ("code.file", "pkg/db.py"), ("code.function", "pkg/db.py::Store.open")]
    assert step(repo, scrape, "change", {"pkg/db.py": v2}) == [("code.function", "pkg/db.py::Store.open")]
    assert step(repo, scrape, "rename", rename=("pkg/db.py", "pkg/store.py")) == [
        ("code.removed", "pkg/db.py::Store"), ("code.removed", "pkg/db.py"), ("code.removed", "pkg/db.py::Store.open"),
        ("code.class", "pkg/store.py::Store"), ("code.file", "pkg/store.py"),
        ("code.function", "pkg/store.py::Store.open")]
    assert step(repo, scrape, "delete", {"pkg/store.py": None}) == [
        ("code.removed", "pkg/store.py::Store"), ("code.removed", "pkg/store.py"),
        ("code.removed", "pkg/store.py::Store.open")]
