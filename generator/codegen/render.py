"""Turns the intermediate form into files: {relative path: text}.

All decisions live here and in naming.py / cpp.py; the templates only lay text out.
"""
import os
import re
from dataclasses import dataclass
from typing import Dict, List, Optional

import jinja2

from . import cpp, naming
from .errors import SpecError
from .ir import Api, Model, Operation, Parameter, Property, Spec

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")

# Runtime classes written once per package, from templates with no per-model data.
_RUNTIME_FILES = ("ModelBase", "Object", "HttpContent", "MultipartFormData")
_API_RUNTIME_FILES = ("ApiConfiguration", "ApiException", "RetryPolicy", "BodyStreams", "ApiClient")
# The per-request timeout a new ApiConfiguration starts with (OpenAI's SDKs use the same 10 minutes).
DEFAULT_TIMEOUT_SECONDS = 600


@dataclass
class Config:
    namespace: str
    package: str
    spec_name: str  # file name of the spec, named in the generated-code marker
    docs_site: str = ""  # where the spec's site-relative links point, e.g. https://platform.openai.com

    @property
    def model_namespace(self) -> str:
        return self.namespace + "::model"

    @property
    def api_namespace(self) -> str:
        return self.namespace + "::api"


@dataclass
class PropertyView:
    """One property as the templates see it."""
    prop: Property
    names: naming.PropertyNames
    cpp_type: str
    by_value: bool
    enumerators: Optional[List[tuple]]
    doc_name: str
    doc_type: str
    doc_description: str
    doc_notes: str
    has_nested_models: bool

    @property
    def json_name(self):
        return self.prop.json_name

    @property
    def limits(self):
        return self.prop.limits

    @property
    def required(self):
        return self.prop.required

    def param_type(self) -> str:
        if self.enumerators is not None:
            return self.names.enum_type
        return self.cpp_type if self.by_value else f"const {self.cpp_type}&"

    def description_lines(self) -> List[str]:
        return comment_lines(self.prop.description)


def comment_lines(text: str) -> List[str]:
    """A description as lines for a /// comment: trailing spaces and blank tail dropped."""
    return [line.rstrip() for line in (text or "").strip().splitlines()]


def doc_cell(text: str) -> str:
    """A description in a markdown table cell, laid out as OpenAPI Generator lays it: each line
    break becomes one space, and nothing else changes (so the doc matches the seed page byte for byte)."""
    return (text or "").replace("\n", " ").replace("|", "\\|")


def absolute_links(markdown: str, site: str) -> str:
    """Points the spec's site-relative links (`[upload file](/docs/...)`) at the site they belong to."""
    return re.sub(r"\]\(/(?!/)", f"]({site}/", markdown) if site else markdown


def doc_notes(prop: Property) -> str:
    notes = "" if prop.required else "[optional] "
    if prop.deprecated:
        notes += "[deprecated] "
    if prop.type.kind in ("map", "array"):
        notes += "[default to {}]"
    return notes


def view_property(prop: Property) -> PropertyView:
    is_enum = prop.enum_values is not None
    names = naming.PropertyNames(prop.json_name, prop.type.kind == "bool", is_enum)
    enumerators = [(naming.enumerator(v), v) for v in prop.enum_values] if is_enum else None
    return PropertyView(
        prop=prop,
        names=names,
        cpp_type=cpp.cpp_type(prop.type),
        by_value=cpp.passed_by_value(prop.type),
        enumerators=enumerators,
        doc_name=naming.camel_case(prop.json_name),
        doc_type=cpp.doc_type(prop.type, names.enum_type),
        doc_description=doc_cell(prop.description),
        doc_notes=doc_notes(prop),
        has_nested_models=bool(cpp.referenced_models(prop.type)) or cpp.uses_object(prop.type),
    )


@dataclass
class ModelView:
    model: Model
    properties: List[PropertyView]
    includes: List[str]

    @property
    def name(self):
        return self.model.name

    def description_lines(self):
        return comment_lines(self.model.description)

    @property
    def has_checks(self) -> bool:
        """Whether validate() has anything to look at in this model."""
        return any(p.required or p.has_nested_models or p.limits.any() for p in self.properties)


