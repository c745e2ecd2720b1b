// The local Batch API server, in process, driven by this package's own client: whole jobs, validation
// failures, cancel, expiry, restart, auth, and the Files API.
#include "Responders.h"
#include "ServerFixture.h"

#include "api/BatchApi.h"
#include "api/FilesApi.h"
#include "workflow/BatchRunner.h"
#include "workflow/Pagination.h"
#include "workflow/RequestFileWriter.h"
#include "workflow/ResultFileReader.h"

#include "test/api/RawExchange.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

using namespace openai_batch;
using namespace openai_batch::workflow;
using std::chrono::milliseconds;

namespace {

using namespace openai_batch::testing_server;

TEST_F(LocalBatchServerTest, RunsAChatCompletionsBatchToTheEnd)
{
    start(server::Pacing{milliseconds(30), milliseconds(5), milliseconds(24 * 3600 * 1000)});
    const auto run =
        BatchRunner(client).run(runOptions(requestFile("/v1/chat/completions", 12), "/v1/chat/completions")).get();

    EXPECT_EQ(run.batch->getStatus(), model::Batch::StatusEnum::COMPLETED);
    EXPECT_EQ(run.succeeded.size(), 12u);
    EXPECT_TRUE(run.failed.empty());
    EXPECT_TRUE(run.missing.empty());
    EXPECT_TRUE(run.batch->inProgressAtIsSet());
    EXPECT_TRUE(run.batch->finalizingAtIsSet());
    EXPECT_TRUE(run.batch->completedAtIsSet());
    EXPECT_EQ(run.batch->getRequestCounts()->getCompleted(), 12);
    ResultFileReader reader(run.outputFile);
    BatchResult first;
    ASSERT_TRUE(reader.next(first));
    const auto body = first.bodyJson();
    EXPECT_EQ(body.at("object").as_string(), "chat.completion");
    EXPECT_EQ(body.at("choices").at(0).at("message").at("content").as_string(), "You said: hello " + first.customId);
    EXPECT_GT(body.at("usage").at("total_tokens").as_integer(), 0);
    // The typed reads say the same as the DOM.
    EXPECT_EQ(first.answerText(), "You said: hello " + first.customId);
    EXPECT_EQ(first.usage().total, body.at("usage").at("total_tokens").as_integer());
    EXPECT_EQ(first.model(), body.at("model").as_string());
}

TEST_F(LocalBatchServerTest, RunsAnEmbeddingsBatchWithDeterministicVectors)
{
    start();
    const auto run = BatchRunner(client).run(runOptions(requestFile("/v1/embeddings", 3), "/v1/embeddings")).get();
    ASSERT_EQ(run.succeeded.size(), 3u);
    const auto results = resultsOf(run.outputFile);
    ResultFileReader again(run.outputFile);
    BatchResult result;
    ASSERT_TRUE(again.next(result));
    const auto vector = result.bodyJson().at("data").at(0).at("embedding");
    EXPECT_EQ(vector.size(), 8u);
    ASSERT_EQ(result.dimensions(), 8u);
    const std::vector<float> floats = result.embedding();
    for (size_t i = 0; i < floats.size(); ++i)
    {
        EXPECT_EQ(floats[i], static_cast<float>(vector.at(i).as_double())) << i;
    }
    EXPECT_EQ(server::respond("/v1/embeddings",
                              web::json::value::parse(R"({"model": "m", "input": "text )" + result.customId + R"("})"),
                              "x")
                  .body.at("data")
                  .at(0)
                  .at("embedding"),
              vector);
}

TEST_F(LocalBatchServerTest, AnInvalidInputFileFailsTheBatchWithLineNumbers)
{
    start();
    const std::string path = (directory / "bad.jsonl").string();
    std::ofstream(path)
        << R"({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "messages": []}})"
           "\n"
        << "not json\n"
        << R"({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}})"
           "\n";
    const std::string id = createBatchFrom(path);

    const auto failed = waitUntil(id, [](const model::Batch& b) { return b.getStatusString() == "failed"; });
    ASSERT_TRUE(failed && failed->getErrors());
    const auto& errors = failed->getErrors()->getData();
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0]->getLine(), 2);
    EXPECT_EQ(errors[1]->getLine(), 3);
    EXPECT_EQ(errors[1]->getMessage(), "custom_id 'a' is already used on line 1");
    EXPECT_TRUE(failed->failedAtIsSet());
}

