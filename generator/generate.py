#!/usr/bin/env python3
"""Writes model/, doc/ and the README's model table from openapi.yaml.

    python3 generator/generate.py                  # regenerate in place
    python3 generator/generate.py --check          # exit 1 with a diff when anything committed is stale
    python3 generator/generate.py --spec F --out D # generate from another spec into another directory

model/ and doc/ belong to the generator: files there that it no longer writes are deleted.
"""
import argparse
import difflib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATED_DIRS = ("model", "doc")
README = "README.md"
TABLE_BEGIN = "<!-- BEGIN GENERATED MODEL TABLE: python3 generator/generate.py -->"
TABLE_END = "<!-- END GENERATED MODEL TABLE -->"
FIX_COMMAND = "python3 generator/generate.py"


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from codegen import loader, render  # noqa: E402  (codegen finds Jinja2 and PyYAML first)

import yaml  # noqa: E402
from codegen.errors import SpecError  # noqa: E402


def read_config(path: str, spec_path: str) -> render.Config:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    for key in ("namespace", "package"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise SpecError(f"{path}: '{key}' must be a non-empty string")
    return render.Config(namespace=data["namespace"], package=data["package"], spec_name=os.path.basename(spec_path))


def expected_files(spec_path: str, config_path: str, out_dir: str) -> dict:
    """Every file the generator owns under out_dir, with the text it should have."""
    config = read_config(config_path, spec_path)
    spec = loader.load_file(spec_path)
    files = render.render(spec, config)
    readme_path = os.path.join(out_dir, README)
    if os.path.exists(readme_path):
        with open(readme_path, encoding="utf-8") as f:
            current = f.read()
        files[README] = replace_model_table(current, render.readme_model_table(spec, config))
    return files


def replace_model_table(readme: str, table: str) -> str:
    begin, end = readme.find(TABLE_BEGIN), readme.find(TABLE_END)
    if begin < 0 or end < begin:
        raise SpecError(f"{README} has no model table markers ({TABLE_BEGIN} ... {TABLE_END})")
    return readme[: begin + len(TABLE_BEGIN)] + "\n" + table + readme[end:]


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
    parser.add_argument("--out", default=ROOT, help="directory that receives model/ and doc/ (default: the repository)")
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
