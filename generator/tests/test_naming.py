import unittest

from codegen import naming
from codegen.errors import SpecError


class PascalAndCamelCase(unittest.TestCase):
    def test_snake_case_words_are_joined(self):
        self.assertEqual("InputFileId", naming.pascal_case("input_file_id"))
        self.assertEqual("inputFileId", naming.camel_case("input_file_id"))

    def test_existing_capitals_are_kept(self):
        self.assertEqual("OpenAIFile", naming.pascal_case("OpenAIFile"))

    def test_any_separator_splits_words(self):
        self.assertEqual("FineTuneResults", naming.pascal_case("fine-tune-results"))

    def test_leading_digit_gets_an_underscore(self):
        self.assertEqual("_24h", naming.pascal_case("24h"))

    def test_no_letters_is_an_error(self):
        with self.assertRaises(SpecError):
            naming.pascal_case("--")


class InlineModelNames(unittest.TestCase):
    """The names OpenAPI Generator gives inline schemas (and the Dart package uses)."""

    def test_property_object(self):
        self.assertEqual("BatchRequestCounts", naming.inline_property_model("Batch", "request_counts"))

    def test_array_items(self):
        self.assertEqual("BatchErrorsDataInner",
                         naming.inline_item_model(naming.inline_property_model("BatchErrors", "data")))

    def test_request_body(self):
        self.assertEqual("CreateBatchRequest", naming.request_body_model("createBatch"))


class Enumerators(unittest.TestCase):
    def test_values_become_upper_snake_case(self):
        self.assertEqual("IN_PROGRESS", naming.enumerator("in_progress"))
        self.assertEqual("V1_CHAT_COMPLETIONS", naming.enumerator("/v1/chat/completions"))
        self.assertEqual("FINE_TUNE", naming.enumerator("fine-tune"))
        self.assertEqual("POST", naming.enumerator("POST"))

    def test_leading_digit_and_empty_value(self):
        self.assertEqual("_24H", naming.enumerator("24h"))
        self.assertEqual("EMPTY", naming.enumerator(""))


class Accessors(unittest.TestCase):
    def test_cpp_restsdk_accessor_names(self):
        names = naming.PropertyNames("input_file_id", is_bool=False, is_enum=False)
        self.assertEqual(("getInputFileId", "setInputFileId", "inputFileIdIsSet", "unsetInputFileId"),
                         (names.getter, names.setter, names.is_set, names.unset))
        self.assertEqual("unsetInput_file_id", names.unset_alias)
        self.assertEqual(("m_InputFileId", "m_InputFileIdIsSet"), (names.member, names.flag))

    def test_booleans_read_with_is(self):
        self.assertEqual("isHasMore", naming.PropertyNames("has_more", is_bool=True, is_enum=False).getter)

    def test_no_alias_when_spellings_agree(self):
        self.assertIsNone(naming.PropertyNames("id", is_bool=False, is_enum=False).unset_alias)

    def test_enum_names(self):
        names = naming.PropertyNames("status", is_bool=False, is_enum=True)
        self.assertEqual(("StatusEnum", "toStatusEnum", "fromStatusEnum", "getStatusString", "setStatusString"),
                         (names.enum_type, names.to_enum, names.from_enum, names.string_getter, names.string_setter))


if __name__ == "__main__":
    unittest.main()