TEST_F(LocalBatchServerTest, CancelMidRunKeepsPartialResults)
{
    start(server::Pacing{milliseconds(0), milliseconds(40), milliseconds(24 * 3600 * 1000)});
    const std::string id = createBatchFrom(requestFile("/v1/chat/completions", 40));
    waitUntil(id,
              [](const model::Batch& b) { return b.getRequestCounts() && b.getRequestCounts()->getCompleted() >= 3; });

    api::BatchApi batches(client);
    EXPECT_EQ(batches.cancelBatch(id).get()->getStatusString(), "cancelling");
    const auto cancelled = waitUntil(id, [](const model::Batch& b) { return b.getStatusString() == "cancelled"; });

    ASSERT_TRUE(cancelled);
    const int64_t completed = cancelled->getRequestCounts()->getCompleted();
    EXPECT_GE(completed, 3);
    EXPECT_LT(completed, 40);
    ASSERT_TRUE(cancelled->outputFileIdIsSet());
    std::ostringstream output;
    api::FilesApi(client).downloadFileTo(cancelled->getOutputFileId(), output).get();
    const std::string lines = output.str();
    EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), completed);
    EXPECT_THROW(batches.cancelBatch(id).get(), api::ApiException);
}

TEST_F(LocalBatchServerTest, ExpiryGivesPartialResultsAndBatchExpiredErrors)
{
    start(server::Pacing{milliseconds(0), milliseconds(100), milliseconds(1500)});
    const auto run =
        BatchRunner(client).run(runOptions(requestFile("/v1/chat/completions", 30), "/v1/chat/completions")).get();

    EXPECT_EQ(run.batch->getStatus(), model::Batch::StatusEnum::EXPIRED);
    EXPECT_FALSE(run.succeeded.empty());
    EXPECT_LT(run.succeeded.size(), 30u);
    EXPECT_EQ(run.succeeded.size() + run.failed.size(), 30u);
    EXPECT_TRUE(run.missing.empty());
    for (const auto& failed : run.failed)
    {
        EXPECT_EQ(failed.code, "batch_expired");
    }
    EXPECT_TRUE(run.batch->expiredAtIsSet());
}

TEST_F(LocalBatchServerTest, ARestartMidBatchLosesNothingAndRepeatsNothing)
{
    start(server::Pacing{milliseconds(0), milliseconds(30), milliseconds(24 * 3600 * 1000)});
    const std::string id = createBatchFrom(requestFile("/v1/chat/completions", 30));
    const std::string inputFileId =
        utility::conversions::to_utf8string(api::BatchApi(client).retrieveBatch(id).get()->getInputFileId());
    waitUntil(id,
              [](const model::Batch& b) { return b.getRequestCounts() && b.getRequestCounts()->getCompleted() >= 5; });

    server.reset(); // stop mid-batch
    start(server::Pacing{milliseconds(0), milliseconds(30), milliseconds(24 * 3600 * 1000)});
    const auto done = waitUntil(id, [](const model::Batch& b) { return b.getStatusString() == "completed"; });

    ASSERT_TRUE(done);
    EXPECT_EQ(done->getRequestCounts()->getCompleted(), 30);
    api::FilesApi restartedFiles(client); // the new server listens on a new port
    std::ostringstream output;
    restartedFiles.downloadFileTo(done->getOutputFileId(), output).get();
    std::istringstream lines(output.str());
    ResultFileReader reader(lines);
    std::set<std::string> ids;
    BatchResult result;
    size_t count = 0;
    while (reader.next(result))
    {
        ids.insert(result.customId);
        ++count;
    }
    EXPECT_EQ(count, 30u);
    EXPECT_EQ(ids.size(), 30u);
    EXPECT_TRUE(restartedFiles.retrieveFile(inputFileId).get()->idIsSet()) << "the uploaded file survived the restart";
}

TEST_F(LocalBatchServerTest, ChecksTheBearerKeyAndNeverEchoesIt)
{
    start({}, "sk-right");
    auto configuration = std::make_shared<api::ApiConfiguration>(*client->getConfiguration());
    configuration->setApiKey("sk-wrong-secret");
    try
    {
        api::BatchApi(std::make_shared<api::ApiClient>(configuration)).listBatches(boost::none, boost::none).get();
        FAIL() << "a wrong key was accepted";
    }
    catch (const api::ApiException& error)
    {
        EXPECT_EQ(error.getStatus(), 401);
        EXPECT_EQ(error.getError()->code, "invalid_api_key");
        EXPECT_FALSE(error.getRequestId().empty());
        EXPECT_EQ(error.getBody().find("sk-wrong-secret"), std::string::npos);
    }
    EXPECT_NO_THROW(api::BatchApi(client).listBatches(boost::none, boost::none).get());
}

