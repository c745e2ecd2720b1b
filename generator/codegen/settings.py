"""generator/config.yaml read once: how to name things, what to select from a spec, and the overlay."""
import hashlib
import os

import yaml

from . import cut, loader, render, selection
from .errors import SpecError

# The repository: the overlay is named relative to it, so that a cut reads the same on every machine.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Settings:
    """The config file, for one spec file (whose name the generated files carry)."""

    def __init__(self, path: str, spec_path: str):
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
        for key in ("namespace", "package"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise SpecError(f"{path}: '{key}' must be a non-empty string")
        docs_site = data.get("docs_site", "")
        if not isinstance(docs_site, str):
            raise SpecError(f"{path}: 'docs_site' must be a string")
        self.config = render.Config(namespace=data["namespace"], package=data["package"],
                                    spec_name=os.path.basename(spec_path), docs_site=docs_site.rstrip("/"))
        self.selection = selection.Selection.from_config(data, path)
        if not isinstance(data.get("overlay", ""), str):
            raise SpecError(f"{path}: 'overlay' must be a file name")
        self.overlay_path = os.path.join(os.path.dirname(os.path.abspath(path)), data["overlay"]) if data.get("overlay") else None
        self.overlay_text = ""
        if self.overlay_path:
            with open(self.overlay_path, encoding="utf-8") as f:
                self.overlay_text = f.read()

    @property
    def overlay_name(self) -> str:
        """The overlay as the cut names it: relative to the repository, the same on every machine."""
        return os.path.relpath(self.overlay_path, ROOT) if self.overlay_path else "(no overlay)"

    def load(self, spec_text: str):
        """The selected part of a spec (ours or OpenAI's whole one), with the overlay's schemas it lacks."""
        document, _ = selection.merge_overlay(loader.parse_yaml(spec_text), loader.parse_yaml(self.overlay_text))
        return loader.load(document, self.selection)

    def cut(self, source_path: str) -> str:
        with open(source_path, "rb") as f:
            raw = f.read()
        # The header names the file's own SHA-256; a byte order mark is not part of the YAML.
        return cut.cut(raw.decode("utf-8-sig"), self.overlay_text, self.selection, self.overlay_name,
                       hashlib.sha256(raw).hexdigest())
