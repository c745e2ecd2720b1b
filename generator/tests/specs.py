"""The specs the generator tests read, each loaded once, as generate.py loads them (config.yaml's
selection and overlay)."""
import functools
import os

from codegen.settings import Settings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, "generator", "config.yaml")
OURS = os.path.join(ROOT, "openapi.yaml")  # today's API: the cut of FULL
SPEC_2025 = os.path.join(ROOT, "test", "specs", "openai-openapi-batch-2025-04.yaml")
FULL = os.path.join(ROOT, "test", "specs", "openai-openapi-full-2026-08.yaml")  # OpenAI's, unmodified


@functools.lru_cache(maxsize=None)
def load(path):
    """The ir.Spec generate.py would build from path."""
    with open(path, encoding="utf-8") as f:
        return Settings(CONFIG, path).load(f.read())


def model(spec, name):
    return next(m for m in spec.models if m.name == name)


def prop(spec, model_name, json_name):
    return next(p for p in model(spec, model_name).properties if p.json_name == json_name)


def operation(spec, operation_id):
    return next(o for a in spec.apis for o in a.operations if o.operation_id == operation_id)
