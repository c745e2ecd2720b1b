// ApiClient through BatchApi against a loopback server: HTTP errors, retries, bad bodies and timeouts.
#include "ApiTestSupport.h"

#include "api/BatchApi.h"

using namespace org::openapitools::client::api;
using namespace testing_support;
using std::chrono::milliseconds;

namespace {

class ApiClientTest : public LoopbackApiTest
{
protected:
    BatchApi api{client};

    template <typename Exception> Exception failureOf(pplx::task<std::shared_ptr<Batch>> task)
    {
        try
        {
            task.get();
        }
        catch (const Exception& error)
        {
            return error;
        }
        catch (const std::exception& other)
        {
            ADD_FAILURE() << "unexpected exception: " << other.what();
            throw;
        }
        ADD_FAILURE() << "the call succeeded";
        throw std::logic_error("no exception");
    }
};

struct ErrorCase
{
    int status;
    const char* type;
    const char* code; ///< JSON: a string literal or null
    const char* expectedCode;
};

class HttpErrors : public ApiClientTest, public ::testing::WithParamInterface<ErrorCase>
{
};

TEST_P(HttpErrors, BecomeApiExceptionWithStatusRequestIdAndParsedError)
{
    const auto& c = GetParam();
    // Every status is answered the same way on each attempt, so retried ones (500) fail after the retries.
    for (int i = 0; i < 3; ++i)
    {
        server.enqueueJson(c.status,
                           std::string(R"({"error": {"message": "Something about batch_1", "type": ")") + c.type
                               + R"(", "param": "batch_id", "code": )" + c.code + "}}",
                           {{"x-request-id", "req_" + std::to_string(c.status)}});
    }
    const auto error = failureOf<ApiException>(api.retrieveBatch("batch_1"));

    EXPECT_EQ(error.getStatus(), c.status);
    EXPECT_EQ(error.error_code().value(), c.status);
    EXPECT_EQ(error.getOperation(), "retrieveBatch");
    EXPECT_EQ(error.getRequestId(), "req_" + std::to_string(c.status));
    ASSERT_TRUE(error.getError().has_value());
    EXPECT_EQ(error.getError()->message, "Something about batch_1");
    EXPECT_EQ(error.getError()->type, c.type);
    EXPECT_EQ(error.getError()->param, "batch_id");
    EXPECT_EQ(error.getError()->code, c.expectedCode);
    EXPECT_NE(error.getBody().find("Something about batch_1"), std::string::npos);
    EXPECT_EQ(std::string(error.what()),
              "retrieveBatch: HTTP " + std::to_string(c.status) + ": Something about batch_1"
                  + (*c.expectedCode ? std::string(" (code ") + c.expectedCode + ")" : "") + " [x-request-id req_"
                  + std::to_string(c.status) + "]");
    EXPECT_EQ(std::string(error.what()).find(TEST_API_KEY), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Statuses, HttpErrors,
    ::testing::Values(ErrorCase{400, "invalid_request_error", "null", ""},
                      ErrorCase{401, "invalid_request_error", "\"invalid_api_key\"", "invalid_api_key"},
                      ErrorCase{404, "invalid_request_error", "null", ""}, ErrorCase{500, "server_error", "42", "42"}));

TEST_F(ApiClientTest, ClientErrorsAreNotRetried)
{
    server.enqueueJson(
        400, R"({"error": {"message": "bad", "type": "invalid_request_error", "param": null, "code": null}})");
    failureOf<ApiException>(api.retrieveBatch("batch_1"));
    EXPECT_EQ(server.requests().size(), 1u);
    EXPECT_TRUE(sleeps.waits().empty());
}

TEST_F(ApiClientTest, RateLimitIsRetriedAfterTheWaitTheServerAsksFor)
{
    server.enqueueJson(
        429, R"({"error": {"message": "slow down", "type": "requests", "param": null, "code": "rate_limit_exceeded"}})",
        {{"Retry-After", "1"}});
    server.enqueueJson(200, batchJson());

    const auto batch = api.retrieveBatch("batch_abc123").get();

    EXPECT_EQ(batch->getId(), "batch_abc123");
    EXPECT_EQ(server.requests().size(), 2u);
    EXPECT_EQ(sleeps.waits(), std::vector<milliseconds>{milliseconds(1000)});
}

