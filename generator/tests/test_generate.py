"""The generator as a whole: drift check, determinism, markers, and the Batch page against the seed."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENERATE = os.path.join(ROOT, "generator", "generate.py")
SEED = os.path.join(ROOT, "test", "specs", "seed-Batch.md")
FULL = os.path.join(ROOT, "test", "specs", "openai-openapi-full-2026-08.yaml")
GENERATED_TREES = ("model", "api", "doc")


def run(*args):
    return subprocess.run([sys.executable, GENERATE, *args], capture_output=True, text=True)


class GeneratedCopy(unittest.TestCase):
    """A scratch copy of the spec and the committed generated files."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        for name in GENERATED_TREES:
            shutil.copytree(os.path.join(ROOT, name), os.path.join(self.dir, name))
        for name in ("openapi.yaml", "README.md"):
            shutil.copy(os.path.join(ROOT, name), self.dir)
        self.spec = os.path.join(self.dir, "openapi.yaml")

    def generate(self, *extra):
        return run("--spec", self.spec, "--out", self.dir, *extra)

    def read(self, path):
        with open(os.path.join(self.dir, path), encoding="utf-8") as f:
            return f.read()

    def snapshot(self):
        files = {}
        for base in GENERATED_TREES:
            for name in os.listdir(os.path.join(self.dir, base)):
                files[f"{base}/{name}"] = self.read(f"{base}/{name}")
        files["README.md"] = self.read("README.md")
        return files


class DriftCheck(GeneratedCopy):
    def test_committed_tree_is_current(self):
        result = self.generate("--check")
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)

    def test_edited_file_fails_with_a_diff_and_the_fix_command(self):
        path = os.path.join(self.dir, "model", "Batch.h")
        with open(path, "a", encoding="utf-8") as f:
            f.write("// hand edit\n")
        result = self.generate("--check")
        self.assertEqual(1, result.returncode)
        self.assertIn("-// hand edit", result.stdout)
        self.assertIn("python3 generator/generate.py", result.stderr)

    def test_extra_file_fails_and_regenerating_removes_it(self):
        with open(os.path.join(self.dir, "model", "Stray.h"), "w") as f:
            f.write("stray\n")
        self.assertEqual(1, self.generate("--check").returncode)
        self.assertEqual(0, self.generate().returncode)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "model", "Stray.h")))
        self.assertEqual(0, self.generate("--check").returncode)

    def test_missing_file_fails(self):
        os.remove(os.path.join(self.dir, "doc", "Batch.md"))
        self.assertEqual(1, self.generate("--check").returncode)


class CutFromTheWholeSpec(GeneratedCopy):
    """--cut: OpenAI's whole spec in, our openapi.yaml and everything generated from it out."""

    def test_one_command_writes_the_spec_and_regenerates(self):
        os.remove(self.spec)
        os.remove(os.path.join(self.dir, "model", "BatchUsage.h"))
        result = self.generate("--cut", FULL)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(0, self.generate("--check").returncode)
        with open(os.path.join(ROOT, "openapi.yaml"), encoding="utf-8") as f:
            self.assertEqual(f.read(), self.read("openapi.yaml"))

    def test_check_names_a_hand_edit_of_the_cut(self):
        with open(self.spec, "a", encoding="utf-8") as f:
            f.write("# a hand edit\n")
        result = self.generate("--cut", FULL, "--check")
        self.assertEqual(1, result.returncode)
        self.assertIn("-# a hand edit", result.stdout)
        self.assertIn(f"python3 generator/generate.py --cut {FULL}", result.stderr)


class WholeSpecGeneratesTheCommittedTree(unittest.TestCase):
    """OpenAI's whole spec, read directly, gives the committed model/, api/ and doc/ byte for byte, but for
    the spec's file name in the generated-code comments. So the main build compiles (with -Werror) and
    the suites test exactly what the whole spec generates."""

    def test_same_files_same_text(self):
        out = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, out)
        result = run("--spec", FULL, "--out", out)
        self.assertEqual(0, result.returncode, result.stderr)
        for tree in GENERATED_TREES:
            committed = sorted(os.listdir(os.path.join(ROOT, tree)))
            self.assertEqual(committed, sorted(os.listdir(os.path.join(out, tree))))
            for name in committed:
                with open(os.path.join(ROOT, tree, name), encoding="utf-8") as f:
                    expected = f.read()
                with open(os.path.join(out, tree, name), encoding="utf-8") as f:
                    actual = f.read().replace(os.path.basename(FULL), "openapi.yaml")
                self.assertEqual(expected, actual, f"{tree}/{name}")


class DescriptionChange(GeneratedCopy):
    def changed_after_replacing(self, old, new):
        before = self.snapshot()
        with open(self.spec, encoding="utf-8") as f:
            text = f.read()
        self.assertEqual(1, text.count(old))
        with open(self.spec, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new))
        self.assertEqual(0, self.generate().returncode)
        after = self.snapshot()
        return sorted(path for path in before if before[path] != after.get(path)), after

    def test_changes_only_the_header_comment_and_the_doc_page(self):
        changed, after = self.changed_after_replacing(
            "description: The ID of the input file for the batch.",
            "description: The input file of the batch, uploaded with purpose batch.")
        self.assertEqual(["doc/Batch.md", "model/Batch.h"], changed)
        self.assertIn("/// The input file of the batch, uploaded with purpose batch.", after["model/Batch.h"])

    def test_a_parameter_description_changes_only_its_api_header_and_page(self):
        changed, after = self.changed_after_replacing(
            "description: The ID of the batch to retrieve.", "description: Which batch to read.")
        self.assertEqual(["api/BatchApi.h", "doc/BatchApi.md"], changed)
        self.assertIn("/// \\param batchId Which batch to read.", after["api/BatchApi.h"])


