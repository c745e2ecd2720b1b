"""The README and workflow/README.md show code that the build compiles (files under examples/, verbatim),
and their links to files in the repository resolve."""
import os
import re
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


class ReadmeExamples(unittest.TestCase):
    def test_quick_start_is_the_compiled_example(self):
        blocks = re.findall(r"```cpp\n(.*?)```", read("README.md"), re.S)
        self.assertIn(read("examples/quick_start.cpp"), blocks)

    def test_workflow_page_shows_the_compiled_example(self):
        blocks = re.findall(r"```cpp\n(.*?)```", read("workflow/README.md"), re.S)
        self.assertIn(read("examples/run_batch.cpp"), blocks)

    def test_links_to_local_files_resolve(self):
        for page in ("README.md", "workflow/README.md"):
            prose = re.sub(r"```.*?```", "", read(page), flags=re.S)  # code is not links
            for target in re.findall(r"\]\(((?!https?://|#)[^)#]+)", prose):
                with self.subTest(page=page, target=target):
                    path = os.path.join(ROOT, os.path.dirname(page), target)
                    self.assertTrue(os.path.exists(path), target)


if __name__ == "__main__":
    unittest.main()
