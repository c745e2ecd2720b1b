#!/usr/bin/env python3
"""Writes model/, api/, doc/ and the README's API and model tables from openapi.yaml.

    python3 generator/generate.py                  # regenerate in place
    python3 generator/generate.py --check          # exit 1 with a diff when anything committed is stale
    python3 generator/generate.py --spec F --out D # generate from another spec into another directory

model/, api/ and doc/ belong to the generator: files there that it no longer writes are deleted.
"""
import argparse
import difflib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATED_DIRS = ("model", "api", "doc")
README = "README.md"
FIX_COMMAND = "python3 generator/generate.py"


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from codegen import loader, render  # noqa: E402  (codegen finds Jinja2 and PyYAML first)

import yaml  # noqa: E402
from codegen.errors import SpecError  # noqa: E402

# The README sections the generator owns, each between two marker lines.
README_TABLES = (
    ("<!-- BEGIN GENERATED API TABLE: python3 generator/generate.py -->", "<!-- END GENERATED API TABLE -->",
     render.readme_api_table),
    ("<!-- BEGIN GENERATED MODEL TABLE: python3 generator/generate.py -->", "<!-- END GENERATED MODEL TABLE -->",
     render.readme_model_table),
)


def read_config(path: str, spec_path: str) -> render.Config:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    for key in ("namespace", "package"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise SpecError(f"{path}: '{key}' must be a non-empty string")
    docs_site = data.get("docs_site", "")
    if not isinstance(docs_site, str):
        raise SpecError(f"{path}: 'docs_site' must be a string")
    return render.Config(namespace=data["namespace"], package=data["package"], spec_name=os.path.basename(spec_path),
                         docs_site=docs_site.rstrip("/"))


def expected_files(spec_path: str, config_path: str, out_dir: str) -> dict:
    """Every file the generator owns under out_dir, with the text it should have."""
    config = read_config(config_path, spec_path)
    spec = loader.load_file(spec_path)
    files = render.render(spec, config)
    readme_path = os.path.join(out_dir, README)
    if os.path.exists(readme_path):
        with open(readme_path, encoding="utf-8") as f:
            current = f.read()
        for begin, end, table in README_TABLES:
            current = replace_between(current, begin, end, table(spec, config))
        files[README] = current
    return files


def replace_between(readme: str, begin_marker: str, end_marker: str, table: str) -> str:
    begin, end = readme.find(begin_marker), readme.find(end_marker)
    if begin < 0 or end < begin:
        raise SpecError(f"{README} has no table markers ({begin_marker} ... {end_marker})")
    return readme[: begin + len(begin_marker)] + "\n" + table + readme[end:]


def existing_files(out_dir: str) -> dict:
    found = {}
    for directory in GENERATED_DIRS:
        base = os.path.join(out_dir, directory)
        for dirpath, _, filenames in os.walk(base):
            for name in filenames:
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    found[os.path.relpath(path, out_dir)] = f.read()
    readme = os.path.join(out_dir, README)
    if os.path.exists(readme):
        with open(readme, encoding="utf-8") as f:
            found[README] = f.read()
    return found


def stale_diff(expected: dict, actual: dict) -> str:
    chunks = []
    for path in sorted(set(expected) | set(actual)):
        old, new = actual.get(path), expected.get(path)
        if old == new:
            continue
        chunks.extend(difflib.unified_diff(
            (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
            fromfile=f"a/{path}" if old is not None else "/dev/null",
            tofile=f"b/{path}" if new is not None else "/dev/null"))
    return "".join(chunks)


def write(expected: dict, actual: dict, out_dir: str) -> int:
    changed = 0
    for path, text in expected.items():
        if actual.get(path) == text:
            continue
        target = os.path.join(out_dir, path)
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        changed += 1
    for path in set(actual) - set(expected):
        os.remove(os.path.join(out_dir, path))
        changed += 1
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", default=os.path.join(ROOT, "openapi.yaml"), help="OpenAPI 3.0/3.1 file (default: openapi.yaml)")
    parser.add_argument("--out", default=ROOT, help="directory that receives model/, api/ and doc/ (default: the repository)")
    parser.add_argument("--config", default=os.path.join(ROOT, "generator", "config.yaml"), help="namespace and package name")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 with a diff if the output is stale")
    args = parser.parse_args(argv)
    try:
        expected = expected_files(args.spec, args.config, args.out)
    except (SpecError, OSError, yaml.YAMLError) as error:
        print(f"generate.py: {error}", file=sys.stderr)
        return 2
    actual = existing_files(args.out)
    if args.check:
        diff = stale_diff(expected, actual)
        if diff:
            sys.stdout.write(diff)
            print(f"\nThe generated files are stale. Regenerate and commit them: {FIX_COMMAND}", file=sys.stderr)
            return 1
        print("Generated files are up to date.")
        return 0
    changed = write(expected, actual, args.out)
    print(f"generate.py: {len(expected)} files from {os.path.relpath(args.spec)}; {changed} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
