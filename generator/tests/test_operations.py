"""Operations: what the loader reads from the paths section, and how the API layer is named and laid out."""
import unittest

from codegen import loader, render
from codegen.errors import SpecError

from .specs import OURS, SPEC_2025, load, operation

OK = {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
THING = {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}}}


def spec_with(paths, schemas=None):
    return {"openapi": "3.0.0", "paths": paths, "components": {"schemas": schemas or THING}}


class OurOperations(unittest.TestCase):
    def setUp(self):
        self.spec = load(OURS)

    def test_one_api_per_tag_with_every_operation_in_path_order(self):
        self.assertEqual([("BatchApi", ["createBatch", "listBatches", "retrieveBatch", "cancelBatch"]),
                          ("FilesApi", ["listFiles", "createFile", "deleteFile", "retrieveFile", "downloadFile"])],
                         [(a.name, [o.operation_id for o in a.operations]) for a in self.spec.apis])

    def test_limits_stated_in_prose_bound_the_limit_parameters(self):
        batches = operation(self.spec, "listBatches").parameters[1]
        files = operation(self.spec, "listFiles").parameters[1]
        self.assertEqual(("limit", 1, 100, "20"), (batches.name, batches.limits.minimum, batches.limits.maximum, batches.default))
        self.assertEqual(("limit", 1, 10000), (files.name, files.limits.minimum, files.limits.maximum))

    def test_list_files_keeps_spec_parameter_order(self):
        self.assertEqual(["purpose", "limit", "order", "after"], [p.name for p in operation(self.spec, "listFiles").parameters])

    def test_json_body_is_a_model_argument(self):
        body = operation(self.spec, "createBatch").parameters
        self.assertEqual([("createBatchRequest", "body", "CreateBatchRequest", True)],
                         [(p.name, p.location, p.type.model, p.required) for p in body])

    def test_multipart_body_becomes_form_arguments(self):
        parts = operation(self.spec, "createFile").parameters
        self.assertEqual([("file", "form", "file", True), ("purpose", "form", "string", True),
                          ("expires_after", "form", "model", False)],
                         [(p.name, p.location, p.type.kind, p.required) for p in parts])
        self.assertEqual("FileExpirationAfter", parts[2].type.model)

    def test_string_response_is_a_download(self):
        self.assertEqual("bytes", operation(self.spec, "downloadFile").response_kind)
        self.assertEqual("model", operation(self.spec, "retrieveFile").response_kind)

    def test_every_operation_needs_the_api_key(self):
        self.assertTrue(all(o.secured for a in self.spec.apis for o in a.operations))

    def test_the_2025_spec_had_two_parts(self):
        self.assertEqual(["file", "purpose"], [p.name for p in operation(load(SPEC_2025), "createFile").parameters])


