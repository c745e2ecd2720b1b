import unittest

from codegen import cpp
from codegen.ir import TypeRef


class CppTypes(unittest.TestCase):
    def test_scalars(self):
        self.assertEqual("utility::string_t", cpp.cpp_type(TypeRef("string")))
        self.assertEqual("int64_t", cpp.cpp_type(TypeRef("int64")))
        self.assertEqual("int32_t", cpp.cpp_type(TypeRef("int32")))
        self.assertEqual("double", cpp.cpp_type(TypeRef("double")))
        self.assertEqual("bool", cpp.cpp_type(TypeRef("bool")))

    def test_models_and_free_form_objects_are_shared_pointers(self):
        self.assertEqual("std::shared_ptr<Batch>", cpp.cpp_type(TypeRef("model", model="Batch")))
        self.assertEqual("std::shared_ptr<Object>", cpp.cpp_type(TypeRef("object")))

    def test_containers(self):
        batches = TypeRef("array", item=TypeRef("model", model="Batch"))
        self.assertEqual("std::vector<std::shared_ptr<Batch>>", cpp.cpp_type(batches))
        metadata = TypeRef("map", item=TypeRef("string"))
        self.assertEqual("std::map<utility::string_t, utility::string_t>", cpp.cpp_type(metadata))

    def test_only_arithmetic_types_pass_by_value(self):
        self.assertTrue(cpp.passed_by_value(TypeRef("int64")))
        self.assertTrue(cpp.passed_by_value(TypeRef("bool")))
        self.assertFalse(cpp.passed_by_value(TypeRef("string")))
        self.assertFalse(cpp.passed_by_value(TypeRef("model", model="Batch")))


class DocTypes(unittest.TestCase):
    def test_angle_brackets_are_escaped_and_models_linked(self):
        batches = TypeRef("array", item=TypeRef("model", model="Batch"))
        self.assertEqual("[**std::vector&lt;std::shared_ptr&lt;Batch&gt;&gt;**](Batch.md)", cpp.doc_type(batches))

    def test_plain_and_enum_types_are_bold(self):
        self.assertEqual("**int64_t**", cpp.doc_type(TypeRef("int64")))
        self.assertEqual("**StatusEnum**", cpp.doc_type(TypeRef("string"), "StatusEnum"))

    def test_free_form_object_is_not_linked(self):
        self.assertEqual("**std::shared_ptr&lt;Object&gt;**", cpp.doc_type(TypeRef("object")))


if __name__ == "__main__":
    unittest.main()
