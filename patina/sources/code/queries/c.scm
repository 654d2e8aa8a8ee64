; Patina code facts for C (tree-sitter-c 0.24).
;
; Mapping (decided here, see also lang_c.py):
;   code.function  function definitions (with a body) and prototypes at file level
;                  (`int f(int);`, the API of a header). When a file has both, the
;                  definition wins (lang_c.refine drops the prototype). is_public: not
;                  `static`. return_type: the declared type plus the pointer stars of
;                  the declarator (`store_t *`). Function-like macros are NOT functions.
;   code.struct    named `struct x {...}` (kind struct) and `union x {...}` (kind union);
;                  an anonymous `typedef struct {...} name_t;` is a struct named name_t.
;   code.enum      named `enum x {...}`; an anonymous `typedef enum {...} name_t;` is named name_t.
;   code.type      every other `typedef` (kind typedef): `typedef struct store {...} store_t;`
;                  gives code.struct store AND code.type store_t.
;   code.member    struct/union fields (kind field, type = declared type with stars/array)
;                  and enumerators (kind variant, parent = the enum).
;   code.constant  object-like `#define NAME value` (kind macro) and file-level `const`
;                  variables (kind const, type).
;   code.import    `#include <x.h>` (import_kind system) and `#include "x.h"` (local).
;   code.call      `f(...)` and `s->f(...)`/`s.f(...)` (callee = the field name).
; Not extracted: function-like macros, macros without a value (include guards), non-const
; globals, local variables, K&R declarations, calls through `(*fp)(...)`.

; ---- functions -------------------------------------------------------------
(function_definition
  type: (_) @return_type
  declarator: [
    (function_declarator
      declarator: (identifier) @name
      parameters: (parameter_list) @parameters)
    (pointer_declarator
      declarator: (function_declarator
        declarator: (identifier) @name
        parameters: (parameter_list) @parameters))
    (pointer_declarator
      declarator: (pointer_declarator
        declarator: (function_declarator
          declarator: (identifier) @name
          parameters: (parameter_list) @parameters)))
  ]) @definition.function

; Prototypes: lang_c keeps them only at file level (also inside #ifdef guards and
; extern "C" blocks), and drops them when the file defines the function too.
(declaration
  type: (_) @return_type
  declarator: [
    (function_declarator
      declarator: (identifier) @name
      parameters: (parameter_list) @parameters)
    (pointer_declarator
      declarator: (function_declarator
        declarator: (identifier) @name
        parameters: (parameter_list) @parameters))
    (pointer_declarator
      declarator: (pointer_declarator
        declarator: (function_declarator
          declarator: (identifier) @name
          parameters: (parameter_list) @parameters)))
  ]
  (#set! declaration "true")) @definition.function

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
; is not scoped under it; lang refine takes the lines from the typedef and drops the name
; of an anonymous struct/union/enum (already a fact above).
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

(struct_specifier
  name: (type_identifier) @name
  body: (field_declaration_list)) @definition.struct

(union_specifier
  name: (type_identifier) @name
  body: (field_declaration_list)
  (#set! kind "union")) @definition.union

(enum_specifier
  name: (type_identifier) @name
  body: (enumerator_list)) @definition.enum

; ---- members ---------------------------------------------------------------
(field_declaration
  type: (_) @type
  declarator: [
    (field_identifier) @name @definition.member
    (pointer_declarator declarator: (field_identifier) @name) @definition.member
    (pointer_declarator
      declarator: (pointer_declarator declarator: (field_identifier) @name)) @definition.member
    (array_declarator declarator: (field_identifier) @name) @definition.member
    (function_declarator
      declarator: (parenthesized_declarator
        (pointer_declarator declarator: (field_identifier) @name))) @definition.member
  ]
  (#set! kind "field"))

(enumerator
  name: (identifier) @name
  (#set! kind "variant")) @definition.member

; ---- constants -------------------------------------------------------------
(preproc_def
  name: (identifier) @name
  value: (preproc_arg)
  (#set! kind "macro")) @definition.constant

; `const` variables: kept by lang_c only at file level.
(declaration
  (type_qualifier "const")
  type: (_) @type
  declarator: (init_declarator declarator: (identifier) @name)
  (#set! kind "const")) @definition.constant

; ---- imports ---------------------------------------------------------------
(preproc_include
  path: (system_lib_string) @import.path
  (#set! import.kind "system")) @reference.import

(preproc_include
  path: (string_literal) @import.path
  (#set! import.kind "local")) @reference.import

; ---- calls -----------------------------------------------------------------
(call_expression
  function: (identifier) @name) @reference.call

(call_expression
  function: (field_expression field: (field_identifier) @name)) @reference.call
