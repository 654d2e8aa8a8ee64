; Patina code facts for C (tree-sitter-c 0.24).
; inherits: _c_family
; (typedefs, unions, enums, enumerators, macros and includes: _c_family.scm, after the
; patterns below)
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
(struct_specifier
  name: (type_identifier) @name
  body: (field_declaration_list)) @definition.struct

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

; ---- constants -------------------------------------------------------------
; `const` variables: kept by lang_c only at file level.
(declaration
  (type_qualifier "const")
  type: (_) @type
  declarator: (init_declarator declarator: (identifier) @name)
  (#set! kind "const")) @definition.constant

; ---- calls -----------------------------------------------------------------
(call_expression
  function: (identifier) @name) @reference.call

(call_expression
  function: (field_expression field: (field_identifier) @name)) @reference.call
