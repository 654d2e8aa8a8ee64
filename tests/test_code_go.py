"""Go facts: the fixture's exact facts, plus receiver qualification and error results."""

from patina.sources.code.testing import check_fixture, facts_of


def test_fixture_facts():
    check_fixture("go", "sample.go")


def test_methods_are_qualified_by_receiver_type_and_exported_names_are_public():
    facts = {(f["event_type"], f["source_id"]): f["data"] for f in facts_of(
        "x.go", "package x\nfunc (s *Srv[T]) Run() (int, error) { return 0, nil }\nfunc (Srv) stop() {}\n")}
    run = facts[("code.function", "x.go::Srv::Run")]
    assert (run["kind"], run["is_public"], run["returns_result"]) == ("method", True, True)
    stop = facts[("code.function", "x.go::Srv::stop")]
    assert (stop["is_public"], stop["returns_result"]) == (False, False)


def test_multi_name_fields_are_separate_members():
    facts = {(f["event_type"], f["source_id"]) for f in facts_of("x.go", "package x\ntype P struct { X, Y int }\n")}
    assert {("code.member", "x.go::P::X"), ("code.member", "x.go::P::Y")} <= facts
