// validate(): required properties and the spec's limits, with JSON paths, for nested models too.
#include "Fixtures.h"

#include "model/Batch.h"
#include "model/CreateBatchRequest.h"

#include <gtest/gtest.h>

#include <string>

using namespace org::openapitools::client::model;

namespace {

CreateBatchRequest validRequest()
{
    CreateBatchRequest request;
    request.setInputFileId(_XPLATSTR("file-abc123"));
    request.setEndpoint(CreateBatchRequest::EndpointEnum::V1_CHAT_COMPLETIONS);
    request.setCompletionWindow(CreateBatchRequest::CompletionWindowEnum::_24H);
    return request;
}

std::string validationMessage(ModelBase& model)
{
    try
    {
        model.validate();
    }
    catch (const ModelValidationException& error)
    {
        return error.what();
    }
    return "valid";
}

std::map<utility::string_t, utility::string_t> pairs(size_t count)
{
    std::map<utility::string_t, utility::string_t> metadata;
    for (size_t i = 0; i < count; ++i)
    {
        metadata[_XPLATSTR("key") + utility::conversions::details::to_string_t(i)] = _XPLATSTR("value");
    }
    return metadata;
}

TEST(Validate, AcceptsACompleteRequest)
{
    auto request = validRequest();
    request.setMetadata(pairs(16));
    EXPECT_NO_THROW(request.validate());
    const std::string json = utility::conversions::to_utf8string(request.toJson().serialize());
    EXPECT_EQ(
        0u,
        json.find(
            R"({"input_file_id":"file-abc123","endpoint":"/v1/chat/completions","completion_window":"24h","metadata":{)"));
}

TEST(Validate, ReportsEveryMissingRequiredProperty)
{
    CreateBatchRequest request;
    request.setEndpoint(CreateBatchRequest::EndpointEnum::V1_EMBEDDINGS);
    EXPECT_EQ("CreateBatchRequest is invalid: /input_file_id: missing required property; /completion_window: missing "
              "required property",
              validationMessage(request));
}

TEST(Validate, ProblemsCarryTheirPaths)
{
    CreateBatchRequest request;
    try
    {
        request.validate();
        FAIL() << "validate() accepted an empty request";
    }
    catch (const ModelValidationException& error)
    {
        ASSERT_EQ(3u, error.problems().size());
        EXPECT_EQ("/endpoint", error.problems()[1].path);
        EXPECT_EQ("missing required property", error.problems()[1].message);
    }
}

TEST(Validate, IsAnInvalidArgument)
{
    CreateBatchRequest request;
    EXPECT_THROW(request.validate(), std::invalid_argument);
}

TEST(Validate, MetadataAllowsAtMost16Pairs)
{
    auto request = validRequest();
    request.setMetadata(pairs(17));
    EXPECT_EQ("CreateBatchRequest is invalid: /metadata: has 17 pairs, at most 16 allowed", validationMessage(request));
}

TEST(Validate, MetadataKeysHaveAtMost64Characters)
{
    auto request = validRequest();
    request.setMetadata({{utility::string_t(64, _XPLATSTR('k')), _XPLATSTR("ok")},
                         {utility::string_t(65, _XPLATSTR('x')), _XPLATSTR("too long a key")}});
    EXPECT_EQ("CreateBatchRequest is invalid: /metadata/" + std::string(65, 'x')
                  + ": key is 65 characters, at most 64 allowed",
              validationMessage(request));
}

TEST(Validate, MetadataValuesHaveAtMost512Characters)
{
    auto request = validRequest();
    request.setMetadata({{_XPLATSTR("fits"), utility::string_t(512, _XPLATSTR('v'))},
                         {_XPLATSTR("long"), utility::string_t(513, _XPLATSTR('v'))}});
    EXPECT_EQ("CreateBatchRequest is invalid: /metadata/long: value is 513 characters, at most 512 allowed",
              validationMessage(request));
}

TEST(Validate, LengthsCountCharactersNotBytes)
{
    auto request = validRequest();
    utility::string_t accented;
    for (int i = 0; i < 64; ++i)
    {
        accented += _XPLATSTR("\xC3\xA9"); // é: two UTF-8 bytes, one character
    }
    request.setMetadata({{accented, _XPLATSTR("v")}});
    EXPECT_NO_THROW(request.validate());
    EXPECT_EQ(64u, characterCount(accented));
}

TEST(Validate, LooksIntoNestedModels)
{
    Batch batch;
    ASSERT_TRUE(batch.fromJson(fixtures::parse(fixtures::kCompletedBatch)));
    batch.getRequestCounts()->unsetTotal();
    auto metadata = batch.getMetadata();
    metadata[_XPLATSTR("x")] = utility::string_t(600, _XPLATSTR('v'));
    batch.setMetadata(metadata);
    EXPECT_EQ("Batch is invalid: /request_counts/total: missing required property; /metadata/x: value is 600 "
              "characters, at most 512 allowed",
              validationMessage(batch));
}

TEST(Validate, UnknownEnumValuesAreNotProblems)
{
    auto request = validRequest();
    request.setEndpointString(_XPLATSTR("/v1/audio/speech"));
    EXPECT_NO_THROW(request.validate());
    EXPECT_EQ(CreateBatchRequest::EndpointEnum::UNKNOWN_DEFAULT_OPEN_API, request.getEndpoint());
}

} // namespace
