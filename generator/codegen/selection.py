"""What to generate from a spec: the selection in generator/config.yaml, and what it reaches.

OpenAI publishes one spec for its whole API (hundreds of operations, over a thousand schemas), most of
which this package never touches and some of which use constructs it does not map. A Selection names
the part the package is made of:
- the operations carrying one of the selected tags (one API class per tag);
- the selected webhooks of the spec's top-level `webhooks:` section (OpenAPI 3.1), by name;
- extra models that no operation reaches (the JSONL line formats), by schema name.

reach() follows every local $ref from those, at any depth, to the set of components they need. The
loader reads and checks only that set; the cut (cut.py) copies only that set.
"""
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Tuple

from .errors import SpecError

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_COMPONENTS = "#/components/"


@dataclass(frozen=True)
class Selection:
    """The part of a spec to generate. None for tags or webhooks means all of them."""
    tags: Optional[Tuple[str, ...]] = None
    webhooks: Optional[Tuple[str, ...]] = None
    models: Tuple[str, ...] = ()
    # (class name, property): required in the spec, but left out by OpenAI's servers.
    optional_properties: FrozenSet[Tuple[str, str]] = frozenset()

    @staticmethod
    def from_config(data: dict, where: str) -> "Selection":
        """Reads the `select:` and `optional_properties:` entries of generator/config.yaml."""
        select = data.get("select")
        if not isinstance(select, dict):
            raise SpecError(f"{where}: 'select' must name the tags, webhooks and models to generate")
        tags = _names(select, "tags", where)
        if not tags:
            raise SpecError(f"{where}: select.tags must name at least one tag")
        optional = set()
        for entry in _names(data, "optional_properties", where):
            model, dot, prop = entry.partition(".")
            if not dot or not model or not prop:
                raise SpecError(f"{where}: optional_properties entry {entry!r} is not Model.property")
            optional.add((model, prop))
        return Selection(tags=tags, webhooks=_names(select, "webhooks", where), models=_names(select, "models", where),
                         optional_properties=frozenset(optional))


def _names(data: dict, key: str, where: str) -> Tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SpecError(f"{where}: {key} must be a list of names")
    return tuple(value)


@dataclass
class Reach:
    """What a selection takes from one spec, each list in the spec's own order."""
    operations: List[Tuple[str, str]] = field(default_factory=list)  # (path, method)
    webhooks: List[str] = field(default_factory=list)
    components: Dict[str, List[str]] = field(default_factory=dict)  # kind (schemas, parameters, ...) -> names

    @property
    def schemas(self) -> List[str]:
        return self.components.get("schemas", [])


def webhooks_of(document: dict) -> dict:
    webhooks = document.get("webhooks") or {}
    if not isinstance(webhooks, dict):
        raise SpecError("webhooks: the section is not a mapping")
    return webhooks


def reach(document: dict, selection: Selection) -> Reach:
    """The operations, webhooks and components a selection takes from a document."""
    found = Reach()
    roots = []
    tags_seen = set()
    for path, item in (document.get("paths") or {}).items():
        item = item or {}
        chosen = False
        for method, operation in item.items():
            if method not in METHODS or not isinstance(operation, dict):
                continue
            tags = [str(t) for t in operation.get("tags") or []]
            tags_seen.update(tags)
            if selection.tags is None or set(tags) & set(selection.tags):
                found.operations.append((path, method))
                roots.append(operation)
                chosen = True
        if chosen:
            roots.append(item.get("parameters") or [])
    for tag in selection.tags or ():
        if tag not in tags_seen:
            raise SpecError(f"select.tags: no operation of the spec carries the tag {tag!r}")
    webhooks = webhooks_of(document)
    if selection.webhooks is None:
        found.webhooks = list(webhooks)
    elif webhooks:
        # A spec with no webhooks section (every OpenAPI 3.0 spec) has none to select.
        for name in selection.webhooks:
            if name not in webhooks:
                raise SpecError(f"select.webhooks: the spec has no webhook {name!r}")
        found.webhooks = [name for name in webhooks if name in selection.webhooks]
    roots.extend(webhooks[name] for name in found.webhooks)
    schemas = (document.get("components") or {}).get("schemas") or {}
    for name in selection.models:
        if name not in schemas:
            raise SpecError(f"select.models: the spec has no schema {name!r}")
        roots.append({"$ref": f"{_COMPONENTS}schemas/{name}"})
    found.components = _components_reached(document, roots)
    return found


def _components_reached(document: dict, roots: list) -> Dict[str, List[str]]:
    components = document.get("components") or {}
    reached = set()
    pending = [ref for root in roots for ref in local_refs(root)]
    while pending:
        kind, name = pending.pop()
        if (kind, name) in reached:
            continue
        target = (components.get(kind) or {}).get(name)
        if target is None:
            raise SpecError(f"{_COMPONENTS}{kind}/{name} is referred to but does not exist")
        reached.add((kind, name))
        pending.extend(local_refs(target))
    # In the spec's order, so that generated files and the cut do not depend on the walk.
    return {kind: [name for name in entries if (kind, name) in reached]
            for kind, entries in components.items()
            if isinstance(entries, dict) and any((kind, name) in reached for name in entries)}


def local_refs(node):
    """Every (kind, name) a node refers to as #/components/<kind>/<name>, at any depth."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_COMPONENTS):
            kind, _, name = ref[len(_COMPONENTS):].partition("/")
            if "/" in name:
                raise SpecError(f"{ref}: only references to whole components are supported")
            yield kind, name
        for value in node.values():
            yield from local_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from local_refs(value)


def merge_overlay(document: dict, overlay: dict) -> Tuple[dict, List[str]]:
    """The document with the overlay's schemas it lacks added, and the names added.

    A schema the document defines itself wins: if OpenAI publishes a line format again, the spec's
    own definition is the one generated.
    """
    extra = ((overlay or {}).get("components") or {}).get("schemas") or {}
    if not isinstance(extra, dict):
        raise SpecError("overlay: components.schemas is not a mapping")
    schemas = dict((document.get("components") or {}).get("schemas") or {})
    added = [name for name in extra if name not in schemas]
    for name in added:
        schemas[name] = extra[name]
    components = dict(document.get("components") or {}, schemas=schemas)
    return dict(document, components=components), added
