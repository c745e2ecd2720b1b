"""The README and workflow/README.md show only code that the build compiles or a ctest runs (files under
examples/, word for word), and their links to files in the repository resolve."""
import os
import re
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


PAGES = ("README.md", "workflow/README.md")
# Code (C++ and CMake) is always a file the build or a ctest uses; shell blocks are commands, except the
# ones that show a script under examples/ (the pkg-config build).
CODE_LANGUAGES = ("cpp", "cmake")


def example_files():
    """Every file under examples/, by its text."""
    files = {}
    for directory, _, names in os.walk(os.path.join(ROOT, "examples")):
        for name in names:
            path = os.path.join(directory, name)
            files[read(path)] = os.path.relpath(path, ROOT)
    return files


def blocks(page, languages):
    return [(language, text) for language, text in re.findall(r"^```(\w*)\n(.*?)^```", read(page), re.S | re.M)
            if language in languages]


class ReadmeExamples(unittest.TestCase):
    def test_every_code_block_is_a_file_under_examples(self):
        files = example_files()
        for page in PAGES:
            for language, text in blocks(page, CODE_LANGUAGES):
                with self.subTest(page=page, block=text.splitlines()[0]):
                    self.assertIn(text, files, f"this {language} block of {page} is not a file under examples/, word for word")

    def test_the_pages_show_the_examples_they_promise(self):
        shown = {text for page in PAGES for _, text in blocks(page, CODE_LANGUAGES + ("sh",))}
        for example in ("examples/quick_start.cpp", "examples/create_and_retrieve.cpp", "examples/run_batch.cpp",
                        "examples/consumer/CMakeLists.txt", "examples/consumer/build_with_pkg_config.sh"):
            with self.subTest(example=example):
                self.assertIn(read(example), shown)

    def test_links_to_local_files_resolve(self):
        for page in PAGES:
            prose = re.sub(r"```.*?```", "", read(page), flags=re.S)  # code is not links
            for target in re.findall(r"\]\(((?!https?://|#)[^)#]+)", prose):
                with self.subTest(page=page, target=target):
                    path = os.path.join(ROOT, os.path.dirname(page), target)
                    self.assertTrue(os.path.exists(path), target)


if __name__ == "__main__":
    unittest.main()
