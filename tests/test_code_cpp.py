"""C++ facts: the fixture's exact facts, plus the cases the fixture cannot show."""

from patina.sources.code.testing import check_fixture, facts_of


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
    assert (opened["kind"], opened["visibility"], opened["return_type"], opened["line"]) == ("method", "public", "Store *", 5)
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
