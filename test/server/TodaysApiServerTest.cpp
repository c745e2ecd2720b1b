// The local server speaks today's API (OpenAI's 2026-08 spec): model and usage on batches, expiry of
// output files and uploads, the checks OpenAI applies to POST /batches, and signed batch webhooks.
#include "ServerFixture.h"

#include "test/api/LoopbackServer.h"
#include "workflow/WebhookVerifier.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

using namespace openai_batch;
using namespace openai_batch::testing_server;

namespace {

const std::string WEBHOOK_SECRET = "whsec_"
                                   "c2VjcmV0LWZvci10aGUtbG9jYWwtc2VydmVyLXRlc3Rz";

/// POST /batches with a raw JSON body: the status and the error body.
std::pair<int, web::json::value> postBatch(const std::string& baseUrl, const std::string& body)
{
    web::http::client::http_client http(utility::conversions::to_string_t(baseUrl));
    web::http::http_request request(web::http::methods::POST);
    request.set_request_uri(_XPLATSTR("batches"));
    request.headers().add(_XPLATSTR("Authorization"), _XPLATSTR("Bearer sk-any"));
    request.set_body(body, "application/json");
    const auto response = http.request(request).get();
    return {response.status_code(), response.extract_json(true).get()};
}

std::string createBody(const std::string& fileId, const std::string& extra)
{
    return R"({"input_file_id": ")" + fileId + R"(", "endpoint": "/v1/chat/completions", "completion_window": "24h")"
        + extra + "}";
}

class TodaysApiServerTest : public LocalBatchServerTest
{
protected:
    std::string upload(size_t requests = 2)
    {
        return utility::conversions::to_utf8string(
            api::FilesApi(client)
                .createFile(model::HttpContent::fromFile(requestFile("/v1/chat/completions", requests)), "batch")
                .get()
                ->getId());
    }

