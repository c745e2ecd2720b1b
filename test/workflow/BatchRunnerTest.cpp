// BatchRunner against a stateful fake Batch API: the whole job, a lost create answer, an expired batch.
#include "FakeBatchService.h"
#include "LoopbackServer.h"

#include "workflow/BatchRunner.h"
#include "workflow/RequestFileWriter.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace openai_batch::workflow;
using namespace testing_support;

namespace {

class BatchRunnerTest : public ::testing::Test
{
protected:
    BatchRunnerTest()
        : directory(std::filesystem::temp_directory_path()
                    / ("batch-run-" + std::to_string(::getpid()) + "-"
                       + ::testing::UnitTest::GetInstance()->current_test_info()->name()))
    {
        std::filesystem::create_directories(directory);
        auto configuration = std::make_shared<api::ApiConfiguration>();
        configuration->setBaseUrl(service.url());
        configuration->setApiKey("sk-test");
        client = std::make_shared<api::ApiClient>(configuration);
    }
    ~BatchRunnerTest() override { std::filesystem::remove_all(directory); }

    /// A request file of the given custom_ids.
    std::string requests(std::initializer_list<const char*> ids)
    {
        std::string path = (directory / "requests.jsonl").string();
        RequestFileWriter writer(path, "/v1/chat/completions");
        for (const char* id : ids)
        {
            writer.add(id,
                       web::json::value::parse(
                           R"({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})"));
        }
        writer.finish();
        return path;
    }

    RunOptions options(const std::string& requestFile)
    {
        RunOptions run;
        run.requestFile = requestFile;
        run.endpoint = "/v1/chat/completions";
        run.outputDirectory = directory.string();
        run.metadata = {{"job", "nightly"}};
        run.wait.sleep = [](std::chrono::milliseconds) { return pplx::task_from_result(); };
        run.wait.onProgress = [this](const model::Batch& batch) { statuses.push_back(batch.getStatusString()); };
        return run;
    }

