"""ctest format.generated_code: the generator's C++ already satisfies the repository's .clang-format.

    python3 test/format/check_generated.py [--clang-format clang-format]

Checks the committed model/ and api/, and fresh output of the generator for both specs in test/specs/
(the 2025-04 subset and OpenAI's newest, OpenAPI 3.1), so a template change that breaks the layout
fails here even before it is committed. Prints clang-format's version of every file that differs, as a
unified diff, and exits 1.
"""
import argparse
import difflib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STYLE = os.path.join(ROOT, ".clang-format")
SPECS = ("openai-openapi-batch-2025-04.yaml", "openai-openapi-batch-2026-08.yaml")


def cpp_files(tree):
    for directory in ("model", "api"):
        for name in sorted(os.listdir(os.path.join(tree, directory))):
            if name.endswith((".h", ".cpp")):
                yield os.path.join(tree, directory, name)


def unformatted(clang_format, path, shown_as):
    """The diff from the file to clang-format's layout of it; empty when they agree."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    formatted = subprocess.run([clang_format, f"--style=file:{STYLE}", f"--assume-filename={path}"], input=text,
                               capture_output=True, text=True, check=True).stdout
    return "".join(difflib.unified_diff(text.splitlines(True), formatted.splitlines(True), shown_as,
                                        shown_as + " (clang-format)"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clang-format", default="clang-format")
    args = parser.parse_args()
    version = subprocess.run([args.clang_format, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    print(f"check_generated: {version}")
    checked = 0
    failures = []
    with tempfile.TemporaryDirectory() as work:
        trees = [("committed", ROOT)]
        for spec in SPECS:
            out = os.path.join(work, spec)
            subprocess.run([sys.executable, os.path.join(ROOT, "generator", "generate.py"), "--spec",
                            os.path.join(ROOT, "test", "specs", spec), "--out", out], check=True, stdout=subprocess.DEVNULL)
            trees.append((spec, out))
        for label, tree in trees:
            for path in cpp_files(tree):
                shown = f"{label}: {os.path.relpath(path, tree)}"
                diff = unformatted(args.clang_format, path, shown)
                checked += 1
                if diff:
                    failures.append(shown)
                    sys.stdout.write(diff)
    if failures:
        print(f"\ncheck_generated: {len(failures)} of {checked} generated files are not laid out as .clang-format says:")
        print("\n".join(f"  {name}" for name in failures))
        print("Fix the template in generator/templates/ that writes them, then regenerate.")
        return 1
    print(f"check_generated: all {checked} generated files match .clang-format")
    return 0


if __name__ == "__main__":
    sys.exit(main())
