; Patterns C and C++ share (see ../CONTRACT.md): not a language of its own, it is inherited by
; c.scm and cpp.scm (`; inherits: _c_family`), whose own patterns come first. tree-sitter-cpp
; extends tree-sitter-c, but the function, struct, field, constant and call patterns differ
; (C++ names, templates, references), so only what both spell alike lives here; none of these
; patterns matches a node that a pattern of c.scm or cpp.scm matches.

; ---- types -----------------------------------------------------------------
(type_definition
  type: (struct_specifier !name body: (field_declaration_list))
  declarator: (type_identifier) @name) @definition.struct

(type_definition
  type: (union_specifier !name body: (field_declaration_list))
  declarator: (type_identifier) @name
  (#set! kind "union")) @definition.union

(type_definition
  type: (enum_specifier !name body: (enumerator_list))
  declarator: (type_identifier) @name) @definition.enum

; Every typedef name, captured on its declarator so that a struct defined inside the typedef
; is not scoped under it; (#set! header "parent") takes the lines from the typedef, and the
; hook drops the name of an anonymous struct/union/enum (already a fact above).
(type_definition
  declarator: [
    (type_identifier) @name @definition.type
    (pointer_declarator declarator: (type_identifier) @name) @definition.type
    (function_declarator
      declarator: (parenthesized_declarator
        (pointer_declarator declarator: (type_identifier) @name))) @definition.type
  ]
  (#set! kind "typedef")
  (#set! header "parent"))

(union_specifier
  name: (type_identifier) @name
  body: (field_declaration_list)
  (#set! kind "union")) @definition.union

(enum_specifier
  name: (type_identifier) @name
  body: (enumerator_list)) @definition.enum

; ---- members ---------------------------------------------------------------
(enumerator
  name: (identifier) @name
  (#set! kind "variant")) @definition.member

; ---- constants -------------------------------------------------------------
(preproc_def
  name: (identifier) @name
  value: (preproc_arg)
  (#set! kind "macro")) @definition.constant

; ---- imports ---------------------------------------------------------------
(preproc_include
  path: (system_lib_string) @import.path
  (#set! import.kind "system")) @reference.import

(preproc_include
  path: (string_literal) @import.path
  (#set! import.kind "local")) @reference.import
