"""Go facts: the fixture's exact facts, plus receiver qualification and error results."""

from codeutil import check_fixture, facts_of


def test_fixture_facts():
    check_fixture("go", "sample.go")


def test_methods_are_qualified_by_receiver_type_and_exported_names_are_public():
    facts = {(f["event_type"], f["source_id"]): f["data"] for f in facts_of(
        "x.go", "package x\nfunc (s *Srv[T]) Run() (int, error) { return 0, nil }\nfunc (Srv) stop() {}\n")}
    run = facts[("code.function", "x.go::Srv.Run")]
    assert (run["kind"], run["is_public"], run["returns_result"]) == ("method", True, True)
    stop = facts[("code.function", "x.go::Srv.stop")]
    assert (stop["is_public"], stop["returns_result"]) == (False, False)


def test_multi_name_fields_are_separate_members():
    facts = {(f["event_type"], f["source_id"]) for f in facts_of("x.go", "package x\ntype P struct { X, Y int }\n")}
    assert {("code.member", "x.go::P.X"), ("code.member", "x.go::P.Y")} <= facts


def test_history_add_change_rename_delete(repo, scrape):
    from codeutil import step

    v1 = "package db\n\ntype Store struct{}\n\nfunc (s *Store) Open() error { return nil }\n"
    v2 = "package db\n\ntype Store struct{}\n\nfunc (s *Store) Open(path string) error { return nil }\n\nfunc New() *Store { return nil }\n"
    assert step(repo, scrape, "add", {"db/db.go": v1}) == [
        ("code.file", "db/db.go"), ("code.function", "db/db.go::Store.Open"), ("code.struct", "db/db.go::Store")]
    assert step(repo, scrape, "change", {"db/db.go": v2}) == [
        ("code.function", "db/db.go::New"), ("code.function", "db/db.go::Store.Open")]
    assert step(repo, scrape, "rename", rename=("db/db.go", "db/store.go")) == [
        ("code.removed", "db/db.go"), ("code.removed", "db/db.go::New"), ("code.removed", "db/db.go::Store.Open"),
        ("code.removed", "db/db.go::Store"),
        ("code.file", "db/store.go"), ("code.function", "db/store.go::New"),
        ("code.function", "db/store.go::Store.Open"), ("code.struct", "db/store.go::Store")]
    assert step(repo, scrape, "drop New", {"db/store.go": v1}) == [
        ("code.removed", "db/store.go::New"), ("code.function", "db/store.go::Store.Open")]
    assert step(repo, scrape, "delete", {"db/store.go": None}) == [
        ("code.removed", "db/store.go"), ("code.removed", "db/store.go::Store.Open"),
        ("code.removed", "db/store.go::Store")]
