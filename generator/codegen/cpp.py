"""C++ types for spec types, and the strings the model docs show for them.

Pure functions of ir.TypeRef; unit tests in tests/test_types.py.
"""
from .ir import TypeRef

STRING = "utility::string_t"

_SCALARS = {
    "string": STRING,
    "int32": "int32_t",
    "int64": "int64_t",
    "double": "double",
    "bool": "bool",
}

# Passed and returned by value; everything else by const reference.
_BY_VALUE = {"int32", "int64", "double", "bool"}



def cpp_type(t: TypeRef) -> str:
    if t.kind in _SCALARS:
        return _SCALARS[t.kind]
    if t.kind == "model":
        return f"std::shared_ptr<{t.model}>"
    if t.kind == "object":
        return "std::shared_ptr<Object>"
    if t.kind == "file":
        return "std::shared_ptr<HttpContent>"
    if t.kind == "array":
        return f"std::vector<{cpp_type(t.item)}>"
    if t.kind == "map":
        return f"std::map<{STRING}, {cpp_type(t.item)}>"
    raise ValueError(f"unknown type kind {t.kind!r}")


def parameter_type(t: TypeRef, required: bool) -> str:
    """An operation argument's C++ type, as cpp-restsdk declares it: by value, optional ones in boost::optional."""
    return cpp_type(t) if required else f"boost::optional<{cpp_type(t)}>"


def passed_by_value(t: TypeRef) -> bool:
    return t.kind in _BY_VALUE


def json_type_name(t: TypeRef) -> str:
    """The JSON type a reader expects, as diagnostics name it."""
    return {
        "string": "string", "int32": "integer", "int64": "integer", "double": "number",
        "bool": "boolean", "model": "object", "object": "object", "array": "array", "map": "object",
        "file": "binary",
    }[t.kind]


def referenced_models(t: TypeRef):
    """Generated model classes a type mentions (for includes and doc links)."""
    if t.kind == "model":
        return [t.model]
    if t.item is not None:
        return referenced_models(t.item)
    return []


def uses_object(t: TypeRef) -> bool:
    return t.kind == "object" or (t.item is not None and uses_object(t.item))


def doc_type(t: TypeRef, enum_type: str = None) -> str:
    """The Type cell of a model page: bold C++ type, linked to the model page it names.

    Angle brackets are escaped so that markdown renderers show them instead of taking them for HTML.
    """
    text = enum_type or cpp_type(t)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    models = referenced_models(t)
    if models:
        return f"[**{text}**]({models[0]}.md)"
    return f"**{text}**"