def view_model(model: Model) -> ModelView:
    properties = [view_property(p) for p in model.properties]
    includes = []
    for p in model.properties:
        for name in cpp.referenced_models(p.type):
            if name != model.name and name not in includes:
                includes.append(name)
        if cpp.uses_object(p.type) and "Object" not in includes:
            includes.append("Object")
    return ModelView(model=model, properties=properties, includes=includes)


def cpp_optional(value) -> str:
    """A limit as a std::optional<int64_t> argument."""
    return "std::nullopt" if value is None else str(value)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["optional"] = cpp_optional
    return env


def header_guard(config: Config, name: str, layer: str = "model") -> str:
    namespace = config.model_namespace if layer == "model" else config.api_namespace
    return "_".join(namespace.upper().split("::")) + "_" + name.upper() + "_H_"


def render(spec: Spec, config: Config) -> Dict[str, str]:
    """Every generated file, keyed by its path relative to the output root."""
    env = _environment()
    common = {
        "config": config,
        "marker": f"// Code generated by generator/generate.py from {config.spec_name}. DO NOT EDIT.",
        "guard": lambda name: header_guard(config, name),
        "unknown": naming.UNKNOWN_ENUMERATOR,
    }
    files = {}
    for runtime in _RUNTIME_FILES:
        files[f"model/{runtime}.h"] = env.get_template(f"runtime/{runtime}.h.j2").render(**common)
        files[f"model/{runtime}.cpp"] = env.get_template(f"runtime/{runtime}.cpp.j2").render(**common)
    views = [view_model(m) for m in spec.models]
    _refuse_runtime_names([view.name for view in views] + [api.name for api in spec.apis])
    names = [view.name for view in views]
    files["model/ModelRegistry.h"] = env.get_template("model_registry.h.j2").render(**common)
    files["model/ModelRegistry.cpp"] = env.get_template("model_registry.cpp.j2").render(names=names, **common)
    for view in views:
        files[f"model/{view.name}.h"] = env.get_template("model.h.j2").render(model=view, **common)
        files[f"model/{view.name}.cpp"] = env.get_template("model.cpp.j2").render(model=view, **common)
        files[f"doc/{view.name}.md"] = env.get_template("model.md.j2").render(model=view, **common)
    api_common = dict(common, guard=lambda name: header_guard(config, name, "api"), base_url=spec.base_url,
                      default_timeout_seconds=DEFAULT_TIMEOUT_SECONDS)
    for runtime in _API_RUNTIME_FILES:
        files[f"api/{runtime}.h"] = env.get_template(f"runtime/api/{runtime}.h.j2").render(**api_common)
        files[f"api/{runtime}.cpp"] = env.get_template(f"runtime/api/{runtime}.cpp.j2").render(**api_common)
    for api in spec.apis:
        view = view_api(api)
        files[f"api/{api.name}.h"] = env.get_template("api.h.j2").render(api=view, **api_common)
        files[f"api/{api.name}.cpp"] = env.get_template("api.cpp.j2").render(api=view, **api_common)
        files[f"doc/{api.name}.md"] = env.get_template("api.md.j2").render(api=view, **api_common)
    return {path: absolute_links(text, config.docs_site) if path.endswith(".md") else text
            for path, text in files.items()}


def _refuse_runtime_names(names: List[str]) -> None:
    """A schema or tag named like a runtime file would overwrite it."""
    reserved = set(_RUNTIME_FILES) | set(_API_RUNTIME_FILES) | {"ModelRegistry"}
    for name in names:
        if name in reserved:
            raise SpecError(f"'{name}' is the name of a file the generator writes itself; rename the schema or tag")


def readme_api_table(spec: Spec, config: Config) -> str:
    """The README's operation list: by class, then method name, as OpenAPI Generator orders it."""
    env = _environment()
    table = env.get_template("readme_apis.md.j2").render(apis=[view_api(a) for a in spec.apis], config=config,
                                                          base_url=spec.base_url)
    return absolute_links(table, config.docs_site)