    std::shared_ptr<model::Batch> finished(const std::string& id)
    {
        return waitUntil(id, [](const model::Batch& batch) { return isTerminal(batch); });
    }
};

TEST_F(TodaysApiServerTest, AFinishedBatchCarriesItsModelAndTheUsageOfItsAnswers)
{
    start();
    const auto run =
        BatchRunner(client).run(runOptions(requestFile("/v1/chat/completions", 5), "/v1/chat/completions")).get();
    ASSERT_EQ(model::Batch::StatusEnum::COMPLETED, run.batch->getStatus());
    EXPECT_EQ("gpt-4o-mini", run.batch->getModel());
    ASSERT_TRUE(run.batch->getUsage());
    int64_t prompt = 0;
    int64_t completion = 0;
    ResultFileReader reader(run.outputFile);
    for (BatchResult result; reader.next(result);)
    {
        const auto usage = result.bodyJson().at("usage");
        prompt += usage.at("prompt_tokens").as_number().to_int64();
        completion += usage.at("completion_tokens").as_number().to_int64();
    }
    const auto& usage = *run.batch->getUsage();
    EXPECT_GT(prompt, 0);
    EXPECT_EQ(prompt, usage.getInputTokens());
    EXPECT_EQ(completion, usage.getOutputTokens());
    EXPECT_EQ(prompt + completion, usage.getTotalTokens());
    EXPECT_EQ(0, usage.getInputTokensDetails()->getCachedTokens());
    EXPECT_EQ(0, usage.getOutputTokensDetails()->getReasoningTokens());
}

TEST_F(TodaysApiServerTest, OutputFilesExpireAsTheBatchAsked)
{
    start();
    RunOptions options = runOptions(requestFile("/v1/chat/completions", 2), "/v1/chat/completions");
    options.outputExpiresAfter = std::make_shared<model::BatchFileExpirationAfter>();
    options.outputExpiresAfter->setAnchor(model::BatchFileExpirationAfter::AnchorEnum::CREATED_AT);
    options.outputExpiresAfter->setSeconds(7200);
    const auto run = BatchRunner(client).run(options).get();
    const auto output = api::FilesApi(client).retrieveFile(run.batch->getOutputFileId()).get();
    EXPECT_EQ(output->getCreatedAt() + 7200, output->getExpiresAt());
    EXPECT_EQ(model::OpenAIFile::PurposeEnum::BATCH_OUTPUT, output->getPurpose());
    EXPECT_EQ(model::OpenAIFile::StatusEnum::PROCESSED, output->getStatus());

    const auto plain = BatchRunner(client)
                           .run(runOptions(requestFile("/v1/chat/completions", 1, "b.jsonl"), "/v1/chat/completions"))
                           .get();
    const auto defaulted = api::FilesApi(client).retrieveFile(plain.batch->getOutputFileId()).get();
    EXPECT_EQ(defaulted->getCreatedAt() + int64_t{30} * 24 * 3600, defaulted->getExpiresAt());
}

TEST_F(TodaysApiServerTest, UploadsExpireAsTheyAsk)
{
    start();
    api::FilesApi files(client);
    auto expiry = std::make_shared<model::FileExpirationAfter>();
    expiry->setAnchor(model::FileExpirationAfter::AnchorEnum::CREATED_AT);
    expiry->setSeconds(3600);
    const std::string path = requestFile("/v1/chat/completions", 1);
    const auto expiring = files.createFile(model::HttpContent::fromFile(path), "user_data", expiry).get();
    EXPECT_EQ(expiring->getCreatedAt() + 3600, expiring->getExpiresAt());
    EXPECT_EQ(model::OpenAIFile::StatusEnum::PROCESSED, expiring->getStatus());
    const auto kept = files.createFile(model::HttpContent::fromFile(path), "user_data").get();
    EXPECT_FALSE(kept->expiresAtIsSet());
    const auto batchInput = files.createFile(model::HttpContent::fromFile(path), "batch").get();
    EXPECT_EQ(batchInput->getCreatedAt() + int64_t{30} * 24 * 3600, batchInput->getExpiresAt());
}

TEST_F(TodaysApiServerTest, RefusesMalformedUploadExpiries)
{
    start();
    const std::string boundary = "b0undary";
    const auto upload = [&](const std::string& anchor, const std::string& seconds) {
        const std::string part = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"";
        const std::string body = part + "purpose\"\r\n\r\nbatch\r\n" + part + "expires_after[anchor]\"\r\n\r\n" + anchor
            + "\r\n" + part + "expires_after[seconds]\"\r\n\r\n" + seconds + "\r\n" + part
            + "file\"; filename=\"a.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n{}\n\r\n--" + boundary + "--\r\n";
        web::http::client::http_client http(utility::conversions::to_string_t(server->baseUrl()));
        web::http::http_request request(web::http::methods::POST);
        request.set_request_uri(_XPLATSTR("files"));
        request.headers().add(_XPLATSTR("Authorization"), _XPLATSTR("Bearer sk-any"));
        request.set_body(body, "multipart/form-data; boundary=" + boundary);
        const auto response = http.request(request).get();
        return std::make_pair(response.status_code(), response.extract_json(true).get());
    };
    EXPECT_EQ(200, upload("created_at", "86400").first);
    const auto [wrongAnchor, anchorError] = upload("last_active_at", "86400");
    EXPECT_EQ(400, wrongAnchor);
    EXPECT_EQ("expires_after.anchor", anchorError.at("error").at("param").as_string());
    const auto [short_, shortError] = upload("created_at", "60");
    EXPECT_EQ(400, short_);
    EXPECT_EQ("expires_after.seconds", shortError.at("error").at("param").as_string());
    EXPECT_NE(std::string::npos,
              shortError.at("error").at("message").as_string().find("60 is less than the minimum 3600"));
    EXPECT_EQ(400, upload("created_at", "2592001").first);
    EXPECT_EQ(400, upload("created_at", "1e5").first);
    EXPECT_EQ(400, upload("created_at", "").first);
}

TEST_F(TodaysApiServerTest, RefusesWhatOpenAIRefusesInACreateWithTheFieldNamed)
{
    start();
    const std::string file = upload();
    struct Case
    {
        std::string extra;
        std::string param;
        std::string code;
    };
    const Case cases[] = {
        {R"(, "surprise": 1)", "surprise", "unknown_parameter"},
        {R"(, "output_expires_after": {"anchor": "created_at", "seconds": 60})", "output_expires_after.seconds",
         "invalid_value"},
        {R"(, "output_expires_after": {"anchor": "created_at", "seconds": 2592001})", "output_expires_after.seconds",
         "invalid_value"},
        {R"(, "output_expires_after": {"anchor": "created_at", "seconds": "3600"})", "output_expires_after.seconds",
         "invalid_value"},
        {R"(, "output_expires_after": {"seconds": 3600})", "output_expires_after.anchor", "invalid_value"},
        {R"(, "output_expires_after": {"anchor": "expires_at", "seconds": 3600})", "output_expires_after.anchor",
         "invalid_value"},
        {R"(, "metadata": {"k": 5})", "metadata.k", "invalid_value"},
    };
    for (const auto& test : cases)
    {
        const auto [status, body] = postBatch(server->baseUrl(), createBody(file, test.extra));
        EXPECT_EQ(400, status) << test.extra;
        EXPECT_EQ(test.param, body.at("error").at("param").as_string()) << test.extra;
        EXPECT_EQ(test.code, body.at("error").at("code").as_string()) << test.extra;
    }
    EXPECT_EQ("Unknown parameter: 'surprise'.",
              postBatch(server->baseUrl(), createBody(file, R"(, "surprise": 1)"))
                  .second.at("error")
                  .at("message")
                  .as_string());
    const auto [ok, created] = postBatch(
        server->baseUrl(), createBody(file, R"(, "output_expires_after": {"anchor": "created_at", "seconds": 3600})"));
    EXPECT_EQ(200, ok) << created.serialize();
}

/// A webhook receiver on loopback: answers with the statuses queued, and verifies what it got.
class WebhookReceiver
{
public:
    std::string url() const { return m_Server.url() + "/hooks"; }
    void answer(int status) { m_Server.enqueueJson(static_cast<web::http::status_code>(status), "{}"); }
    std::vector<testing_support::RecordedRequest> deliveries() const { return m_Server.requests(); }

