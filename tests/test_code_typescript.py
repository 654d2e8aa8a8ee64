"""TypeScript and TSX facts: exact fixtures for both grammars."""

from pathlib import Path

from codeutil import check_fixture, facts_of, lines_of

QUERIES = Path(__file__).resolve().parents[1] / "patina" / "sources" / "code" / "queries"


def test_fixture_facts_typescript():
    check_fixture("typescript", "sample.ts")


def test_fixture_facts_tsx():
    check_fixture("typescript", "component.tsx")


def test_tsx_uses_the_typescript_query():
    from patina.sources.code import languages

    assert languages.query_path("tsx") == languages.query_path("typescript") == str(QUERIES / "typescript.scm")
    assert "tsx" in languages.available()


def test_overload_signatures_keep_the_first_and_accessibility_is_read():
    src = "function f(a: string): void;\nfunction f(a: any) {}\nclass K { private p(): number { return 1; } protected q = 2; }\n"
    facts = {(f["event_type"], f["source_id"]): f["data"] for f in facts_of("a.ts", src)}
    assert facts[("code.function", "a.ts::f")]["parameters"] == ["a: string"]
    assert lines_of("a.ts", src)[("code.function", "a.ts::f")] == [1, 1]
    assert facts[("code.function", "a.ts::K.p")]["visibility"] == "private"
    assert facts[("code.function", "a.ts::K.p")]["return_type"] == "number"
    assert facts[("code.member", "a.ts::K.q")]["visibility"] == "protected"


def test_explicit_visibility_inside_a_function_is_not_local():
    """A mixin's anonymous class: its members' innermost definition is a function, so they are
    ``local`` (the framework's rule) unless they carry an accessibility modifier or a #name."""
    facts = {(f["event_type"], f["source_id"]): f["data"] for f in facts_of(
        "m.ts", "export const M = (B: any) => class extends B {\n"
                "  private a = 1;\n  #b = 2;\n  c() {}\n  protected d(): void {}\n};\n")}
    vis = {sid.split("::", 1)[1]: data["visibility"] for (event, sid), data in facts.items() if "visibility" in data}
    assert vis == {"M": "public", "M.a": "private", "M.#b": "private", "M.c": "local", "M.d": "protected"}


def test_history_add_change_rename_delete(repo, scrape):
    from codeutil import step

    v1 = "export interface Db {\n  open(p: string): void;\n}\n"
    v2 = "export interface Db {\n  open(p: string, m: number): void;\n}\nexport type Id = string;\n"
    assert step(repo, scrape, "add", {"src/db.ts": v1}) == [
        ("code.file", "src/db.ts"), ("code.function", "src/db.ts::Db.open"), ("code.interface", "src/db.ts::Db")]
    assert step(repo, scrape, "change", {"src/db.ts": v2}) == [
        ("code.function", "src/db.ts::Db.open"), ("code.type", "src/db.ts::Id")]
    assert step(repo, scrape, "to tsx", rename=("src/db.ts", "src/db.tsx")) == [
        ("code.removed", "src/db.ts"), ("code.removed", "src/db.ts::Db.open"), ("code.removed", "src/db.ts::Db"),
        ("code.removed", "src/db.ts::Id"),
        ("code.file", "src/db.tsx"), ("code.function", "src/db.tsx::Db.open"),
        ("code.interface", "src/db.tsx::Db"), ("code.type", "src/db.tsx::Id")]
    assert step(repo, scrape, "drop Id", {"src/db.tsx": v1.replace("m: number", "")}) == [
        ("code.removed", "src/db.tsx::Id"), ("code.function", "src/db.tsx::Db.open")]
    assert step(repo, scrape, "delete", {"src/db.tsx": None}) == [
        ("code.removed", "src/db.tsx"), ("code.removed", "src/db.tsx::Db.open"), ("code.removed", "src/db.tsx::Db")]