TEST_F(ApiClientTest, ServerErrorsStopAfterTheConfiguredRetries)
{
    for (int i = 0; i < 5; ++i)
    {
        server.enqueueJson(
            503, R"({"error": {"message": "overloaded", "type": "server_error", "param": null, "code": null}})");
    }
    const auto error = failureOf<ApiException>(api.retrieveBatch("batch_1"));

    EXPECT_EQ(error.getStatus(), 503);
    EXPECT_EQ(server.requests().size(), 3u);
    // Exponential backoff from 500 ms (jitter pinned to 0 by the test hooks).
    EXPECT_EQ(sleeps.waits(), (std::vector<milliseconds>{milliseconds(500), milliseconds(1000)}));
}

TEST_F(ApiClientTest, ZeroRetriesSendsOnce)
{
    configuration->getRetryOptions().maxRetries = 0;
    reconfigure();
    server.enqueueJson(500, "{}");
    failureOf<ApiException>(api.retrieveBatch("batch_1"));
    EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(ApiClientTest, ANonJsonSuccessBodyIsAClearError)
{
    server.enqueue(CannedResponse::text(200, "<html>gateway</html>",
                                        {{"Content-Type", "text/html"}, {"x-request-id", "req_html"}}));
    const auto error = failureOf<ApiResponseException>(api.retrieveBatch("batch_1"));

    EXPECT_EQ(error.getStatus(), 200);
    EXPECT_EQ(error.getRequestId(), "req_html");
    EXPECT_EQ(error.getBody(), "<html>gateway</html>");
    ASSERT_EQ(error.problems().size(), 1u);
    EXPECT_EQ(error.problems()[0].message.rfind("not valid JSON", 0), 0u) << error.problems()[0].message;
    EXPECT_EQ(
        std::string(error.what()).rfind("retrieveBatch: the HTTP 200 response is not a Batch; /: not valid JSON: ", 0),
        0u)
        << error.what();
}

TEST_F(ApiClientTest, AWrongTypedSuccessBodyNamesEveryMismatch)
{
    server.enqueueJson(200, R"({"id": 5, "object": "batch", "endpoint": "/v1/chat/completions", "input_file_id": "f",
                               "completion_window": "24h", "status": "completed", "created_at": "yesterday"})");
    const auto error = failureOf<ApiResponseException>(api.retrieveBatch("batch_1"));

    ASSERT_EQ(error.problems().size(), 2u);
    EXPECT_EQ(error.problems()[0].toString(), "/created_at: expected integer, got string");
    EXPECT_EQ(error.problems()[1].toString(), "/id: expected string, got integer");
    EXPECT_STREQ(error.what(),
                 "retrieveBatch: the HTTP 200 response is not a Batch; "
                 "/created_at: expected integer, got string; /id: expected string, got integer");
}

TEST_F(ApiClientTest, JsonNestedTooDeepIsRefusedUnparsed)
{
    // 100,000 levels would overflow the stack of cpprestsdk's recursive parser.
    server.enqueueJson(200, std::string(100000, '['));
    server.enqueueJson(400, std::string(100000, '{'));
    const auto deep = failureOf<ApiResponseException>(api.retrieveBatch("batch_1"));
    ASSERT_EQ(deep.problems().size(), 1u);
    EXPECT_EQ(deep.problems()[0].toString(), "/: nested deeper than 256 levels");
    const auto error = failureOf<ApiException>(api.retrieveBatch("batch_1"));
    EXPECT_EQ(error.getStatus(), 400);
    EXPECT_FALSE(error.getError().has_value());
}

