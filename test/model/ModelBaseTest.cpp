// What every model shares: input that is not an object, JSON paths, diagnostics across calls.
#include "Fixtures.h"

#include "model/Batch.h"
#include "model/BatchRequestInput.h"
#include "model/ListBatchesResponse.h"
#include "model/Object.h"

#include <gtest/gtest.h>

using namespace org::openapitools::client::model;

namespace {

struct NotAnObject
{
    const char* name;
    const char* json;
    const char* message;
};

void PrintTo(const NotAnObject& value, std::ostream* os)
{
    *os << value.name;
}

class ModelBaseNotAnObject : public testing::TestWithParam<NotAnObject>
{
};

TEST_P(ModelBaseNotAnObject, ReturnsFalseWithARootDiagnostic)
{
    Batch batch;
    batch.setId(_XPLATSTR("stale"));
    EXPECT_FALSE(batch.fromJson(fixtures::parse(GetParam().json)));
    ASSERT_EQ(1u, batch.getDiagnostics().size());
    EXPECT_EQ("", batch.getDiagnostics()[0].path);
    EXPECT_EQ(GetParam().message, utility::conversions::to_utf8string(batch.getDiagnostics()[0].toString()));
    EXPECT_FALSE(batch.idIsSet());
}

INSTANTIATE_TEST_SUITE_P(EveryJsonType, ModelBaseNotAnObject,
                         testing::Values(NotAnObject{"Array", "[1, 2]", "/: expected object, got array"},
                                         NotAnObject{"String", "\"batch\"", "/: expected object, got string"},
                                         NotAnObject{"Number", "12", "/: expected object, got integer"},
                                         NotAnObject{"Null", "null", "/: expected object, got null"},
                                         NotAnObject{"Boolean", "true", "/: expected object, got boolean"}),
                         [](const testing::TestParamInfo<NotAnObject>& info) { return std::string(info.param.name); });

TEST(ModelBaseDiagnostics, PathsGoThroughArraysAndNestedModels)
{
    auto json = fixtures::parse(fixtures::kListPage);
    json[_XPLATSTR("data")][1][_XPLATSTR("created_at")] = web::json::value::string(_XPLATSTR("yesterday"));
    json[_XPLATSTR("data")][0][_XPLATSTR("request_counts")].erase(_XPLATSTR("failed"));
    ListBatchesResponse page;
    EXPECT_FALSE(page.fromJson(json));
    EXPECT_EQ((std::vector<std::string>{"/data/0/request_counts/failed: missing required property",
                                        "/data/1/created_at: expected integer, got string"}),
              fixtures::messagesOf(page));
    ASSERT_EQ(2u, page.getData().size()) << "both batches are still read";
    EXPECT_EQ("batch_abc456", page.getData()[1]->getId());
}

TEST(ModelBaseDiagnostics, ArrayElementsOfTheWrongTypeAreSkippedAndReported)
{
    auto json = fixtures::parse(fixtures::kListPage);
    json[_XPLATSTR("data")][2] = web::json::value::string(_XPLATSTR("not a batch"));
    ListBatchesResponse page;
    EXPECT_FALSE(page.fromJson(json));
    ASSERT_EQ(1u, page.getDiagnostics().size());
    EXPECT_EQ("/data/2: expected object, got string",
              utility::conversions::to_utf8string(page.getDiagnostics()[0].toString()));
    EXPECT_EQ(2u, page.getData().size());
}

TEST(ModelBaseDiagnostics, KeysAreEscapedAsJsonPointer)
{
    auto json = fixtures::parse(fixtures::kCompletedBatch);
    json[_XPLATSTR("metadata")][_XPLATSTR("a/b~c")] = web::json::value::number(1);
    Batch batch;
    EXPECT_FALSE(batch.fromJson(json));
    ASSERT_EQ(1u, batch.getDiagnostics().size());
    EXPECT_EQ("/metadata/a~1b~0c", batch.getDiagnostics()[0].path);
}

TEST(ModelBaseDiagnostics, ASuccessfulReadClearsEarlierDiagnostics)
{
    Batch batch;
    EXPECT_FALSE(batch.fromJson(fixtures::parse("[]")));
    EXPECT_TRUE(batch.fromJson(fixtures::parse(fixtures::kCompletedBatch)));
    EXPECT_TRUE(batch.getDiagnostics().empty());
}

TEST(ModelBaseObject, FreeFormBodyMustBeAnObject)
{
    auto json = fixtures::parse(fixtures::kInputLine2);
    json[_XPLATSTR("body")] = web::json::value::string(_XPLATSTR("{}"));
    BatchRequestInput input;
    EXPECT_FALSE(input.fromJson(json));
    EXPECT_EQ("/body: expected object, got string",
              utility::conversions::to_utf8string(input.getDiagnostics()[0].toString()));
    EXPECT_FALSE(input.bodyIsSet());
}

TEST(ModelBaseObject, ExposesAndEditsTheJson)
{
    auto body = std::make_shared<Object>();
    body->setValue(_XPLATSTR("model"), web::json::value::string(_XPLATSTR("gpt-4o-mini")));
    EXPECT_EQ("gpt-4o-mini", body->getValue(_XPLATSTR("model")).as_string());
    EXPECT_TRUE(body->getValue(_XPLATSTR("absent")).is_null());
    EXPECT_THROW(body->setJson(web::json::value::array()), std::invalid_argument);

    BatchRequestInput input;
    input.setCustomId(_XPLATSTR("r1"));
    input.setMethod(BatchRequestInput::MethodEnum::POST);
    input.setUrl(_XPLATSTR("/v1/chat/completions"));
    input.setBody(body);
    EXPECT_EQ(R"({"custom_id":"r1","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini"}})",
              utility::conversions::to_utf8string(input.toJson().serialize()));
}

TEST(ModelBaseConversions, CppRestSdkStaticHelpersWork)
{
    int64_t value = 0;
    EXPECT_TRUE(ModelBase::fromJson(web::json::value::number(int64_t{4102444800}), value));
    EXPECT_EQ(int64_t{4102444800}, value);
    utility::string_t text;
    EXPECT_FALSE(ModelBase::fromJson(web::json::value::number(1), text));
    std::shared_ptr<Batch> batch;
    EXPECT_TRUE(ModelBase::fromJson(fixtures::parse(fixtures::kCompletedBatch), batch));
    EXPECT_EQ("batch_abc123", batch->getId());
    EXPECT_EQ(ModelBase::toJson(std::vector<int64_t>{1, 2}).serialize(), _XPLATSTR("[1,2]"));
}

} // namespace
