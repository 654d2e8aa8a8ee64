"""C facts: the fixture's exact facts, plus the cases the fixture cannot show."""

from codeutil import check_fixture, facts_of, lines_of


def by_id(facts):
    return {(f["event_type"], f["source_id"]): f["data"] for f in facts}


def test_fixture_facts():
    check_fixture("c", "store.c")


def test_header_prototypes_inside_include_guard_are_the_api():
    src = "#ifndef S_H\n#define S_H\nint open_store(const char *p);\nstatic const int K = 2;\n#endif\n"
    facts = by_id(facts_of("s.h", src))
    fn = facts[("code.function", "s.h::open_store")]
    assert (fn["parameters"], fn["return_type"], fn["is_public"]) == (["const char *p"], "int", True)
    assert lines_of("s.h", src)[("code.function", "s.h::open_store")] == [3, 3]
    assert facts[("code.constant", "s.h::K")]["type"] == "const int"
    assert ("code.constant", "s.h::S_H") not in facts  # a guard macro without a value is no constant


def test_local_declarations_are_not_functions_or_constants():
    src = "void g(void) {\n    const int local = 1;\n    int h(int);\n    h(local);\n}\n"
    facts = by_id(facts_of("m.c", src))
    assert sorted(k for k in facts if k[0] in ("code.function", "code.constant")) == [("code.function", "m.c::g")]
    assert facts[("code.call", "m.c::g->h")]["count"] == 1
    assert lines_of("m.c", src)[("code.call", "m.c::g->h")] == [4, 4]


def test_syntax_error_keeps_the_facts_before_and_after():
    src = ("#include <stdio.h>\nint before(int a) { return a; }\n"
           "int broken(int a) { return a + ; }\n"
           "@@ this line is not C @@\n"
           "struct after { int x; };\nint later(void) { return before(1); }\n")
    facts = by_id(facts_of("e.c", src))
    assert ("code.function", "e.c::before") in facts
    assert ("code.struct", "e.c::after") in facts
    assert ("code.function", "e.c::later") in facts
    assert ("code.call", "e.c::later->before") in facts
    assert ("code.import", "e.c::stdio.h") in facts
    assert facts[("code.file", "e.c")]["error_nodes"] >= 1


def test_non_utf8_source_is_read_with_replacement():
    facts = by_id(facts_of("l.c", b"/* caf\xe9 */\nint f\xe9e(void) { return 0; }\nint ok(void) { return 1; }\n"))
    assert ("code.function", "l.c::ok") in facts
    assert facts[("code.file", "l.c")]["skipped"] is None


def test_deep_nesting_does_not_overflow():
    depth = 5000
    src = "int deep(void) {\n" + "{" * depth + "f();" + "}" * depth + "\n}\nint after(void) { return 0; }\n"
    facts = by_id(facts_of("d.c", src))
    assert ("code.function", "d.c::deep") in facts
    assert ("code.function", "d.c::after") in facts
    assert ("code.call", "d.c::deep->f") in facts
