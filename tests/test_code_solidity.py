"""Solidity facts: the fixture's exact facts, plus the cases the fixture cannot show."""

from codeutil import check_fixture, facts_of


def by_id(facts):
    return {(f["event_type"], f["source_id"]): f["data"] for f in facts}


def test_fixture_facts():
    check_fixture("solidity", "Vault.sol")


def test_access_control_modifier_changes_the_signature_hash():
    plain = "contract C {\n  function pay(uint a) external {}\n}\n"
    guarded = "contract C {\n  function pay(uint a) external onlyOwner {}\n}\n"
    a = by_id(facts_of("C.sol", plain))[("code.function", "C.sol::C.pay")]
    b = by_id(facts_of("C.sol", guarded))[("code.function", "C.sol::C.pay")]
    assert a["signature_hash"] != b["signature_hash"]
    assert (a["visibility"], a["is_public"]) == ("external", True)


def test_syntax_error_keeps_the_facts_before_and_after():
    src = ("import \"./A.sol\";\ncontract Before {\n  function a() public {}\n}\n"
           "contract Broken {\n  function b() public { uint x = ; }\n}\n"
           "$$$ not solidity $$$\n"
           "contract After {\n  function c() public { a(); }\n}\n")
    facts = by_id(facts_of("E.sol", src))
    assert ("code.function", "E.sol::Before.a") in facts
    assert ("code.function", "E.sol::Broken.b") in facts
    assert ("code.class", "E.sol::After") in facts
    assert ("code.call", "E.sol::After.c->a") in facts
    assert ("code.import", "E.sol::./A.sol") in facts
    assert facts[("code.file", "E.sol")]["error_nodes"] >= 1


def test_non_utf8_and_deep_nesting_never_raise():
    latin = by_id(facts_of("L.sol", b"// caf\xe9\ncontract L {\n  string s = \"\xe9\";\n  function ok() public {}\n}\n"))
    assert ("code.function", "L.sol::L.ok") in latin
    depth = 2000
    src = "contract D {\n  function deep() public {" + "{" * depth + "f();" + "}" * depth + "}\n}\n"
    deep = by_id(facts_of("D.sol", src))
    assert ("code.call", "D.sol::D.deep->f") in deep


def test_default_visibilities_come_from_the_query():
    """Without a visibility keyword the Solidity default applies ((#set! visibility) in the
    query); a declared keyword wins wherever it sits."""
    src = ("function free() pure {}\n"
           "function free2() public pure {}\n"
           "interface I {\n  function f();\n}\n"
           "contract C {\n  uint s;\n  uint constant public K = 1;\n  uint public p;\n"
           "  modifier m() { _; }\n  event E();\n  function g() {}\n  receive() external payable {}\n}\n")
    facts = by_id(facts_of("v.sol", src))
    vis = {sid.split("::", 1)[1]: (data["visibility"], data.get("kind")) for (_, sid), data in facts.items()
           if "visibility" in data and not sid.endswith(("::C", "::I"))}
    assert vis == {"free": ("internal", "function"), "free2": ("public", "function"),
                   "I.f": ("external", "method"), "C.s": ("internal", "state"), "C.p": ("public", "state"),
                   "C.m": ("internal", "modifier"), "C.E": ("public", "event"), "C.g": ("public", "method"),
                   "C.receive": ("external", "receive")}
