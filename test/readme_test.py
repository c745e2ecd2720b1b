"""The README shows code that the build compiles: its quick start is examples/quick_start.cpp verbatim."""
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

    def test_links_to_local_files_resolve(self):
        for target in re.findall(r"\]\(((?!https?://|#)[^)#]+)", read("README.md")):
            with self.subTest(target=target):
                self.assertTrue(os.path.exists(os.path.join(ROOT, target)), target)


if __name__ == "__main__":
    unittest.main()
