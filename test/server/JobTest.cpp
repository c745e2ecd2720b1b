// Jobs over many batches (workflow/Job.h) against the local server in process: sharding, admission within
// the enqueued-token budget, retries, the manifest's resumption, and the errors a job directory can give.
#include "ServerFixture.h"

#include "api/BatchApi.h"
#include "api/FilesApi.h"
#include "workflow/DurableFile.h"
#include "workflow/Job.h"
#include "workflow/Pagination.h"
#include "workflow/RequestEstimate.h"

#include <fstream>
#include <map>
#include <set>

namespace openai_batch::testing_server {
namespace {

class JobTest : public LocalBatchServerTest
{
protected:
    /// A chat request file of ids prefix0.. prefix(count-1); bodies by index from `body`, a "hello" by default.
    std::string chatFile(const std::string& name, const std::string& prefix, size_t count,
                         const std::function<std::string(size_t)>& body = {})
    {
        std::string path = (directory / name).string();
        std::ofstream out(path);
        for (size_t i = 0; i < count; ++i)
        {
            out << R"({"custom_id": ")" << prefix << i << R"(", "method": "POST", "url": "/v1/chat/completions", )"
                << R"("body": )"
                << (body ? body(i)
                         : R"({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello )"
                            + std::to_string(i) + R"("}], "max_tokens": 10})")
                << "}\n";
        }
        return path;
    }

    JobOptions jobOptions(std::vector<std::string> files, size_t shardRequests = 50)
    {
        JobOptions options;
        options.requestFiles = std::move(files);
        options.endpoint = "/v1/chat/completions";
        options.jobDirectory = (directory / "job").string();
        options.shardLimits.maxRequests = shardRequests;
        options.polling.firstInterval = milliseconds(10);
        options.polling.maxInterval = milliseconds(50);
        options.tokenLimitBackoff = milliseconds(20);
        return options;
    }

    /// The estimated tokens of the first request in path (all of this suite's requests estimate alike).
    static uint64_t tokensPerRequest(const std::string& path)
    {
        std::ifstream in(path);
        std::string line;
        std::getline(in, line);
        return estimateRequestLine(line).tokens();
    }

    std::vector<std::shared_ptr<model::Batch>> serverBatches()
    {
        return collectAll(batchPages(api::BatchApi(client))).get();
    }

    std::vector<std::shared_ptr<model::OpenAIFile>> serverFiles()
    {
        return collectAll(filePages(api::FilesApi(client), std::string("batch"))).get();
    }

    /// Every request's result, in request-file order.
    std::vector<JobResult> results(JobResults::Order order = JobResults::Order::RequestFiles)
    {
        JobResults reader((directory / "job").string(), order);
        std::vector<JobResult> all;
        JobResult result;
        while (reader.next(result))
        {
            result.result = BatchResult{}; // its views end with the reader
            all.push_back(result);
        }
        return all;
    }

    /// How many batches carry each tag: a shard's submission must have exactly one.
    std::map<std::string, int> batchesPerTag()
    {
        std::map<std::string, int> tags;
        for (const auto& batch : serverBatches())
        {
            ++tags[batch->getMetadata().at(BatchRunner::runTagKey)];
        }
        return tags;
    }
};

