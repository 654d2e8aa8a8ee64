"""Ruby facts: the fixture's exact facts, plus the cases the fixture cannot show."""

from codeutil import check_fixture, facts_of, lines_of


def by_id(facts):
    return {(f["event_type"], f["source_id"]): f["data"] for f in facts}


def test_fixture_facts():
    check_fixture("ruby", "store.rb")


def test_singleton_and_instance_methods_of_one_name_do_not_collide():
    src = "class Store\n  def self.open(p)\n    new.open(p)\n  end\n\n  def open(p)\n  end\nend\n"
    facts = by_id(facts_of("s.rb", src))
    assert facts[("code.function", "s.rb::Store.self.open")]["kind"] == "singleton_method"
    assert facts[("code.function", "s.rb::Store.open")]["kind"] == "method"
    assert facts[("code.call", "s.rb::Store.self.open->open")]["count"] == 1
    assert lines_of("s.rb", src)[("code.call", "s.rb::Store.self.open->open")] == [3, 3]


def test_visibility_section_does_not_leak_into_the_next_class():
    src = "class A\n  private\n  def a; end\nend\nclass B\n  def b; end\nend\n"
    facts = by_id(facts_of("v.rb", src))
    assert facts[("code.function", "v.rb::A.a")]["visibility"] == "private"
    assert facts[("code.function", "v.rb::B.b")]["visibility"] == "public"


def test_syntax_error_keeps_the_facts_before_and_after():
    src = ("require 'set'\nclass Before\n  def a\n    1\n  end\nend\n"
           "def broken(x\n  x +\nend\n"
           "class After\n  def c\n    a()\n  end\nend\n")
    facts = by_id(facts_of("e.rb", src))
    assert ("code.function", "e.rb::Before.a") in facts
    assert ("code.class", "e.rb::After") in facts
    assert ("code.function", "e.rb::After.c") in facts
    assert ("code.import", "e.rb::set") in facts
    assert facts[("code.file", "e.rb")]["error_nodes"] >= 1


def test_non_utf8_and_deep_nesting_never_raise():
    latin = by_id(facts_of("l.rb", b"# caf\xe9\nclass L\n  def ok\n    \"\xe9\"\n  end\nend\n"))
    assert ("code.function", "l.rb::L.ok") in latin
    depth = 2000
    src = "def deep\n" + "[" * depth + "f(1)" + "]" * depth + "\nend\n"
    deep = by_id(facts_of("d.rb", src))
    assert ("code.call", "d.rb::deep->f") in deep