    /// Waits (at most 10 s) until count deliveries have arrived.
    bool awaitDeliveries(size_t count) const
    {
        for (int i = 0; i < 1000 && m_Server.requests().size() < count; ++i)
        {
            std::this_thread::sleep_for(milliseconds(10));
        }
        return m_Server.requests().size() >= count;
    }

    static WebhookEvent verify(const testing_support::RecordedRequest& delivery)
    {
        std::map<std::string, std::string> headers;
        for (const char* name : {"webhook-id", "webhook-timestamp", "webhook-signature"})
        {
            headers[name] = delivery.header(name);
        }
        return WebhookVerifier(WEBHOOK_SECRET).verify(headers, delivery.body);
    }

private:
    testing_support::LoopbackServer m_Server;
};

TEST_F(TodaysApiServerTest, SendsASignedEventWhenABatchEnds)
{
    WebhookReceiver receiver;
    receiver.answer(200);
    server::ServerOptions options = defaultOptions();
    options.webhooks = server::WebhookDelivery{receiver.url(), WEBHOOK_SECRET};
    startWith(options);
    const std::string id = createBatchFrom(requestFile("/v1/chat/completions", 2));
    finished(id);
    ASSERT_TRUE(receiver.awaitDeliveries(1));
    const auto delivery = receiver.deliveries().at(0);
    EXPECT_EQ("POST", delivery.method);
    EXPECT_EQ("/hooks", delivery.target);
    const WebhookEvent event = WebhookReceiver::verify(delivery);
    EXPECT_EQ("batch.completed", event.type);
    EXPECT_EQ(id, event.batchId());
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<model::WebhookBatchCompleted>>(event.batchEvent));
    std::this_thread::sleep_for(milliseconds(100));
    EXPECT_EQ(1u, receiver.deliveries().size()) << "one event per batch";
    EXPECT_TRUE(std::filesystem::is_empty(directory / "state" / "webhooks")) << "a delivered event is not kept";
}

