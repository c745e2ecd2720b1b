"""ctest lint.clang_tidy: every C++ source of this repository that the build compiles is clean under the
repository's .clang-tidy (which turns each finding into an error).

    python3 test/lint/run_clang_tidy.py --build build [--clang-tidy clang-tidy] [--jobs N]

Reads the build's compile_commands.json (the top-level CMakeLists.txt asks CMake for it), keeps the
files under this repository that are not themselves in a build directory (generated model/ and api/,
workflow/, tools/, examples/, bench/ and test/), runs clang-tidy on them in parallel, prints each
finding, and exits 1 if there was any.
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.realpath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FINDING = re.compile(r"^(?P<where>[^:\s][^:]*:\d+:\d+): (?:warning|error): (?P<what>.*)$")


def sources(build):
    with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as f:
        entries = json.load(f)
    files = set()
    for entry in entries:
        path = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
        inside = os.path.relpath(path, ROOT)
        if inside.startswith("..") or inside.split(os.sep)[0].startswith("build"):
            continue
        files.add(path)
    return sorted(files)


def tidy(clang_tidy, build, path):
    """The findings clang-tidy reports for one file (in it or in a header of ours it includes)."""
    result = subprocess.run([clang_tidy, "-p", build, "--quiet", path], capture_output=True, text=True)
    findings = [line for line in result.stdout.splitlines() if FINDING.match(line)]
    if result.returncode != 0 and not findings:
        findings = [f"{path}: clang-tidy failed ({result.returncode}): {result.stderr.strip()[-2000:]}"]
    return findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True, help="a CMake build directory with compile_commands.json")
    parser.add_argument("--clang-tidy", default="clang-tidy")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    files = sources(args.build)
    if not files:
        sys.exit(f"run_clang_tidy: no sources of this repository in {args.build}/compile_commands.json")
    started = time.monotonic()
    findings = set()  # a header's finding is reported once, not once per file that includes it
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for found in pool.map(lambda path: tidy(args.clang_tidy, args.build, path), files):
            findings.update(line[len(ROOT) + 1:] if line.startswith(ROOT + os.sep) else line for line in found)
    seconds = time.monotonic() - started
    for line in sorted(findings):
        print(line)
    print(f"run_clang_tidy: {len(files)} files in {seconds:.0f} s, {len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
