// waitForBatch: polls through the lifecycle with a backing-off interval, reports progress, times out,
// and can be cancelled.
#include "ApiTestSupport.h"

#include "workflow/BatchWaiter.h"

#include <atomic>

using namespace openai_batch::workflow;
using namespace testing_support;
using std::chrono::milliseconds;

namespace {

std::string batchWith(const std::string& status, int completed)
{
    auto json = web::json::value::parse(batchJson("batch_w", status));
    json["request_counts"]["total"] = web::json::value::number(10);
    json["request_counts"]["completed"] = web::json::value::number(completed);
    return json.serialize();
}

class BatchWaiterTest : public LoopbackApiTest
{
protected:
    api::BatchApi batches{client};
    std::vector<milliseconds> waits;
    std::chrono::steady_clock::time_point clock{};

    /// Options whose sleep records the wait and moves the fake clock instead of waiting.
    WaitOptions instant()
    {
        WaitOptions options;
        options.sleep = [this](milliseconds delay) {
            waits.push_back(delay);
            clock += delay;
            return pplx::task_from_result();
        };
        options.now = [this] { return clock; };
        return options;
    }
};

TEST_F(BatchWaiterTest, ReportsEachStepUntilCompleted)
{
    for (const auto& [status, done] : std::vector<std::pair<std::string, int>>{{"validating", 0},
                                                                               {"in_progress", 0},
                                                                               {"in_progress", 4},
                                                                               {"in_progress", 4},
                                                                               {"finalizing", 10},
                                                                               {"completed", 10}})
    {
        server.enqueueJson(200, batchWith(status, done));
    }
    std::vector<std::string> seen;
    WaitOptions options = instant();
    options.onProgress = [&](const model::Batch& batch) {
        seen.push_back(batch.getStatusString() + " " + std::to_string(batch.getRequestCounts()->getCompleted())
                       + "/10");
    };

    const auto batch = waitForBatch(batches, "batch_w", options).get();

    EXPECT_EQ(batch->getStatus(), model::Batch::StatusEnum::COMPLETED);
    EXPECT_EQ(seen,
              (std::vector<std::string>{"validating 0/10", "in_progress 0/10", "in_progress 4/10", "finalizing 10/10",
                                        "completed 10/10"}));
    EXPECT_EQ(server.requests().size(), 6u);
    EXPECT_EQ(server.requests()[0].target, "/v1/batches/batch_w");
}

TEST_F(BatchWaiterTest, BacksOffFromOneSecondToTheMaximum)
{
    for (int i = 0; i < 9; ++i)
    {
        server.enqueueJson(200, batchWith("in_progress", 0));
    }
    server.enqueueJson(200, batchWith("completed", 10));
    waitForBatch(batches, "batch_w", instant()).get();
    EXPECT_EQ(waits,
              (std::vector<milliseconds>{milliseconds(1000), milliseconds(2000), milliseconds(4000), milliseconds(8000),
                                         milliseconds(16000), milliseconds(32000), milliseconds(60000),
                                         milliseconds(60000), milliseconds(60000)}));
}

TEST_F(BatchWaiterTest, EndsAtEveryTerminalStatus)
{
    for (const char* status : {"failed", "expired", "cancelled"})
    {
        server.enqueueJson(200, batchWith(status, 0));
        EXPECT_EQ(waitForBatch(batches, "batch_w", instant()).get()->getStatusString(), status);
    }
    EXPECT_TRUE(waits.empty());
}

TEST_F(BatchWaiterTest, TimesOutWithTheLastBatchSeen)
{
    for (int i = 0; i < 10; ++i)
    {
        server.enqueueJson(200, batchWith("in_progress", i));
    }
    WaitOptions options = instant();
    options.timeout = milliseconds(5000);
    try
    {
        waitForBatch(batches, "batch_w", options).get();
        FAIL() << "the wait did not time out";
    }
    catch (const BatchWaitTimeout& timeout)
    {
        EXPECT_STREQ(timeout.what(), "waitForBatch: batch_w is still in_progress after 5000 ms");
        EXPECT_EQ(timeout.lastSeen()->getRequestCounts()->getCompleted(), 3);
    }
    EXPECT_EQ(waits, (std::vector<milliseconds>{milliseconds(1000), milliseconds(2000), milliseconds(2000)}));
}

/// A poll that fails every attempt the API layer makes (the first and its 2 retries).
void failOnePoll(LoopbackServer& server, web::http::status_code status)
{
    for (int attempt = 0; attempt < 3; ++attempt)
    {
        server.enqueueJson(status, R"({"error": {"message": "The server had an error", "type": "server_error"}})");
    }
}

TEST_F(BatchWaiterTest, PollsThroughTransientErrorsWithBackoff)
{
    server.enqueueJson(200, batchWith("in_progress", 1));
    failOnePoll(server, 500);
    failOnePoll(server, 429);
    failOnePoll(server, 503);
    server.enqueueJson(200, batchWith("completed", 10));

    const auto batch = waitForBatch(batches, "batch_w", instant()).get();

    EXPECT_EQ(batch->getStatus(), model::Batch::StatusEnum::COMPLETED);
    EXPECT_EQ(server.requests().size(), 11u);
    EXPECT_EQ(
        waits,
        (std::vector<milliseconds>{milliseconds(1000), milliseconds(2000), milliseconds(4000), milliseconds(8000)}));
}

TEST_F(BatchWaiterTest, PollsThroughAServerThatCannotBeReached)
{
    SilentServer silent; // connections that never answer: the API layer's idle timeout ends each attempt
    configuration->setBaseUrl(silent.url() + "/v1");
    configuration->setTimeout(milliseconds(50));
    configuration->getRetryOptions().maxRetries = 0;
    reconfigure();
    WaitOptions options = instant();
    options.timeout = milliseconds(3000);
    EXPECT_THROW(waitForBatch(batches, "batch_w", options).get(), api::ApiConnectionException);
    EXPECT_EQ(waits, (std::vector<milliseconds>{milliseconds(1000), milliseconds(2000)}))
        << "polled again after each failure until the timeout";
}

TEST_F(BatchWaiterTest, EndsWithTheLastTransientErrorAtTheTimeout)
{
    server.enqueueJson(200, batchWith("in_progress", 1));
    for (int poll = 0; poll < 3; ++poll)
    {
        failOnePoll(server, 502);
    }
    WaitOptions options = instant();
    options.timeout = milliseconds(5000);
    try
    {
        waitForBatch(batches, "batch_w", options).get();
        FAIL() << "the wait did not end";
    }
    catch (const api::ApiException& error)
    {
        EXPECT_EQ(error.getStatus(), 502);
    }
    EXPECT_EQ(waits, (std::vector<milliseconds>{milliseconds(1000), milliseconds(2000), milliseconds(2000)}));
}

TEST_F(BatchWaiterTest, APermanentErrorEndsTheWaitAtOnce)
{
    server.enqueueJson(200, batchWith("in_progress", 1));
    server.enqueueJson(404, R"({"error": {"message": "No batch found", "type": "invalid_request_error"}})");
    EXPECT_THROW(waitForBatch(batches, "batch_w", instant()).get(), api::ApiException);
    EXPECT_EQ(server.requests().size(), 2u);
    EXPECT_EQ(waits, (std::vector<milliseconds>{milliseconds(1000)}));
}

TEST_F(BatchWaiterTest, CanBeCancelledBetweenPolls)
{
    for (int i = 0; i < 5; ++i)
    {
        server.enqueueJson(200, batchWith("in_progress", i));
    }
    pplx::cancellation_token_source cancel;
    WaitOptions options = instant();
    options.cancellation = cancel.get_token();
    options.onProgress = [&](const model::Batch& batch) {
        if (batch.getRequestCounts()->getCompleted() == 1)
        {
            cancel.cancel();
        }
    };
    EXPECT_THROW(waitForBatch(batches, "batch_w", options).get(), pplx::task_canceled);
    EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(BatchWaiterTest, CancellingEndsARealSleepAtOnce)
{
    server.enqueueJson(200, batchWith("in_progress", 0));
    pplx::cancellation_token_source cancel;
    WaitOptions options; // the real sleep: the first wait is a whole minute
    options.firstInterval = milliseconds(60000);
    options.cancellation = cancel.get_token();
    std::atomic<bool> polled{false};
    options.onProgress = [&](const model::Batch&) { polled = true; };
    auto waiting = waitForBatch(batches, "batch_w", options);
    while (!polled)
    {
        std::this_thread::sleep_for(milliseconds(5));
    }
    const auto cancelledAt = std::chrono::steady_clock::now();
    cancel.cancel();
    EXPECT_THROW(waiting.get(), pplx::task_canceled);
    // Ends long before the minute is up (the bound is loose: a busy machine may be slow to schedule).
    EXPECT_LT(std::chrono::steady_clock::now() - cancelledAt, std::chrono::seconds(10));
}

TEST_F(BatchWaiterTest, AnEmptyIdIsRefused)
{
    EXPECT_THROW(waitForBatch(batches, "", instant()).get(), std::invalid_argument);
    EXPECT_TRUE(server.requests().empty());
}

} // namespace