TEST_F(TodaysApiServerTest, EachEndHasItsEvent)
{
    WebhookReceiver receiver;
    for (int i = 0; i < 3; ++i)
    {
        receiver.answer(202);
    }
    server::ServerOptions options = defaultOptions();
    options.webhooks = server::WebhookDelivery{receiver.url(), WEBHOOK_SECRET};
    options.pacing.stepTime = milliseconds(200);
    startWith(options);
    const std::string failing = createBatchFrom(requestFile("/v1/embeddings", 1, "wrong-endpoint.jsonl"));
    const std::string cancelled = createBatchFrom(requestFile("/v1/chat/completions", 2, "c.jsonl"));
    api::BatchApi(client).cancelBatch(cancelled).get();
    finished(failing);
    finished(cancelled);
    ASSERT_TRUE(receiver.awaitDeliveries(2));
    std::map<std::string, std::string> types;
    for (const auto& delivery : receiver.deliveries())
    {
        const auto event = WebhookReceiver::verify(delivery);
        types[event.batchId()] = event.type;
    }
    EXPECT_EQ("batch.failed", types.at(failing));
    EXPECT_EQ("batch.cancelled", types.at(cancelled));
}

TEST_F(TodaysApiServerTest, RetriesAnEventUntilTheReceiverTakesIt)
{
    WebhookReceiver receiver;
    receiver.answer(500);
    receiver.answer(503);
    receiver.answer(200);
    server::ServerOptions options = defaultOptions();
    options.webhooks = server::WebhookDelivery{receiver.url(), WEBHOOK_SECRET, 4, milliseconds(20)};
    startWith(options);
    const std::string id = createBatchFrom(requestFile("/v1/chat/completions", 1));
    finished(id);
    ASSERT_TRUE(receiver.awaitDeliveries(3));
    const auto deliveries = receiver.deliveries();
    // Each attempt is signed afresh, under the same webhook-id, so the receiver can tell it is one event.
    EXPECT_EQ(deliveries[0].header("webhook-id"), deliveries[2].header("webhook-id"));
    EXPECT_EQ(deliveries[0].body, deliveries[2].body);
    EXPECT_EQ(id, WebhookReceiver::verify(deliveries[2]).batchId());
    std::this_thread::sleep_for(milliseconds(200));
    EXPECT_EQ(3u, receiver.deliveries().size());
}

TEST_F(TodaysApiServerTest, GivesUpAfterItsAttemptsAndNeverBlocksTheBatches)
{
    WebhookReceiver receiver;
    server::ServerOptions options = defaultOptions();
    options.webhooks = server::WebhookDelivery{receiver.url(), WEBHOOK_SECRET, 2, milliseconds(20)};
    startWith(options); // nothing queued: every delivery gets a 500
    const std::string first = createBatchFrom(requestFile("/v1/chat/completions", 1));
    finished(first);
    const std::string second = createBatchFrom(requestFile("/v1/chat/completions", 1, "second.jsonl"));
    EXPECT_TRUE(finished(second));
    ASSERT_TRUE(receiver.awaitDeliveries(4));
    std::this_thread::sleep_for(milliseconds(200));
    EXPECT_EQ(4u, receiver.deliveries().size());
    EXPECT_TRUE(std::filesystem::is_empty(directory / "state" / "webhooks"));
}

