; Python facts (see ../CONTRACT.md). Specific patterns come first: the first pattern wins.

; --- definitions -------------------------------------------------------------------------------

(class_definition
  name: (identifier) @name) @definition.class

(function_definition
  "async"? @modifier
  name: (identifier) @name
  parameters: (parameters) @parameters
  return_type: (_)? @return_type) @definition.function

; PEP 695: type Alias = ...
(type_alias_statement
  left: (type [
    (identifier) @name
    (generic_type . (identifier) @name)
  ])) @definition.type

; module-level UPPER_CASE constants (with an optional annotation)
(module
  (expression_statement
    (assignment
      left: (identifier) @name
      type: (_)? @type) @definition.constant)
  (#match? @name "^_*[A-Z][A-Z0-9_]*$"))

; class-level attributes: `x: int = 0`, `X = 1`
(class_definition
  body: (block
    (expression_statement
      (assignment
        left: (identifier) @name
        type: (_)? @type) @definition.member))
  (#set! kind "field"))

; --- imports -----------------------------------------------------------------------------------

(import_statement
  name: [
    (dotted_name) @import.path
    (aliased_import name: (dotted_name) @import.path)
  ]) @reference.import

(import_from_statement
  module_name: (_) @import.path
  name: [
    (dotted_name) @import.name
    (aliased_import name: (dotted_name) @import.name)
  ]
  (#set! import.kind "from")) @reference.import

(import_from_statement
  module_name: (_) @import.path
  (wildcard_import) @import.name
  (#set! import.kind "from")) @reference.import

; --- calls -------------------------------------------------------------------------------------

(call
  function: [
    (identifier) @name
    (attribute attribute: (identifier) @name)
  ]) @reference.call
