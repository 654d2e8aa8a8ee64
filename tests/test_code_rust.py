"""Rust facts: the fixture's exact facts, plus flags the fixture makes hard to isolate."""

from codeutil import check_fixture, facts_of


def test_fixture_facts():
    check_fixture("rust", "sample.rs")


def fn(src: str, sid: str) -> dict:
    facts = {(f["event_type"], f["source_id"]): f["data"] for f in facts_of("src/lib.rs", src)}
    return facts[("code.function", f"src/lib.rs::{sid}")]


def test_mut_self_result_and_impl_qualification():
    f = fn("impl<T> Db<T> { pub fn open(&mut self) -> anyhow::Result<()> { Ok(()) } }", "Db::open")
    assert (f["kind"], f["takes_mut_self"], f["returns_result"], f["is_public"]) == ("method", True, True, True)


def test_async_unsafe_and_crate_visibility():
    f = fn("pub(crate) async unsafe fn go(&self) {}", "go")
    assert (f["is_async"], f["is_unsafe"], f["visibility"], f["is_public"], f["takes_mut_self"]) == \
        (True, True, "crate", False, False)


def test_trait_impl_methods_are_public_without_pub():
    assert fn("impl Display for Id { fn fmt(&self) {} }", "Id::fmt")["is_public"] is True


def test_history_add_change_rename_delete(repo, scrape):
    from codeutil import step

    v1 = "pub fn open(p: &str) -> u8 { 0 }\n"
    v2 = "pub fn open(p: &str, mode: u8) -> u8 { 0 }\n\nfn close() {}\n"
    assert step(repo, scrape, "add", {"src/db.rs": v1}) == [
        ("code.file", "src/db.rs"), ("code.function", "src/db.rs::open")]
    assert step(repo, scrape, "change", {"src/db.rs": v2}) == [
        ("code.function", "src/db.rs::close"), ("code.function", "src/db.rs::open")]
    assert step(repo, scrape, "rename", rename=("src/db.rs", "src/store.rs")) == [
        ("code.removed", "src/db.rs"), ("code.removed", "src/db.rs::close"), ("code.removed", "src/db.rs::open"),
        ("code.file", "src/store.rs"), ("code.function", "src/store.rs::close"),
        ("code.function", "src/store.rs::open")]
    assert step(repo, scrape, "drop close", {"src/store.rs": v1}) == [
        ("code.removed", "src/store.rs::close"), ("code.function", "src/store.rs::open")]
    assert step(repo, scrape, "delete", {"src/store.rs": None}) == [
        ("code.removed", "src/store.rs"), ("code.removed", "src/store.rs::open")]
