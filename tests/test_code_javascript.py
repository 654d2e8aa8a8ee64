"""JavaScript / JSX facts: the fixture's exact facts, plus visibility and import cases."""

from patina.sources.code.testing import check_fixture, facts_of


def test_fixture_facts():
    check_fixture("javascript", "sample.jsx")


def by_id(path, src):
    return {(f["event_type"], f["source_id"]): f["data"] for f in facts_of(path, src)}


def test_exported_is_public_unexported_is_module_private_fields_are_private():
    facts = by_id("a.mjs", "export function a() {}\nfunction b() {}\nclass C { #x = 1; y() {} }\n")
    assert facts[("code.function", "a.mjs::a")]["visibility"] == "public"
    assert facts[("code.function", "a.mjs::b")]["visibility"] == "module"
    assert facts[("code.member", "a.mjs::C::#x")]["visibility"] == "private"
    assert facts[("code.function", "a.mjs::C::y")]["kind"] == "method"


def test_require_is_an_import_not_a_call_and_local_arrows_are_not_definitions():
    facts = by_id("a.cjs", "const x = require('x');\nfunction f() { const g = () => 1; return g(); }\n")
    assert facts[("code.import", "a.cjs::x")]["import_kind"] == "require"
    assert not any(k[0] == "code.call" and k[1].endswith("->require") for k in facts)
    assert ("code.function", "a.cjs::f::g") not in facts
    assert ("code.call", "a.cjs::f->g") in facts
