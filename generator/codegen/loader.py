"""Reads an OpenAPI 3.0 or 3.1 document into the intermediate form (ir.Spec).

What it does for the templates:
- resolves local $ref to component schemas;
- gives inline object schemas the names OpenAPI Generator gives them (Batch.request_counts ->
  BatchRequestCounts, array items -> ...Inner, a JSON request body -> <OperationId>Request);
- folds the two ways of saying "may be null" (3.0 `nullable: true`, 3.1 `anyOf: [X, {type: "null"}]` or
  `type: [X, "null"]`) into the plain schema X: a null value means "absent" in every generated model;
- takes limits from schema keywords, or from the spec's own text where OpenAI states them only there
  (the metadata description: 16 pairs, keys up to 64 characters, values up to 512);
- stops with a SpecError naming the schema and property for anything it cannot map faithfully.
"""
import re
from typing import Dict, List, Optional, Tuple

import yaml

from . import naming, selection as selecting
from .errors import SpecError
from .ir import Api, Limits, Model, Operation, Parameter, Property, Spec, TypeRef, Webhook
from .selection import METHODS as _METHODS, Selection

_REF_PREFIX = "#/components/schemas/"
_SCALAR_TYPES = {"string", "integer", "number", "boolean"}
_MULTIPART = "multipart/form-data"
_JSON = "application/json"
_PARAMETER_LOCATIONS = ("path", "query")

# Limits OpenAI states in prose rather than in schema keywords.
_TEXT_LIMITS = (
    ("max_properties", re.compile(r"Set of (\d+) key-value pairs")),
    ("key_max_length", re.compile(r"Keys are strings with a maximum length of (\d+) characters")),
    ("value_max_length", re.compile(r"Values are strings with a maximum length of (\d+) characters")),
)
# A parameter's range stated in prose: "Limit can range between 1 and 10,000".
_TEXT_RANGE = re.compile(r"can range between (\d[\d,]*) and (\d[\d,]*)")


def parse_yaml(text: str):
    """A YAML document; libyaml's parser when PyYAML has it (OpenAI's whole spec takes seconds, not tens)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_file(path: str, selection: Optional[Selection] = None) -> Spec:
    with open(path, encoding="utf-8") as f:
        return load(parse_yaml(f.read()), selection)


def load(document: dict, selection: Optional[Selection] = None) -> Spec:
    """The selected part of a spec; without a selection, every operation, webhook and schema."""
    return _Loader(document, selection).run()


def is_null_schema(schema) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "null" or schema.get("enum") == [None])


def unwrap_nullable(schema: dict, where: str) -> Tuple[dict, bool]:
    """Returns (the schema without its null alternative, whether null was allowed)."""
    nullable = bool(schema.get("nullable", False))
    for key in ("anyOf", "oneOf"):
        if key not in schema:
            continue
        alternatives = schema[key]
        non_null = [a for a in alternatives if not is_null_schema(a)]
        if len(non_null) != 1:
            raise SpecError(f"{where}: {key} with {len(non_null)} non-null alternatives is not supported")
        outer = {k: v for k, v in schema.items() if k != key}
        inner, inner_nullable = unwrap_nullable(non_null[0], where)
        merged = dict(inner) if "$ref" not in inner else {"$ref": inner["$ref"]}
        merged.update({k: v for k, v in outer.items() if k != "nullable"})
        return merged, nullable or inner_nullable or len(non_null) < len(alternatives)
    if "allOf" in schema:
        parts = schema["allOf"]
        if len(parts) != 1:
            raise SpecError(f"{where}: allOf with {len(parts)} schemas is not supported")
        outer = {k: v for k, v in schema.items() if k != "allOf"}
        inner, inner_nullable = unwrap_nullable(parts[0], where)
        merged = dict(inner)
        merged.update(outer)
        return merged, nullable or inner_nullable
    schema_type = schema.get("type")
    if isinstance(schema_type, list):
        types = [t for t in schema_type if t != "null"]
        if len(types) != 1:
            raise SpecError(f"{where}: a type list of {schema_type} is not supported")
        schema = dict(schema, type=types[0])
        nullable = nullable or len(types) < len(schema_type)
    if "enum" in schema and None in schema["enum"]:
        schema = dict(schema, enum=[v for v in schema["enum"] if v is not None])
        nullable = True
    return schema, nullable


def classify(schema: dict) -> str:
    """model, map, object (free-form), scalar or array."""
    schema_type = schema.get("type")
    if "properties" in schema and schema_type in (None, "object"):
        return "model"
    if schema_type in _SCALAR_TYPES:
        return "scalar"
    if schema_type == "array":
        return "array"
    if schema_type in (None, "object"):
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return "map"
        if schema_type == "object":
            return "object"
    return "unsupported"


def _int_or_none(value, where: str) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise SpecError(f"{where}: limit {value!r} is not an integer")
    return int(value)


def text_limits(description: str) -> Dict[str, int]:
    """Limits stated in a description, e.g. OpenAI's metadata text."""
    flat = " ".join((description or "").split())
    found = {}
    for name, pattern in _TEXT_LIMITS:
        match = pattern.search(flat)
        if match:
            found[name] = int(match.group(1))
    return found


