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

from . import naming
from .errors import SpecError
from .ir import Limits, Model, Property, Spec, TypeRef

_REF_PREFIX = "#/components/schemas/"
_SCALAR_TYPES = {"string", "integer", "number", "boolean"}
_MULTIPART = "multipart/form-data"

# Limits OpenAI states in prose rather than in schema keywords.
_TEXT_LIMITS = (
    ("max_properties", re.compile(r"Set of (\d+) key-value pairs")),
    ("key_max_length", re.compile(r"Keys are strings with a maximum length of (\d+) characters")),
    ("value_max_length", re.compile(r"Values are strings with a maximum length of (\d+) characters")),
)


def load_file(path: str) -> Spec:
    with open(path, encoding="utf-8") as f:
        document = yaml.safe_load(f)
    return load(document)


def load(document: dict) -> Spec:
    return _Loader(document).run()


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
    def __init__(self, document: dict):
        if not isinstance(document, dict):
            raise SpecError("the spec is not a YAML mapping")
        self.document = document
        self.schemas: Dict[str, dict] = (document.get("components") or {}).get("schemas") or {}
        self.models: List[Model] = []
        self.taken = set()

    def run(self) -> Spec:
        version = str(self.document.get("openapi", ""))
        if not re.match(r"^3\.[01]\.\d+$", version):
            raise SpecError(f"openapi: {version!r}: only OpenAPI 3.0.x and 3.1.x are supported")
        self.taken = set(self.schemas)
        skipped = self._multipart_only_schemas()
        self._load_request_bodies()
        for name, schema in self.schemas.items():
            if name in skipped or not isinstance(schema, dict):
                continue
            plain, _ = unwrap_nullable(schema, f"schema {name}")
            if classify(plain) == "model":
                self._add_model(naming.pascal_case(name), plain, f"schema {name}")
        self._check_unique_class_names()
        return Spec(openapi_version=version, models=self.models)

    # -- which schemas become classes -------------------------------------------------------------

    def _operations(self):
        for path, item in (self.document.get("paths") or {}).items():
            for method, operation in (item or {}).items():
                if method in ("get", "put", "post", "delete", "patch", "head", "options", "trace"):
                    yield path, method, operation or {}

    def _multipart_only_schemas(self) -> set:
        """Component schemas used only as a multipart body: their properties become API parameters."""
        multipart, elsewhere = set(), set()
        for _, _, operation in self._operations():
            for content_type, media in ((operation.get("requestBody") or {}).get("content") or {}).items():
                ref = ((media or {}).get("schema") or {}).get("$ref", "")
                if ref.startswith(_REF_PREFIX):
                    (multipart if content_type == _MULTIPART else elsewhere).add(ref[len(_REF_PREFIX):])
        for name, schema in self.schemas.items():
            for ref in _refs_in(schema):
                if ref != name:
                    elsewhere.add(ref)
        return multipart - elsewhere

    def _load_request_bodies(self):
        for path, method, operation in self._operations():
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
            model.properties.append(self._property(name, prop_name, prop_schema, prop_name in required, prop_where))
        self._check_member_names(model)

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
