; Patina code facts for C# (tree-sitter-c-sharp 0.23).
;
; Mapping (decided here, see also lang_csharp.py):
;   namespaces     do NOT qualify (like Java packages; a file-scoped `namespace X;` does not
;                  even enclose its types): source ids stay `path::Store::Open`.
;   code.class     `class X` (kind class), `record X` / `record class X` (kind record).
;   code.struct    `struct X` (kind struct), `record struct X` (kind record struct).
;   code.interface `interface X`.
;   code.enum      `enum X`.
;   code.type      `delegate R X(...)` (kind delegate).
;   code.function  methods (kind method; is_async from `async`, is_unsafe from `unsafe`),
;                  constructors (kind constructor), finalizers `~X` (kind destructor),
;                  operators (`operator+`, conversion `operator int`; kind operator) and
;                  local functions (kind function, scoped by their method).
;   code.member    fields, one per declarator (kind field), properties (kind property),
;                  events (kind event), enum members (kind variant), positional record
;                  parameters (kind component), all with their type.
;   code.constant  `const` fields (kind const, type); not also members.
;   code.import    `using A.B;` (path A.B), `using static A.B;` (kind static), `using X = A.B;`
;                  (path A.B, name X, kind alias), `global using` likewise.
;   code.call      `M()`, `o.M()`, `o?.M()`, `M<T>()` (callee M) and `new T()` (callee T).
; Visibility: the access modifiers (`protected internal` kept whole), else the C# default:
; private for members of classes/structs/records, public for interface and enum members,
; internal for top-level types.
; Not extracted: indexers, lambdas, `static readonly` as constants (they are fields),
; attributes, namespaces as facts.

; ---- types -----------------------------------------------------------------
(class_declaration
  name: (identifier) @name) @definition.class

(record_declaration
  "struct"
  name: (identifier) @name
  (#set! kind "record struct")) @definition.struct

(record_declaration
  name: (identifier) @name
  (#set! kind "record")) @definition.class

(struct_declaration
  name: (identifier) @name) @definition.struct

(interface_declaration
  name: (identifier) @name) @definition.interface

(enum_declaration
  name: (identifier) @name) @definition.enum

(delegate_declaration
  name: (identifier) @name
  (#set! kind "delegate")) @definition.type

; ---- functions -------------------------------------------------------------
(method_declaration
  returns: (_) @return_type
  name: (identifier) @name
  parameters: (parameter_list) @parameters) @definition.function

(constructor_declaration
  name: (identifier) @name
  parameters: (parameter_list) @parameters) @definition.constructor

(destructor_declaration
  name: (identifier) @name
  parameters: (parameter_list) @parameters
  (#set! kind "destructor")) @definition.constructor

(operator_declaration
  type: (_) @return_type
  operator: _ @name
  parameters: (parameter_list) @parameters
  (#set! kind "operator")) @definition.function

(conversion_operator_declaration
  type: (_) @name @return_type
  parameters: (parameter_list) @parameters
  (#set! kind "operator")) @definition.function

(local_function_statement
  type: (_) @return_type
  name: (identifier) @name
  parameters: (parameter_list) @parameters) @definition.function

; ---- constants (before members: the first pattern wins) ---------------------
(field_declaration
  (modifier "const")
  (variable_declaration
    type: (_) @type
    (variable_declarator name: (identifier) @name) @definition.constant)
  (#set! kind "const"))

; ---- members ---------------------------------------------------------------
(field_declaration
  (variable_declaration
    type: (_) @type
    (variable_declarator name: (identifier) @name) @definition.member)
  (#set! kind "field"))

(event_field_declaration
  (variable_declaration
    type: (_) @type
    (variable_declarator name: (identifier) @name) @definition.member)
  (#set! kind "event"))

(event_declaration
  type: (_) @type
  name: (identifier) @name
  (#set! kind "event")) @definition.member

(property_declaration
  type: (_) @type
  name: (identifier) @name
  (#set! kind "property")) @definition.member

(enum_member_declaration
  name: (identifier) @name
  (#set! kind "variant")) @definition.member

(record_declaration
  (parameter_list
    (parameter
      type: (_) @type
      name: (identifier) @name) @definition.member)
  (#set! kind "component"))

; ---- imports ---------------------------------------------------------------
(using_directive
  "static"
  (#set! import.kind "static")) @reference.import

(using_directive
  name: (identifier)
  (#set! import.kind "alias")) @reference.import

(using_directive) @reference.import

; ---- calls -----------------------------------------------------------------
(invocation_expression
  function: [
    (identifier) @name
    (generic_name (identifier) @name)
    (member_access_expression name: (identifier) @name)
    (member_access_expression name: (generic_name (identifier) @name))
    (conditional_access_expression (member_binding_expression name: (identifier) @name))
  ]) @reference.call

(object_creation_expression
  type: [
    (identifier) @name
    (generic_name (identifier) @name)
    (qualified_name name: (identifier) @name)
    (qualified_name name: (generic_name (identifier) @name))
  ]) @reference.call