def text_range(description: str) -> Tuple[Optional[int], Optional[int]]:
    """The (minimum, maximum) a description states, e.g. OpenAI's `limit` parameters."""
    match = _TEXT_RANGE.search(" ".join((description or "").split()))
    if not match:
        return None, None
    return int(match.group(1).replace(",", "")), int(match.group(2).replace(",", ""))


def limits_of(schema: dict, where: str) -> Limits:
    """Keyword limits first; limits stated only in the description fill the gaps."""
    extra = schema.get("additionalProperties") if isinstance(schema.get("additionalProperties"), dict) else {}
    names = schema.get("propertyNames") or schema.get("x-propertyNames") or {}
    limits = Limits(
        minimum=_int_or_none(schema.get("minimum"), where),
        maximum=_int_or_none(schema.get("maximum"), where),
        min_length=_int_or_none(schema.get("minLength"), where),
        max_length=_int_or_none(schema.get("maxLength"), where),
        max_properties=_int_or_none(schema.get("maxProperties"), where),
        key_max_length=_int_or_none(names.get("maxLength"), where),
        value_max_length=_int_or_none(extra.get("maxLength"), where),
    )
    if classify(schema) == "map":
        for name, value in text_limits(schema.get("description", "")).items():
            if getattr(limits, name) is None:
                setattr(limits, name, value)
    return limits


