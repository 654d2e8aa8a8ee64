"""Java facts: the fixture's exact facts, plus the cases the fixture cannot show."""

from codeutil import check_fixture, facts_of, lines_of


def by_id(facts):
    return {(f["event_type"], f["source_id"]): f["data"] for f in facts}


def test_fixture_facts():
    check_fixture("java", "Store.java")


def test_source_id_is_path_and_qualified_name_without_package():
    facts = by_id(facts_of("src/Store.java", "package a.b;\npublic class Store {\n  public static Store open() { return null; }\n}\n"))
    fn = facts[("code.function", "src/Store.java::Store.open")]
    assert (fn["kind"], fn["is_public"], fn["return_type"]) == ("method", True, "Store")


def test_anonymous_class_methods_are_scoped_by_their_method():
    src = "class A {\n  void run() {\n    new Thread(new Runnable() { public void run() { go(); } });\n  }\n}\n"
    facts = by_id(facts_of("A.java", src))
    assert ("code.function", "A.java::A.run.run") in facts
    assert ("code.call", "A.java::A.run.run->go") in facts
    assert ("code.call", "A.java::A.run->Thread") in facts


def test_syntax_error_keeps_the_facts_before_and_after():
    src = ("import java.util.List;\nclass Before { int a() { return 1; } }\n"
           "class Broken { void b() { int x = ; } }\n"
           "%%% not java %%%\n"
           "class After { void c() { a(); } }\n")
    facts = by_id(facts_of("E.java", src))
    assert ("code.function", "E.java::Before.a") in facts
    assert ("code.function", "E.java::Broken.b") in facts
    assert ("code.class", "E.java::After") in facts
    assert ("code.call", "E.java::After.c->a") in facts
    assert ("code.import", "E.java::java.util") in facts
    assert facts[("code.file", "E.java")]["error_nodes"] >= 1


def test_non_utf8_and_deep_nesting_never_raise():
    src = (b"// caf\xe9\nclass L { String s = \"\xe9\"; void ok() {} \n"
           b"  @SuppressWarnings(\"caf\xe9\") static final int MAX = 1; }\n")
    latin = by_id(facts_of("L.java", src))
    assert ("code.function", "L.java::L.ok") in latin
    # no text predicate over the modifiers: a Latin-1 byte in an annotation cannot break the query
    assert lines_of("L.java", src)[("code.constant", "L.java::L.MAX")] == [3, 3]
    depth = 3000
    src = "class D {\n  void deep() {" + "{" * depth + "f();" + "}" * depth + "}\n}\n"
    deep = by_id(facts_of("D.java", src))
    assert ("code.call", "D.java::D.deep->f") in deep
