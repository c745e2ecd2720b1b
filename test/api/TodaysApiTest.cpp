// Today's API (OpenAI's 2026-08 spec): the fields it added are typed, read what real servers send, and
// round-trip. ctest also compiles this file against the code generated straight from OpenAI's whole
// spec (generator.spec_full_2026_08), so it holds for both.
#include "LoopbackServer.h"

#include "api/FilesApi.h"
#include "model/Batch.h"
#include "model/CreateBatchRequest.h"
#include "model/ListFilesResponse.h"
#include "model/OpenAIFile.h"
#include "model/WebhookBatchExpired.h"

#include <gtest/gtest.h>

using namespace org::openapitools::client::model;

namespace {

std::shared_ptr<org::openapitools::client::api::FilesApi> filesApiFor(const testing_support::LoopbackServer& server)
{
    auto configuration = std::make_shared<org::openapitools::client::api::ApiConfiguration>();
    configuration->setBaseUrl(server.url());
    return std::make_shared<org::openapitools::client::api::FilesApi>(
        std::make_shared<org::openapitools::client::api::ApiClient>(configuration));
}

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

TEST(Spec2026Batch, ReadsUsageAsRealServersSendIt)
{
    // What OpenAI's servers send beyond the spec: the chat-style counts at 0 and their details null.
    auto json = web::json::value::parse(kBatch);
    json["usage"] = web::json::value::parse(R"({"completion_tokens": 0, "prompt_tokens": 0, "total_tokens": 7331,
        "completion_tokens_details": null, "prompt_tokens_details": null, "input_tokens": 5120,
        "output_tokens": 2211, "input_tokens_details": {"cached_tokens": 4096},
        "output_tokens_details": {"reasoning_tokens": 1024}})");
    Batch batch;
    ASSERT_TRUE(batch.fromJson(json)) << testing::PrintToString(batch.getDiagnostics());
    const auto& usage = *batch.getUsage();
    EXPECT_EQ(5120, usage.getInputTokens());
    EXPECT_EQ(2211, usage.getOutputTokens());
    EXPECT_EQ(7331, usage.getTotalTokens());
    EXPECT_EQ(4096, usage.getInputTokensDetails()->getCachedTokens());
    EXPECT_EQ(1024, usage.getOutputTokensDetails()->getReasoningTokens());
    // The keys the spec does not list are kept, nulls included, and written back unchanged.
    const auto& extra = usage.getAdditionalProperties();
    ASSERT_EQ(4u, extra.size());
    EXPECT_EQ(0, extra.at("prompt_tokens").as_integer());
    EXPECT_TRUE(extra.at("completion_tokens_details").is_null());
    const auto written = batch.toJson().at("usage");
    EXPECT_EQ(json.at("usage").size(), written.size());
    for (const auto& [key, value] : json.at("usage").as_object())
    {
        EXPECT_EQ(value, written.at(key)) << key;
    }
}

