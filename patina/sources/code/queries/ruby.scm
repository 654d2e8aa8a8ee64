; Patina code facts for Ruby (tree-sitter-ruby 0.23).
;
; Mapping (decided here, see also lang_ruby.py):
;   code.class     `class X` (kind class); `class A::B` is B qualified by A.
;   code.trait     `module X` (kind module): modules are Ruby's mixins (include/extend) --
;                  the nearest fact to a trait -- and also namespaces: either way they
;                  qualify what they contain (Kv::Store::get).
;   code.function  `def m` (kind method inside a class/module, function at top level) and
;                  `def self.m` / `def` inside `class << self` (kind singleton_method, qualified
;                  name `Kv::Store::self.m` so it never collides with an instance method `m`;
;                  name stays `m`). Visibility: `private`/`protected`/`public` sections,
;                  `private def m`, `private :m`, `private_class_method :m`; `initialize` is
;                  private (as in Ruby); everything else public (top-level defs too).
;   code.member    `attr_reader`/`attr_writer`/`attr_accessor :x` (one member per symbol, kind =
;                  the attr_* call, name without the colon; visibility from sections).
;   code.constant  `NAME = value` (kind constant).
;   code.import    `require "x"` (kind require), `require_relative "x"` (kind require_relative).
;   code.call      every call node with a method name: `m(...)`, `obj.m`, `obj&.m`, `m arg`
;                  (callee m), except the declarations above (require*, attr_*, the visibility
;                  keywords).
; Not extracted: calls written as a bare identifier (`to_json` -- indistinguishable from a
; local variable), `alias`/`alias_method`, `define_method`, `Struct.new` members, instance
; variables, `X::Y = 1` constants of other scopes.

; ---- types -----------------------------------------------------------------
(class
  name: [
    (constant) @name
    (scope_resolution scope: (_) @qualifier name: (constant) @name)
  ]) @definition.class

(module
  name: [
    (constant) @name
    (scope_resolution scope: (_) @qualifier name: (constant) @name)
  ]
  (#set! kind "module")) @definition.trait

; ---- functions -------------------------------------------------------------
(method
  name: (_) @name
  parameters: (method_parameters)? @parameters) @definition.function

(singleton_method
  name: (_) @name
  parameters: (method_parameters)? @parameters
  (#set! kind "singleton_method")) @definition.function

; ---- members ---------------------------------------------------------------
(call
  !receiver
  method: (identifier) @_attr
  arguments: (argument_list (simple_symbol) @name @definition.member)
  (#any-of? @_attr "attr_reader" "attr_writer" "attr_accessor"))

; ---- constants -------------------------------------------------------------
(assignment
  left: (constant) @name
  (#set! kind "constant")) @definition.constant

; ---- imports ---------------------------------------------------------------
(call
  !receiver
  method: (identifier) @_require
  arguments: (argument_list . (string (string_content) @import.path))
  (#eq? @_require "require")
  (#set! import.kind "require")) @reference.import

(call
  !receiver
  method: (identifier) @_require
  arguments: (argument_list . (string (string_content) @import.path))
  (#eq? @_require "require_relative")
  (#set! import.kind "require_relative")) @reference.import

; ---- calls -----------------------------------------------------------------
(call
  method: (identifier) @name
  (#not-match? @name
    "^(require|require_relative|attr_reader|attr_writer|attr_accessor|private|protected|public|private_class_method|public_class_method|module_function)$")) @reference.call