def readme_model_table(spec: Spec, config: Config) -> str:
    """The README's model list: alphabetical, as OpenAPI Generator orders it."""
    env = _environment()
    names = sorted(m.name for m in spec.models)
    return env.get_template("readme_models.md.j2").render(names=names, config=config)


def readme_webhook_table(spec: Spec, config: Config) -> str:
    """The README's webhook list: each event OpenAI can POST, with the class of its body."""
    env = _environment()
    rows = [(w.event_type or w.name, w.name, w.model, doc_cell(w.description)) for w in spec.webhooks]
    return env.get_template("readme_webhooks.md.j2").render(rows=rows, config=config)


# -- APIs ---------------------------------------------------------------------------------------------------

@dataclass
class ParameterView:
    param: Parameter
    cpp_name: str
    cpp_type: str          # as declared in the method signature
    request_line: str      # the ApiRequest call that adds it
    example_line: str      # how the doc example declares it
    doc_type: str
    doc_description: str
    doc_notes: str


def _example_value(param: Parameter, cpp_name: str) -> str:
    kind = param.type.kind
    if kind == "file":
        return 'HttpContent::fromFile("requests.jsonl")'
    if kind == "model":
        return f"std::make_shared<{param.type.model}>()"
    if param.enum_values:
        return f'_XPLATSTR("{param.default or param.enum_values[0]}")'
    if kind == "string":
        return f'_XPLATSTR("{cpp_name}_example")'
    if kind in ("int32", "int64"):
        return param.default or str(param.limits.minimum or 1)
    if kind == "double":
        return param.default or "1.0"
    return param.default or "true"


def _example_line(param: Parameter, cpp_name: str, declared_type: str) -> str:
    value = _example_value(param, cpp_name)
    if not param.required:
        # boost::optional<T> is not copy-initialised from what converts to T, only from a T.
        value = f"{cpp.cpp_type(param.type)}({value})"
    line = f"{declared_type} {cpp_name} = {value};"
    if param.type.kind == "model":
        line += f" // set its properties: see {param.type.model}.md"
    return line


def _request_line(param: Parameter, cpp_name: str) -> str:
    name = f'_XPLATSTR("{param.name}")'
    required = "true" if param.required else "false"
    if param.location == "path":
        return f"request.setPathParameter({name}, {cpp_name});"
    if param.location == "query":
        limits = ""
        if param.limits.minimum is not None or param.limits.maximum is not None:
            limits = f", {cpp_optional(param.limits.minimum)}, {cpp_optional(param.limits.maximum)}"
        return f"request.addQueryParameter({name}, {cpp_name}{limits});"
    if param.location == "body":
        return f"request.setJsonBody({name}, {cpp_name});"
    if param.type.kind == "file":
        return f"request.addFormFile({name}, {cpp_name});"
    if param.type.kind == "model":
        return f"request.addFormModel({name}, {cpp_name}, {required});"
    return f"request.addFormField({name}, {cpp_name}, {required});"


def _doc_notes(param: Parameter) -> str:
    notes = "" if param.required else "[optional] "
    if param.default is not None:
        notes += f"[default to {param.default}]"
    return notes.strip()


def view_parameter(param: Parameter) -> ParameterView:
    cpp_name = naming.camel_case(param.name)
    cpp_param_type = cpp.parameter_type(param.type, param.required)
    return ParameterView(
        param=param,
        cpp_name=cpp_name,
        cpp_type=cpp_param_type,
        request_line=_request_line(param, cpp_name),
        example_line=_example_line(param, cpp_name, cpp_param_type),
        doc_type=cpp.doc_type(param.type),
        doc_description=doc_cell(param.description.strip()),
        doc_notes=_doc_notes(param),
    )


