// The code generated from the 2025-04 subset of OpenAI's spec (OpenAPI 3.0), the spec the seed page was
// made from: its own class names and shapes, and the model contract on a real batch.
#include "api/FilesApi.h"
#include "model/Batch.h"
#include "model/BatchErrorsDataInner.h"
#include "model/BatchRequestOutput.h"

#include <gtest/gtest.h>

using namespace org::openapitools::client::model;

namespace {

TEST(Spec2025Batch, ReadsAFailedBatchWithItsInlineErrorClass)
{
    Batch batch;
    ASSERT_TRUE(batch.fromJson(web::json::value::parse(R"({"id": "batch_def456", "object": "batch",
        "endpoint": "/v1/chat/completions", "errors": {"object": "list", "data": [{"code": "invalid_json_line",
        "message": "This line is not parseable as valid JSON.", "param": null, "line": 3}]},
        "input_file_id": "file-def456", "completion_window": "24h", "status": "failed", "created_at": 1711471533,
        "failed_at": 1711471540, "request_counts": {"total": 0, "completed": 0, "failed": 0}})")))
        << testing::PrintToString(batch.getDiagnostics());
    const std::shared_ptr<BatchErrorsDataInner>& error = batch.getErrors()->getData().at(0);
    EXPECT_EQ(3, error->getLine());
    EXPECT_EQ(Batch::StatusEnum::FAILED, batch.getStatus());
    // This spec has no model or usage: a later server's fields are kept as unknown keys.
    ASSERT_TRUE(batch.fromJson(web::json::value::parse(R"({"id": "b", "object": "batch", "endpoint": "/v1/responses",
        "input_file_id": "f", "completion_window": "24h", "status": "completed", "created_at": 1, "model": "m"})")));
    EXPECT_EQ("m", batch.getAdditionalProperties().at("model").as_string());
}

TEST(Spec2025BatchRequestOutput, ReadsAnErrorLine)
{
    BatchRequestOutput line;
    ASSERT_TRUE(line.fromJson(web::json::value::parse(R"({"id": "batch_req_456", "custom_id": "request-3",
        "response": null, "error": {"code": "batch_expired", "message": "not run"}})")));
    EXPECT_EQ("batch_expired", line.getError()->getCode());
    EXPECT_FALSE(line.responseIsSet());
}

TEST(Spec2025FilesApi, CreateFileTakesTheTwoPartsOfThatSpec)
{
    using Create = pplx::task<std::shared_ptr<OpenAIFile>> (org::openapitools::client::api::FilesApi::*)(
        std::shared_ptr<HttpContent>, utility::string_t) const;
    const Create create = &org::openapitools::client::api::FilesApi::createFile;
    EXPECT_NE(nullptr, create);
}

} // namespace
