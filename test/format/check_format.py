"""ctest format.clang_format: every C++ file is laid out as the repository's .clang-format files say.

    python3 test/format/check_format.py [--clang-format clang-format]

The generator's output must satisfy the top-level .clang-format as written: the committed model/ and
api/ (today's API, from OpenAI's newest spec), and fresh output for the 2025-04 subset in test/specs/
(OpenAPI 3.0), so a template change that breaks the layout fails here even before it is committed. Hand-written
code (workflow/, tools/, test/, bench/, fuzz/, examples/) follows the same file with lines wrapped at
120 columns (the .clang-format in each of those directories). Prints clang-format's version of every
file that differs, as a unified diff, and exits 1.
"""
import argparse
import difflib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STYLE = os.path.join(ROOT, ".clang-format")  # the generator's output, wherever it is written
SPECS = ("openai-openapi-batch-2025-04.yaml",)
HAND_WRITTEN = ("workflow", "tools", "test", "bench", "fuzz", "examples")


def generated_files(tree):
    for directory in ("model", "api"):
        for name in sorted(os.listdir(os.path.join(tree, directory))):
            if name.endswith((".h", ".cpp")):
                yield os.path.join(tree, directory, name)


def hand_written_files():
    for top in HAND_WRITTEN:
        for directory, subdirectories, names in os.walk(os.path.join(ROOT, top)):
            subdirectories.sort()
            for name in sorted(names):
                if name.endswith((".h", ".cpp")):
                    yield os.path.join(directory, name)


def unformatted(clang_format, path, shown_as, style):
    """The diff from the file to clang-format's layout of it; empty when they agree."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    formatted = subprocess.run([clang_format, f"--style=file:{style}", f"--assume-filename={path}"], input=text,
                               capture_output=True, text=True, check=True).stdout
    return "".join(difflib.unified_diff(text.splitlines(True), formatted.splitlines(True), shown_as,
                                        shown_as + " (clang-format)"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clang-format", default="clang-format")
    args = parser.parse_args()
    version = subprocess.run([args.clang_format, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    print(f"check_format: {version}")
    checked = 0
    failures = []
    with tempfile.TemporaryDirectory() as work:
        trees = [("committed", ROOT)]
        for spec in SPECS:
            out = os.path.join(work, spec)
            subprocess.run([sys.executable, os.path.join(ROOT, "generator", "generate.py"), "--spec",
                            os.path.join(ROOT, "test", "specs", spec), "--out", out], check=True, stdout=subprocess.DEVNULL)
            trees.append((spec, out))
        files = [(f"{label}: {os.path.relpath(path, tree)}", path, STYLE)
                 for label, tree in trees for path in generated_files(tree)]
        for path in hand_written_files():
            relative = os.path.relpath(path, ROOT)
            files.append((relative, path, os.path.join(ROOT, relative.split(os.sep)[0], ".clang-format")))
        for shown, path, style in files:
            diff = unformatted(args.clang_format, path, shown, style)
            checked += 1
            if diff:
                failures.append(shown)
                sys.stdout.write(diff)
    if failures:
        print(f"\ncheck_format: {len(failures)} of {checked} files are not laid out as .clang-format says:")
        print("\n".join(f"  {name}" for name in failures))
        print("For generated files, fix the template in generator/templates/ that writes them and regenerate; "
              "for the others, run clang-format -i on them.")
        return 1
    print(f"check_format: all {checked} files match .clang-format")
    return 0


if __name__ == "__main__":
    sys.exit(main())
