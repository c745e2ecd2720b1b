"""The selection: which operations, webhooks and schemas a spec contributes, and the overlay."""
import unittest

from codegen import loader, selection
from codegen.errors import SpecError
from codegen.selection import Selection

REF = "#/components/schemas/"


def operation(operation_id, tag, body=None, response=None):
    op = {"operationId": operation_id, "tags": [tag], "responses": {"200": {"description": "ok"}}}
    if body:
        op["requestBody"] = {"content": {"application/json": {"schema": {"$ref": REF + body}}}}
    if response:
        op["responses"]["200"]["content"] = {"application/json": {"schema": {"$ref": REF + response}}}
    return op


def obj(**properties):
    return {"type": "object", "properties": properties}


def spec():
    """A small whole spec: a selected tag, an unselected one with a construct the generator refuses."""
    return {
        "openapi": "3.1.0",
        "paths": {
            "/things": {"post": operation("createThing", "Things", body="NewThing", response="Thing")},
            "/other": {"get": operation("getOther", "Other", response="Unsupported")},
        },
        "webhooks": {
            "thing_done": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": REF + "ThingDone"}}}}}},
            "other_done": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": REF + "Unsupported"}}}}}},
        },
        "components": {"schemas": {
            "Thing": obj(part={"$ref": REF + "Part"}, name={"type": "string"}),
            "Part": obj(size={"type": "integer"}),
            "NewThing": obj(name={"type": "string"}),
            "ThingDone": {"type": "object", "required": ["type"], "properties": {
                "type": {"type": "string", "enum": ["thing.done"]}, "data": obj(id={"type": "string"})}},
            "Line": obj(text={"type": "string"}),
            "Unsupported": obj(value={"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]}),
        }},
    }


THINGS = Selection(tags=("Things",), webhooks=("thing_done",), models=("Line",))


class Reach(unittest.TestCase):
    def test_follows_references_from_operations_webhooks_and_models(self):
        found = selection.reach(spec(), THINGS)
        self.assertEqual([("/things", "post")], found.operations)
        self.assertEqual(["thing_done"], found.webhooks)
        self.assertEqual(["Thing", "Part", "NewThing", "ThingDone", "Line"], found.schemas)

    def test_unselected_parts_are_not_loaded(self):
        loaded = loader.load(spec(), THINGS)
        self.assertEqual(["Thing", "Part", "NewThing", "ThingDone", "ThingDoneData", "Line"],
                         [m.name for m in loaded.models])
        self.assertEqual(["ThingsApi"], [api.name for api in loaded.apis])

    def test_without_a_selection_everything_is_loaded_and_checked(self):
        with self.assertRaises(SpecError) as caught:
            loader.load(spec())
        self.assertIn("schema Unsupported, property value: oneOf with 3", str(caught.exception))

    def test_a_reached_unsupported_schema_still_stops_generation(self):
        chosen = Selection(tags=("Things", "Other"))
        with self.assertRaises(SpecError) as caught:
            loader.load(spec(), chosen)
        self.assertIn("schema Unsupported, property value: oneOf with 3 non-null alternatives", str(caught.exception))

    def test_webhook_names_its_event_and_body(self):
        webhook = loader.load(spec(), THINGS).webhooks[0]
        self.assertEqual(("thing_done", "ThingDone", "thing.done"), (webhook.name, webhook.model, webhook.event_type))

    def test_unknown_names_are_refused(self):
        cases = [(Selection(tags=("Nope",)), "no operation of the spec carries the tag 'Nope'"),
                 (Selection(tags=("Things",), webhooks=("nope",)), "the spec has no webhook 'nope'"),
                 (Selection(tags=("Things",), models=("Nope",)), "the spec has no schema 'Nope'")]
        for chosen, message in cases:
            with self.subTest(message=message), self.assertRaises(SpecError) as caught:
                selection.reach(spec(), chosen)
            self.assertIn(message, str(caught.exception))

    def test_a_spec_without_webhooks_selects_none(self):
        document = spec()
        del document["webhooks"]
        self.assertEqual([], selection.reach(document, THINGS).webhooks)

    def test_a_dangling_reference_is_named(self):
        document = spec()
        document["components"]["schemas"]["Part"]["properties"]["child"] = {"$ref": REF + "Ghost"}
        with self.assertRaises(SpecError) as caught:
            selection.reach(document, THINGS)
        self.assertIn("#/components/schemas/Ghost", str(caught.exception))


class OptionalProperties(unittest.TestCase):
    def test_required_property_becomes_optional(self):
        chosen = Selection(tags=("Things",), webhooks=("thing_done",), optional_properties=frozenset({("ThingDone", "type")}))
        done = next(m for m in loader.load(spec(), chosen).models if m.name == "ThingDone")
        self.assertFalse(next(p for p in done.properties if p.json_name == "type").required)

    def test_entry_that_names_nothing_is_refused(self):
        chosen = Selection(tags=("Things",), webhooks=(), optional_properties=frozenset({("Thing", "ghost")}))
        with self.assertRaises(SpecError) as caught:
            loader.load(spec(), chosen)
        self.assertIn("no generated class Thing has a property 'ghost'", str(caught.exception))


class Config(unittest.TestCase):
    def test_reads_the_config_entries(self):
        chosen = Selection.from_config({"select": {"tags": ["A"], "webhooks": ["w"], "models": ["M"]},
                                        "optional_properties": ["M.x"]}, "config.yaml")
        self.assertEqual(Selection(("A",), ("w",), ("M",), frozenset({("M", "x")})), chosen)

    def test_malformed_entries_are_named(self):
        cases = [({}, "'select' must name"), ({"select": {"tags": []}}, "select.tags must name at least one tag"),
                 ({"select": {"tags": ["A"], "models": "M"}}, "models must be a list of names"),
                 ({"select": {"tags": ["A"]}, "optional_properties": ["Mx"]}, "'Mx' is not Model.property")]
        for data, message in cases:
            with self.subTest(message=message), self.assertRaises(SpecError) as caught:
                Selection.from_config(data, "config.yaml")
            self.assertIn(message, str(caught.exception))


class Overlay(unittest.TestCase):
    def test_adds_only_what_the_spec_lacks(self):
        overlay = {"components": {"schemas": {"Line": obj(other={"type": "string"}), "Extra": obj(x={"type": "string"})}}}
        merged, added = selection.merge_overlay(spec(), overlay)
        self.assertEqual(["Extra"], added)
        self.assertEqual(spec()["components"]["schemas"]["Line"], merged["components"]["schemas"]["Line"])
        self.assertIn("Extra", merged["components"]["schemas"])

    def test_leaves_the_spec_itself_unchanged(self):
        document = spec()
        selection.merge_overlay(document, {"components": {"schemas": {"Extra": obj()}}})
        self.assertNotIn("Extra", document["components"]["schemas"])


if __name__ == "__main__":
    unittest.main()
