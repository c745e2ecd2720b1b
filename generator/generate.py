#!/usr/bin/env python3
"""Writes model/, api/, doc/ and the README's generated tables from openapi.yaml.

    python3 generator/generate.py                  # regenerate in place
    python3 generator/generate.py --check          # exit 1 with a diff when anything committed is stale
    python3 generator/generate.py --cut SPEC       # openapi.yaml := the selected part of SPEC (OpenAI's
                                                   # whole published spec), then regenerate from it
    python3 generator/generate.py --spec F --out D # generate from another spec into another directory

What is generated is the selection in generator/config.yaml (tags, webhooks, extra models) and every
schema it reaches, from whichever spec is given: our cut, or OpenAI's whole spec, which give the same
code. model/, api/ and doc/ belong to the generator: files there that it no longer writes are deleted.
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

from codegen import render  # noqa: E402  (codegen finds Jinja2 and PyYAML first)
from codegen.settings import Settings  # noqa: E402

import yaml  # noqa: E402
from codegen.errors import SpecError  # noqa: E402

# The README sections the generator owns, each between two marker lines.
README_TABLES = (
    ("<!-- BEGIN GENERATED API TABLE: python3 generator/generate.py -->", "<!-- END GENERATED API TABLE -->",
     render.readme_api_table),
    ("<!-- BEGIN GENERATED MODEL TABLE: python3 generator/generate.py -->", "<!-- END GENERATED MODEL TABLE -->",
     render.readme_model_table),
    ("<!-- BEGIN GENERATED WEBHOOK TABLE: python3 generator/generate.py -->", "<!-- END GENERATED WEBHOOK TABLE -->",
     render.readme_webhook_table),
)


def expected_files(spec_path: str, config_path: str, out_dir: str, cut_from: str = None) -> dict:
    """Every file the generator owns under out_dir, with the text it should have.

    With cut_from, the spec itself is one of them: the cut of that whole spec.
    """
    settings = Settings(config_path, spec_path)
    files = {}
    if cut_from:
        spec_text = settings.cut(cut_from)
        files[os.path.relpath(spec_path, out_dir)] = spec_text
    else:
        with open(spec_path, encoding="utf-8") as f:
            spec_text = f.read()
    spec = settings.load(spec_text)
    config = settings.config
    files.update(render.render(spec, config))
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


def existing_files(out_dir: str, also=()) -> dict:
    """The files the generator owns that exist under out_dir, and those of `also` that exist."""
    found = {}
    for path in also:
        if os.path.exists(os.path.join(out_dir, path)):
            with open(os.path.join(out_dir, path), encoding="utf-8") as f:
                found[path] = f.read()
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
    parser.add_argument("--cut", metavar="WHOLE_SPEC",
                        help="first write --spec as the part of WHOLE_SPEC (OpenAI's openapi.yaml) that config.yaml selects")
    parser.add_argument("--out", default=ROOT, help="directory that receives model/, api/ and doc/ (default: the repository)")
    parser.add_argument("--config", default=os.path.join(ROOT, "generator", "config.yaml"), help="names, the selection and the overlay (default: generator/config.yaml)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 with a diff if the output is stale")
    args = parser.parse_args(argv)
    try:
        expected = expected_files(args.spec, args.config, args.out, args.cut)
    except (SpecError, OSError, yaml.YAMLError) as error:
        print(f"generate.py: {error}", file=sys.stderr)
        return 2
    actual = existing_files(args.out, [os.path.relpath(args.spec, args.out)] if args.cut else [])
    if args.check:
        diff = stale_diff(expected, actual)
        if diff:
            sys.stdout.write(diff)
            fix = f"{FIX_COMMAND} --cut {args.cut}" if args.cut else FIX_COMMAND
            print(f"\nThe generated files are stale. Regenerate and commit them: {fix}", file=sys.stderr)
            return 1
        print("Generated files are up to date.")
        return 0
    changed = write(expected, actual, args.out)
    print(f"generate.py: {len(expected)} files from {os.path.relpath(args.spec)}; {changed} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