TEST_F(LocalBatchServerTest, AJobCompletesThroughInjected429sAnd5xxWithEveryResultOnce)
{
    start(server::Pacing{milliseconds(20), milliseconds(2), milliseconds(24 * 3600 * 1000)}, "",
          {server::FaultRule::parse("429:nth=4"), server::FaultRule::parse("500:rate=0.1"),
           server::FaultRule::parse("503:nth=9")});
    // Enough retries that a run of faults cannot exhaust them (each rule hits at most every other request).
    auto configuration = std::make_shared<api::ApiConfiguration>(*client->getConfiguration());
    configuration->getRetryOptions().maxRetries = 10;
    configuration->getRetryOptions().baseDelay = milliseconds(5);
    configuration->getRetryOptions().maxDelay = milliseconds(40);
    client = std::make_shared<api::ApiClient>(configuration);

    RunOptions options = runOptions(requestFile("/v1/chat/completions", 25), "/v1/chat/completions");
    options.createAttempts = 10;
    const auto run = BatchRunner(client).run(options).get();

    EXPECT_EQ(run.batch->getStatus(), model::Batch::StatusEnum::COMPLETED);
    std::set<std::string> unique(run.succeeded.begin(), run.succeeded.end());
    EXPECT_EQ(run.succeeded.size(), 25u);
    EXPECT_EQ(unique.size(), 25u);
    EXPECT_TRUE(run.failed.empty());
    EXPECT_TRUE(run.missing.empty());
    EXPECT_EQ(collectAll(batchPages(api::BatchApi(client))).get().size(), 1u) << "exactly one batch despite the faults";
}

TEST_F(LocalBatchServerTest, ADroppedCreateReplyStillLeavesExactlyOneBatch)
{
    // Every 2nd request is carried out but its reply is cut off halfway: the upload is the 1st request,
    // so the create (the 2nd) loses its reply after the batch exists.
    start(server::Pacing{milliseconds(10), milliseconds(1), milliseconds(24 * 3600 * 1000)}, "",
          {server::FaultRule::parse("drop:nth=2")});
    auto configuration = std::make_shared<api::ApiConfiguration>(*client->getConfiguration());
    configuration->getRetryOptions().baseDelay = milliseconds(5);
    client = std::make_shared<api::ApiClient>(configuration);
    RunOptions options = runOptions(requestFile("/v1/chat/completions", 10), "/v1/chat/completions");
    options.createAttempts = 5;

    const auto run = BatchRunner(client).run(options).get();

    EXPECT_EQ(run.succeeded.size(), 10u);
    EXPECT_EQ(collectAll(batchPages(api::BatchApi(client))).get().size(), 1u);
}

TEST_F(LocalBatchServerTest, RefusesHostileCreateBodiesWithoutFalling)
{
    start();
    web::http::client::http_client raw(utility::conversions::to_string_t(server->baseUrl()));
    for (const std::string& body :
         {std::string(100000, '['), std::string("{\"input_file_id\": "), std::string("[]"),
          std::string("{\"input_file_id\": 5, \"endpoint\": \"/v1/chat/completions\", \"completion_window\": \"24h\"}"),
          std::string("{\"input_file_id\": \"\\ud83d\\udA00\"}")})
    {
        web::http::http_request request(web::http::methods::POST);
        request.set_request_uri(_XPLATSTR("/batches"));
        request.headers().add(_XPLATSTR("Authorization"), _XPLATSTR("Bearer sk-any"));
        request.set_body(body, "application/json");
        const auto response = raw.request(request).get();
        EXPECT_EQ(response.status_code(), 400) << body.substr(0, 40);
        EXPECT_TRUE(response.extract_json().get().at(_XPLATSTR("error")).has_string_field(_XPLATSTR("message")));
    }
    EXPECT_NO_THROW(api::BatchApi(client).listBatches(boost::none, boost::none).get()) << "still serving";
}

TEST_F(LocalBatchServerTest, RefusesATruncatedMultipartUpload)
{
    start();
    web::http::client::http_client raw(utility::conversions::to_string_t(server->baseUrl()));
    web::http::http_request request(web::http::methods::POST);
    request.set_request_uri(_XPLATSTR("/files"));
    request.headers().add(_XPLATSTR("Authorization"), _XPLATSTR("Bearer sk-any"));
    // The closing boundary never comes.
    request.set_body(
        std::string("--XYZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--XYZ\r\n"
                    "Content-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\n\r\n{\"custom_id\""),
        "multipart/form-data; boundary=XYZ");
    const auto response = raw.request(request).get();
    EXPECT_EQ(response.status_code(), 400);
    EXPECT_EQ(response.extract_json().get().at(_XPLATSTR("error")).at(_XPLATSTR("message")).as_string(),
              "The multipart body is malformed.");
    EXPECT_TRUE(
        api::FilesApi(client).listFiles(boost::none, boost::none, boost::none, boost::none).get()->getData().empty());
}

