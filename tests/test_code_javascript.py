"""JavaScript / JSX facts: the fixture's exact facts, plus visibility and import cases."""

from codeutil import check_fixture, facts_of


def test_fixture_facts():
    check_fixture("javascript", "sample.jsx")


def by_id(path, src):
    return {(f["event_type"], f["source_id"]): f["data"] for f in facts_of(path, src)}


def test_exported_is_public_unexported_is_module_private_fields_are_private():
    facts = by_id("a.mjs", "export function a() {}\nfunction b() {}\nclass C { #x = 1; y() {} }\n")
    assert facts[("code.function", "a.mjs::a")]["visibility"] == "public"
    assert facts[("code.function", "a.mjs::b")]["visibility"] == "module"
    assert facts[("code.member", "a.mjs::C.#x")]["visibility"] == "private"
    assert facts[("code.function", "a.mjs::C.y")]["kind"] == "method"


def test_require_is_an_import_not_a_call_and_local_arrows_are_not_definitions():
    facts = by_id("a.cjs", "const x = require('x');\nfunction f() { const g = () => 1; return g(); }\n")
    assert facts[("code.import", "a.cjs::x")]["import_kind"] == "require"
    assert not any(k[0] == "code.call" and k[1].endswith("->require") for k in facts)
    assert ("code.function", "a.cjs::f.g") not in facts
    assert ("code.call", "a.cjs::f->g") in facts


def test_history_add_change_rename_delete(repo, scrape):
    from codeutil import step

    v1 = "export class Store {\n  open(path) { return load(path); }\n}\n"
    v2 = "export class Store {\n  open(path, mode) { return load(path); }\n  close() {}\n}\n"
    assert step(repo, scrape, "add", {"web/store.js": v1}) == [
        ("code.call", "web/store.js::Store.open->load"), ("code.class", "web/store.js::Store"),
        ("code.file", "web/store.js"), ("code.function", "web/store.js::Store.open")]
    assert step(repo, scrape, "change", {"web/store.js": v2}) == [
        # the class itself is unchanged: its body_hash leaves its methods out
        ("code.function", "web/store.js::Store.close"), ("code.function", "web/store.js::Store.open")]
    assert step(repo, scrape, "rename", rename=("web/store.js", "web/db.jsx")) == [  # files in path order
        ("code.call", "web/db.jsx::Store.open->load"), ("code.class", "web/db.jsx::Store"),
        ("code.file", "web/db.jsx"), ("code.function", "web/db.jsx::Store.close"),
        ("code.function", "web/db.jsx::Store.open"),
        ("code.removed", "web/store.js::Store.open->load"), ("code.removed", "web/store.js::Store"),
        ("code.removed", "web/store.js"), ("code.removed", "web/store.js::Store.close"),
        ("code.removed", "web/store.js::Store.open")]
    assert step(repo, scrape, "delete", {"web/db.jsx": None})[-1] == ("code.removed", "web/db.jsx::Store.open")