TEST_F(JobTest, RunsOneJobOverManyBatchesAndReadsEveryResultInRequestFileOrder)
{
    start();
    const auto a = chatFile("a.jsonl", "a", 120);
    const auto b = chatFile("b.jsonl", "b", 80);
    std::vector<JobProgress> progress;
    JobOptions options = jobOptions({a, b});
    options.maxBatches = 2;
    options.onProgress = [&progress](const JobProgress& now) { progress.push_back(now); };

    const JobSummary summary = JobRunner(client, options).run();

    EXPECT_TRUE(summary.finished);
    EXPECT_EQ(summary.requests, 200u);
    EXPECT_EQ(summary.succeeded, 200u);
    EXPECT_EQ(summary.batches.size(), 4u); // 50, 50, 50 (20 of a, 30 of b), 50
    EXPECT_EQ(serverBatches().size(), 4u);
    EXPECT_EQ(summary.usage.at("gpt-4o-mini").totalTokens,
              summary.usage.at("gpt-4o-mini").inputTokens + summary.usage.at("gpt-4o-mini").outputTokens);
    EXPECT_GT(summary.usage.at("gpt-4o-mini").totalTokens, 0u);
    ASSERT_FALSE(progress.empty());
    for (const auto& seen : progress)
    {
        EXPECT_LE(seen.shardsInFlight, 2u) << "maxBatches";
    }
    EXPECT_EQ(progress.back().succeeded, 200u);

    const auto inOrder = results();
    ASSERT_EQ(inOrder.size(), 200u);
    for (size_t i = 0; i < inOrder.size(); ++i)
    {
        const bool first = i < 120;
        EXPECT_EQ(inOrder[i].index, i);
        EXPECT_EQ(inOrder[i].customId, (first ? "a" : "b") + std::to_string(first ? i : i - 120));
        EXPECT_EQ(inOrder[i].requestFile, std::filesystem::absolute(first ? a : b).lexically_normal().string());
        EXPECT_EQ(inOrder[i].lineNumber, (first ? i : i - 120) + 1);
        EXPECT_EQ(inOrder[i].outcome, RequestOutcome::Succeeded);
        EXPECT_EQ(inOrder[i].attempt, 1);
        EXPECT_EQ(inOrder[i].statusCode, 200);
        EXPECT_FALSE(inOrder[i].batchId.empty());
    }
    std::set<std::string> stored;
    for (const auto& result : results(JobResults::Order::AsStored))
    {
        EXPECT_TRUE(stored.insert(result.customId).second) << result.customId << " twice";
    }
    EXPECT_EQ(stored.size(), 200u);
}

TEST_F(JobTest, TheAnswerOfEachRequestIsReadableFromItsResult)
{
    start();
    const auto file = chatFile("a.jsonl", "q", 30);
    JobRunner(client, jobOptions({file}, 7)).run();
    JobResults reader((directory / "job").string());
    JobResult result;
    size_t read = 0;
    while (reader.next(result))
    {
        const auto body = result.result.bodyJson();
        EXPECT_EQ(body.at("choices").at(0).at("message").at("content").as_string(),
                  "You said: hello " + std::to_string(read));
        ++read;
    }
    EXPECT_EQ(read, 30u);
}

TEST_F(JobTest, ADuplicateAcrossFilesIsRefusedNamingBothPlacesBeforeAnythingIsUploaded)
{
    start();
    const auto a = chatFile("a.jsonl", "x", 3);
    const auto b = chatFile("b.jsonl", "y", 5);
    std::ofstream(b, std::ios::app) << R"({"custom_id": "x1", "method": "POST", "url": "/v1/chat/completions", )"
                                    << R"("body": {"model": "m", "messages": []}})"
                                    << "\n";
    try
    {
        JobRunner(client, jobOptions({a, b})).run();
        FAIL() << "a duplicate custom_id was accepted";
    }
    catch (const JobError& refused)
    {
        const std::string message = refused.what();
        EXPECT_NE(message.find("b.jsonl line 6: custom_id 'x1' is already used on "), std::string::npos) << message;
        EXPECT_NE(message.find("a.jsonl line 2"), std::string::npos) << message;
        EXPECT_NE(message.find("nothing was uploaded"), std::string::npos) << message;
    }
    EXPECT_TRUE(serverFiles().empty());
    EXPECT_FALSE(std::filesystem::exists(directory / "job" / "manifest.json"));
}