TEST_F(ApiClientTest, AnUnpairedSurrogateEscapeIsAClearErrorNotACrash)
{
    // Found by fuzzing: cpprestsdk's parser throws std::range_error on "\ud83d\udA00".
    server.enqueueJson(200, R"({"id": "\ud83d\udA00"})");
    server.enqueueJson(404, R"({"error": {"message": "\udA00"}})");
    const auto unreadable = failureOf<ApiResponseException>(api.retrieveBatch("batch_1"));
    ASSERT_EQ(unreadable.problems().size(), 1u);
    EXPECT_EQ(unreadable.problems()[0].toString(), "/: not valid JSON: UTF-16 string has invalid low surrogate");
    const auto error = failureOf<ApiException>(api.retrieveBatch("batch_1"));
    EXPECT_EQ(error.getStatus(), 404);
    EXPECT_FALSE(error.getError().has_value());
}

TEST_F(ApiClientTest, TheNestingLimitIgnoresBracketsInStrings)
{
    EXPECT_FALSE(nestsDeeperThan(R"({"a": ")" + std::string(1000, '[') + R"("})", 256));
    EXPECT_FALSE(nestsDeeperThan(std::string(256, '[') + std::string(256, ']'), 256));
    EXPECT_TRUE(nestsDeeperThan(std::string(257, '['), 256));
    EXPECT_FALSE(nestsDeeperThan(R"({"q": "\"[[[[", "n": [[1]]})", 3)); // an escaped quote does not end the string
    EXPECT_FALSE(nestsDeeperThan(R"({"q": "\\\"[[[[", "n": 1})", 2));   // nor one after an escaped backslash
    EXPECT_TRUE(nestsDeeperThan(R"({"q": "x\\", "n": [[[1]]]})", 3)); // an escaped backslash does not escape the quote
    EXPECT_FALSE(nestsDeeperThan(R"({"q": "[[[[)", 2));               // unterminated: left to the parser
}

TEST_F(ApiClientTest, AnArrayWhereAnObjectBelongsIsRefused)
{
    server.enqueueJson(200, "[]");
    const auto error = failureOf<ApiResponseException>(api.retrieveBatch("batch_1"));
    EXPECT_FALSE(error.problems().empty());
}

TEST_F(ApiClientTest, AServerThatNeverAnswersTimesOut)
{
    SilentServer silent;
    configuration->setBaseUrl(silent.url() + "/v1");
    configuration->setTimeout(milliseconds(1000));
    configuration->getRetryOptions().maxRetries = 0;
    reconfigure();

    const auto error = failureOf<ApiConnectionException>(api.retrieveBatch("batch_1"));

    EXPECT_TRUE(error.isTimeout()) << error.what();
    EXPECT_EQ(error.getAttempts(), 1);
    EXPECT_STREQ(error.what(),
                 "retrieveBatch: no response before the timeout (nothing received or sent for the timeout)");
}

TEST_F(ApiClientTest, ARefusedConnectionIsRetriedThenReported)
{
    configuration->setBaseUrl("http://127.0.0.1:" + std::to_string(freeLoopbackPort()) + "/v1");
    reconfigure();

    const auto error = failureOf<ApiConnectionException>(api.retrieveBatch("batch_1"));

    EXPECT_FALSE(error.isTimeout());
    EXPECT_EQ(error.getAttempts(), 3);
    EXPECT_EQ(sleeps.waits().size(), 2u);
    EXPECT_NE(std::string(error.what()).find("after 3 attempts"), std::string::npos) << error.what();
}

TEST_F(ApiClientTest, AnErrorBodyIsKeptOnlyUpToTheLimit)
{
    server.enqueue(CannedResponse::text(400, std::string(ApiClient::maxErrorBodyBytes * 3, 'e')));
    const auto error = failureOf<ApiException>(api.retrieveBatch("batch_1"));
    EXPECT_EQ(error.getBody().size(), ApiClient::maxErrorBodyBytes);
    EXPECT_TRUE(error.isBodyTruncated());
    EXPECT_FALSE(error.getError().has_value());
}

TEST_F(ApiClientTest, OneConnectionPoolIsReusedAcrossCalls)
{
    server.enqueueJson(200, batchJson());
    server.enqueueJson(200, batchJson());
    api.retrieveBatch("batch_abc123").get();
    BatchApi second(client);
    second.retrieveBatch("batch_abc123").get();
    EXPECT_EQ(server.requests().size(), 2u);
}

} // namespace