    FakeBatchService service;
    std::filesystem::path directory;
    std::shared_ptr<api::ApiClient> client;
    std::vector<std::string> statuses;
};

TEST_F(BatchRunnerTest, RunsTheWholeJob)
{
    const auto run = BatchRunner(client).run(options(requests({"r1", "r2", "bad-3", "r4"}))).get();

    EXPECT_EQ(run.batch->getStatus(), model::Batch::StatusEnum::COMPLETED);
    EXPECT_EQ(statuses, (std::vector<std::string>{"validating", "in_progress", "finalizing", "completed"}));
    EXPECT_EQ(run.succeeded, (std::vector<std::string>{"r1", "r2", "r4"}));
    ASSERT_EQ(run.failed.size(), 1u);
    EXPECT_EQ(run.failed[0].customId, "bad-3");
    EXPECT_EQ(run.failed[0].statusCode, 400);
    EXPECT_EQ(run.failed[0].code, "invalid_value");
    EXPECT_EQ(run.failed[0].message, "Invalid request bad-3");
    EXPECT_TRUE(run.missing.empty());
    EXPECT_EQ(run.outputFile,
              (directory / (utility::conversions::to_utf8string(run.batch->getId()) + "_output.jsonl")).string());
    EXPECT_TRUE(run.errorFile.empty());
    std::ifstream output(run.outputFile);
    EXPECT_EQ(std::count(std::istreambuf_iterator<char>(output), std::istreambuf_iterator<char>(), '\n'), 4);
    EXPECT_EQ(run.batch->getMetadata().at("job"), "nightly");
    EXPECT_EQ(run.batch->getMetadata().count(BatchRunner::runTagKey), 1u);
}

TEST_F(BatchRunnerTest, ALostCreateAnswerLeavesExactlyOneBatch)
{
    service.dropCreateReplies = 1; // the server creates the batch, then closes the connection unanswered

    const auto run = BatchRunner(client).run(options(requests({"r1", "r2"}))).get();

    EXPECT_EQ(service.batchCount(), 1u);
    EXPECT_EQ(run.succeeded.size(), 2u);
    const auto targets = service.requestTargets();
    EXPECT_EQ(std::count(targets.begin(), targets.end(), "POST /batches"), 1);
    EXPECT_EQ(std::count(targets.begin(), targets.end(), "GET /batches?limit=100"), 1);
}

TEST_F(BatchRunnerTest, CreateOnceTriesAgainWhenTheLostBatchIsNotFound)
{
    // Nothing was created the first time (the answer was lost before the server acted), so the
    // look-up finds nothing and a second create is right.
    auto request = std::make_shared<model::CreateBatchRequest>();
    request->setInputFileId("file-x");
    request->setEndpoint(model::CreateBatchRequest::EndpointEnum::V1_CHAT_COMPLETIONS);
    request->setCompletionWindow(model::CreateBatchRequest::CompletionWindowEnum::_24H);
    auto dead = std::make_shared<api::ApiConfiguration>(*client->getConfiguration());
    dead->setBaseUrl("http://127.0.0.1:" + std::to_string(freeLoopbackPort()));
    WaitOptions pacing;
    pacing.sleep = [](std::chrono::milliseconds) { return pplx::task_from_result(); };
    EXPECT_THROW(BatchRunner(std::make_shared<api::ApiClient>(dead)).createOnce(request, "tag-1", 2, pacing).get(),
                 api::ApiConnectionException);

    const auto batch = BatchRunner(client).createOnce(request, "tag-2", 2, pacing).get();
    EXPECT_EQ(batch->getMetadata().at(BatchRunner::runTagKey), "tag-2");
    EXPECT_EQ(service.batchCount(), 1u);
    EXPECT_FALSE(request->metadataIsSet()) << "the caller's request is left as it was";
}

TEST_F(BatchRunnerTest, AnExpiredBatchGivesPartialResultsAndTheRestAsFailedOrMissing)
{
    service.ending = FakeBatchService::Ending::Expired;
    service.finishedBeforeExpiry = 2;
    service.expiredInErrorFile = 2;

    const auto run = BatchRunner(client).run(options(requests({"r1", "r2", "r3", "r4", "r5", "r6"}))).get();

    EXPECT_EQ(run.batch->getStatus(), model::Batch::StatusEnum::EXPIRED);
    EXPECT_EQ(run.succeeded, (std::vector<std::string>{"r1", "r2"}));
    ASSERT_EQ(run.failed.size(), 2u);
    EXPECT_EQ(run.failed[0].customId, "r3");
    EXPECT_EQ(run.failed[0].code, "batch_expired");
    EXPECT_FALSE(run.failed[0].statusCode.has_value());
    EXPECT_EQ(run.failed[1].customId, "r4");
    EXPECT_EQ(run.missing, (std::vector<std::string>{"r5", "r6"}));
    EXPECT_FALSE(run.errorFile.empty());
}

TEST_F(BatchRunnerTest, AnInvalidRequestFileIsRefusedBeforeAnyUpload)
{
    const std::string path = (directory / "bad.jsonl").string();
    std::ofstream(path) << R"({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}})"
                           "\n"
                        << R"({"custom_id": "a", "method": "POST", "url": "/v1/embeddings", "body": {}})"
                           "\n";
    try
    {
        BatchRunner(client).run(options(path)).get();
        FAIL() << "the run started";
    }
    catch (const std::invalid_argument& error)
    {
        EXPECT_EQ(error.what(),
                  "the request file '" + path
                      + "' would be rejected: line 2: url '/v1/embeddings' is not the batch's "
                        "endpoint '/v1/chat/completions'");
    }
    EXPECT_TRUE(service.requestTargets().empty());
}

TEST_F(BatchRunnerTest, AnEmptyRequestFileOrTooMuchMetadataIsRefusedBeforeAnyUpload)
{
    const std::string empty = (directory / "empty.jsonl").string();
    std::ofstream(empty).close();
    EXPECT_THROW(BatchRunner(client).submit(options(empty)).get(), std::invalid_argument);
    RunOptions crowded = options(requests({"r1"}));
    for (int i = 0; i < 15; ++i)
    {
        crowded.metadata["k" + std::to_string(i)] = "v";
    }
    EXPECT_THROW(BatchRunner(client).submit(crowded).get(), std::invalid_argument);
    EXPECT_TRUE(service.requestTargets().empty());
}

TEST_F(BatchRunnerTest, SubmitTakesUpTheBatchCarryingTheJobTag)
{
    RunOptions job = options(requests({"r1", "r2"}));
    job.runTag = BatchRunner::jobTag(job);
    job.resumeTagged = true;
    const BatchRunner runner(client);
    const Submission first = runner.submit(job).get();
    const Submission again = runner.submit(job).get();

    EXPECT_FALSE(first.resumed);
    EXPECT_TRUE(again.resumed);
    EXPECT_EQ(again.batch->getId(), first.batch->getId());
    EXPECT_EQ(again.requestIds, (std::vector<std::string>{"r1", "r2"}));
    EXPECT_EQ(first.batch->getMetadata().at(BatchRunner::runTagKey), job.runTag);
    EXPECT_EQ(service.batchCount(), 1u);
    const auto targets = service.requestTargets();
    EXPECT_EQ(std::count(targets.begin(), targets.end(), "POST /files"), 1);

    job.resumeTagged = false; // a new batch under the same tag, as `submit --new` asks
    EXPECT_FALSE(runner.submit(job).get().resumed);
    EXPECT_EQ(service.batchCount(), 2u);
}

TEST_F(BatchRunnerTest, TheJobTagChangesWithEveryPartOfTheJob)
{
    const RunOptions job = options(requests({"r1", "r2"}));
    const utility::string_t tag = BatchRunner::jobTag(job);
    EXPECT_EQ(tag.size(), 32u);
    EXPECT_EQ(BatchRunner::jobTag(job), tag);

    RunOptions other = job;
    other.metadata["job"] = "weekly";
    EXPECT_NE(BatchRunner::jobTag(other), tag);
    other = job;
    other.endpoint = "/v1/embeddings";
    EXPECT_NE(BatchRunner::jobTag(other), tag);
    other = job;
    other.completionWindow = "48h";
    EXPECT_NE(BatchRunner::jobTag(other), tag);
    other = job;
    other.outputExpiresAfter = std::make_shared<model::BatchFileExpirationAfter>();
    other.outputExpiresAfter->setAnchor(model::BatchFileExpirationAfter::AnchorEnum::CREATED_AT);
    other.outputExpiresAfter->setSeconds(7200);
    EXPECT_NE(BatchRunner::jobTag(other), tag);
    other = job;
    other.metadata = {{"jo", "bnightly"}}; // the same characters, split differently
    EXPECT_NE(BatchRunner::jobTag(other), tag);
    requests({"r1", "r3"}); // the same path, other content
    EXPECT_NE(BatchRunner::jobTag(job), tag);
}

TEST(ResultFilePath, NamesAFileInsideTheDirectory)
{
    EXPECT_EQ(resultFilePath("out", "batch_abc-1.2", "_output.jsonl"), "out/batch_abc-1.2_output.jsonl");
}

TEST(ResultFilePath, RefusesAnIdThatIsNotAPlainFileName)
{
    // Each id, and how the message shows it (bytes outside printable ASCII as \xNN).
    const std::vector<std::pair<std::string, std::string>> ids = {
        {"", ""},
        {"../../x", "../../x"},
        {"..", ".."},
        {".hidden", ".hidden"},
        {"a/b", "a/b"},
        {"/etc/passwd", "/etc/passwd"},
        {"a\\b", "a\\b"},
        {std::string("a\0b", 3), "a\\x00b"},
        {"batch\x1b[2J", "batch\\x1b[2J"},
        {"batch\n", "batch\\x0a"},
        {"b\xc3\xa9", "b\\xc3\\xa9"},
        {std::string(201, 'a'), std::string(201, 'a')},
    };
    for (const auto& [id, shown] : ids)
    {
        try
        {
            resultFilePath("out", id, "_output.jsonl");
            ADD_FAILURE() << "accepted '" << shown << "'";
        }
        catch (const std::runtime_error& error)
        {
            EXPECT_EQ(error.what(),
                      "the batch id '" + shown
                          + "' from the server cannot name a file in 'out': only 1 to 200 letters, "
                            "digits, '_', '-' and '.' (not first) are used");
        }
    }
    EXPECT_NO_THROW(resultFilePath("out", std::string(200, 'a'), ""));
}

TEST(MatchResults, CountsAResultOnceAndKeepsRequestOrderForMissing)
{
    const std::string path =
        (std::filesystem::temp_directory_path() / ("match-" + std::to_string(::getpid()) + ".jsonl")).string();
    std::ofstream(path) << R"({"custom_id": "b", "response": {"status_code": 200, "body": {}}})"
                           "\n"
                        << R"({"custom_id": "b", "response": {"status_code": 500, "body": {}}})"
                           "\n";
    const BatchRun run = matchResults({"a", "b", "c"}, path, "");
    std::filesystem::remove(path);
    EXPECT_EQ(run.succeeded, (std::vector<std::string>{"b"}));
    EXPECT_TRUE(run.failed.empty());
    EXPECT_EQ(run.missing, (std::vector<std::string>{"a", "c"}));
}

} // namespace