TEST_F(JobTest, EveryRefusedLineIsListedWithItsFileAndLine)
{
    start();
    const auto a = chatFile("a.jsonl", "ok", 2);
    std::ofstream(a, std::ios::app)
        << "{not json\n"
        << R"({"custom_id": "g", "method": "GET", "url": "/v1/chat/completions", "body": {}})"
        << "\n";
    try
    {
        JobRunner(client, jobOptions({a})).run();
        FAIL() << "broken lines were accepted";
    }
    catch (const JobError& refused)
    {
        const std::string message = refused.what();
        EXPECT_NE(message.find("a.jsonl line 3: "), std::string::npos) << message;
        EXPECT_NE(message.find("a.jsonl line 4: method must be POST"), std::string::npos) << message;
    }
    EXPECT_TRUE(serverFiles().empty());
}

TEST_F(JobTest, RetryableFailuresRunAgainUntilEveryRequestSucceeds)
{
    server::ServerOptions serverOptions = defaultOptions();
    serverOptions.batchFaults.requestFailureShare = 0.2;
    serverOptions.batchFaults.expiryShare = 0.5;
    startWith(serverOptions);
    JobOptions options = jobOptions({chatFile("a.jsonl", "r", 300)});
    options.maxAttempts = 12;

    const JobSummary summary = JobRunner(client, options).run();

    EXPECT_EQ(summary.succeeded, 300u);
    const auto all = results();
    EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const JobResult& r) { return r.attempt > 1; }));
    EXPECT_TRUE(std::any_of(summary.batches.begin(), summary.batches.end(),
                            [](const JobBatch& batch) { return batch.status == "expired"; }));
    for (const auto& [tag, batches] : batchesPerTag())
    {
        EXPECT_EQ(batches, 1) << tag;
    }
}

TEST_F(JobTest, AFourXxAnswerIsFinalAndALastAttemptKeepsItsFailure)
{
    server::ServerOptions serverOptions = defaultOptions();
    serverOptions.batchFaults.requestFailureShare = 1; // every answer a 500
    startWith(serverOptions);
    const auto file = chatFile("a.jsonl", "r", 4, [](size_t i) {
        return i == 0 ? std::string(R"({"model": "gpt-4o-mini", "messages": []})")
                      : std::string(R"({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]})");
    });
    JobOptions options = jobOptions({file});
    options.maxAttempts = 2;
    const JobSummary summary = JobRunner(client, options).run();
    EXPECT_EQ(summary.failed, 4u);
    for (const auto& result : results())
    {
        EXPECT_EQ(result.outcome, RequestOutcome::Failed);
        EXPECT_EQ(result.statusCode, 500) << "the local server answers 500 before it reads the body";
        EXPECT_EQ(result.attempt, 2);
        EXPECT_EQ(result.code, "server_error");
    }

    // Without the fault, the empty messages are a 400: final on the first attempt.
    server.reset();
    std::filesystem::remove_all(directory / "job");
    startWith(defaultOptions());
    const JobSummary second = JobRunner(client, options).run();
    EXPECT_EQ(second.failed, 1u);
    EXPECT_EQ(second.succeeded, 3u);
    const auto first = results().front();
    EXPECT_EQ(first.statusCode, 400);
    EXPECT_EQ(first.attempt, 1);
    EXPECT_EQ(first.code, "invalid_value");
}

TEST_F(JobTest, TheBudgetKeepsTheServersTokenLimitFromEverBeingHit)
{
    const auto file = chatFile("a.jsonl", "r", 200);
    server::ServerOptions serverOptions = defaultOptions();
    serverOptions.batchFaults.enqueuedTokenLimit = tokensPerRequest(file) * 70; // two shards of 30 at once, not three
    startWith(serverOptions);
    JobOptions options = jobOptions({file}, 30);
    options.maxEnqueuedTokens = serverOptions.batchFaults.enqueuedTokenLimit;
    options.maxBatches = 5;

    const JobSummary summary = JobRunner(client, options).run();

    EXPECT_EQ(summary.succeeded, 200u);
    for (const auto& batch : serverBatches())
    {
        EXPECT_NE(batch->getStatusString(), "failed") << batch->getId();
    }
}