class OperationShapes(unittest.TestCase):
    def test_required_arguments_come_first(self):
        spec = loader.load(spec_with({"/things/{id}": {"get": {
            "operationId": "getThing", "responses": OK,
            "parameters": [{"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
                           {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]}}}))
        self.assertEqual(["id", "verbose"], [p.name for p in operation(spec, "getThing").parameters])

    def test_path_item_parameters_apply_to_each_operation(self):
        spec = loader.load(spec_with({"/things/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {"operationId": "getThing", "responses": OK}}}))
        self.assertEqual(["id"], [p.name for p in operation(spec, "getThing").parameters])

    def test_untagged_operations_go_to_default_api(self):
        spec = loader.load(spec_with({"/things": {"get": {"operationId": "listThings", "responses": OK}}}))
        self.assertEqual(["DefaultApi"], [a.name for a in spec.apis])

    def test_no_content_response_returns_nothing(self):
        spec = loader.load(spec_with({"/things": {"delete": {"operationId": "purge", "responses": {"204": {"description": "gone"}}}}}))
        self.assertEqual("none", operation(spec, "purge").response_kind)


class UnsupportedOperations(unittest.TestCase):
    def assertRefused(self, paths, message):
        with self.assertRaises(SpecError) as caught:
            loader.load(spec_with(paths))
        self.assertIn(message, str(caught.exception))

    def test_missing_operation_id(self):
        self.assertRefused({"/things": {"get": {"responses": OK}}}, "GET /things: every operation needs an operationId")

    def test_duplicate_operation_id(self):
        self.assertRefused({"/a": {"get": {"operationId": "x", "responses": OK}},
                            "/b": {"get": {"operationId": "x", "responses": OK}}}, "share operationId x")

    def test_placeholder_without_a_parameter(self):
        self.assertRefused({"/things/{id}": {"get": {"operationId": "getThing", "responses": OK}}},
                           "GET /things/{id}: path placeholders ['id'] do not match path parameters []")

    def test_header_parameter(self):
        self.assertRefused({"/things": {"get": {"operationId": "x", "responses": OK, "parameters": [
            {"name": "X-Thing", "in": "header", "schema": {"type": "string"}}]}}},
            "GET /things, parameter X-Thing: parameters in 'header' are not supported")

    def test_object_query_parameter(self):
        self.assertRefused({"/things": {"get": {"operationId": "x", "responses": OK, "parameters": [
            {"name": "filter", "in": "query", "schema": {"type": "object"}}]}}},
            "GET /things, parameter filter: only string, integer, number and boolean parameters are supported")

    def test_xml_request_body(self):
        self.assertRefused({"/things": {"post": {"operationId": "x", "responses": OK, "requestBody": {
            "content": {"application/xml": {"schema": {"type": "string"}}}}}}},
            "POST /things: request bodies of type ['application/xml'] are not supported")

    def test_array_response(self):
        self.assertRefused({"/things": {"get": {"operationId": "x", "responses": {"200": {"description": "ok", "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}}}}}},
            "GET /things response 200: a application/json response must be an object schema or a string")


class ApiNames(unittest.TestCase):
    def setUp(self):
        self.views = {o.name: o for a in load(OURS).apis for o in render.view_api(a).operations}

    def test_signatures_follow_cpp_restsdk(self):
        self.assertEqual("utility::string_t batchId", self.views["retrieveBatch"].signature)
        self.assertEqual("boost::optional<utility::string_t> after, boost::optional<int64_t> limit",
                         self.views["listBatches"].signature)
        self.assertEqual("std::shared_ptr<HttpContent> file, utility::string_t purpose, "
                         "boost::optional<std::shared_ptr<FileExpirationAfter>> expiresAfter",
                         self.views["createFile"].signature)
        self.assertEqual("std::shared_ptr<Batch>", self.views["retrieveBatch"].return_type)
        self.assertEqual("utility::string_t", self.views["downloadFile"].return_type)

    def test_trailing_optional_arguments_default_to_none_where_declared(self):
        self.assertEqual("std::shared_ptr<HttpContent> file, utility::string_t purpose, "
                         "boost::optional<std::shared_ptr<FileExpirationAfter>> expiresAfter = boost::none",
                         self.views["createFile"].declared_signature)
        self.assertEqual("boost::optional<utility::string_t> after = boost::none, "
                         "boost::optional<int64_t> limit = boost::none", self.views["listBatches"].declared_signature)
        self.assertEqual("utility::string_t batchId", self.views["retrieveBatch"].declared_signature)

    def test_request_lines_carry_the_checks(self):
        self.assertEqual(['request.addQueryParameter(_XPLATSTR("after"), after);',
                          'request.addQueryParameter(_XPLATSTR("limit"), limit, 1, 100);'],
                         [p.request_line for p in self.views["listBatches"].parameters])
        self.assertEqual('request.setPathParameter(_XPLATSTR("file_id"), fileId);',
                         self.views["deleteFile"].parameters[0].request_line)

    def test_cpprest_method_names(self):
        self.assertEqual("web::http::methods::DEL", self.views["deleteFile"].cpprest_method)
        self.assertEqual("web::http::methods::GET", self.views["listFiles"].cpprest_method)



class DocLinks(unittest.TestCase):
    def test_site_relative_links_point_at_the_docs_site(self):
        self.assertEqual("see [upload](https://platform.openai.com/docs/x) and [page](Batch.md) and [web](//cdn/y)",
                         render.absolute_links("see [upload](/docs/x) and [page](Batch.md) and [web](//cdn/y)",
                                               "https://platform.openai.com"))

    def test_no_site_leaves_links_alone(self):
        self.assertEqual("[upload](/docs/x)", render.absolute_links("[upload](/docs/x)", ""))


if __name__ == "__main__":
    unittest.main()
