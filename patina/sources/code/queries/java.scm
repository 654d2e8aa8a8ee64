; Patina code facts for Java (tree-sitter-java 0.23).
;
; Mapping (decided here, see also lang_java.py):
;   code.class     `class X` (kind class), `record X(...)` (kind record).
;   code.interface `interface X` (kind interface), `@interface X` (kind annotation).
;   code.enum      `enum X`.
;   code.function  methods (kind method, captured as @definition.method: every Java function
;                  lives in a type, also abstract/interface methods without a body and methods
;                  of enum-constant bodies or anonymous classes), constructors and compact record
;                  constructors (kind constructor), annotation elements (kind method).
;                  Nested and local classes qualify what they contain (Outer::Inner::m).
;                  Packages do NOT qualify: source ids stay `path::Store::open`.
;   code.member    fields, one per declarator (kind field, type), record components (kind
;                  component) and enum constants (kind variant).
;   code.constant  `static final` fields and interface fields (implicitly static final),
;                  kind "static final", with their type (they are not also members).
;   code.import    `import a.b.C;` -> path a.b, names [C]; `import a.b.*;` -> path a.b,
;                  names [*]; `import static a.B.m;` -> path a.B, names [m], kind static.
;   code.call      `m()`, `obj.m()` (callee m) and `new T()` (callee T: a constructor call).
; Visibility: public/protected/private, else "package" (members of interfaces and
; annotations, enum constants and record components: public). Calls in a field initializer
; belong to the field (caller Store::entries).
; Not extracted: lambdas, local variables, initializer blocks (their calls belong to the
; class), `super(...)`/`this(...)` constructor calls, method references (`A::m`).

; ---- types -----------------------------------------------------------------
(class_declaration
  name: (identifier) @name) @definition.class

(record_declaration
  name: (identifier) @name
  (#set! kind "record")) @definition.class

(interface_declaration
  name: (identifier) @name) @definition.interface

(annotation_type_declaration
  name: (identifier) @name
  (#set! kind "annotation")) @definition.interface

(enum_declaration
  name: (identifier) @name) @definition.enum

; ---- functions -------------------------------------------------------------
(method_declaration
  type: (_) @return_type
  name: (identifier) @name
  parameters: (formal_parameters) @parameters) @definition.method

(constructor_declaration
  name: (identifier) @name
  parameters: (formal_parameters) @parameters) @definition.constructor

(compact_constructor_declaration
  name: (identifier) @name) @definition.constructor

(annotation_type_element_declaration
  type: (_) @return_type
  name: (identifier) @name) @definition.method

; ---- constants (before members: the first pattern wins) ---------------------
; (Keyword children, not a #match? on the modifiers' text: text predicates fail on
; non-UTF-8 bytes, e.g. inside an annotation's string.)
(field_declaration
  [(modifiers "static" "final") (modifiers "final" "static")]
  type: (_) @type
  declarator: (variable_declarator name: (identifier) @name) @definition.constant
  (#set! kind "static final"))

(constant_declaration
  type: (_) @type
  declarator: (variable_declarator name: (identifier) @name) @definition.constant
  (#set! kind "static final"))

; ---- members ---------------------------------------------------------------
(field_declaration
  type: (_) @type
  declarator: (variable_declarator name: (identifier) @name) @definition.member
  (#set! kind "field"))

(record_declaration
  parameters: (formal_parameters
    (formal_parameter
      type: (_) @type
      name: (identifier) @name) @definition.member)
  (#set! kind "component"))

(enum_constant
  name: (identifier) @name
  (#set! kind "variant")) @definition.member

; ---- imports ---------------------------------------------------------------
(import_declaration
  "static"
  (_) @import.path
  (#set! import.kind "static")) @reference.import

(import_declaration
  (_) @import.path) @reference.import

; ---- calls -----------------------------------------------------------------
(method_invocation
  name: (identifier) @name) @reference.call

(object_creation_expression
  type: [
    (type_identifier) @name
    (generic_type (type_identifier) @name)
    (scoped_type_identifier (type_identifier) @name .)
    (generic_type (scoped_type_identifier (type_identifier) @name .))
  ]) @reference.call