TEST_F(JobTest, WithoutABudgetTokenLimitedBatchesWaitAndGoAgain)
{
    const auto file = chatFile("a.jsonl", "r", 200);
    server::ServerOptions serverOptions = defaultOptions();
    serverOptions.batchFaults.enqueuedTokenLimit = tokensPerRequest(file) * 70;
    serverOptions.pacing.requestTime = milliseconds(1); // batches stay in progress a while, so others meet the limit
    startWith(serverOptions);
    JobOptions options = jobOptions({file}, 30);
    options.maxBatches = 7;
    options.maxAttempts = 1; // a token-limited batch is not an attempt of its requests

    const JobSummary summary = JobRunner(client, options).run();

    EXPECT_EQ(summary.succeeded, 200u);
    const size_t limited =
        static_cast<size_t>(std::count_if(summary.batches.begin(), summary.batches.end(),
                                          [](const JobBatch& batch) { return batch.status == "failed"; }));
    EXPECT_GT(limited, 0u);
    EXPECT_EQ(summary.batches.size(), 7u + limited);
    for (const auto& [tag, batches] : batchesPerTag())
    {
        EXPECT_EQ(batches, 1) << tag;
    }
}

TEST_F(JobTest, AnInterruptedJobCarriesOnWithoutUploadingOrCreatingAgain)
{
    server::Pacing pacing;
    pacing.requestTime = milliseconds(2);
    start(pacing);
    JobOptions options = jobOptions({chatFile("a.jsonl", "r", 100)}, 20);
    options.maxBatches = 2;
    pplx::cancellation_token_source stop;
    options.polling.cancellation = stop.get_token();
    options.onProgress = [&stop](const JobProgress& progress) {
        if (progress.shardsSettled >= 1)
        {
            stop.cancel();
        }
    };
    EXPECT_THROW(JobRunner(client, options).run(), pplx::task_canceled);
    const size_t uploadsBefore = serverFiles().size();
    EXPECT_LT(uploadsBefore, 5u);

    options.polling.cancellation = pplx::cancellation_token::none();
    options.onProgress = {};
    const JobSummary summary = JobRunner(client, options).run();

    EXPECT_EQ(summary.succeeded, 100u);
    EXPECT_EQ(serverFiles().size(), 5u) << "one upload per shard";
    EXPECT_EQ(serverBatches().size(), 5u) << "one batch per shard";
    const JobSummary again = JobRunner(client, options).run(); // a finished job: nothing more happens
    EXPECT_EQ(again.succeeded, 100u);
    EXPECT_EQ(serverBatches().size(), 5u);
}

TEST_F(JobTest, ACarryOnWithoutFilesKeepsTheLimitsTheJobWasPlannedWith)
{
    const auto file = chatFile("a.jsonl", "r", 120);
    server::ServerOptions serverOptions = defaultOptions();
    serverOptions.batchFaults.enqueuedTokenLimit = tokensPerRequest(file) * 40;
    // The retry shards, planned by the run that carries on, are large enough to need cutting.
    serverOptions.batchFaults.requestFailureShare = 0.6;
    startWith(serverOptions);
    JobOptions planned = jobOptions({file}, 30);
    planned.maxEnqueuedTokens = serverOptions.batchFaults.enqueuedTokenLimit;
    pplx::cancellation_token_source stop;
    planned.polling.cancellation = stop.get_token();
    planned.onProgress = [&stop](const JobProgress&) { stop.cancel(); };
    EXPECT_THROW(JobRunner(client, planned).run(), pplx::task_canceled);

    JobOptions carryOn = jobOptions({}, 50000); // no files, no endpoint, no budget, larger shards
    carryOn.endpoint.clear();
    carryOn.maxAttempts = 30;
    const JobSummary summary = JobRunner(client, carryOn).run();

    EXPECT_EQ(summary.succeeded, 120u);
    for (const auto& batch : serverBatches())
    {
        EXPECT_NE(batch->getStatusString(), "failed") << "the planned budget still cuts and admits the shards";
    }
}