@dataclass
class OperationView:
    op: Operation
    parameters: List[ParameterView]

    @property
    def name(self) -> str:
        return self.op.operation_id

    @property
    def builder(self) -> str:
        """The private method that builds the ApiRequest, shared by the method's variants."""
        return "requestFor" + naming.pascal_case(self.name)

    @property
    def anchor(self) -> str:
        return self.name.lower()

    @property
    def return_type(self) -> str:
        if self.op.response_kind == "model":
            return f"std::shared_ptr<{self.op.response_type.model}>"
        return "utility::string_t" if self.op.response_kind == "bytes" else "void"

    @property
    def doc_return_type(self) -> str:
        if self.op.response_kind == "model":
            return f"[**{self.op.response_type.model}**]({self.op.response_type.model}.md)"
        return "**utility::string_t** (the raw bytes of the body)" if self.op.response_kind == "bytes" else "void (empty response body)"

    @property
    def result_conversion(self) -> str:
        """The continuation that turns the ApiResponse into the method's result."""
        if self.op.response_kind == "model":
            return f"[](const ApiResponse& response) {{ return response.readModel<{self.op.response_type.model}>(); }}"
        if self.op.response_kind == "bytes":
            return "[](const ApiResponse& response) { return response.readBytes(); }"
        return "[](const ApiResponse&) {}"

    @property
    def is_download(self) -> bool:
        return self.op.response_kind == "bytes"

    @property
    def http_method(self) -> str:
        return self.op.method

    @property
    def cpprest_method(self) -> str:
        # cpprestsdk spells two of them its own way.
        names = {"DELETE": "DEL", "TRACE": "TRCE"}
        return f"web::http::methods::{names.get(self.op.method, self.op.method)}"

    @property
    def signature(self) -> str:
        return ", ".join(f"{p.cpp_type} {p.cpp_name}" for p in self.parameters)

    @property
    def declared_signature(self) -> str:
        """The signature as the header declares it: trailing optional arguments default to boost::none, so
        that calls written before the spec gained an optional parameter still compile."""
        parts = [f"{p.cpp_type} {p.cpp_name}" for p in self.parameters]
        for i in range(len(self.parameters) - 1, -1, -1):
            if self.parameters[i].param.required:
                break
            parts[i] += " = boost::none"
        return ", ".join(parts)

    @property
    def arguments(self) -> str:
        return ", ".join(p.cpp_name for p in self.parameters)

    def prefixed(self, extra: str) -> str:
        """The signature with one more parameter after the operation's own."""
        return ", ".join(x for x in (self.signature, extra) if x)

    @property
    def moved_arguments(self) -> str:
        """The arguments handed on from a by-value signature (cpp-restsdk's) to the request builder."""
        return ", ".join(p.cpp_name if cpp.passed_by_value(p.param.type) else f"std::move({p.cpp_name})"
                         for p in self.parameters)

    def arguments_with(self, extra: str) -> str:
        return ", ".join(x for x in (self.arguments, extra) if x)

    def description_lines(self) -> List[str]:
        return comment_lines(self.op.description or self.op.summary)

    @property
    def doc_summary(self) -> str:
        first_line = self.op.description.splitlines()[0] if self.op.description else ""
        return doc_cell(self.op.summary or first_line)

    @property
    def content_type(self) -> str:
        return self.op.request_content_type or "Not defined"

    @property
    def accept(self) -> str:
        return "application/json"


@dataclass
class ApiView:
    api: Api
    operations: List[OperationView]

    @property
    def name(self) -> str:
        return self.api.name

    @property
    def tag(self) -> str:
        return self.api.tag

    @property
    def models(self) -> List[str]:
        """Model headers the API's signatures mention."""
        names = []
        for op in self.operations:
            types = [p.param.type for p in op.parameters]
            if op.op.response_type is not None:
                types.append(op.op.response_type)
            for t in types:
                for name in cpp.referenced_models(t):
                    if name not in names:
                        names.append(name)
        return names

    @property
    def sorted_operations(self) -> List[OperationView]:
        return sorted(self.operations, key=lambda o: o.name)


def view_api(api: Api) -> ApiView:
    return ApiView(api=api, operations=[OperationView(op=o, parameters=[view_parameter(p) for p in o.parameters])
                                        for o in api.operations])
