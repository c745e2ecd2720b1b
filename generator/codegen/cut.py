"""Cuts the selected part out of a whole spec, as text: our openapi.yaml from OpenAI's.

The cut copies the source's own lines for every selected path, webhook and reached component, so that
the result reads exactly as OpenAI wrote it and `git diff` after a new cut shows only what OpenAI
changed. It then appends the overlay's schemas that the source lacks, and checks its own work: the cut,
parsed, must equal the selected part of the source, parsed.

The text is read as block-style YAML (OpenAI's layout): a mapping entry is a `key:` line at the
mapping's indentation, followed by every line indented deeper (or blank). A layout the cut cannot copy
this way fails the final check with a message, never with a silently different spec.
"""
import hashlib
import re
import textwrap
from typing import Dict, List, Optional, Tuple

import yaml

from . import selection as selecting
from .errors import SpecError
from .loader import parse_yaml
from .selection import METHODS, Selection

# Top-level sections the cut writes itself (paths, webhooks, components: the selected part) or drops
# (tags, and x-oaiMeta, the reference site's navigation, like every x- section).
_FILTERED = ("tags", "paths", "webhooks", "components")
_MISSING = object()
_KEY_LINE = re.compile(r"^( *)(\"[^\"]*\"|'[^']*'|[^\s#\-][^\n]*?):(?: |$)")


class _Lines:
    """The lines of a YAML text, with its block-style mapping entries found by indentation."""

    def __init__(self, text: str, name: str):
        self.lines = text.splitlines(keepends=True)
        self.name = name

    def _indent(self, i: int) -> Optional[int]:
        """A line's indentation, or None for a line that neither starts nor ends a block."""
        stripped = self.lines[i].lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            return None
        return len(self.lines[i]) - len(stripped)

    def entries(self, start: int, end: int) -> Dict[str, Tuple[int, int]]:
        """The mapping entries in lines [start, end): key -> (first line, end), in order."""
        found: Dict[str, Tuple[int, int]] = {}
        indent = None
        key, first = None, start
        for i in range(start, end):
            own = self._indent(i)
            if own is None or (indent is not None and own > indent):
                continue
            if indent is not None and own < indent:
                raise SpecError(f"{self.name}, line {i + 1}: indented less than the mapping it is in")
            text = self.lines[i]
            if indent is not None and text[own:].startswith("- "):
                continue  # a sequence written at its key's own indentation
            match = _KEY_LINE.match(text)
            if not match:
                raise SpecError(f"{self.name}, line {i + 1}: expected a `key:` line, found {text.strip()[:60]!r}")
            indent = own
            if key is not None:
                found[key] = (first, i)
            key, first = self._key(match.group(2), i), i
        if key is not None:
            found[key] = (first, end)
        return found

    def _key(self, text: str, i: int) -> str:
        """A key as YAML reads it (quotes, escapes and spaces before the colon resolved)."""
        try:
            parsed = parse_yaml(text + ": ~")
        except yaml.YAMLError as error:
            raise SpecError(f"{self.name}, line {i + 1}: cannot read the key {text!r}: {error}") from error
        if not isinstance(parsed, dict) or len(parsed) != 1:
            raise SpecError(f"{self.name}, line {i + 1}: cannot read the key {text!r}")
        return str(next(iter(parsed)))

    def children(self, span: Tuple[int, int]) -> Dict[str, Tuple[int, int]]:
        """The entries of the mapping that is the value of the entry at span."""
        return self.entries(span[0] + 1, span[1])

    def text(self, span: Tuple[int, int]) -> str:
        return "".join(self.lines[span[0]:span[1]])

    def key_line(self, span: Tuple[int, int]) -> str:
        return self.lines[span[0]]


def cut(source_text: str, overlay_text: str, selection: Selection, overlay_name: str, source_digest: str = "") -> str:
    """Our openapi.yaml: the selected part of source_text, plus the overlay's schemas it lacks.

    source_digest names the source in the header (the SHA-256 of its bytes); by default, of source_text.
    """
    source = parse_yaml(source_text)
    overlay = parse_yaml(overlay_text) or {}
    if not isinstance(source, dict) or not isinstance(overlay, dict):
        raise SpecError("the spec and the overlay must each be a YAML mapping")
    merged, added = selecting.merge_overlay(source, overlay)
    reach = selecting.reach(merged, selection)
    digest = source_digest or hashlib.sha256(source_text.encode("utf-8")).hexdigest()
    try:
        text = _copy(source_text, source, overlay_text, reach, added, selection, overlay_name, digest)
    except (KeyError, TypeError, AttributeError, RecursionError) as error:
        # A layout the line-by-line copy does not expect (flow style, a key written two ways, ...).
        raise SpecError(f"the cut cannot copy this spec line by line: {type(error).__name__} {error}") from error
    _check(text, merged, reach)
    return text