class _Loader:
    def __init__(self, document: dict, selection: Optional[Selection]):
        if not isinstance(document, dict):
            raise SpecError("the spec is not a YAML mapping")
        self.document = document
        self.schemas: Dict[str, dict] = (document.get("components") or {}).get("schemas") or {}
        self.everything = selection is None
        self.selection = selection or Selection()
        self.reach = None
        self.generated: List[str] = []  # the component schemas to read, in spec order
        self.models: List[Model] = []
        self.taken = set()

    def run(self) -> Spec:
        version = str(self.document.get("openapi", ""))
        if not re.match(r"^3\.[01]\.\d+$", version):
            raise SpecError(f"openapi: {version!r}: only OpenAPI 3.0.x and 3.1.x are supported")
        self.reach = selecting.reach(self.document, self.selection)
        self.generated = list(self.schemas) if self.everything else self.reach.schemas
        # Inline schemas are named around the generated schemas only: a schema the selection does not
        # reach never renames a class (so the whole spec and its cut give the same classes).
        self.taken = set(self.generated)
        skipped = self._multipart_only_schemas()
        self._load_request_bodies()
        for name in self.generated:
            schema = self.schemas[name]
            if name in skipped or not isinstance(schema, dict):
                continue
            plain, _ = unwrap_nullable(schema, f"schema {name}")
            if classify(plain) == "model":
                self._add_model(naming.pascal_case(name), plain, f"schema {name}")
        self._check_unique_class_names()
        self._check_optional_properties()
        apis = self._load_apis()
        webhooks = [self._webhook(name) for name in self.reach.webhooks]
        servers = self.document.get("servers") or [{}]
        base_url = str((servers[0] or {}).get("url", "")) if isinstance(servers, list) else ""
        return Spec(openapi_version=version, models=self.models, apis=apis, base_url=base_url, webhooks=webhooks)

    # -- which schemas become classes -------------------------------------------------------------

    def _operations(self):
        """The selected operations: (path, method, operation, path item)."""
        paths = self.document.get("paths") or {}
        for path, method in self.reach.operations:
            yield path, method, paths[path][method], paths[path]

    def _multipart_only_schemas(self) -> set:
        """Component schemas used only as a multipart body: their properties become API parameters."""
        multipart, elsewhere = set(), set()
        for _, _, operation, _ in self._operations():
            for content_type, media in ((operation.get("requestBody") or {}).get("content") or {}).items():
                ref = ((media or {}).get("schema") or {}).get("$ref", "")
                if ref.startswith(_REF_PREFIX):
                    (multipart if content_type == _MULTIPART else elsewhere).add(ref[len(_REF_PREFIX):])
        for name in self.generated:
            for ref in _refs_in(self.schemas[name]):
                if ref != name:
                    elsewhere.add(ref)
        return multipart - elsewhere

    def _load_request_bodies(self):
        for path, method, operation, _ in self._operations():
            content = (operation.get("requestBody") or {}).get("content") or {}
            schema = (content.get("application/json") or {}).get("schema")
            if not isinstance(schema, dict) or "$ref" in schema:
                continue
            where = f"{method.upper()} {path} request body"
            plain, _ = unwrap_nullable(schema, where)
            if classify(plain) != "model":
                raise SpecError(f"{where}: only object request bodies are supported")
            operation_id = operation.get("operationId")
            if not operation_id:
                raise SpecError(f"{where}: an inline request body needs an operationId to be named")
            self._add_model(self._claim(naming.request_body_model(operation_id)), plain, where)

    def _claim(self, name: str) -> str:
        """Reserves a class name for an inline schema, numbering it if a schema already has it."""
        candidate, n = name, 1
        while candidate in self.taken:
            candidate, n = f"{name}{n}", n + 1
        self.taken.add(candidate)
        return candidate

    def _check_unique_class_names(self):
        seen = {}
        for model in self.models:
            if model.name in seen:
                raise SpecError(f"{model.source} and {seen[model.name]} both become class {model.name}")
            seen[model.name] = model.source

    # -- operations -----------------------------------------------------------------------------------

    def _load_apis(self) -> List[Api]:
        """One Api per first tag, in the order the tags first appear; operations in path order."""
        apis: Dict[str, Api] = {}
        seen_ids = {}
        for path, method, raw, item in self._operations():
            operation = _OperationLoader(self, path, method, raw or {}, item).run()
            if operation.operation_id in seen_ids:
                raise SpecError(f"{operation.source} and {seen_ids[operation.operation_id]} "
                                f"share operationId {operation.operation_id}")
            seen_ids[operation.operation_id] = operation.source
            tags = (raw or {}).get("tags") or ["Default"]
            name = naming.api_class(str(tags[0]))
            apis.setdefault(name, Api(name=name, tag=str(tags[0]), operations=[])).operations.append(operation)
        return list(apis.values())

    # -- webhooks -------------------------------------------------------------------------------------

    def _webhook(self, name: str) -> Webhook:
        """A webhook of the spec's webhooks section: the event OpenAI POSTs, and the class of its body."""
        where = f"webhook {name}"
        item = selecting.webhooks_of(self.document)[name] or {}
        operations = [method for method in _METHODS if method in item]
        if operations != ["post"]:
            raise SpecError(f"{where}: a webhook must be one POST, not {operations}")
        operation = item["post"] or {}
        schema = (((operation.get("requestBody") or {}).get("content") or {}).get(_JSON) or {}).get("schema") or {}
        target = self._resolve(unwrap_nullable(schema, where)[0], where) if "$ref" in schema else {}
        if "$model" not in target:
            raise SpecError(f"{where}: the body must be a reference to an object schema")
        event_type = (self.schemas[schema["$ref"][len(_REF_PREFIX):]].get("properties") or {}).get("type") or {}
        values = event_type.get("enum") or []
        return Webhook(name=name, description=str(operation.get("description", "") or "").strip(),
                       model=target["$model"], event_type=str(values[0]) if len(values) == 1 else None)

    # -- models and properties ----------------------------------------------------------------------

    def _add_model(self, name: str, schema: dict, where: str):
        model = Model(name=name, description=schema.get("description", "") or "", properties=[], source=where)
        self.models.append(model)
        required = schema.get("required") or []
        properties = schema.get("properties") or {}
        for missing in [r for r in required if r not in properties]:
            raise SpecError(f"{where}: required property {missing!r} is not defined")
        for prop_name, prop_schema in properties.items():
            prop_where = f"{where}, property {prop_name}"
            if not isinstance(prop_schema, dict):
                raise SpecError(f"{prop_where}: the schema is not a mapping")
            is_required = prop_name in required and (name, prop_name) not in self.selection.optional_properties
            model.properties.append(self._property(name, prop_name, prop_schema, is_required, prop_where))
        self._check_member_names(model)

    def _check_optional_properties(self):
        """Each optional_properties entry of the config names a property of a generated class."""
        properties = {(m.name, p.json_name) for m in self.models for p in m.properties}
        for model, prop in sorted(self.selection.optional_properties - properties):
            raise SpecError(f"optional_properties: no generated class {model} has a property {prop!r}")

    def _property(self, owner: str, prop_name: str, schema: dict, required: bool, where: str) -> Property:
        plain, _ = unwrap_nullable(schema, where)
        target = self._resolve(plain, where)
        # As OpenAPI Generator does: an inline object's description moves to the class made from it,
        # and a reference to a class carries only a description written beside it. A reference to a
        # map or scalar schema (Metadata) is inlined, description and all.
        if "$ref" not in plain and classify(plain) == "model":
            description = ""
        else:
            description = plain.get("description")
        if description is None:
            description = "" if "$model" in target else target.get("description", "")
        type_ref = self._type_of(target, naming.inline_property_model(owner, prop_name), where)
        enum_values = None
        if "enum" in target:
            if type_ref.kind != "string":
                raise SpecError(f"{where}: enums of type {target.get('type')!r} are not supported")
            enum_values = [str(v) for v in target["enum"]]
            self._check_enumerators(enum_values, where)
        deprecated = bool(plain.get("deprecated") or target.get("deprecated"))
        return Property(
            json_name=prop_name,
            type=type_ref,
            description=description or "",
            # A deprecated property may be left out by the server (OpenAIFile.status is), so it is
            # documented but never enforced as required.
            required=required and not deprecated,
            deprecated=deprecated,
            enum_values=enum_values,
            limits=limits_of(target, where),
        )

    def _resolve(self, schema: dict, where: str) -> dict:
        """Follows $ref to a component schema that is not itself a class (maps, enums, aliases)."""
        if "$ref" not in schema:
            return schema
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith(_REF_PREFIX):
            raise SpecError(f"{where}: only local references to {_REF_PREFIX}... are supported, not {ref!r}")
        name = ref[len(_REF_PREFIX):]
        if name not in self.schemas:
            raise SpecError(f"{where}: {ref} does not exist")
        target, _ = unwrap_nullable(self.schemas[name], f"schema {name}")
        if classify(target) == "model":
            return {"$model": naming.pascal_case(name), "description": target.get("description", "")}
        return self._resolve(target, f"schema {name}")

    def _type_of(self, schema: dict, inline_name: str, where: str) -> TypeRef:
        if "$model" in schema:
            return TypeRef("model", model=schema["$model"])
        kind = classify(schema)
        if kind == "model":
            name = self._claim(inline_name)
            self._add_model(name, schema, f"{where} (inline schema {name})")
            return TypeRef("model", model=name)
        if kind == "scalar":
            return self._scalar(schema, where)
        if kind == "array":
            items = schema.get("items")
            if not isinstance(items, dict):
                raise SpecError(f"{where}: an array needs an items schema")
            plain, _ = unwrap_nullable(items, where + " items")
            return TypeRef("array", item=self._type_of(self._resolve(plain, where), naming.inline_item_model(inline_name), where + "[]"))
        if kind == "map":
            plain, _ = unwrap_nullable(schema["additionalProperties"], where + " values")
            return TypeRef("map", item=self._type_of(self._resolve(plain, where), inline_name + "Value", where + "{}"))
        if kind == "object":
            return TypeRef("object")
        keys = sorted(k for k in schema if k in ("not", "oneOf", "anyOf", "allOf", "type", "$ref"))
        raise SpecError(f"{where}: a schema with {keys or 'no type'} is not supported")

    @staticmethod
    def _scalar(schema: dict, where: str) -> TypeRef:
        schema_type, fmt = schema["type"], schema.get("format")
        if schema_type == "string":
            if fmt in ("binary", "byte"):
                raise SpecError(f"{where}: string format {fmt!r} is only supported in multipart request bodies")
            return TypeRef("string")
        if schema_type == "integer":
            return TypeRef("int32" if fmt == "int32" else "int64")
        if schema_type == "number":
            return TypeRef("double")
        return TypeRef("bool")

    @staticmethod
    def _check_enumerators(values: List[str], where: str):
        seen = {}
        for value in values:
            name = naming.enumerator(value)
            if name == naming.UNKNOWN_ENUMERATOR:
                raise SpecError(f"{where}: enum value {value!r} collides with the unknown-value enumerator")
            if name in seen:
                raise SpecError(f"{where}: enum values {seen[name]!r} and {value!r} both become {name}")
            seen[name] = value

    @staticmethod
    def _check_member_names(model: Model):
        owners = {}
        for prop in model.properties:
            names = naming.PropertyNames(prop.json_name, prop.type.kind == "bool", prop.enum_values is not None)
            for method in names.methods():
                if method in naming.RESERVED_METHODS:
                    raise SpecError(f"{model.source}, property {prop.json_name}: its accessor {method} "
                                    "collides with a ModelBase method")
                if method in owners:
                    raise SpecError(f"{model.source}: properties {owners[method]!r} and {prop.json_name!r} "
                                    f"both generate {method}")
                owners[method] = prop.json_name


