"""C# facts: the fixture's exact facts, plus the cases the fixture cannot show."""

from codeutil import check_fixture, facts_of


def by_id(facts):
    return {(f["event_type"], f["source_id"]): f["data"] for f in facts}


def test_fixture_facts():
    check_fixture("csharp", "Store.cs")


def test_file_scoped_namespace_does_not_qualify_and_defaults_apply():
    src = ("namespace A.B;\nclass Store {\n  async Task Run() { await Go(); }\n  interface IInner { void M(); }\n}\n"
           "global using System.Text;\n")
    facts = by_id(facts_of("src/Store.cs", src))
    assert facts[("code.class", "src/Store.cs::Store")]["visibility"] == "internal"
    run = facts[("code.function", "src/Store.cs::Store.Run")]
    assert (run["is_async"], run["visibility"], run["is_public"]) == (True, "private", False)
    assert facts[("code.function", "src/Store.cs::Store.IInner.M")]["visibility"] == "public"
    assert facts[("code.import", "src/Store.cs::System.Text")]["import_kind"] == "import"


def test_syntax_error_keeps_the_facts_before_and_after():
    src = ("using System;\nclass Before { int A() { return 1; } }\n"
           "class Broken { void B() { int x = ; } }\n"
           "### not c# ###\n"
           "class After { void C() { A(); } }\n")
    facts = by_id(facts_of("E.cs", src))
    assert ("code.function", "E.cs::Before.A") in facts
    assert ("code.function", "E.cs::Broken.B") in facts
    assert ("code.class", "E.cs::After") in facts
    assert ("code.call", "E.cs::After.C->A") in facts
    assert ("code.import", "E.cs::System") in facts
    assert facts[("code.file", "E.cs")]["error_nodes"] >= 1


def test_non_utf8_and_deep_nesting_never_raise():
    latin = by_id(facts_of("L.cs", b"// caf\xe9\nclass L { string s = \"\xe9\"; void Ok() {} }\n"))
    assert ("code.function", "L.cs::L.Ok") in latin
    depth = 3000
    src = "class D {\n  void Deep() {" + "{" * depth + "F();" + "}" * depth + "}\n}\n"
    deep = by_id(facts_of("D.cs", src))
    assert ("code.call", "D.cs::D.Deep->F") in deep