class Output(GeneratedCopy):
    def test_generation_is_deterministic(self):
        self.assertEqual(0, self.generate().returncode)
        first = self.snapshot()
        self.assertEqual(0, self.generate().returncode)
        self.assertEqual(first, self.snapshot())

    def test_every_cpp_file_starts_with_one_marker_and_has_no_timestamp(self):
        for path, text in self.snapshot().items():
            if not path.endswith((".h", ".cpp")):
                continue
            with self.subTest(path=path):
                self.assertRegex(text.splitlines()[0], r"^// Code generated .* DO NOT EDIT\.$")
                self.assertEqual(1, text.count("DO NOT EDIT"))
                # A date on its own (model names like gpt-5-2025-08-07 are part of the spec's text).
                self.assertIsNone(re.search(r"(?<![\w-])20\d\d-\d\d-\d\d(?![\w-])|\d\d:\d\d:\d\d", text))

    def add_schema(self, name, body, reached):
        """Adds a schema to the scratch spec; reached: Batch gets a property that refers to it."""
        with open(self.spec, encoding="utf-8") as f:
            text = f.read()
        self.assertEqual(1, text.count("\n  schemas:\n"))
        text = text.replace("\n  schemas:\n", f"\n  schemas:\n    {name}:\n{body}", 1)
        if reached:
            batch = "\n    Batch:\n      type: object\n      properties:\n"
            self.assertEqual(1, text.count(batch))
            text = text.replace(batch, batch + f'        extra:\n          $ref: "#/components/schemas/{name}"\n')
        with open(self.spec, "w", encoding="utf-8") as f:
            f.write(text)

    BROKEN = ("      type: object\n      properties:\n        choice:\n"
              "          oneOf:\n            - type: string\n            - type: integer\n")

    def test_unsupported_construct_stops_generation(self):
        self.add_schema("Broken", self.BROKEN, reached=True)
        result = self.generate()
        self.assertEqual(2, result.returncode)
        self.assertIn("schema Broken, property choice: oneOf with 2 non-null alternatives is not supported", result.stderr)

    def test_unsupported_construct_nothing_selected_reaches_is_not_our_business(self):
        self.add_schema("Broken", self.BROKEN, reached=False)
        self.assertEqual(0, self.generate("--check").returncode)

    def test_a_schema_named_like_a_runtime_file_stops_generation(self):
        self.add_schema("ModelRegistry", "      type: object\n      properties:\n        id:\n          type: string\n",
                        reached=True)
        result = self.generate()
        self.assertEqual(2, result.returncode)
        self.assertIn("'ModelRegistry' is the name of a file the generator writes itself", result.stderr)

    def test_the_registry_lists_every_model_in_spec_order(self):
        registry = self.read("model/ModelRegistry.cpp")
        listed = re.findall(r'\{"(\w+)", &create<(\w+)>\}', registry)
        self.assertTrue(all(name == cls for name, cls in listed))
        headers = sorted(n[:-2] for n in os.listdir(os.path.join(self.dir, "model")) if n.endswith(".h"))
        runtime = {"ModelBase", "Object", "HttpContent", "MultipartFormData", "ModelRegistry"}
        self.assertEqual(sorted(set(headers) - runtime), sorted(name for name, _ in listed))
        self.assertEqual(["Batch", "BatchErrors", "BatchUsage"], [name for name, _ in listed[:3]])


class BatchPageMatchesSeed(unittest.TestCase):
    """doc/Batch.md carries every row of the seed page, in its order: names, descriptions, notes. The
    rows today's API adds (model, usage) sit where the spec puts them.

    Types are the C++ ones; the one note that differs is the default literal, which the Dart
    generator writes `const {}` and a C++ page writes `{}`. Descriptions are compared word for word:
    the 2025-04 spec had a space after "dashboard." that the 2026-08 spec no longer has, so the
    metadata row's text has two spaces where the seed has three.
    """

    @staticmethod
    def rows(path):
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        start = lines.index("Name | Type | Description | Notes") + 2
        rows = []
        for line in lines[start:]:
            if not line.startswith("**"):
                break
            name, _type, description, notes = line.split(" | ")
            rows.append((name, " ".join(description.split()), notes.replace("[default to const {}]", "[default to {}]")))
        return rows

    def test_rows(self):
        seed = self.rows(SEED)
        ours = self.rows(os.path.join(ROOT, "doc", "Batch.md"))
        self.assertEqual(20, len(seed))
        self.assertEqual(seed, [row for row in ours if row[0] not in ("**model**", "**usage**")])
        names = [row[0] for row in ours]
        self.assertEqual("**endpoint**", names[names.index("**model**") - 1])
        self.assertEqual("**requestCounts**", names[names.index("**usage**") - 1])
        self.assertEqual(22, len(ours))

    def test_layout(self):
        with open(os.path.join(ROOT, "doc", "Batch.md"), encoding="utf-8") as f:
            page = f.read()
        self.assertTrue(page.startswith("# org::openapitools::client::model::Batch\n\n## Load the model package\n```cpp\n#include \"model/Batch.h\"\n```\n"))
        self.assertIn("[[Back to Model list]](../README.md#documentation-for-models) "
                      "[[Back to API list]](../README.md#documentation-for-api-endpoints) "
                      "[[Back to README]](../README.md)", page)
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        self.assertIn("## Documentation for Models", readme)
        self.assertIn("## Documentation for API Endpoints", readme)


if __name__ == "__main__":
    unittest.main()
