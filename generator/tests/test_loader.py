import copy
import unittest

from codegen import loader
from codegen.errors import SpecError

from .specs import FULL, OURS, SPEC_2025, load, model, prop


def document(schemas, paths=None, version="3.0.0"):
    return {"openapi": version, "paths": paths or {}, "components": {"schemas": schemas}}


class OurSpec(unittest.TestCase):
    """openapi.yaml, today's API (2026-08, OpenAPI 3.1): the cut of OpenAI's whole spec."""

    def setUp(self):
        self.spec = load(OURS)

    def test_every_class(self):
        self.assertEqual(
            {"Batch", "BatchErrors", "BatchError", "BatchRequestCounts", "BatchUsage", "BatchUsageInputTokensDetails",
             "BatchUsageOutputTokensDetails", "BatchFileExpirationAfter", "CreateBatchRequest", "ListBatchesResponse",
             "BatchRequestInput", "BatchRequestOutput", "BatchRequestOutputResponse", "BatchRequestOutputError",
             "OpenAIFile", "FileExpirationAfter", "ListFilesResponse", "DeleteFileResponse",
             "WebhookBatchCancelled", "WebhookBatchCancelledData", "WebhookBatchCompleted", "WebhookBatchCompletedData",
             "WebhookBatchExpired", "WebhookBatchExpiredData", "WebhookBatchFailed", "WebhookBatchFailedData"},
            {m.name for m in self.spec.models})

    def test_properties_keep_spec_order(self):
        self.assertEqual(["id", "object", "endpoint", "model", "errors", "input_file_id"],
                         [p.json_name for p in model(self.spec, "Batch").properties][:6])

    def test_the_line_formats_come_from_the_overlay(self):
        self.assertEqual(["custom_id", "method", "url", "body"],
                         [p.json_name for p in model(self.spec, "BatchRequestInput").properties])
        self.assertEqual("BatchRequestOutputResponse", prop(self.spec, "BatchRequestOutput", "response").type.model)

    def test_config_makes_list_files_ids_optional(self):
        self.assertFalse(prop(self.spec, "ListFilesResponse", "first_id").required)
        self.assertFalse(prop(self.spec, "ListFilesResponse", "last_id").required)
        self.assertTrue(prop(self.spec, "ListFilesResponse", "has_more").required)

    def test_batch_webhooks(self):
        self.assertEqual([("batch_cancelled", "WebhookBatchCancelled", "batch.cancelled"),
                          ("batch_completed", "WebhookBatchCompleted", "batch.completed"),
                          ("batch_expired", "WebhookBatchExpired", "batch.expired"),
                          ("batch_failed", "WebhookBatchFailed", "batch.failed")],
                         [(w.name, w.model, w.event_type) for w in self.spec.webhooks])

    def test_purposes_of_today(self):
        self.assertEqual(["assistants", "assistants_output", "batch", "batch_output", "fine-tune",
                          "fine-tune-results", "vision", "user_data"],
                         prop(self.spec, "OpenAIFile", "purpose").enum_values)

    def test_endpoints_of_today(self):
        self.assertEqual(["/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions",
                          "/v1/moderations", "/v1/images/generations", "/v1/images/edits", "/v1/videos"],
                         prop(self.spec, "CreateBatchRequest", "endpoint").enum_values)

    def test_metadata_limits_come_from_the_description(self):
        limits = prop(self.spec, "CreateBatchRequest", "metadata").limits
        self.assertEqual((16, 64, 512), (limits.max_properties, limits.key_max_length, limits.value_max_length))

    def test_deprecated_required_property_is_not_enforced(self):
        status = prop(self.spec, "OpenAIFile", "status")
        self.assertTrue(status.deprecated)
        self.assertFalse(status.required)

    def test_inline_schema_description_moves_to_its_class(self):
        self.assertEqual("", prop(self.spec, "Batch", "usage").description)
        self.assertIn("Represents token usage details", model(self.spec, "BatchUsage").description)


