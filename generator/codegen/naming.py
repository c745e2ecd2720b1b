"""Names of generated C++ things, as OpenAPI Generator's cpp-restsdk and Dart generators spell them.

Pure functions of spec names; unit tests in tests/test_naming.py.
"""
import re

from .errors import SpecError

# The enumerator for values a spec does not list; OpenAPI Generator's name for it.
UNKNOWN_ENUMERATOR = "UNKNOWN_DEFAULT_OPEN_API"

_WORD_SPLIT = re.compile(r"[^0-9A-Za-z]+")


def _words(name: str):
    """Splits on every non-alphanumeric run: 'input_file_id' -> ['input', 'file', 'id']."""
    return [w for w in _WORD_SPLIT.split(name) if w]


def pascal_case(name: str) -> str:
    """'request_counts' -> 'RequestCounts'; 'OpenAIFile' stays; 'fine-tune' -> 'FineTune'."""
    words = _words(name)
    if not words:
        raise SpecError(f"cannot make an identifier from {name!r}")
    result = "".join(w[0].upper() + w[1:] for w in words)
    if result[0].isdigit():
        result = "_" + result
    return result


def camel_case(name: str) -> str:
    """'input_file_id' -> 'inputFileId'; 'has_more' -> 'hasMore'."""
    pascal = pascal_case(name)
    if pascal.startswith("_"):
        return pascal
    return pascal[0].lower() + pascal[1:]


def inline_property_model(parent: str, prop: str) -> str:
    """Inline object schema of a property: Batch.request_counts -> BatchRequestCounts."""
    return parent + pascal_case(prop)


def inline_item_model(container: str) -> str:
    """Inline object schema of array items: BatchErrors.data[] -> BatchErrorsDataInner."""
    return container + "Inner"


def request_body_model(operation_id: str) -> str:
    """Inline JSON request body: createBatch -> CreateBatchRequest."""
    return pascal_case(operation_id) + "Request"


def api_class(tag: str) -> str:
    """An API class per tag: 'Batch' -> 'BatchApi', 'Files' -> 'FilesApi'."""
    return pascal_case(tag) + "Api"


def enumerator(value: str) -> str:
    """'in_progress' -> 'IN_PROGRESS'; '/v1/chat/completions' -> 'V1_CHAT_COMPLETIONS'; '24h' -> '_24H'."""
    words = _words(value)
    if not words:
        return "EMPTY"
    name = "_".join(w.upper() for w in words)
    return "_" + name if name[0].isdigit() else name


class PropertyNames:
    """Every C++ member name generated for one property."""

    def __init__(self, json_name: str, is_bool: bool, is_enum: bool):
        pascal = pascal_case(json_name)
        camel = camel_case(json_name)
        self.getter = ("is" if is_bool else "get") + pascal
        self.setter = "set" + pascal
        self.is_set = camel + "IsSet"
        self.unset = "unset" + pascal
        # cpp-restsdk's own spelling: "unset" + the JSON name with its first letter raised.
        legacy = "unset" + json_name[:1].upper() + json_name[1:]
        self.unset_alias = legacy if legacy != self.unset and legacy.isidentifier() else None
        self.member = "m_" + pascal
        self.flag = "m_" + pascal + "IsSet"
        self.enum_type = pascal + "Enum" if is_enum else None
        self.to_enum = "to" + pascal + "Enum" if is_enum else None
        self.from_enum = "from" + pascal + "Enum" if is_enum else None
        self.string_getter = "get" + pascal + "String" if is_enum else None
        self.string_setter = "set" + pascal + "String" if is_enum else None

    def methods(self):
        """The public names this property adds to its class, for collision checks."""
        names = [self.getter, self.setter, self.is_set, self.unset, self.unset_alias, self.enum_type,
                 self.to_enum, self.from_enum, self.string_getter, self.string_setter]
        return [n for n in names if n]


# Public names every model inherits or declares; a property must not produce one of these.
RESERVED_METHODS = frozenset({
    "validate", "toJson", "fromJson", "toMultipart", "fromMultiPart", "isSet", "readJson",
    "collectProblems", "getDiagnostics", "getAdditionalProperties", "setAdditionalProperties",
    "addAdditionalProperty", "additionalPropertiesIsSet", "unsetAdditionalProperties", "modelName",
})
