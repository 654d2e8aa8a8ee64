; Rust facts (see ../CONTRACT.md). Specific patterns come first: the first pattern wins.

; --- scopes: impl blocks qualify their methods by the implementing type ------------------------

(impl_item
  type: [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (scoped_type_identifier name: (type_identifier) @name)
    (generic_type type: (scoped_type_identifier name: (type_identifier) @name))
  ]) @definition.impl

(mod_item
  name: (identifier) @name) @definition.module

; --- types -------------------------------------------------------------------------------------

(struct_item
  (visibility_modifier)? @visibility
  name: (type_identifier) @name) @definition.struct

(union_item
  (visibility_modifier)? @visibility
  name: (type_identifier) @name
  (#set! kind "union")) @definition.union

(enum_item
  (visibility_modifier)? @visibility
  name: (type_identifier) @name) @definition.enum

(trait_item
  (visibility_modifier)? @visibility
  name: (type_identifier) @name) @definition.trait

(type_item
  (visibility_modifier)? @visibility
  name: (type_identifier) @name) @definition.type

; --- functions (methods when inside impl/trait) -------------------------------------------------

(function_item
  (visibility_modifier)? @visibility
  (function_modifiers)? @modifier
  name: (identifier) @name
  parameters: (parameters) @parameters
  return_type: (_)? @return_type) @definition.function

(function_signature_item
  (visibility_modifier)? @visibility
  (function_modifiers)? @modifier
  name: (identifier) @name
  parameters: (parameters) @parameters
  return_type: (_)? @return_type) @definition.function

; --- members -----------------------------------------------------------------------------------

(field_declaration
  (visibility_modifier)? @visibility
  name: (field_identifier) @name
  type: (_) @type
  (#set! kind "field")) @definition.member

(enum_variant
  name: (identifier) @name
  (#set! kind "variant")) @definition.member

; --- constants ---------------------------------------------------------------------------------

(const_item
  (visibility_modifier)? @visibility
  name: (identifier) @name
  type: (_) @type
  (#set! kind "const")) @definition.constant

(static_item
  (visibility_modifier)? @visibility
  name: (identifier) @name
  type: (_) @type
  (#set! kind "static")) @definition.constant

; --- imports: use-trees are expanded by lang_rust.imports ---------------------------------------

(use_declaration
  argument: (_) @import.path
  (#set! import.kind "use")) @reference.import

(extern_crate_declaration
  name: (identifier) @import.path
  (#set! import.kind "extern_crate")) @reference.import

; --- calls -------------------------------------------------------------------------------------

(call_expression
  function: [
    (identifier) @name
    (field_expression field: (field_identifier) @name)
    (scoped_identifier name: (identifier) @name)
    (generic_function function: (identifier) @name)
    (generic_function function: (field_expression field: (field_identifier) @name))
    (generic_function function: (scoped_identifier name: (identifier) @name))
  ]) @reference.call
