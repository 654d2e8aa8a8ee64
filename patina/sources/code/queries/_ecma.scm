; Patterns JavaScript and TypeScript (and TSX) share (see ../CONTRACT.md): not a language of its own,
; it is inherited by javascript.scm and typescript.scm (`; inherits: _ecma`), whose own patterns
; come first. The grammars differ elsewhere (TypeScript's class names are type_identifiers, it
; has no field_definition), so only what both spell alike lives here.

; --- imports -----------------------------------------------------------------------------------

(import_statement
  (import_clause (identifier) @import.name)
  source: (string) @import.path) @reference.import

(import_statement
  (import_clause (named_imports (import_specifier name: (_) @import.name)))
  source: (string) @import.path) @reference.import

(import_statement
  (import_clause (namespace_import) @import.name)
  source: (string) @import.path) @reference.import

(import_statement
  source: (string) @import.path) @reference.import

(export_statement
  (export_clause (export_specifier name: (_) @import.name))
  source: (string) @import.path
  (#set! import.kind "reexport")) @reference.import

(export_statement
  source: (string) @import.path
  (#set! import.kind "reexport")) @reference.import

(call_expression
  function: (identifier) @_require
  arguments: (arguments . (string) @import.path)
  (#eq? @_require "require")
  (#set! import.kind "require")) @reference.import

(call_expression
  function: (import)
  arguments: (arguments . (string) @import.path)
  (#set! import.kind "dynamic")) @reference.import

; --- calls -------------------------------------------------------------------------------------

(call_expression
  function: [
    (identifier) @name
    (member_expression property: [(property_identifier) (private_property_identifier)] @name)
  ]
  (#not-eq? @name "require")) @reference.call

(new_expression
  constructor: [
    (identifier) @name
    (member_expression property: (property_identifier) @name)
  ]) @reference.call
