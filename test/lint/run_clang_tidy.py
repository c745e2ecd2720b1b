"""ctest lint.clang_tidy: every C++ source of this repository that the build compiles is clean under the
repository's .clang-tidy (which turns each finding into an error).

    python3 test/lint/run_clang_tidy.py --build build [--clang-tidy clang-tidy] [--jobs N]

Reads the build's compile_commands.json (the top-level CMakeLists.txt asks CMake for it), keeps the
files under this repository that are not themselves in a build directory (generated model/ and api/,
workflow/, tools/, examples/, bench/ and test/), runs clang-tidy on them in parallel, prints each
finding, and exits 1 if there was any.

The library's own directories (model/, api/, workflow/) are each checked as one translation unit that
includes all of their sources: they share one set of compile flags, and a file checked alone spends
nearly all its time parsing cpprestsdk's and Boost's headers, which one unit parses once (46 files in
3 runs instead of 46). Findings still name the file and line they are in (the .clang-tidy's
HeaderFilterRegex covers these directories), and the library builds as a unity build anyway (the
consumer tests build it so).
"""
import argparse
import concurrent.futures
import json
import os
import re
import shlex
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


# Directories whose sources are checked together, as one translation unit each (see above).
TOGETHER = ("model", "api", "workflow")


def compiler_flags(build, path):
    """The flags compile_commands.json gives path, without the compiler, the output and the source."""
    with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as f:
        for entry in json.load(f):
            if os.path.realpath(os.path.join(entry["directory"], entry["file"])) != path:
                continue
            words = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
            flags, skip = [], False
            for word in words[1:]:
                if skip:
                    skip = False
                elif word in ("-o", "-c"):
                    skip = True
                elif word != path and word != entry["file"]:
                    flags.append(word)
            return flags
    raise SystemExit(f"run_clang_tidy: {path} is not in {build}/compile_commands.json")


def units(build, files):
    """What to run clang-tidy on: (the file to check, its flags or None to use -p, the files it covers)."""
    grouped = {}
    for path in files:
        top = os.path.relpath(path, ROOT).split(os.sep)[0]
        grouped.setdefault(top if top in TOGETHER else path, []).append(path)
    work = os.path.join(build, "lint")
    os.makedirs(work, exist_ok=True)
    result = []
    for key, members in sorted(grouped.items()):
        if key not in TOGETHER:
            result.append((key, None, members))
            continue
        unit = os.path.join(work, f"{key}_together.cpp")  # inside the repository: its .clang-tidy applies
        with open(unit, "w", encoding="utf-8") as f:
            f.writelines(f'#include "{path}"\n' for path in members)
        result.append((unit, compiler_flags(build, members[0]), members))
    return result


def tidy(clang_tidy, build, unit):
    """The findings clang-tidy reports for one unit (in it or in a source or header of ours it includes)."""
    path, flags, _ = unit
    command = [clang_tidy, "--quiet", path, "--", *flags] if flags is not None else [clang_tidy, "-p", build, "--quiet", path]
    result = subprocess.run(command, capture_output=True, text=True)
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
    work = units(args.build, files)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for found in pool.map(lambda unit: tidy(args.clang_tidy, args.build, unit), work):
            findings.update(line[len(ROOT) + 1:] if line.startswith(ROOT + os.sep) else line for line in found)
    seconds = time.monotonic() - started
    for line in sorted(findings):
        print(line)
    print(f"run_clang_tidy: {len(files)} files in {len(work)} runs, {seconds:.0f} s, {len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