TEST_F(LocalBatchServerTest, SurvivesAClientThatPromisesAGigabyteAndHangsUp)
{
    start();
    const int fd = connectRaw();
    const std::string head =
        "POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-any\r\n"
        "Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 1073741824\r\n\r\n--XYZ\r\n";
    ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
    ::close(fd);
    std::this_thread::sleep_for(milliseconds(200));
    // Still serving, and nothing half-uploaded was kept.
    EXPECT_TRUE(
        api::FilesApi(client).listFiles(boost::none, boost::none, boost::none, boost::none).get()->getData().empty());
    std::vector<std::string> leftovers;
    for (const auto& entry : std::filesystem::directory_iterator(directory / "state"))
    {
        if (entry.path().extension() == ".tmp")
        {
            leftovers.push_back(entry.path().filename().string());
        }
    }
    EXPECT_TRUE(leftovers.empty()) << leftovers.front();
}

TEST_F(LocalBatchServerTest, AnswersAndClosesWhenABodyEndsShort)
{
    start();
    const std::string auth = "Host: 127.0.0.1\r\nAuthorization: Bearer sk-any\r\n";
    // Bodies that promise more than they bring, then a half-close: each is answered with a 400 (half a
    // request is not carried out), and the connection closed.
    const std::string shortBody = "HTTP/1.1 400 Bad Request";
    const std::pair<std::string, std::string> cases[] = {
        {"POST /v1/batches HTTP/1.1\r\n" + auth + "Content-Length: 100\r\n\r\n{}", shortBody},
        {"GET /v1/batches HTTP/1.1\r\n" + auth + "Content-Length: 50\r\n\r\n", shortBody},
        {"GET /v1/files HTTP/1.1\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n5\r\nab", shortBody},
        {"POST /elsewhere HTTP/1.1\r\n" + auth + "Content-Length: 50\r\n\r\n{", shortBody},
    };
    for (const auto& [request, statusLine] : cases)
    {
        const auto answer = exchangeRaw(request);
        ASSERT_TRUE(answer.has_value()) << "the server kept the connection open after: " << request;
        EXPECT_EQ(answer->substr(0, statusLine.size()), statusLine) << *answer;
        EXPECT_NE(answer->find("Connection: close"), std::string::npos) << *answer;
    }
    // A complete request keeps its connection for the next one.
    const auto kept = exchangeRaw("GET /v1/batches HTTP/1.1\r\n" + auth + "\r\n");
    ASSERT_TRUE(kept.has_value());
    EXPECT_EQ(kept->find("Connection: close"), std::string::npos) << *kept;
}

TEST(FaultRule, ParsesTheFlagsAndRefusesNonsense)
{
    const auto rule = server::FaultRule::parse("429:rate=0.25");
    EXPECT_EQ(rule.status, 429);
    EXPECT_DOUBLE_EQ(rule.rate, 0.25);
    EXPECT_EQ(server::FaultRule::parse("500:nth=3").everyNth, 3u);
    EXPECT_EQ(server::FaultRule::parse("slow=250:rate=1").delay, milliseconds(250));
    EXPECT_TRUE(server::FaultRule::parse("drop:nth=5").drop);
    for (const char* bad : {"418:rate=0.1", "429", "500:rate=2", "500:nth=0", "slow=x:rate=1", "503:often"})
    {
        EXPECT_THROW(server::FaultRule::parse(bad), std::invalid_argument) << bad;
    }
}

TEST(FaultPlan, EveryNthIsExactAndRatesAreRepeatableForASeed)
{
    server::FaultPlan nth({server::FaultRule::parse("500:nth=3")}, 1);
    std::vector<int> statuses;
    statuses.reserve(6);
    for (int i = 0; i < 6; ++i)
    {
        statuses.push_back(nth.next().status);
    }
    EXPECT_EQ(statuses, (std::vector<int>{0, 0, 500, 0, 0, 500}));
    server::FaultPlan a({server::FaultRule::parse("429:rate=0.5")}, 42);
    server::FaultPlan b({server::FaultRule::parse("429:rate=0.5")}, 42);
    for (int i = 0; i < 50; ++i)
    {
        EXPECT_EQ(a.next().status, b.next().status);
    }
}

TEST_F(LocalBatchServerTest, ServesTheFilesApi)
{
    start();
    api::FilesApi files(client);
    const std::string path = requestFile("/v1/chat/completions", 2);
    const auto uploaded = files.createFile(model::HttpContent::fromFile(path), "batch").get();
    std::ifstream in(path, std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    EXPECT_EQ(uploaded->getBytes(), static_cast<int64_t>(content.size()));
    EXPECT_EQ(files.downloadFile(uploaded->getId()).get(), content);
    EXPECT_EQ(
        files.listFiles(utility::string_t("batch"), boost::none, boost::none, boost::none).get()->getData().size(), 1u);
    EXPECT_TRUE(files.deleteFile(uploaded->getId()).get()->isDeleted());
    EXPECT_THROW(files.retrieveFile(uploaded->getId()).get(), api::ApiException);
    EXPECT_THROW(files.createFile(model::HttpContent::fromFile(path), "nonsense").get(), api::ApiException);
}

} // namespace
