; Patina code facts for Solidity (tree-sitter-solidity 1.2).
;
; Mapping (decided here, see also lang_solidity.py):
;   code.class     `contract X` (kind contract), `abstract contract X` (kind contract),
;                  `library X` (kind library).
;   code.interface `interface X`.
;   code.struct    `struct X`.           code.enum  `enum X`.
;   code.type      `type Price is uint256;` (kind value_type).
;   code.function  `function f` (kind method inside a contract/library/interface, function at
;                  file level), `constructor` (kind constructor, name constructor),
;                  `receive`/`fallback` (kind receive/fallback), `modifier m` (kind modifier),
;                  `event E(...)` (kind event), `error E(...)` (kind error). Parameters are the
;                  declared parameters; return_type is the `returns (...)` list (`bool`,
;                  `(uint256, bool)`). Visibility: the declared one (lang_solidity), else the
;                  Solidity default, set below as data with (#set! visibility ...): functions
;                  and constructors public, interface functions external, free functions
;                  internal, modifiers internal, events/errors public (they are part of the
;                  ABI). is_public: public OR external (both callable from outside the
;                  contract). The modifier set holds the state mutability, virtual, override
;                  and the names of the modifiers invoked (`onlyOwner`), so access-control
;                  changes change the signature hash.
;   code.member    state variables (kind state / immutable, type, visibility: default
;                  internal), struct fields (kind field) and enum values (kind variant).
;   code.constant  `constant` state variables and file-level constants (kind constant, type).
;   code.import    `import "./A.sol";` (path ./A.sol, no names), `import {A, B as C} from "x"`
;                  (names A, B), `import * as L from "x"` (names *).
;   code.call      `f()`, `x.f()` (callee f), `emit E()` (callee E), `revert E()` (callee E) and
;                  modifier invocations in a function header (callee onlyOwner).
; Not extracted: `using L for T`, inheritance lists, `new C()` as a call, assembly blocks,
; function-typed variables.

; ---- types -----------------------------------------------------------------
(contract_declaration
  name: (identifier) @name
  (#set! kind "contract")) @definition.class

(library_declaration
  name: (identifier) @name
  (#set! kind "library")) @definition.class

(interface_declaration
  name: (identifier) @name) @definition.interface

(struct_declaration
  name: (identifier) @name) @definition.struct

(enum_declaration
  name: (identifier) @name) @definition.enum

(user_defined_type_definition
  name: (identifier) @name
  (#set! kind "value_type")) @definition.type

; ---- functions -------------------------------------------------------------
; A free function is callable only from code in the same unit; interface functions are external.
(source_file
  (function_definition
    name: (identifier) @name) @definition.function @parameters
  (#set! visibility "internal"))

(interface_declaration
  (_ (function_definition
    name: (identifier) @name) @definition.function @parameters)
  (#set! visibility "external"))

(function_definition
  name: (identifier) @name) @definition.function @parameters

(constructor_definition
  "constructor" @name) @definition.constructor @parameters

(fallback_receive_definition
  "receive" @name
  (#set! kind "receive")) @definition.function @parameters

(fallback_receive_definition
  "fallback" @name
  (#set! kind "fallback")) @definition.function @parameters

(modifier_definition
  name: (identifier) @name
  (#set! kind "modifier")
  (#set! visibility "internal")) @definition.function @parameters

(event_definition
  name: (identifier) @name
  (#set! kind "event")) @definition.function @parameters

(error_declaration
  name: (identifier) @name
  (#set! kind "error")) @definition.function @parameters

; ---- constants (before members: the first pattern wins) ---------------------
(state_variable_declaration
  type: (_) @type
  "constant"
  name: (identifier) @name
  (#set! kind "constant")) @definition.constant

(constant_variable_declaration
  type: (_) @type
  name: (identifier) @name
  (#set! kind "constant")) @definition.constant

; ---- members ---------------------------------------------------------------
(state_variable_declaration
  type: (_) @type
  (immutable)
  name: (identifier) @name
  (#set! kind "immutable")
  (#set! visibility "internal")) @definition.member

(state_variable_declaration
  type: (_) @type
  name: (identifier) @name
  (#set! kind "state")
  (#set! visibility "internal")) @definition.member

(struct_member
  type: (_) @type
  name: (identifier) @name
  (#set! kind "field")) @definition.member

((enum_value) @name @definition.member
  (#set! kind "variant"))

; ---- imports ---------------------------------------------------------------
(import_directive
  source: (string) @import.path) @reference.import

; ---- calls -----------------------------------------------------------------
(call_expression
  function: (expression [
    (identifier) @name
    (member_expression property: (identifier) @name)
  ])) @reference.call

(emit_statement
  name: (expression [
    (identifier) @name
    (member_expression property: (identifier) @name)
  ])) @reference.call

(revert_statement
  error: (expression [
    (identifier) @name
    (member_expression property: (identifier) @name)
  ])) @reference.call

(modifier_invocation
  . (identifier) @name) @reference.call
