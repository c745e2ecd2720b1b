"""Turns the intermediate form into files: {relative path: text}.

All decisions live here and in naming.py / cpp.py; the templates only lay text out.
"""
import os
from dataclasses import dataclass
from typing import Dict, List, Optional

import jinja2

from . import cpp, naming
from .ir import Model, Property, Spec

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")

# Runtime classes written once per package, from templates with no per-model data.
_RUNTIME_FILES = ("ModelBase", "Object", "HttpContent", "MultipartFormData")


@dataclass
class Config:
    namespace: str
    package: str
    spec_name: str  # file name of the spec, named in the generated-code marker

    @property
    def model_namespace(self) -> str:
        return self.namespace + "::model"


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


def header_guard(config: Config, name: str) -> str:
    return "_".join(config.model_namespace.upper().split("::")) + "_" + name.upper() + "_H_"


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
    for view in views:
        files[f"model/{view.name}.h"] = env.get_template("model.h.j2").render(model=view, **common)
        files[f"model/{view.name}.cpp"] = env.get_template("model.cpp.j2").render(model=view, **common)
        files[f"doc/{view.name}.md"] = env.get_template("model.md.j2").render(model=view, **common)
    return files


def readme_model_table(spec: Spec, config: Config) -> str:
    """The README's model list: alphabetical, as OpenAPI Generator orders it."""
    env = _environment()
    names = sorted(m.name for m in spec.models)
    return env.get_template("readme_models.md.j2").render(names=names, config=config)
