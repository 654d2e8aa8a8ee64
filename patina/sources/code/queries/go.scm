; Go facts (see ../CONTRACT.md). Specific patterns come first: the first pattern wins.

; --- types -------------------------------------------------------------------------------------

(type_spec
  name: (type_identifier) @name
  type: (struct_type)) @definition.struct

(type_spec
  name: (type_identifier) @name
  type: (interface_type)) @definition.interface

(type_spec
  name: (type_identifier) @name) @definition.type

(type_alias
  name: (type_identifier) @name
  (#set! kind "alias")) @definition.type

; --- functions and methods (methods are qualified by their receiver's type) ---------------------

(function_declaration
  name: (identifier) @name
  parameters: (parameter_list) @parameters
  result: (_)? @return_type) @definition.function

(method_declaration
  receiver: (parameter_list
    (parameter_declaration type: (_) @qualifier))
  name: (field_identifier) @name
  parameters: (parameter_list) @parameters
  result: (_)? @return_type) @definition.method

; interface methods
(method_elem
  name: (field_identifier) @name
  parameters: (parameter_list) @parameters
  result: (_)? @return_type) @definition.method

; --- members -----------------------------------------------------------------------------------

(field_declaration
  name: (field_identifier) @name
  type: (_) @type
  (#set! kind "field")) @definition.member

(field_declaration
  !name
  type: [
    (type_identifier) @name
    (pointer_type (type_identifier) @name)
    (qualified_type name: (type_identifier) @name)
    (pointer_type (qualified_type name: (type_identifier) @name))
    (generic_type type: (type_identifier) @name)
  ] @type
  (#set! kind "embedded")) @definition.member

; --- package-level constants and variables -----------------------------------------------------

(source_file
  (const_declaration
    (const_spec
      name: (identifier) @name
      type: (_)? @type) @definition.constant)
  (#set! kind "const"))

(source_file
  (var_declaration
    (var_spec
      name: (identifier) @name
      type: (_)? @type) @definition.constant)
  (#set! kind "var"))

(source_file
  (var_declaration
    (var_spec_list
      (var_spec
        name: (identifier) @name
        type: (_)? @type) @definition.constant))
  (#set! kind "var"))

; --- imports -----------------------------------------------------------------------------------

(import_spec
  name: (_) @import.name
  path: (_) @import.path) @reference.import

(import_spec
  path: (_) @import.path) @reference.import

; --- calls -------------------------------------------------------------------------------------

(call_expression
  function: [
    (identifier) @name
    (selector_expression field: (field_identifier) @name)
    (parenthesized_expression (identifier) @name)
    (generic_type type: (type_identifier) @name)
    (index_expression operand: (identifier) @name)
    (index_expression operand: (selector_expression field: (field_identifier) @name))
  ]) @reference.call
