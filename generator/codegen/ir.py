"""The intermediate form between the spec and the templates.

The loader (loader.py) builds it; naming and C++ types are attached by cpp.py; the templates read it.
Nothing here knows about YAML, OpenAPI versions or Jinja.
"""
from dataclasses import dataclass, field
from typing import List, Optional


@dataclass(frozen=True)
class TypeRef:
    """A property's value type.

    kind is one of: string, int32, int64, double, bool, model, object (free-form JSON object),
    array (item = element type), map (item = value type; keys are strings).
    """
    kind: str
    model: Optional[str] = None
    item: Optional["TypeRef"] = None


@dataclass
class Limits:
    """Bounds that validate() checks; None means unbounded."""
    minimum: Optional[int] = None
    maximum: Optional[int] = None
    min_length: Optional[int] = None
    max_length: Optional[int] = None
    max_properties: Optional[int] = None
    key_max_length: Optional[int] = None
    value_max_length: Optional[int] = None

    def any(self) -> bool:
        return any(v is not None for v in vars(self).values())


@dataclass
class Property:
    json_name: str
    type: TypeRef
    description: str = ""
    required: bool = False
    deprecated: bool = False
    enum_values: Optional[List[str]] = None
    limits: Limits = field(default_factory=Limits)


@dataclass
class Model:
    name: str
    description: str
    properties: List[Property]
    source: str  # where in the spec it came from, for messages


@dataclass
class Parameter:
    """One argument of an operation.

    location is path, query, header, body (a JSON request body: type is its model) or form (one part
    of a multipart body; is_file marks a binary part).
    """
    name: str
    location: str
    type: TypeRef
    description: str = ""
    required: bool = False
    default: Optional[str] = None  # as the spec writes it, for the docs
    enum_values: Optional[List[str]] = None
    limits: Limits = field(default_factory=Limits)
    is_file: bool = False


@dataclass
class Operation:
    operation_id: str
    method: str  # upper case: GET, POST, ...
    path: str
    summary: str
    description: str
    parameters: List[Parameter]
    # model: a JSON body read into response_type; bytes: the raw body (a download); none: no body.
    response_kind: str
    response_type: Optional[TypeRef]
    request_content_type: Optional[str]
    secured: bool
    source: str

    def parameters_in(self, location: str) -> List[Parameter]:
        return [p for p in self.parameters if p.location == location]


@dataclass
class Api:
    """The operations of one tag: BatchApi, FilesApi."""
    name: str
    tag: str
    operations: List[Operation]


@dataclass
class Webhook:
    """An event of the spec's webhooks section: OpenAI POSTs a body of class `model` to the user's URL."""
    name: str  # batch_completed
    description: str
    model: str  # WebhookBatchCompleted
    event_type: Optional[str]  # "batch.completed": the body's `type`, when the schema fixes it


@dataclass
class Spec:
    openapi_version: str
    models: List[Model]
    apis: List[Api] = field(default_factory=list)
    base_url: str = ""
    webhooks: List[Webhook] = field(default_factory=list)
