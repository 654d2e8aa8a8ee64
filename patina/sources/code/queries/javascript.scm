; JavaScript / JSX facts (see ../CONTRACT.md). Specific patterns come first: the first pattern wins.
; inherits: _ecma
; (imports and calls: _ecma.scm, after the patterns below)
; A `#name` is also captured as @visibility: an explicit visibility (lang_javascript reads it as
; private), so a member of an anonymous class inside a function is not `local`.

; --- classes and their members -----------------------------------------------------------------

[
  (class_declaration name: (identifier) @name)
  (class name: (identifier) @name)
] @definition.class

(method_definition
  name: (property_identifier) @name
  parameters: (formal_parameters) @parameters
  (#eq? @name "constructor")
  (#set! kind "constructor")) @definition.constructor

(method_definition
  name: [(property_identifier) (private_property_identifier) @visibility] @name
  parameters: (formal_parameters) @parameters) @definition.method

(field_definition
  property: [(property_identifier) (private_property_identifier) @visibility] @name
  (#set! kind "field")) @definition.member

; --- functions ---------------------------------------------------------------------------------

[
  (function_declaration
    name: (identifier) @name
    parameters: (formal_parameters) @parameters)
  (generator_function_declaration
    name: (identifier) @name
    parameters: (formal_parameters) @parameters)
] @definition.function

; module-level `const f = (..) => ..` / `var f = function (..) {..}`, exported or not
(program
  [
    (lexical_declaration
      (variable_declarator
        name: (identifier) @name
        value: [
          (arrow_function parameters: (formal_parameters) @parameters)
          (arrow_function parameter: (identifier) @parameters)
          (function_expression parameters: (formal_parameters) @parameters)
          (generator_function parameters: (formal_parameters) @parameters)
        ]) @definition.function)
    (variable_declaration
      (variable_declarator
        name: (identifier) @name
        value: [
          (arrow_function parameters: (formal_parameters) @parameters)
          (arrow_function parameter: (identifier) @parameters)
          (function_expression parameters: (formal_parameters) @parameters)
        ]) @definition.function)
    (export_statement
      declaration: (lexical_declaration
        (variable_declarator
          name: (identifier) @name
          value: [
            (arrow_function parameters: (formal_parameters) @parameters)
            (arrow_function parameter: (identifier) @parameters)
            (function_expression parameters: (formal_parameters) @parameters)
            (generator_function parameters: (formal_parameters) @parameters)
          ]) @definition.function))
  ])

; --- module-level UPPER_CASE constants ---------------------------------------------------------

(program
  [
    (lexical_declaration "const"
      (variable_declarator name: (identifier) @name) @definition.constant)
    (export_statement
      declaration: (lexical_declaration "const"
        (variable_declarator name: (identifier) @name) @definition.constant))
  ]
  (#match? @name "^_*[A-Z][A-Z0-9_]*$"))