TEST_F(JobTest, ASecondRunOnTheSameDirectoryIsRefused)
{
    start();
    JobOptions options = jobOptions({chatFile("a.jsonl", "r", 5)});
    std::filesystem::create_directories(options.jobDirectory);
    const DirectoryLock running(options.jobDirectory, "another run of this job");
    try
    {
        JobRunner(client, options).run();
        FAIL() << "two runs shared a job directory";
    }
    catch (const std::runtime_error& refused)
    {
        EXPECT_NE(std::string(refused.what()).find("in use by another run of this job"), std::string::npos)
            << refused.what();
    }
}

TEST_F(JobTest, AnotherJobsDirectoryOrAVanishedFileIsAClearErrorAndTheManifestStaysUsable)
{
    start();
    const auto a = chatFile("a.jsonl", "r", 5);
    JobRunner(client, jobOptions({a})).run();

    const auto other = chatFile("other.jsonl", "o", 5);
    try
    {
        JobRunner(client, jobOptions({other})).run();
        FAIL() << "another job's directory was taken";
    }
    catch (const JobError& refused)
    {
        EXPECT_NE(std::string(refused.what()).find("holds another job"), std::string::npos) << refused.what();
        EXPECT_NE(std::string(refused.what()).find("a.jsonl"), std::string::npos) << refused.what();
    }

    std::filesystem::remove(a);
    try
    {
        JobRunner(client, jobOptions({a})).run();
        FAIL() << "a vanished request file went unnoticed";
    }
    catch (const JobError& refused)
    {
        EXPECT_NE(std::string(refused.what()).find("cannot read '" + a + "'"), std::string::npos) << refused.what();
    }
    EXPECT_EQ(readJobSummary((directory / "job").string()).succeeded, 5u);
    EXPECT_EQ(JobRunner(client, jobOptions({})).run().succeeded, 5u) << "without files, the job carries on as planned";
    JobOptions nothing = jobOptions({});
    nothing.jobDirectory = (directory / "empty").string();
    EXPECT_THROW(JobRunner(client, nothing).run(), JobError) << "no files and no job to carry on";
}

TEST_F(JobTest, SummaryCostsComeFromAPriceFileOnly)
{
    start();
    JobRunner(client, jobOptions({chatFile("a.jsonl", "r", 10)})).run();
    const std::string prices = (directory / "prices.json").string();
    std::ofstream(prices) << R"({"gpt-4o-mini": {"input": 0.15, "output": 0.6}})";
    const PriceTable table = PriceTable::load(prices);
    const JobSummary summary = readJobSummary((directory / "job").string(), &table);
    const ModelUsage& usage = summary.usage.at("gpt-4o-mini");
    ASSERT_TRUE(summary.estimatedCost);
    EXPECT_DOUBLE_EQ(*summary.estimatedCost, (usage.inputTokens * 0.15 + usage.outputTokens * 0.6) / 1e6);
    EXPECT_FALSE(readJobSummary((directory / "job").string()).estimatedCost);

    std::ofstream(prices) << R"({"gpt-4o-mini": {"input": "cheap"}})";
    EXPECT_THROW(PriceTable::load(prices), JobError);
}

TEST(RequestEstimateTest, CountsTheInputTextAndTheLargestOutputCap)
{
    const std::string body =
        R"({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5, "max_completion_tokens": 9})";
    const RequestEstimate estimate = estimateRequest(body);
    EXPECT_EQ(estimate.model, "gpt-4o");
    const size_t messagesBytes = std::string(R"([{"role": "user", "content": "hi"}])").size();
    EXPECT_EQ(estimate.inputTokens, (messagesBytes + 2) / 3);
    EXPECT_EQ(estimate.outputTokens, 9u);
    EXPECT_EQ(estimate.tokens(), estimate.inputTokens + 9);
}

