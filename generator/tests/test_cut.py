"""The cut: our openapi.yaml as the selected lines of a whole spec, verbatim, plus the overlay."""
import hashlib
import textwrap
import unittest

from codegen import cut, loader, selection
from codegen.errors import SpecError
from codegen.selection import Selection

WHOLE = textwrap.dedent('''\
    openapi: 3.1.0
    info:
      title: Whole API
      version: 9.9.9
    servers:
      - url: https://example.invalid/v1
    tags:
      - name: Things
    paths:
      /things/{id}:
        parameters:
          - name: id
            in: path
            required: true
            schema:
              type: string
        get:
          operationId: getThing
          tags:
            - Things
          responses:
            "200":
              description: >
                The thing,   spaced   as OpenAI spaces it. 

                Trailing space above is kept.
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/Thing"
        delete:
          operationId: deleteThing
          tags:
            - Other
          responses:
            "200":
              description: gone
      /other:
        get:
          operationId: getOther
          tags:
            - Other
          responses:
            "200":
              description: ok
              content:
                application/json:
                  schema:
                    $ref: "#/components/schemas/Unsupported"
    webhooks:
      thing_done:
        post:
          requestBody:
            content:
              application/json:
                schema:
                  $ref: "#/components/schemas/ThingDone"
      other_done:
        post:
          requestBody:
            content:
              application/json:
                schema:
                  $ref: "#/components/schemas/Unsupported"
    components:
      schemas:
        Unsupported:
          oneOf:
            - type: string
            - type: integer
            - type: boolean
        Thing:
          type: object
          required:
          - name
          properties:
            name:
              type: string
              description: "a: quoted value with a colon"
        ThingDone:
          type: object
          properties:
            type:
              type: string
              enum:
                - thing.done
      securitySchemes:
        ApiKeyAuth:
          type: http
          scheme: bearer
    x-oaiMeta:
      navigationGroups: []
    ''')

OVERLAY = textwrap.dedent('''\
    # Hand-kept.
    components:
      schemas:
        Line:
          type: object
          properties:
            text:
              type: string
        Thing:
          type: object
          description: never used, the spec has its own
    ''')

SELECTION = Selection(tags=("Things",), webhooks=("thing_done",), models=("Line",))


def cut_of(whole=WHOLE, overlay=OVERLAY, selection=SELECTION):
    return cut.cut(whole, overlay, selection, "generator/overlay.yaml")


class Cut(unittest.TestCase):
    def setUp(self):
        self.text = cut_of()
        self.document = loader.parse_yaml(self.text)

    def test_copies_the_selected_lines_verbatim(self):
        for block in ("    get:\n      operationId: getThing\n",
                      "            The thing,   spaced   as OpenAI spaces it. \n\n            Trailing space",
                      "      required:\n      - name\n",
                      '          description: "a: quoted value with a colon"\n',
                      "  thing_done:\n    post:\n"):
            self.assertIn(block, self.text)

    def test_leaves_out_what_is_not_selected(self):
        self.assertEqual(["/things/{id}"], list(self.document["paths"]))
        self.assertEqual(["parameters", "get"], list(self.document["paths"]["/things/{id}"]))
        self.assertEqual(["thing_done"], list(self.document["webhooks"]))
        self.assertEqual(["Thing", "ThingDone", "Line"], list(self.document["components"]["schemas"]))
        for absent in ("tags", "x-oaiMeta"):
            self.assertNotIn(absent, self.document)

    def test_keeps_the_header_sections_and_security_schemes(self):
        self.assertEqual("9.9.9", self.document["info"]["version"])
        self.assertEqual([{"url": "https://example.invalid/v1"}], self.document["servers"])
        self.assertEqual({"ApiKeyAuth": {"type": "http", "scheme": "bearer"}}, self.document["components"]["securitySchemes"])

    def test_overlay_schemas_come_last_after_a_comment_and_never_replace_the_spec(self):
        comment = "    # From generator/overlay.yaml (hand-kept: OpenAI's spec no longer has them):\n"
        self.assertIn(comment + "    Line:\n", self.text)
        self.assertNotIn("never used", self.text)

    def test_header_names_the_source_and_the_selection(self):
        digest = hashlib.sha256(WHOLE.encode("utf-8")).hexdigest()
        header = " ".join(line[2:] for line in self.text.splitlines() if line.startswith("# "))
        for fragment in ("info.version 9.9.9", digest, "tagged Things", "webhooks thing_done", "models Line",
                         "generator/overlay.yaml", "do not edit it"):
            self.assertIn(fragment, header)

    def test_is_deterministic_and_generates_what_the_whole_spec_generates(self):
        self.assertEqual(self.text, cut_of())
        merged, _ = selection.merge_overlay(loader.parse_yaml(WHOLE), loader.parse_yaml(OVERLAY))
        self.assertEqual(loader.load(merged, SELECTION), loader.load(self.document, SELECTION))

    def test_flow_style_values_are_copied_as_they_are(self):
        flow = WHOLE.replace("    ThingDone:\n      type: object\n", "    ThingDone:\n      type: {object: [1,\n        2]}\n")
        self.assertIn("      type: {object: [1,\n        2]}\n", cut_of(flow))

    def test_layout_it_cannot_copy_is_refused_not_changed(self):
        # An alias to an anchor in a part the cut leaves out cannot be copied line by line.
        aliased = WHOLE.replace("    Unsupported:\n      oneOf:", "    Unsupported:\n      oneOf: &choices").replace(
            "          enum:\n            - thing.done\n", "          enum: *choices\n")
        with self.assertRaises(SpecError) as caught:
            cut_of(aliased)
        self.assertIn("cannot copy", str(caught.exception))

    def test_keys_are_read_as_yaml_reads_them(self):
        spelled = WHOLE.replace("  /things/{id}:\n", '  "/things/{id}" :\n').replace("    ThingDone:\n", "    'ThingDone':\n")
        self.assertEqual(loader.parse_yaml(self.text), loader.parse_yaml(cut_of(spelled)))

    def test_an_info_that_is_not_a_mapping_is_copied_as_it_is(self):
        plain = WHOLE.replace("info:\n  title: Whole API\n  version: 9.9.9\n", "info: just text\n")
        text = cut_of(plain)
        self.assertIn("info.version ?", text)
        self.assertEqual("just text", loader.parse_yaml(text)["info"])

    def test_layouts_it_cannot_copy_are_spec_errors_not_tracebacks(self):
        start, end = WHOLE.index("webhooks:\n"), WHOLE.index("components:\n")
        flow = WHOLE[:start] + ("webhooks: {thing_done: {post: {requestBody: {content: {application/json: {schema: "
                                "{$ref: '#/components/schemas/ThingDone'}}}}}}}\n") + WHOLE[end:]
        with self.assertRaises(SpecError) as caught:
            cut_of(flow)
        self.assertIn("cannot copy this spec line by line", str(caught.exception))
        with self.assertRaises(SpecError) as caught:
            cut_of(WHOLE[:WHOLE.index("components:")])
        self.assertRegex(str(caught.exception), r"#/components/schemas/Thing\w* is referred to but does not exist")

    def test_unknown_selection_is_named(self):
        with self.assertRaises(SpecError) as caught:
            cut_of(selection=Selection(tags=("Nope",)))
        self.assertIn("'Nope'", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
