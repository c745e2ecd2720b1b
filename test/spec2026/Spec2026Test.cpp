// The model layer generated from OpenAI's 2026-08 spec: the new fields are typed, and round-trip.
#include "LoopbackServer.h"

#include "api/FilesApi.h"
#include "model/Batch.h"
#include "model/CreateBatchRequest.h"

#include <gtest/gtest.h>

using namespace org::openapitools::client::model;

namespace {

const char* const kBatch = R"({"id": "batch_abc123", "object": "batch", "endpoint": "/v1/responses",
 "model": "gpt-5-2025-08-07", "errors": {"object": "list", "data": [{"code": "bad_line", "message": "m", "param": null, "line": 4}]},
 "input_file_id": "file-abc123", "completion_window": "24h", "status": "completed", "created_at": 1711471533,
 "completed_at": 4102444800, "failed_at": null,
 "request_counts": {"total": 100, "completed": 95, "failed": 5},
 "usage": {"input_tokens": 1500, "input_tokens_details": {"cached_tokens": 1024},
           "output_tokens": 500, "output_tokens_details": {"reasoning_tokens": 300}, "total_tokens": 2000},
 "metadata": null})";

TEST(Spec2026Batch, ModelAndUsageAreTypedAndRoundTrip)
{
    Batch batch;
    ASSERT_TRUE(batch.fromJson(web::json::value::parse(kBatch))) << testing::PrintToString(batch.getDiagnostics());
    EXPECT_TRUE(batch.getAdditionalProperties().empty()) << "model and usage are spec properties now";
    EXPECT_EQ("gpt-5-2025-08-07", batch.getModel());
    ASSERT_TRUE(batch.getUsage());
    EXPECT_EQ(1500, batch.getUsage()->getInputTokens());
    EXPECT_EQ(1024, batch.getUsage()->getInputTokensDetails()->getCachedTokens());
    EXPECT_EQ(300, batch.getUsage()->getOutputTokensDetails()->getReasoningTokens());
    EXPECT_EQ(2000, batch.getUsage()->getTotalTokens());
    EXPECT_EQ(int64_t{4102444800}, batch.getCompletedAt());
    EXPECT_EQ(4, batch.getErrors()->getData().at(0)->getLine());
    EXPECT_FALSE(batch.getErrors()->getData().at(0)->paramIsSet());

    batch.getUsage()->setTotalTokens(2001);
    Batch copy;
    ASSERT_TRUE(copy.fromJson(batch.toJson()));
    EXPECT_EQ(batch, copy);
    EXPECT_EQ(2001, copy.toJson().at("usage").at("total_tokens").as_integer());
    EXPECT_EQ("gpt-5-2025-08-07", copy.toJson().at("model").as_string());
}

TEST(Spec2026Batch, UsageRequiresItsDetails)
{
    auto json = web::json::value::parse(kBatch);
    json["usage"].erase("output_tokens_details");
    Batch batch;
    EXPECT_FALSE(batch.fromJson(json));
    ASSERT_EQ(1u, batch.getDiagnostics().size());
    EXPECT_EQ("/usage/output_tokens_details: missing required property", batch.getDiagnostics()[0].toString());
}

TEST(Spec2026CreateBatchRequest, OutputExpiryLimitsAreValidated)
{
    CreateBatchRequest request;
    request.setInputFileId("file-abc123");
    request.setEndpoint(CreateBatchRequest::EndpointEnum::V1_MODERATIONS);
    request.setCompletionWindow(CreateBatchRequest::CompletionWindowEnum::_24H);
    auto expiry = std::make_shared<BatchFileExpirationAfter>();
    expiry->setAnchor(BatchFileExpirationAfter::AnchorEnum::CREATED_AT);
    expiry->setSeconds(60);
    request.setOutputExpiresAfter(expiry);
    try
    {
        request.validate();
        FAIL() << "a 60 s expiry was accepted";
    }
    catch (const ModelValidationException& error)
    {
        EXPECT_STREQ("CreateBatchRequest is invalid: /output_expires_after/seconds: 60 is less than the minimum 3600",
                     error.what());
    }
    expiry->setSeconds(2592000);
    EXPECT_NO_THROW(request.validate());
}

TEST(Spec2026FilesApi, SendsExpiresAfterInOpenAIsBracketForm)
{
    testing_support::LoopbackServer server;
    server.enqueueJson(200, R"({"id": "file-1", "object": "file", "bytes": 3, "created_at": 1, "filename": "a.jsonl",
                                "purpose": "batch", "expires_at": 3601})");
    auto configuration = std::make_shared<org::openapitools::client::api::ApiConfiguration>();
    configuration->setBaseUrl(server.url());
    org::openapitools::client::api::FilesApi api(
        std::make_shared<org::openapitools::client::api::ApiClient>(configuration));
    auto content = std::make_shared<HttpContent>();
    content->setFileName("a.jsonl");
    content->setData(std::make_shared<std::istringstream>("{}\n"));
    auto expiry = std::make_shared<FileExpirationAfter>();
    expiry->setAnchor(FileExpirationAfter::AnchorEnum::CREATED_AT);
    expiry->setSeconds(3600);

    api.createFile(content, "batch", expiry).get();

    const std::string body = server.requests().at(0).body;
    EXPECT_NE(body.find("name=\"expires_after[anchor]\"\r\n\r\ncreated_at\r\n"), std::string::npos) << body;
    EXPECT_NE(body.find("name=\"expires_after[seconds]\"\r\n\r\n3600\r\n"), std::string::npos) << body;
}

TEST(Spec2026FilesApi, RefusesAnInvalidExpiryBeforeSending)
{
    org::openapitools::client::api::FilesApi api(nullptr);
    auto content = std::make_shared<HttpContent>();
    content->setData(std::make_shared<std::istringstream>("{}\n"));
    auto expiry = std::make_shared<FileExpirationAfter>();
    expiry->setAnchor(FileExpirationAfter::AnchorEnum::CREATED_AT);
    expiry->setSeconds(60);
    try
    {
        api.createFile(content, "batch", expiry).get();
        FAIL() << "a 60 s expiry was sent";
    }
    catch (const std::invalid_argument& error)
    {
        EXPECT_STREQ("createFile: FileExpirationAfter is invalid: /seconds: 60 is less than the minimum 3600",
                     error.what());
    }
}

} // namespace
