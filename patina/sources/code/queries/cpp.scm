; Patina code facts for C++ (tree-sitter-cpp 0.23).
; inherits: _c_family
; (typedefs, unions, enums, enumerators, macros and includes: _c_family.scm, after the
; patterns below)
;
; Mapping (decided here, see also lang_cpp.py):
;   namespace      `namespace kv {...}` is a scope only: it qualifies what it contains
;                  (kv::Store::put). Anonymous namespaces do not qualify.
;   code.class     `class X {...}` (kind class).
;   code.struct    `struct X {...}` (kind struct), `union X {...}` (kind union), and the
;                  anonymous `typedef struct {...} X;`.
;   code.enum      `enum X {...}` and `enum class X {...}`.
;   code.type      `typedef ... X;` (kind typedef) and `using X = ...;` (kind alias).
;   code.function  function definitions with a body (free functions, inline methods,
;                  out-of-line `Store::put` -- the scope becomes part of the qualified name,
;                  templates included), plus declarations: method declarations in a class
;                  body (constructors, destructors `~Store`, pure virtuals) and file/namespace
;                  level prototypes. When a file has both a declaration and a definition, the
;                  definition wins (lang_cpp.refine). Methods: visibility from the preceding
;                  `public:`/`private:`/`protected:` label (default private in a class, public
;                  in a struct; an out-of-line definition takes the access of its in-class
;                  declaration); free functions: `static` or an anonymous namespace ->
;                  private, else public. Kinds: function, method, constructor, destructor.
;   code.member    data members of classes/structs/unions (kind field) and enumerators (kind
;                  variant).
;   code.constant  object-like `#define NAME value` (kind macro), `const`/`constexpr`
;                  variables at file or namespace level (kind const / constexpr).
;   code.import    `#include <x>` (system), `#include "x"` (local), `using namespace std;`
;                  (using_namespace, path std, no names), `using std::string;` (using, path
;                  std, name string -- like the other languages: path = the container).
;   code.call      `f()`, `obj.f()`, `p->f()`, `ns::f()`, `f<T>()` (callee = last name).
; Not extracted: function-like macros, lambdas, calls of overloaded operators, friend
; declarations, `new T(...)` as a call, non-const globals, template specialisation details.

; ---- scopes ----------------------------------------------------------------
(namespace_definition
  name: [(namespace_identifier) (nested_namespace_specifier)] @name) @definition.namespace

; ---- functions: definitions ------------------------------------------------
; The name of an out-of-line definition is the whole `kv::Store::put`: lang_cpp splits it
; into scope and name (any depth). `(_ ...)` covers `*f()`/`&f()` declarators.
(function_definition
  type: (_)? @return_type
  declarator: [
    (function_declarator
      declarator: [(identifier) (field_identifier) (destructor_name) (operator_name) (qualified_identifier)] @name
      parameters: (parameter_list) @parameters)
    (_ (function_declarator
      declarator: [(identifier) (field_identifier) (destructor_name) (operator_name) (qualified_identifier)] @name
      parameters: (parameter_list) @parameters))
  ]) @definition.function

; ---- functions: declarations (class bodies, prototypes) ---------------------
(field_declaration
  type: (_)? @return_type
  declarator: [
    (function_declarator
      declarator: [(field_identifier) (identifier) (destructor_name) (operator_name)] @name
      parameters: (parameter_list) @parameters)
    (_ (function_declarator
      declarator: [(field_identifier) (identifier) (operator_name)] @name
      parameters: (parameter_list) @parameters))
  ]
  (#set! declaration "true")) @definition.function

(declaration
  type: (_)? @return_type
  declarator: [
    (function_declarator
      declarator: [(identifier) (destructor_name) (operator_name)] @name
      parameters: (parameter_list) @parameters)
    (_ (function_declarator
      declarator: [(identifier) (operator_name)] @name
      parameters: (parameter_list) @parameters))
  ]
  (#set! declaration "true")) @definition.function

; ---- types -----------------------------------------------------------------
(class_specifier
  name: [(type_identifier) (template_type)] @name
  body: (field_declaration_list)) @definition.class

(alias_declaration
  name: (type_identifier) @name
  (#set! kind "alias")) @definition.type

(struct_specifier
  name: [(type_identifier) (template_type)] @name
  body: (field_declaration_list)) @definition.struct

; ---- members ---------------------------------------------------------------
(field_declaration
  type: (_) @type
  declarator: [
    (field_identifier) @name @definition.member
    ([(pointer_declarator) (array_declarator)] declarator: (field_identifier) @name) @definition.member
    (pointer_declarator
      declarator: (pointer_declarator declarator: (field_identifier) @name)) @definition.member
    (reference_declarator (field_identifier) @name) @definition.member
    (function_declarator
      declarator: (parenthesized_declarator
        (pointer_declarator declarator: (field_identifier) @name))) @definition.member
  ]
  (#set! kind "field"))

; ---- constants -------------------------------------------------------------
; `const`/`constexpr` variables: kept by lang_cpp only at file or namespace level.
(declaration
  [(type_qualifier "const") (type_qualifier "constexpr")] @_qualifier
  type: (_) @type
  declarator: (init_declarator declarator: (identifier) @name)) @definition.constant

; ---- imports ---------------------------------------------------------------
(using_declaration
  "namespace"
  [(identifier) (qualified_identifier)] @import.path
  (#set! import.kind "using_namespace")) @reference.import

(using_declaration
  (qualified_identifier) @import.path @import.name
  (#set! import.kind "using")) @reference.import

; ---- calls -----------------------------------------------------------------
(call_expression
  function: [
    (identifier) @name
    (template_function name: (identifier) @name)
    (field_expression field: (field_identifier) @name)
    (field_expression field: (template_method name: (field_identifier) @name))
    (qualified_identifier
      name: [
        (identifier) @name
        (template_function name: (identifier) @name)
        (qualified_identifier
          name: [
            (identifier) @name
            (template_function name: (identifier) @name)
            (qualified_identifier name: (identifier) @name)
          ])
      ])
  ]) @reference.call