TEST(RequestEstimateTest, CountsTheToolsAndFormatsTheModelReadsToo)
{
    const std::string tools = R"([{"type": "function", "function": {"name": "lookup"}}])";
    const std::string format = R"({"type": "json_object"})";
    const RequestEstimate estimate = estimateRequest(R"({"model": "m", "messages": [], "tools": )" + tools
                                                     + R"(, "response_format": )" + format + "}");
    EXPECT_EQ(estimate.inputTokens, (2 + tools.size() + format.size() + 2) / 3);
}

TEST(RequestEstimateTest, CountsEmbeddingInputs)
{
    EXPECT_EQ(estimateRequest(R"({"model": "e", "input": ["a", "b", "c"]})").embeddingInputs, 3u);
    EXPECT_EQ(estimateRequest(R"({"model": "e", "input": "one text"})").embeddingInputs, 1u);
    EXPECT_EQ(estimateRequest(R"({"model": "e", "input": [1, 2, 3]})").embeddingInputs, 1u) << "one token array";
    EXPECT_EQ(estimateRequest(R"({"model": "e", "input": [[1, 2], [3]]})").embeddingInputs, 2u);
    EXPECT_EQ(estimateRequest(R"({"model": "e", "input": [], "max_tokens": 1e400})").outputTokens, 0u);
}

TEST(RequestEstimateTest, ReadsALineWhereItLiesAsFromACopy)
{
    const std::string body = R"({"model": "e", "input": ["a", "b"], "max_tokens": 4})";
    const std::string line = R"({"custom_id": "r", "method": "POST", "url": "/v1/embeddings", "body": )" + body + "}";
    // After the line, its buffer holds JSON that would change the estimate if it were read as the line's.
    std::string buffer = line + R"(, "c"], "max_tokens": 99999, "model": "x"})";
    buffer.resize(line.size() + simdjson::SIMDJSON_PADDING, ']');
    const std::string_view inPlace(buffer.data(), line.size());
    EXPECT_EQ(readRequestLine(inPlace, buffer.size()).customId, "r");
    const RequestEstimate read = estimateRequestLine(inPlace, buffer.size());
    const RequestEstimate copied = estimateRequest(body);
    EXPECT_EQ(read.model, "e");
    EXPECT_EQ(read.embeddingInputs, 2u);
    EXPECT_EQ(read.outputTokens, 4u);
    EXPECT_EQ(read.inputTokens, copied.inputTokens);
    EXPECT_EQ(read.tokens(), copied.tokens());
    // Readable bytes too few to read it in place: copied, the same estimate.
    EXPECT_EQ(estimateRequestLine(inPlace, line.size()).embeddingInputs, 2u);
    EXPECT_EQ(estimateRequestLine(inPlace, line.size()).tokens(), copied.tokens());
}

TEST_F(JobTest, EmbeddingShardsHoldAtMostTheirInputs)
{
    start();
    const std::string path = (directory / "e.jsonl").string();
    {
        std::ofstream out(path);
        for (int i = 0; i < 10; ++i)
        {
            out << R"({"custom_id": "e)" << i << R"(", "method": "POST", "url": "/v1/embeddings", "body": )"
                << R"({"model": "text-embedding-3-small", "input": ["a", "b", "c"]}})"
                << "\n";
        }
    }
    JobOptions options = jobOptions({path}, 1000);
    options.endpoint = "/v1/embeddings";
    options.maxEmbeddingInputs = 7; // two requests (6 inputs) per shard
    const JobSummary summary = JobRunner(client, options).run();
    EXPECT_EQ(summary.succeeded, 10u);
    EXPECT_EQ(summary.batches.size(), 5u);
}

} // namespace
} // namespace openai_batch::testing_server