class _OperationLoader:
    """Reads one operation of the paths section into an ir.Operation."""

    def __init__(self, loader: "_Loader", path: str, method: str, operation: dict, path_item: dict):
        self.loader = loader
        self.path, self.method, self.operation, self.path_item = path, method, operation, path_item
        self.where = f"{method.upper()} {path}"

    def run(self) -> Operation:
        operation_id = self.operation.get("operationId")
        if not isinstance(operation_id, str) or not operation_id:
            raise SpecError(f"{self.where}: every operation needs an operationId")
        parameters = [self._parameter(p) for p in self._declared_parameters()]
        content_type, body = self._request_body(operation_id)
        parameters += body
        self._check_path_template(parameters)
        self._check_unique_names(parameters)
        # OpenAPI Generator's order: required arguments first, otherwise as the spec lists them.
        parameters.sort(key=lambda p: not p.required)
        kind, response_type = self._response()
        security = self.operation.get("security", self.loader.document.get("security")) or []
        return Operation(
            operation_id=operation_id,
            method=self.method.upper(),
            path=self.path,
            summary=" ".join(str(self.operation.get("summary", "")).split()),
            description=str(self.operation.get("description", "") or "").strip(),
            parameters=parameters,
            response_kind=kind,
            response_type=response_type,
            request_content_type=content_type,
            secured=bool(security),
            source=self.where,
        )

    def _declared_parameters(self) -> List[dict]:
        """Path-item parameters, overridden by the operation's own of the same name and location."""
        merged = {}
        for raw in list(self.path_item.get("parameters") or []) + list(self.operation.get("parameters") or []):
            raw = self._resolve_parameter(raw)
            merged[(raw.get("name"), raw.get("in"))] = raw
        return list(merged.values())

    def _resolve_parameter(self, raw) -> dict:
        if isinstance(raw, dict) and "$ref" in raw:
            ref = raw["$ref"]
            prefix = "#/components/parameters/"
            components = (self.loader.document.get("components") or {}).get("parameters") or {}
            if not isinstance(ref, str) or not ref.startswith(prefix) or ref[len(prefix):] not in components:
                raise SpecError(f"{self.where}: parameter {ref!r} cannot be resolved")
            raw = components[ref[len(prefix):]]
        if not isinstance(raw, dict):
            raise SpecError(f"{self.where}: a parameter is not a mapping")
        return raw

    def _parameter(self, raw: dict) -> Parameter:
        name, location = raw.get("name"), raw.get("in")
        where = f"{self.where}, parameter {name}"
        if not isinstance(name, str) or not name:
            raise SpecError(f"{self.where}: a parameter has no name")
        if location not in _PARAMETER_LOCATIONS:
            raise SpecError(f"{where}: parameters in {location!r} are not supported")
        schema = raw.get("schema")
        if not isinstance(schema, dict):
            raise SpecError(f"{where}: a parameter needs a schema")
        plain, _ = unwrap_nullable(self.loader._resolve(unwrap_nullable(schema, where)[0], where), where)
        if classify(plain) != "scalar":
            raise SpecError(f"{where}: only string, integer, number and boolean parameters are supported")
        description = str(raw.get("description", plain.get("description", "")) or "")
        limits = limits_of(plain, where)
        if limits.minimum is None and limits.maximum is None:
            limits.minimum, limits.maximum = text_range(description)
        return Parameter(
            name=name,
            location=location,
            type=_Loader._scalar(plain, where),
            description=description,
            required=bool(raw.get("required")) or location == "path",
            default=_default_text(plain.get("default")),
            enum_values=[str(v) for v in plain["enum"]] if "enum" in plain else None,
            limits=limits,
        )

    def _request_body(self, operation_id: str) -> Tuple[Optional[str], List[Parameter]]:
        body = self.operation.get("requestBody")
        if not body:
            return None, []
        content = body.get("content") or {}
        required = bool(body.get("required"))
        if _JSON in content:
            schema = (content[_JSON] or {}).get("schema") or {}
            ref = schema.get("$ref", "")
            name = ref[len(_REF_PREFIX):] if ref.startswith(_REF_PREFIX) else naming.request_body_model(operation_id)
            model = naming.pascal_case(name)
            if model not in {m.name for m in self.loader.models}:
                raise SpecError(f"{self.where}: the JSON request body must be an object schema")
            return _JSON, [Parameter(name=naming.camel_case(model), location="body", type=TypeRef("model", model=model),
                                     description=str(body.get("description", "") or ""), required=required)]
        if _MULTIPART in content:
            return _MULTIPART, self._form_parameters((content[_MULTIPART] or {}).get("schema") or {})
        raise SpecError(f"{self.where}: request bodies of type {sorted(content)} are not supported")

    def _form_parameters(self, schema: dict) -> List[Parameter]:
        where = f"{self.where} multipart body"
        target = schema
        if "$ref" in schema:
            name = schema["$ref"][len(_REF_PREFIX):] if schema["$ref"].startswith(_REF_PREFIX) else None
            if name not in self.loader.schemas:
                raise SpecError(f"{where}: {schema['$ref']} cannot be resolved")
            target = self.loader.schemas[name]
        target, _ = unwrap_nullable(target, where)
        if classify(target) != "model":
            raise SpecError(f"{where}: a multipart body must be an object schema")
        required = target.get("required") or []
        parameters = []
        for prop_name, prop_schema in (target.get("properties") or {}).items():
            prop_where = f"{where}, part {prop_name}"
            plain, _ = unwrap_nullable(prop_schema, prop_where)
            resolved = self.loader._resolve(plain, prop_where)
            is_file = resolved.get("type") == "string" and resolved.get("format") == "binary"
            if is_file:
                type_ref = TypeRef("file")
            elif "$model" in resolved:
                type_ref = TypeRef("model", model=resolved["$model"])
            elif classify(resolved) == "scalar":
                type_ref = _Loader._scalar(resolved, prop_where)
            else:
                raise SpecError(f"{prop_where}: multipart parts must be files, scalars or objects")
            parameters.append(Parameter(
                name=prop_name, location="form", type=type_ref,
                description=str(plain.get("description", resolved.get("description", "")) or ""),
                required=prop_name in required, default=_default_text(resolved.get("default")),
                enum_values=[str(v) for v in resolved["enum"]] if "enum" in resolved else None,
                limits=limits_of(resolved, prop_where) if type_ref.kind != "model" else Limits(),
                is_file=is_file))
        return parameters

    def _response(self) -> Tuple[str, Optional[TypeRef]]:
        responses = self.operation.get("responses") or {}
        success = sorted(code for code in map(str, responses) if code.startswith("2"))
        if not success:
            return "none", None
        content = (responses.get(success[0]) or responses.get(int(success[0])) or {}).get("content") or {}
        if not content:
            return "none", None
        media_type, media = next(iter(content.items()))
        schema = (media or {}).get("schema") or {}
        where = f"{self.where} response {success[0]}"
        plain, _ = unwrap_nullable(schema, where)
        resolved = self.loader._resolve(plain, where)
        if "$model" in resolved:
            return "model", TypeRef("model", model=resolved["$model"])
        if resolved.get("type") == "string":
            # OpenAI declares the file download as a JSON string; it is the raw file, so every string
            # (or binary) response is read as bytes, never JSON-decoded.
            return "bytes", None
        raise SpecError(f"{where}: a {media_type} response must be an object schema or a string")

    def _check_path_template(self, parameters: List[Parameter]):
        in_template = re.findall(r"\{([^}]*)\}", self.path)
        declared = [p.name for p in parameters if p.location == "path"]
        if sorted(in_template) != sorted(declared):
            raise SpecError(f"{self.where}: path placeholders {in_template} do not match path parameters {declared}")

    def _check_unique_names(self, parameters: List[Parameter]):
        seen = {}
        for p in parameters:
            cpp_name = naming.camel_case(p.name)
            if cpp_name in seen:
                raise SpecError(f"{self.where}: parameters {seen[cpp_name]!r} and {p.name!r} both become {cpp_name}")
            seen[cpp_name] = p.name


def _default_text(value) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _refs_in(node):
    """Every component name a schema refers to, at any depth."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            yield ref[len(_REF_PREFIX):]
        for value in node.values():
            yield from _refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs_in(value)
