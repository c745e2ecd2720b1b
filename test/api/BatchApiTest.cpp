// BatchApi against a loopback server: the exact request each operation sends, and what it reads back.
#include "ApiTestSupport.h"

#include "api/BatchApi.h"

#include <cpprest/json.h>

using namespace org::openapitools::client::api;
using namespace testing_support;

namespace {

class BatchApiTest : public LoopbackApiTest
{
protected:
    BatchApi api{client};
};

std::shared_ptr<CreateBatchRequest> validCreateRequest()
{
    auto request = std::make_shared<CreateBatchRequest>();
    request->setInputFileId("file-abc123");
    request->setEndpoint(CreateBatchRequest::EndpointEnum::V1_CHAT_COMPLETIONS);
    request->setCompletionWindow(CreateBatchRequest::CompletionWindowEnum::_24H);
    request->setMetadata({{"job", "nightly"}});
    return request;
}

TEST_F(BatchApiTest, CreateBatchPostsTheModelAsJson)
{
    server.enqueueJson(200, batchJson());
    const auto batch = api.createBatch(validCreateRequest()).get();

    const auto request = onlyRequest();
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/v1/batches");
    EXPECT_EQ(request.header("Content-Type"), "application/json");
    EXPECT_EQ(request.header("Accept"), "application/json");
    EXPECT_EQ(web::json::value::parse(request.body),
              web::json::value::parse(R"({"input_file_id": "file-abc123", "endpoint": "/v1/chat/completions",
                                          "completion_window": "24h", "metadata": {"job": "nightly"}})"));
    EXPECT_EQ(batch->getId(), "batch_abc123");
    EXPECT_EQ(batch->getStatus(), Batch::StatusEnum::VALIDATING);
}

TEST_F(BatchApiTest, SendsBearerAuthAndOpenAIHeadersButNeverTheKeyInTheUrl)
{
    configuration->setOrganization("org-123");
    configuration->setProject("proj_456");
    configuration->setUserAgent("batch-tests/1.0");
    configuration->getDefaultHeaders()["X-Trace"] = "trace-1";
    reconfigure();
    server.enqueueJson(200, batchJson());
    api.retrieveBatch("batch_abc123").get();

    const auto request = onlyRequest();
    EXPECT_EQ(request.header("Authorization"), std::string("Bearer ") + TEST_API_KEY);
    EXPECT_EQ(request.header("OpenAI-Organization"), "org-123");
    EXPECT_EQ(request.header("OpenAI-Project"), "proj_456");
    EXPECT_EQ(request.header("User-Agent"), "batch-tests/1.0");
    EXPECT_EQ(request.header("X-Trace"), "trace-1");
    EXPECT_EQ(request.target.find(TEST_API_KEY), std::string::npos);
}

TEST_F(BatchApiTest, LeavesOutOrganizationAndProjectHeadersWhenUnset)
{
    server.enqueueJson(200, batchJson());
    api.retrieveBatch("batch_abc123").get();

    const auto request = onlyRequest();
    EXPECT_EQ(request.header("OpenAI-Organization"), "<absent>");
    EXPECT_EQ(request.header("OpenAI-Project"), "<absent>");
}

TEST_F(BatchApiTest, RetrieveBatchGetsTheBatchPath)
{
    server.enqueueJson(200, batchJson("batch_xyz", "in_progress"));
    const auto batch = api.retrieveBatch("batch_xyz").get();

    const auto request = onlyRequest();
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.target, "/v1/batches/batch_xyz");
    EXPECT_EQ(request.body, "");
    EXPECT_EQ(batch->getStatus(), Batch::StatusEnum::IN_PROGRESS);
    EXPECT_EQ(batch->getMetadata().at("job"), "nightly");
}

struct EncodedId
{
    std::string id;
    std::string target;
};

class BatchIdEncoding : public BatchApiTest, public ::testing::WithParamInterface<EncodedId>
{
};

TEST_P(BatchIdEncoding, KeepsTheIdInsideItsPathSegment)
{
    server.enqueueJson(200, batchJson());
    api.retrieveBatch(GetParam().id).get();
    EXPECT_EQ(onlyRequest().target, GetParam().target);
}

INSTANTIATE_TEST_SUITE_P(
    HostileIds, BatchIdEncoding,
    ::testing::Values(EncodedId{"../files", "/v1/batches/..%2Ffiles"}, EncodedId{"a/b?c", "/v1/batches/a%2Fb%3Fc"},
                      EncodedId{"..", "/v1/batches/%2E%2E"}, EncodedId{"x#y", "/v1/batches/x%23y"},
                      EncodedId{"100%", "/v1/batches/100%25"}, EncodedId{"a b&c=d", "/v1/batches/a%20b%26c%3Dd"},
                      EncodedId{std::string("batch\0/..", 9), "/v1/batches/batch%00%2F.."},
                      EncodedId{"line\r\nX-Injected: 1", "/v1/batches/line%0D%0AX-Injected%3A%201"}));

TEST_F(BatchApiTest, CancelBatchPostsWithoutABody)
{
    server.enqueueJson(200, batchJson("batch_abc123", "cancelling"));
    const auto batch = api.cancelBatch("batch_abc123").get();

    const auto request = onlyRequest();
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/v1/batches/batch_abc123/cancel");
    EXPECT_EQ(request.body, "");
    EXPECT_EQ(batch->getStatus(), Batch::StatusEnum::CANCELLING);
}

TEST_F(BatchApiTest, ListBatchesEncodesItsQuery)
{
    server.enqueueJson(200,
                       R"({"object": "list", "data": [)" + batchJson("batch_1") + "," + batchJson("batch_2")
                           + R"(], "first_id": "batch_1", "last_id": "batch_2", "has_more": true})");
    const auto page = api.listBatches(utility::string_t("batch 0&x=1"), int64_t{2}).get();

    EXPECT_EQ(onlyRequest().target, "/v1/batches?after=batch%200%26x%3D1&limit=2");
    ASSERT_EQ(page->getData().size(), 2u);
    EXPECT_EQ(page->getData()[1]->getId(), "batch_2");
    EXPECT_TRUE(page->isHasMore());
}

TEST_F(BatchApiTest, ListBatchesSendsNoQueryForUnsetParameters)
{
    server.enqueueJson(200, R"({"object": "list", "data": [], "has_more": false})");
    api.listBatches(boost::none, boost::none).get();
    EXPECT_EQ(onlyRequest().target, "/v1/batches");
}

} // namespace