TEST(Spec2026Batch, NullDetailsReadAsAbsent)
{
    // A null where the spec wants an object is the same as leaving it out: reported as missing.
    auto json = web::json::value::parse(kBatch);
    json["usage"]["input_tokens_details"] = web::json::value::null();
    Batch batch;
    EXPECT_FALSE(batch.fromJson(json));
    ASSERT_EQ(1u, batch.getDiagnostics().size());
    EXPECT_EQ("/usage/input_tokens_details: missing required property", batch.getDiagnostics()[0].toString());
    EXPECT_FALSE(batch.getUsage()->inputTokensDetailsIsSet());
    EXPECT_EQ(2000, batch.getUsage()->getTotalTokens());
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

TEST(Spec2026CreateBatchRequest, EveryEndpointOfTodayHasItsEnumerator)
{
    const std::pair<CreateBatchRequest::EndpointEnum, const char*> endpoints[] = {
        {CreateBatchRequest::EndpointEnum::V1_RESPONSES, "/v1/responses"},
        {CreateBatchRequest::EndpointEnum::V1_CHAT_COMPLETIONS, "/v1/chat/completions"},
        {CreateBatchRequest::EndpointEnum::V1_EMBEDDINGS, "/v1/embeddings"},
        {CreateBatchRequest::EndpointEnum::V1_COMPLETIONS, "/v1/completions"},
        {CreateBatchRequest::EndpointEnum::V1_MODERATIONS, "/v1/moderations"},
        {CreateBatchRequest::EndpointEnum::V1_IMAGES_GENERATIONS, "/v1/images/generations"},
        {CreateBatchRequest::EndpointEnum::V1_IMAGES_EDITS, "/v1/images/edits"},
        {CreateBatchRequest::EndpointEnum::V1_VIDEOS, "/v1/videos"}};
    for (const auto& [enumerator, text] : endpoints)
    {
        EXPECT_EQ(text, CreateBatchRequest::fromEndpointEnum(enumerator));
        EXPECT_EQ(enumerator, CreateBatchRequest::toEndpointEnum(text));
    }
}

TEST(Spec2026CreateBatchRequest, WritesOutputExpiresAfter)
{
    CreateBatchRequest request;
    auto expiry = std::make_shared<BatchFileExpirationAfter>();
    expiry->setAnchor(BatchFileExpirationAfter::AnchorEnum::CREATED_AT);
    expiry->setSeconds(86400);
    request.setOutputExpiresAfter(expiry);
    EXPECT_EQ(web::json::value::parse(R"({"output_expires_after": {"anchor": "created_at", "seconds": 86400}})"),
              request.toJson());
}

TEST(Spec2026OpenAIFile, PurposesOfToday)
{
    for (const char* purpose : {"assistants", "assistants_output", "batch", "batch_output", "fine-tune",
                                "fine-tune-results", "vision", "user_data"})
    {
        OpenAIFile file;
        file.setPurposeString(purpose);
        EXPECT_NE(OpenAIFile::PurposeEnum::UNKNOWN_DEFAULT_OPEN_API, file.getPurpose()) << purpose;
    }
}

TEST(Spec2026ListFilesResponse, AnEmptyPageHasNoIds)
{
    // generator/config.yaml makes first_id and last_id optional: the API sends them null on an empty page.
    ListFilesResponse page;
    EXPECT_TRUE(page.fromJson(web::json::value::parse(
        R"({"object": "list", "data": [], "first_id": null, "last_id": null, "has_more": false})")))
        << testing::PrintToString(page.getDiagnostics());
    EXPECT_FALSE(page.firstIdIsSet());
}

TEST(Spec2026Webhooks, EventBodiesAreTyped)
{
    WebhookBatchExpired event;
    ASSERT_TRUE(event.fromJson(web::json::value::parse(
        R"({"id": "evt_1", "object": "event", "created_at": 1719168000, "type": "batch.expired", "data": {"id": "batch_9"}})")))
        << testing::PrintToString(event.getDiagnostics());
    EXPECT_EQ(WebhookBatchExpired::TypeEnum::BATCH_EXPIRED, event.getType());
    EXPECT_EQ("batch_9", event.getData()->getId());
    EXPECT_FALSE(
        WebhookBatchExpired().fromJson(web::json::value::parse(R"({"id": "evt_1", "type": "batch.expired"})")));
}

TEST(Spec2026FilesApi, SendsExpiresAfterInOpenAIsBracketForm)
{
    testing_support::LoopbackServer server;
    server.enqueueJson(200, R"({"id": "file-1", "object": "file", "bytes": 3, "created_at": 1, "filename": "a.jsonl",
                                "purpose": "batch", "expires_at": 3601})");
    const auto api = filesApiFor(server);
    auto content = std::make_shared<HttpContent>();
    content->setFileName("a.jsonl");
    content->setData(std::make_shared<std::istringstream>("{}\n"));
    auto expiry = std::make_shared<FileExpirationAfter>();
    expiry->setAnchor(FileExpirationAfter::AnchorEnum::CREATED_AT);
    expiry->setSeconds(3600);

    api->createFile(content, "batch", expiry).get();

    const std::string body = server.requests().at(0).body;
    EXPECT_NE(body.find("name=\"expires_after[anchor]\"\r\n\r\ncreated_at\r\n"), std::string::npos) << body;
    EXPECT_NE(body.find("name=\"expires_after[seconds]\"\r\n\r\n3600\r\n"), std::string::npos) << body;
}

TEST(Spec2026FilesApi, CallsWrittenBeforeExpiresAfterStillCompileAndSendNoExpiry)
{
    testing_support::LoopbackServer server;
    server.enqueueJson(200, R"({"id": "file-1", "object": "file", "bytes": 3, "created_at": 1, "filename": "a.jsonl",
                                "purpose": "batch"})");
    auto content = std::make_shared<HttpContent>();
    content->setData(std::make_shared<std::istringstream>("{}\n"));
    filesApiFor(server)->createFile(content, "batch").get();
    EXPECT_EQ(std::string::npos, server.requests().at(0).body.find("expires_after"));
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
