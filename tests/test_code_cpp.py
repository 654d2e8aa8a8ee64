"""C++ facts: the fixture's exact facts, plus the cases the fixture cannot show."""

from codeutil import check_fixture, facts_of, lines_of


def by_id(facts):
    return {(f["event_type"], f["source_id"]): f["data"] for f in facts}


def test_fixture_facts():
    check_fixture("cpp", "store.cpp")


def test_header_declarations_are_functions_with_access():
    src = ("namespace kv {\nclass Store {\n  int hidden();\npublic:\n  static Store* open(const char* p);\n"
           "  virtual ~Store();\n};\nstruct Point { int norm() const; };\n}\n")
    facts = by_id(facts_of("store.hpp", src))
    assert facts[("code.function", "store.hpp::kv::Store::hidden")]["visibility"] == "private"
    opened = facts[("code.function", "store.hpp::kv::Store::open")]
    assert (opened["kind"], opened["visibility"], opened["return_type"]) == ("method", "public", "Store *")
    assert lines_of("store.hpp", src)[("code.function", "store.hpp::kv::Store::open")] == [5, 5]
    assert facts[("code.function", "store.hpp::kv::Store::~Store")]["kind"] == "destructor"
    assert facts[("code.function", "store.hpp::kv::Point::norm")]["visibility"] == "public"


def test_declaration_in_a_function_body_is_not_a_function():
    facts = by_id(facts_of("m.cpp", "int main() {\n  Store local(path);\n  int f(int);\n  return 0;\n}\n"))
    assert [k for k in facts if k[0] == "code.function"] == [("code.function", "m.cpp::main")]


def test_signature_hash_follows_the_return_type_declarator():
    a = by_id(facts_of("m.cpp", "int f(int x) { return x; }\n"))[("code.function", "m.cpp::f")]
    b = by_id(facts_of("m.cpp", "int *f(int x) { return 0; }\n"))[("code.function", "m.cpp::f")]
    assert (a["return_type"], b["return_type"]) == ("int", "int *")
    assert a["signature_hash"] != b["signature_hash"]


def test_syntax_error_keeps_the_facts_before_and_after():
    src = ("#include <map>\nnamespace kv {\nclass Before { public: int a() { return 1; } };\n"
           "int broken(int x) { return x + ; }\n"
           "@@ not c++ @@\n"
           "class After { int b(); };\n}\n")
    facts = by_id(facts_of("e.cpp", src))
    assert ("code.function", "e.cpp::kv::Before::a") in facts
    assert ("code.class", "e.cpp::kv::After") in facts
    assert ("code.function", "e.cpp::kv::After::b") in facts
    assert ("code.import", "e.cpp::map") in facts
    assert facts[("code.file", "e.cpp")]["error_nodes"] >= 1


def test_non_utf8_and_deep_nesting_never_raise():
    latin = by_id(facts_of("l.cpp", b"// caf\xe9\nint ok() { return 1; }\nint f\xe9() { return 0; }\n"))
    assert ("code.function", "l.cpp::ok") in latin
    depth = 3000
    src = "namespace a {\n" + "void deep() {" + "{" * depth + "g();" + "}" * depth + "}\n}\n"
    deep = by_id(facts_of("d.cpp", src))
    assert ("code.call", "d.cpp::a::deep->g") in deep


def test_six_languages_through_a_real_repository(repo, scrape):
    """The C, C++, Java, C#, Ruby and Solidity fixtures through git and the real pipeline: the
    views equal a direct extraction of HEAD, with no warnings; then a C++ edit that defines a
    declared method moves its fact to the definition."""
    import os
    from pathlib import Path

    from patina import repo as patina_repo
    from codeutil import current_state, head_state

    fixtures = Path(__file__).parent / "fixtures" / "code"
    names = {"c": "store.c", "cpp": "store.cpp", "java": "Store.java", "csharp": "Store.cs",
             "ruby": "store.rb", "solidity": "Vault.sol"}
    files = {f"src/{lang}/{name}": (fixtures / lang / name).read_text() for lang, name in names.items()}
    repo.commit("add six languages", files)
    result, _ = scrape(repo.path)
    assert result.warnings == []
    found = patina_repo.discover(str(repo.path))
    head = os.popen(f"git -C {repo.path} rev-parse HEAD").read().strip()
    state = current_state(found.db_path)
    assert state == head_state(found.git_dir, head)
    for path in files:
        assert state[("code.file", path)]["error_nodes"] == 0

    cpp = files["src/cpp/store.cpp"].replace("int main() {", "int kv::Store::Cursor::next() { return 1; }\n\nint main() {")
    repo.commit("define Cursor::next", {"src/cpp/store.cpp": cpp})
    _, rows = scrape(repo.path)
    new = [(r[1], r[3]) for r in rows if r[1] == "code.function" and r[3].endswith("Cursor::next")]
    assert new[-1] == ("code.function", "src/cpp/store.cpp::kv::Store::Cursor::next")
    state = current_state(found.db_path)
    nxt = state[("code.function", "src/cpp/store.cpp::kv::Store::Cursor::next")]
    defined_at = cpp.split("\n").index("int kv::Store::Cursor::next() { return 1; }") + 1
    assert (nxt["kind"], nxt["visibility"]) == ("method", "public")
    assert lines_of("store.cpp", cpp)[("code.function", "store.cpp::kv::Store::Cursor::next")][0] == defined_at
