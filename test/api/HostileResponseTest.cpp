// Responses that break naive clients: a body shorter than its Content-Length, numbers no integer field
// can hold, NUL bytes, keys given twice, a 50 MB string. Each ends in a clear error or the exact value.
#include "ApiTestSupport.h"
#include "RawHttpServer.h"

#include "api/BatchApi.h"
#include "api/FilesApi.h"

#include <limits>
#include <sstream>

using namespace org::openapitools::client::api;
using namespace testing_support;

namespace {

class HostileResponseTest : public LoopbackApiTest
{
protected:
    BatchApi batches{client};

    /// A batch whose created_at is the given JSON text.
    void answerWithCreatedAt(const std::string& number)
    {
        auto json = batchJson();
        const std::string field = R"("created_at": 1711471533)";
        json.replace(json.find(field), field.size(), "\"created_at\": " + number);
        server.enqueueJson(200, json);
    }

    /// The problems of the ApiResponseException the next retrieveBatch fails with.
    std::string refusal()
    {
        try
        {
            batches.retrieveBatch("batch_abc123").get();
        }
        catch (const ApiResponseException& error)
        {
            std::string problems;
            for (const auto& problem : error.problems())
            {
                problems += utility::conversions::to_utf8string(problem.toString()) + "\n";
            }
            return problems;
        }
        ADD_FAILURE() << "the response was accepted";
        return "";
    }
};

TEST(HostileServer, ABodyShorterThanItsContentLengthIsAConnectionErrorNotAGigabyteWait)
{
    // Promises 1 GiB, sends 16 bytes, hangs up.
    RawHttpServer raw([](const RawRequest&) {
        RawReply reply;
        reply.body = R"({"id": "batch_1")";
        reply.declaredLength = "1073741824";
        return reply;
    });
    auto configuration = configurationFor(raw.url() + "/v1");
    configuration->getRetryOptions().maxRetries = 0;
    auto client = std::make_shared<ApiClient>(configuration);

    EXPECT_THROW(BatchApi(client).retrieveBatch("batch_1").get(), ApiConnectionException);
    std::ostringstream download;
    EXPECT_THROW(FilesApi(client).downloadFileTo("file-1", download).get(), ApiConnectionException);
    EXPECT_LE(download.str().size(), 16u); // at most what did arrive
}

TEST_F(HostileResponseTest, IntegersNoFieldCanHoldAreRefusedAtTheirPath)
{
    const std::pair<const char*, const char*> cases[] = {
        {"1e400", "/created_at: expected integer, got number"},
        {"-1e400", "/created_at: expected integer, got number"},
        {"1.5", "/created_at: expected integer, got number"},
        {"9223372036854775808", "/created_at: integer 9223372036854775808 is out of range for int64"},
        {"18446744073709551616",
         "/created_at: expected integer, got number"}, // past uint64: cpprestsdk makes it a double
    };
    for (const auto& [number, problem] : cases)
    {
        answerWithCreatedAt(number);
        EXPECT_EQ(refusal(), std::string(problem) + "\n") << number;
    }
}

TEST_F(HostileResponseTest, NegativeAndExtremeTimestampsAreKeptAsSent)
{
    // The spec sets no minimum: a timestamp before 1970 is odd but representable, and is not altered.
    for (const int64_t seconds :
         {int64_t{-1}, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()})
    {
        answerWithCreatedAt(std::to_string(seconds));
        EXPECT_EQ(batches.retrieveBatch("batch_abc123").get()->getCreatedAt(), seconds);
    }
}

TEST_F(HostileResponseTest, NulBytesInAStringArriveIntact)
{
    server.enqueueJson(200, batchJson(R"(batch_\u0000x)"));
    EXPECT_EQ(batches.retrieveBatch("batch_abc123").get()->getId(), std::string("batch_\0x", 8));
}

TEST_F(HostileResponseTest, AKeyGivenTwiceIsRefusedRatherThanReadOneWay)
{
    // cpprestsdk would keep the first of each, most other readers the last.
    auto topLevel = batchJson();
    topLevel.insert(topLevel.rfind('}'), R"(, "status": "completed")");
    server.enqueueJson(200, topLevel);
    EXPECT_NE(refusal().find("ambiguous JSON: the key at /status appears twice"), std::string::npos);

    auto nested = batchJson();
    const std::string counts = R"("total": 0,)";
    nested.insert(nested.find(counts) + counts.size(), R"( "total": 100,)");
    server.enqueueJson(200, nested);
    EXPECT_NE(refusal().find("ambiguous JSON: the key at /request_counts/total appears twice"), std::string::npos);
}

TEST(TryParseJson, FindsAKeyGivenTwiceWhetherOrNotCpprestsdkSortsObjects)
{
    // By default cpprestsdk's parser sorts each object's members, so twins are adjacent; a program may
    // ask it to keep them in document order instead, and then they need not be.
    for (const bool keepOrder : {false, true})
    {
        web::json::keep_object_element_order(keepOrder);
        std::string problem;
        EXPECT_FALSE(tryParseJson(R"({"b": 1, "a": {"y": 1, "x": 2, "y": 3}, "c": 0})", problem)) << keepOrder;
        EXPECT_EQ(problem, "ambiguous JSON: the key at /a/y appears twice in its object") << keepOrder;
        EXPECT_TRUE(tryParseJson(R"({"b": 1, "a": {"y": 1, "x": 2}, "c": [{"k": 1}, {"k": 2}]})", problem))
            << keepOrder;
    }
    web::json::keep_object_element_order(false);
}

TEST_F(HostileResponseTest, AFiftyMegabyteStringIsReadWhole)
{
    const std::string huge(size_t{50} << 20, 'x');
    server.enqueueJson(200, batchJson(huge));
    EXPECT_EQ(batches.retrieveBatch("batch_abc123").get()->getId().size(), huge.size());
}

} // namespace

namespace {

TEST_F(HostileResponseTest, AnErrorThatEchoesTheKeyDoesNotCarryItIntoTheException)
{
    // A gateway that repeats the Authorization it received, in the body and in a header.
    const std::string key = TEST_API_KEY;
    for (int attempt = 0; attempt < 3; ++attempt)
    {
        server.enqueueJson(401,
                           R"({"error": {"message": "Incorrect API key provided: )" + key
                               + R"(", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}})",
                           {{"x-echo-authorization", "Bearer " + key}});
    }
    try
    {
        batches.retrieveBatch("batch_abc123").get();
        FAIL() << "a 401 was accepted";
    }
    catch (const ApiException& error)
    {
        std::string everything = std::string(error.what()) + error.getBody()
            + utility::conversions::to_utf8string(error.getError()->message);
        for (const auto& header : error.getHeaders())
        {
            everything += utility::conversions::to_utf8string(header.first + ": " + header.second);
        }
        EXPECT_EQ(everything.find(key), std::string::npos) << everything;
        EXPECT_NE(everything.find("Incorrect API key provided: [redacted]"), std::string::npos) << everything;
        EXPECT_EQ(error.getStatus(), 401);
    }
}

} // namespace