class WholeSpec(unittest.TestCase):
    """OpenAI's whole published spec, unmodified: read directly, it gives exactly what its cut gives."""

    def test_the_whole_spec_and_its_cut_load_the_same(self):
        self.assertEqual(load(OURS), load(FULL))

    def test_without_the_selection_it_stops_at_an_unrelated_schema(self):
        with self.assertRaises(SpecError) as caught:
            loader.load_file(FULL)
        self.assertIn("not supported", str(caught.exception))


class Spec2025(unittest.TestCase):
    """The 2025-04 subset (OpenAPI 3.0), the spec the seed page was made from, still loads."""

    def test_its_classes(self):
        self.assertEqual(
            {"Batch", "BatchErrors", "BatchErrorsDataInner", "BatchRequestCounts", "CreateBatchRequest",
             "ListBatchesResponse", "BatchRequestInput", "BatchRequestOutput", "BatchRequestOutputResponse",
             "BatchRequestOutputError", "OpenAIFile", "ListFilesResponse", "DeleteFileResponse"},
            {m.name for m in load(SPEC_2025).models})
        self.assertEqual([], load(SPEC_2025).webhooks)

class NewestSpec(unittest.TestCase):
    """OpenAPI 3.1: anyOf-with-null, format: unixtime, named schemas, model and usage."""

    def setUp(self):
        self.spec = load(OURS)

    def test_nullable_any_of_reads_as_the_plain_type(self):
        line = prop(self.spec, "BatchError", "line")
        self.assertEqual("int64", line.type.kind)
        self.assertIn("line number", line.description)

    def test_unixtime_is_int64(self):
        self.assertEqual("int64", prop(self.spec, "Batch", "created_at").type.kind)

    def test_usage_and_model_are_typed(self):
        self.assertEqual("string", prop(self.spec, "Batch", "model").type.kind)
        self.assertEqual("BatchUsage", prop(self.spec, "Batch", "usage").type.model)
        self.assertEqual("BatchUsageInputTokensDetails", prop(self.spec, "BatchUsage", "input_tokens_details").type.model)

    def test_named_schemas_are_referenced_not_copied(self):
        self.assertEqual("BatchRequestCounts", prop(self.spec, "Batch", "request_counts").type.model)
        self.assertEqual("BatchError", prop(self.spec, "BatchErrors", "data").type.item.model)
        self.assertEqual(1, [m.name for m in self.spec.models].count("CreateBatchRequest"))

    def test_keyword_limits(self):
        limits = prop(self.spec, "BatchFileExpirationAfter", "seconds").limits
        self.assertEqual((3600, 2592000), (limits.minimum, limits.maximum))

    def test_multipart_only_body_is_not_a_class(self):
        self.assertNotIn("CreateFileRequest", [m.name for m in self.spec.models])


class Nullability(unittest.TestCase):
    def load_property(self, schema, version):
        spec = loader.load(document({"Thing": {"type": "object", "properties": {"value": schema}}}, version=version))
        return prop(spec, "Thing", "value")

    def test_three_forms_mean_the_same(self):
        forms = [({"type": "string", "nullable": True}, "3.0.3"),
                 ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "3.1.0"),
                 ({"type": ["string", "null"]}, "3.1.0")]
        for schema, version in forms:
            with self.subTest(schema=schema):
                self.assertEqual("string", self.load_property(schema, version).type.kind)

    def test_nullable_reference_to_a_class(self):
        spec = loader.load(document({
            "Thing": {"type": "object", "properties": {"child": {"anyOf": [{"$ref": "#/components/schemas/Child"}, {"type": "null"}]}}},
            "Child": {"type": "object", "properties": {"x": {"type": "integer"}}}}, version="3.1.0"))
        self.assertEqual("Child", prop(spec, "Thing", "child").type.model)