TEST_F(TodaysApiServerTest, AnEventNotYetDeliveredIsSentAfterARestart)
{
    const std::string url = WebhookReceiver().url(); // a port nobody listens on once the receiver is gone
    server::ServerOptions options = defaultOptions();
    options.webhooks = server::WebhookDelivery{url, WEBHOOK_SECRET, 1000, milliseconds(50)};
    startWith(options);
    const std::string id = createBatchFrom(requestFile("/v1/chat/completions", 1));
    finished(id);
    server.reset(); // stops while the event is still being retried
    ASSERT_EQ(1,
              std::distance(std::filesystem::directory_iterator(directory / "state" / "webhooks"),
                            std::filesystem::directory_iterator()));

    WebhookReceiver receiver;
    receiver.answer(200);
    options.webhooks.url = receiver.url();
    startWith(options);
    ASSERT_TRUE(receiver.awaitDeliveries(1));
    EXPECT_EQ(id, WebhookReceiver::verify(receiver.deliveries().at(0)).batchId());
}

/// An event file as the sender records it, for a batch and the type of its end.
void recordEvent(const std::filesystem::path& directory, const std::string& batchId, const std::string& type)
{
    const std::string id = "evt_" + batchId.substr(batchId.find('_') + 1) + "_" + type.substr(6);
    std::filesystem::create_directories(directory);
    std::ofstream(directory / (id + ".json"))
        << R"({"id": ")" << id << R"(", "object": "event", "created_at": 1, "type": ")" << type
        << R"(", "data": {"id": ")" << batchId << R"("}})";
}

TEST_F(TodaysApiServerTest, AtARestartOnlyEventsOfSavedEndsAreSent)
{
    start();
    const std::string ended = createBatchFrom(requestFile("/v1/chat/completions", 1));
    finished(ended);
    server.reset();
    start(server::Pacing{std::chrono::hours(1)}); // a second run: this batch stays validating
    const std::string running = createBatchFrom(requestFile("/v1/chat/completions", 1, "second.jsonl"));
    server.reset();
    // What a crash could leave: the event of a saved end, an event recorded just before a crash (its
    // batch's end never saved), an event for an end the batch did not have, one for no batch at all,
    // and an unreadable file.
    const auto webhooks = directory / "state" / "webhooks";
    recordEvent(webhooks, ended, "batch.completed");
    recordEvent(webhooks, running, "batch.completed");
    recordEvent(webhooks, ended, "batch.cancelled");
    recordEvent(webhooks, "batch_nobody000000", "batch.completed");
    std::ofstream(webhooks / "evt_torn.json") << R"({"id": "evt_to)";

    WebhookReceiver receiver;
    receiver.answer(200);
    server::ServerOptions options = defaultOptions();
    options.pacing.stepTime = std::chrono::hours(1);
    options.webhooks = server::WebhookDelivery{receiver.url(), WEBHOOK_SECRET};
    startWith(options);
    ASSERT_TRUE(receiver.awaitDeliveries(1));
    std::this_thread::sleep_for(milliseconds(200));
    ASSERT_EQ(1u, receiver.deliveries().size());
    const auto event = WebhookReceiver::verify(receiver.deliveries()[0]);
    EXPECT_EQ(ended, event.batchId());
    EXPECT_EQ("batch.completed", event.type);
    std::set<std::string> left;
    for (const auto& entry : std::filesystem::directory_iterator(webhooks))
    {
        left.insert(entry.path().filename().string());
    }
    EXPECT_EQ(std::set<std::string>{"evt_" + running.substr(running.find('_') + 1) + "_completed.json"}, left)
        << "the running batch's event waits for its end; the stale, orphaned and unreadable ones are gone";
}

TEST(WebhookSender, SendsOnlyToLoopback)
{
    for (const char* url : {"http://127.0.0.1:9/x", "http://localhost:9", "http://[::1]:9/hooks"})
    {
        EXPECT_NO_THROW(server::checkLoopbackUrl(url)) << url;
    }
    for (const char* url : {"https://127.0.0.1:9/x", "http://example.com/hook", "http://10.0.0.1/", "not a url", ""})
    {
        EXPECT_THROW(server::checkLoopbackUrl(url), std::invalid_argument) << url;
    }
}

} // namespace
