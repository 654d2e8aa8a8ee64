; TypeScript facts (see ../CONTRACT.md). TSX files use this query too (the TSX grammar is
; TypeScript plus JSX: see languages.py). Specific patterns come first: the first pattern wins.
; inherits: _ecma
; (the imports and calls JavaScript shares: _ecma.scm, after the patterns below)
; Accessibility modifiers and `#name`s are captured as @visibility: explicit visibilities
; (lang_javascript reads a `#name` as private), never overridden by the `local` rule.

; --- scopes ------------------------------------------------------------------------------------

(internal_module name: (_) @name) @definition.namespace
(module name: (_) @name) @definition.namespace

; --- types -------------------------------------------------------------------------------------

[
  (class_declaration name: (type_identifier) @name)
  (abstract_class_declaration name: (type_identifier) @name)
  (class name: (type_identifier) @name)
] @definition.class

(interface_declaration name: (type_identifier) @name) @definition.interface

(type_alias_declaration name: (type_identifier) @name) @definition.type

(enum_declaration name: (identifier) @name) @definition.enum

(enum_body
  [
    (property_identifier) @name
    (enum_assignment name: (property_identifier) @name)
  ] @definition.member
  (#set! kind "variant"))

; --- class and interface members ---------------------------------------------------------------

(method_definition
  (accessibility_modifier)? @visibility
  name: (property_identifier) @name
  parameters: (formal_parameters) @parameters
  (#eq? @name "constructor")
  (#set! kind "constructor")) @definition.constructor

[
  (method_definition
    (accessibility_modifier)? @visibility
    name: [(property_identifier) (private_property_identifier) @visibility] @name
    parameters: (formal_parameters) @parameters
    return_type: (_)? @return_type)
  (abstract_method_signature
    (accessibility_modifier)? @visibility
    name: [(property_identifier) (private_property_identifier) @visibility] @name
    parameters: (formal_parameters) @parameters
    return_type: (_)? @return_type)
] @definition.method

((public_field_definition
   (accessibility_modifier)? @visibility
   name: [(property_identifier) (private_property_identifier) @visibility] @name
   type: (_)? @type) @definition.member
  (#set! kind "field"))

; interface members, and those of an object type that a type alias names (not inline types)
[
  (interface_body
    (method_signature
      (accessibility_modifier)? @visibility
      name: [(property_identifier) (private_property_identifier)] @name
      parameters: (formal_parameters) @parameters
      return_type: (_)? @return_type) @definition.method)
  (type_alias_declaration
    value: (object_type
      (method_signature
        (accessibility_modifier)? @visibility
        name: [(property_identifier) (private_property_identifier)] @name
        parameters: (formal_parameters) @parameters
        return_type: (_)? @return_type) @definition.method))
]

([
  (interface_body
    (property_signature
      (accessibility_modifier)? @visibility
      name: (property_identifier) @name
      type: (_)? @type) @definition.member)
  (type_alias_declaration
    value: (object_type
      (property_signature
        (accessibility_modifier)? @visibility
        name: (property_identifier) @name
        type: (_)? @type) @definition.member))
]
  (#set! kind "field"))

; --- functions ---------------------------------------------------------------------------------

[
  (function_declaration
    name: (identifier) @name
    parameters: (formal_parameters) @parameters
    return_type: (_)? @return_type)
  (generator_function_declaration
    name: (identifier) @name
    parameters: (formal_parameters) @parameters
    return_type: (_)? @return_type)
  (function_signature
    name: (identifier) @name
    parameters: (formal_parameters) @parameters
    return_type: (_)? @return_type)
] @definition.function

; module-level `const f = (..) => ..` / `var f = function (..) {..}`, exported or not
(program
  [
    (lexical_declaration
      (variable_declarator
        name: (identifier) @name
        value: [
          (arrow_function parameters: (formal_parameters) @parameters return_type: (_)? @return_type)
          (arrow_function parameter: (identifier) @parameters)
          (function_expression parameters: (formal_parameters) @parameters return_type: (_)? @return_type)
          (generator_function parameters: (formal_parameters) @parameters return_type: (_)? @return_type)
        ]) @definition.function)
    (variable_declaration
      (variable_declarator
        name: (identifier) @name
        value: [
          (arrow_function parameters: (formal_parameters) @parameters return_type: (_)? @return_type)
          (arrow_function parameter: (identifier) @parameters)
          (function_expression parameters: (formal_parameters) @parameters return_type: (_)? @return_type)
        ]) @definition.function)
    (export_statement
      declaration: (lexical_declaration
        (variable_declarator
          name: (identifier) @name
          value: [
            (arrow_function parameters: (formal_parameters) @parameters return_type: (_)? @return_type)
            (arrow_function parameter: (identifier) @parameters)
            (function_expression parameters: (formal_parameters) @parameters return_type: (_)? @return_type)
            (generator_function parameters: (formal_parameters) @parameters return_type: (_)? @return_type)
          ]) @definition.function))
  ])

; --- module-level UPPER_CASE constants ---------------------------------------------------------

(program
  [
    (lexical_declaration "const"
      (variable_declarator name: (identifier) @name type: (_)? @type) @definition.constant)
    (export_statement
      declaration: (lexical_declaration "const"
        (variable_declarator name: (identifier) @name type: (_)? @type) @definition.constant))
  ]
  (#match? @name "^_*[A-Z][A-Z0-9_]*$"))

; --- imports: TypeScript's own (before _ecma.scm's, so that `import type` wins for the statement)

(import_statement
  "type"
  source: (string) @import.path
  (#set! import.kind "type")) @reference.import

(import_statement
  (import_require_clause source: (string) @import.path)
  (#set! import.kind "require")) @reference.import