class Unsupported(unittest.TestCase):
    """Anything the generator cannot map faithfully stops it, naming the schema and property."""

    def assert_rejected(self, schema, *fragments, version="3.0.0"):
        with self.assertRaises(SpecError) as caught:
            loader.load(document({"Thing": {"type": "object", "properties": {"value": schema}}}, version=version))
        for fragment in ("schema Thing", "property value") + fragments:
            self.assertIn(fragment, str(caught.exception))

    def test_one_of_two_types(self):
        self.assert_rejected({"oneOf": [{"type": "string"}, {"type": "integer"}]}, "oneOf with 2")

    def test_all_of_two_schemas(self):
        self.assert_rejected({"allOf": [{"type": "object"}, {"type": "object"}]}, "allOf with 2")

    def test_integer_enum(self):
        self.assert_rejected({"type": "integer", "enum": [1, 2]}, "enums of type 'integer'")

    def test_remote_reference(self):
        self.assert_rejected({"$ref": "other.yaml#/Thing"}, "only local references")

    def test_missing_reference(self):
        self.assert_rejected({"$ref": "#/components/schemas/Nowhere"}, "does not exist")

    def test_binary_outside_multipart(self):
        self.assert_rejected({"type": "string", "format": "binary"}, "format 'binary'")

    def test_schema_without_a_type(self):
        self.assert_rejected({"not": {"type": "string"}}, "not supported")

    def test_colliding_enumerators(self):
        self.assert_rejected({"type": "string", "enum": ["a-b", "a_b"]}, "both become A_B")

    def test_accessor_colliding_with_model_base(self):
        with self.assertRaises(SpecError) as caught:
            loader.load(document({"Thing": {"type": "object", "properties": {"diagnostics": {"type": "string"}}}}))
        self.assertIn("getDiagnostics", str(caught.exception))

    def test_properties_generating_the_same_accessor(self):
        with self.assertRaises(SpecError) as caught:
            loader.load(document({"Thing": {"type": "object", "properties": {"foo_bar": {"type": "string"}, "fooBar": {"type": "string"}}}}))
        self.assertIn("'foo_bar' and 'fooBar'", str(caught.exception))

    def test_unknown_openapi_version(self):
        with self.assertRaises(SpecError):
            loader.load({"openapi": "2.0", "components": {"schemas": {}}})

    def test_required_property_that_is_not_defined(self):
        with self.assertRaises(SpecError) as caught:
            loader.load(document({"Thing": {"type": "object", "required": ["ghost"], "properties": {}}}))
        self.assertIn("'ghost'", str(caught.exception))


class InlineNames(unittest.TestCase):
    def test_inline_name_taken_by_a_component_is_numbered(self):
        spec = loader.load(document({
            "Batch": {"type": "object", "properties": {"errors": {"type": "object", "properties": {"x": {"type": "string"}}}}},
            "BatchErrors": {"type": "object", "properties": {"y": {"type": "string"}}}}))
        self.assertEqual("BatchErrors1", prop(spec, "Batch", "errors").type.model)

    def test_request_body_named_after_the_operation(self):
        paths = {"/things": {"post": {"operationId": "createThing", "requestBody": {"content": {"application/json": {
            "schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}}}}}
        spec = loader.load(document({}, paths=paths))
        self.assertEqual(["CreateThingRequest"], [m.name for m in spec.models])


class TextLimits(unittest.TestCase):
    def test_reads_openai_phrasing_across_line_breaks(self):
        text = "Set of 16 key-value pairs that can be\nattached.\n\nKeys are strings with a maximum length of 64\ncharacters."
        self.assertEqual({"max_properties": 16, "key_max_length": 64}, loader.text_limits(text))

    def test_keywords_win_over_text(self):
        schema = {"type": "object", "maxProperties": 8, "additionalProperties": {"type": "string"},
                  "description": "Set of 16 key-value pairs."}
        self.assertEqual(8, loader.limits_of(schema, "here").max_properties)


if __name__ == "__main__":
    unittest.main()
