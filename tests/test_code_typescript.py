"""TypeScript and TSX facts: exact fixtures for both grammars."""

from pathlib import Path

from patina.sources.code.testing import check_fixture, facts_of

QUERIES = Path(__file__).resolve().parents[1] / "patina" / "sources" / "code" / "queries"


def test_fixture_facts_typescript():
    check_fixture("typescript", "sample.ts")


def test_fixture_facts_tsx():
    check_fixture("typescript", "component.tsx")


def test_tsx_query_is_the_typescript_query():
    assert (QUERIES / "tsx.scm").read_text() == (QUERIES / "typescript.scm").read_text()


def test_overload_signatures_keep_the_first_and_accessibility_is_read():
    facts = {(f["event_type"], f["source_id"]): f["data"] for f in facts_of(
        "a.ts", "function f(a: string): void;\nfunction f(a: any) {}\n"
                "class K { private p(): number { return 1; } protected q = 2; }\n")}
    assert facts[("code.function", "a.ts::f")]["line"] == 1
    assert facts[("code.function", "a.ts::K::p")]["visibility"] == "private"
    assert facts[("code.function", "a.ts::K::p")]["return_type"] == "number"
    assert facts[("code.member", "a.ts::K::q")]["visibility"] == "protected"