def _copy(source_text: str, source: dict, overlay_text: str, reach: selecting.Reach, added: List[str],
          selection: Selection, overlay_name: str, digest: str) -> str:
    lines = _Lines(source_text, "the spec")
    top = lines.entries(0, len(lines.lines))
    parts = [_header(source, digest, selection, overlay_name)]
    parts += [lines.text(span) for key, span in top.items() if key not in _FILTERED and not key.startswith("x-")]
    parts.append(_paths(lines, top, reach))
    if reach.webhooks:
        webhooks = lines.children(top["webhooks"])
        parts.append("webhooks:\n" + "".join(lines.text(webhooks[name]) for name in reach.webhooks))
    if "components" in top:
        parts.append(_components(lines, top, reach, added, _Lines(overlay_text, overlay_name), overlay_name))
    return "".join(parts)


def _header(source: dict, digest: str, selection: Selection, overlay_name: str) -> str:
    info = source.get("info")
    version = info.get("version", "?") if isinstance(info, dict) else "?"
    text = (
        "OpenAI's Batch and Files API: the part of OpenAI's published OpenAPI spec that this package is "
        "generated from. Written by `python3 generator/generate.py --cut SPEC`; do not edit it, cut again.\n"
        f"Source: OpenAI's openapi.yaml, info.version {version}, sha256 {digest}.\n"
        f"Selected by generator/config.yaml: the operations tagged {_listed(selection.tags)}; the webhooks "
        f"{_listed(selection.webhooks)}; the models {_listed(selection.models)}; and every component they "
        "reach. Each is copied verbatim from the source, except the schemas after the comment that names "
        f"{overlay_name}.")
    lines = [wrapped for paragraph in text.split("\n") for wrapped in textwrap.wrap(paragraph, 100)]
    return "".join(f"# {line}\n" for line in lines) + "\n"


def _listed(names) -> str:
    if names is None:
        return "(all)"
    return ", ".join(names) if names else "(none)"


def _paths(lines: _Lines, top: dict, reach: selecting.Reach) -> str:
    """The selected operations, path by path; a path item keeps its other entries (parameters, ...)."""
    if not reach.operations:
        return "paths: {}\n"
    paths = lines.children(top["paths"])
    chosen: Dict[str, List[str]] = {}
    for path, method in reach.operations:
        chosen.setdefault(path, []).append(method)
    out = ["paths:\n"]
    for path, methods in chosen.items():
        entries = lines.children(paths[path])
        all_methods = [key for key in entries if key in METHODS]
        if all_methods == methods:
            out.append(lines.text(paths[path]))
            continue
        out.append(lines.key_line(paths[path]))
        out += [lines.text(span) for key, span in entries.items() if key not in METHODS or key in methods]
    return "".join(out)


def _components(lines: _Lines, top: dict, reach: selecting.Reach, added: List[str], overlay: _Lines,
                overlay_name: str) -> str:
    kinds = lines.children(top["components"])
    out = ["components:\n"]
    for kind, span in kinds.items():
        entries = lines.children(span)
        if kind == "securitySchemes":
            # Named by `security:` lists, never by $ref: all of them.
            out.append(lines.text(span))
            continue
        names = [name for name in reach.components.get(kind, []) if name in entries]
        extra = [name for name in added if name in reach.components.get(kind, [])] if kind == "schemas" else []
        if not names and not extra:
            continue
        out.append(lines.key_line(span))
        out += [lines.text(entries[name]) for name in names]
        if extra:
            overlay_schemas = overlay.children(overlay.children(overlay.entries(0, len(overlay.lines))["components"])["schemas"])
            out.append(f"    # From {overlay_name} (hand-kept: OpenAI's spec no longer has them):\n")
            out += [overlay.text(overlay_schemas[name]) for name in extra]
    return "".join(out)


def _check(text: str, merged: dict, reach: selecting.Reach) -> None:
    """The cut, parsed, equals the selected part of the source (with the overlay), parsed."""
    expected = {key: value for key, value in merged.items() if key not in _FILTERED and not key.startswith("x-")}
    paths = {}
    for path, method in reach.operations:
        item = merged["paths"][path]
        methods = [m for p, m in reach.operations if p == path]
        paths[path] = {key: value for key, value in item.items() if key not in METHODS or key in methods}
    expected["paths"] = paths
    if reach.webhooks:
        expected["webhooks"] = {name: merged["webhooks"][name] for name in reach.webhooks}
    components = {}
    for kind, entries in merged["components"].items():
        if kind == "securitySchemes":
            components[kind] = entries
        elif reach.components.get(kind):
            components[kind] = {name: entries[name] for name in reach.components[kind]}
    expected["components"] = components
    try:
        difference = _first_difference(parse_yaml(text), expected, "")
    except yaml.YAMLError as error:
        raise SpecError(f"the cut cannot copy the spec line by line (anchors and aliases?): {error}") from error
    if difference is not None:
        raise SpecError(f"the cut differs from the spec at {difference or '/'}: the cut cannot copy this "
                        "layout line by line (block-style YAML, one `key:` line per entry)")


def _first_difference(actual, expected, where: str) -> Optional[str]:
    """The JSON Pointer of the first place two parsed documents differ, or None."""
    if isinstance(actual, dict) and isinstance(expected, dict):
        for key in list(expected) + [k for k in actual if k not in expected]:
            found = _first_difference(actual.get(key, _MISSING), expected.get(key, _MISSING), f"{where}/{key}")
            if found is not None:
                return found
        return None
    return None if actual == expected else where
