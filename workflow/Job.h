// Job: one job of any size over many batches. The requests of one or more files are split into shards
// within the Batch API's limits, submitted a few at a time within an enqueued-token budget, waited on,
// downloaded and matched; retryable failures go into new shards for a later attempt. Everything the job
// knows is kept in its job directory, so that the same command run again after a crash (even kill -9)
// carries on where it stopped, without uploading a shard twice or giving a shard a second batch.
#pragma once

#include "workflow/BatchWaiter.h"
#include "workflow/Namespaces.h"
#include "workflow/RequestFileWriter.h"
#include "workflow/ResultFileReader.h"

#include "api/ApiClient.h"

#include <cpprest/json.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace openai_batch::workflow {

/// What became of a request, in the job directory.
enum class RequestOutcome : uint8_t
{
    Pending = 0,   ///< not yet run
    Retry = 1,     ///< failed in a way worth retrying; a later attempt will run it
    Succeeded = 2, ///< a 2xx response
    Failed = 3,    ///< a final failure: a 4xx, or a retryable one on its last attempt, or its batch failed
    Missing = 4,   ///< no result at all after its last attempt (its batch expired or was cancelled first)
};

/// "pending", "retry", "succeeded", "failed" or "missing".
const char* outcomeName(RequestOutcome outcome);

/// The job as one progress line would show it.
struct JobProgress
{
    size_t shards = 0;         ///< shards planned so far (retry shards included)
    size_t shardsSettled = 0;  ///< whose results are recorded
    size_t shardsInFlight = 0; ///< with a batch that has not ended
    int attempt = 1;           ///< the round under way: 1, then 2 for the first retries, ...
    uint64_t requests = 0;
    uint64_t succeeded = 0;
    uint64_t failed = 0;
    uint64_t missing = 0;
    uint64_t retrying = 0;            ///< waiting for a later attempt
    double elapsedSeconds = 0;        ///< since this run started
    double requestsPerSecond = 0;     ///< requests settled by this run, per second
    std::optional<double> etaSeconds; ///< at this run's rate; nothing before the first settled shard

    /// "shards 3/12 settled, 4 in flight · 150000/600000 requests done, 120 failed · 41.2/s · ETA 3h02m"
    std::string line() const;
    web::json::value toJson() const;
};

struct JobOptions
{
    std::vector<std::string> requestFiles; ///< JSONL files of BatchRequestInput lines, in job order
    std::string endpoint;                  ///< every line's url, e.g. "/v1/chat/completions"
    std::string jobDirectory;              ///< created if absent; holds the manifest, shards and results
    std::string completionWindow = "24h";
    std::map<utility::string_t, utility::string_t> metadata; ///< at most 15 pairs: each batch adds its tag
    /// Per shard: at most 50,000 requests and 200 MB (the API's limits; lower ones are allowed).
    RequestFileLimits shardLimits;
    /// Per shard on /v1/embeddings: at most this many inputs across its requests (the API's limit).
    uint64_t maxEmbeddingInputs = 50000;
    size_t maxBatches = 10; ///< batches in flight at once
    /// The enqueued-token budget per model (see RequestEstimate): a batch is submitted only while the
    /// estimates of the job's batches in flight for its model, with it, stay within. Shards are cut to fit.
    std::optional<uint64_t> maxEnqueuedTokens;
    int maxAttempts = 3; ///< runs of a request at most (1 to 255)
    /// How often batches are polled: from firstInterval, backing off while nothing changes, up to
    /// maxInterval; sleep, now and cancellation as for waitForBatch (timeout is not used).
    WaitOptions polling;
    /// How long a shard whose batch failed with token_limit_exceeded waits before it is submitted again.
    std::chrono::milliseconds tokenLimitBackoff{60000};
    /// Told of the job after every pass that changed something.
    std::function<void(const JobProgress&)> onProgress;
};

/// A request file or job directory the job cannot use: a request the API would refuse, a duplicate
/// custom_id, a file that changed or vanished, a directory that holds another job.
class JobError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// Tokens one model used, and what they cost at the prices given.
struct ModelUsage
{
    uint64_t inputTokens = 0;
    uint64_t outputTokens = 0;
    uint64_t totalTokens = 0;
    std::optional<double> estimatedCost; ///< with a price for the model

    /// {"input_tokens", "output_tokens", "total_tokens"}, and "estimated_cost_usd" when there is a cost.
    web::json::value toJson() const;
};

/// Per-model prices in USD per million tokens, from a JSON file:
/// {"gpt-4o-mini": {"input": 0.075, "output": 0.30}, ...}. Nothing is built in: prices change.
struct PriceTable
{
    struct Price
    {
        double input = 0;
        double output = 0;
    };
    std::map<std::string, Price> perMillionTokens;

    /// Throws JobError naming the file and the model for anything but the form above.
    static PriceTable load(const std::string& path);
};

/// One batch the job ran.
struct JobBatch
{
    size_t shard = 0;
    int attempt = 1;
    std::string batchId;
    std::string status;
};

struct JobSummary
{
    std::string jobId;
    bool finished = false; ///< every request has its final outcome
    uint64_t requests = 0;
    uint64_t succeeded = 0;
    uint64_t failed = 0;
    uint64_t missing = 0;
    uint64_t pending = 0;                    ///< not yet final (retrying included)
    std::vector<JobBatch> batches;           ///< every batch created, token-limited ones included, in shard order
    int64_t createdAt = 0;                   ///< Unix seconds, when the job was planned
    int64_t finishedAt = 0;                  ///< 0 until finished
    std::map<std::string, ModelUsage> usage; ///< from each batch's usage, or summed from its output lines
    std::optional<double> estimatedCost;     ///< the sum over models, when every model has a price

    web::json::value toJson() const;
};

/// Runs a job to its end: plans it (or takes up the plan in options.jobDirectory), submits, waits,
/// downloads, records and retries until every request has a final outcome.
class JobRunner
{
public:
    JobRunner(std::shared_ptr<const api::ApiClient> client, JobOptions options);

    /// Blocks until the job is finished and returns its summary. Throws JobError for what the job cannot
    /// use (nothing is uploaded when a request file has a problem), std::runtime_error naming the path when
    /// the directory is in use by another run, StorageError when the disk refuses a write, api::ApiException
    /// for a failure that is not transient, pplx::task_canceled when polling.cancellation fires. After any
    /// of these, the same call again carries on from the manifest.
    JobSummary run();

private:
    std::shared_ptr<const api::ApiClient> m_Client;
    JobOptions m_Options;
};

/// The summary of the job in jobDirectory, without running anything; prices, when given, add costs.
JobSummary readJobSummary(const std::string& jobDirectory, const PriceTable* prices = nullptr);

/// One request's final outcome (or where it stands), with the result line that decided it.
struct JobResult
{
    uint64_t index = 0; ///< the request's place in the job, from 0
    std::string requestFile;
    size_t lineNumber = 0; ///< in requestFile
    std::string customId;
    RequestOutcome outcome = RequestOutcome::Pending;
    int attempt = 0; ///< the attempt that produced it (0: not yet run)
    std::optional<int64_t> statusCode;
    std::string code;    ///< error.code, or the error object's code in a failed response body
    std::string message; ///< the same error's message
    std::string batchId; ///< the batch whose result decided it
    /// The result line, typed (its lineNumber is not kept); result.line is empty when the outcome has none
    /// (pending, missing, or its batch failed). Its views are valid until the next call to next().
    BatchResult result;
};

/// Reads a job's results in bounded memory: one record and one result line at a time.
class JobResults
{
public:
    enum class Order
    {
        RequestFiles, ///< in request-file order, one per request: seeks into the result files
        AsStored,     ///< result files read front to back, then the requests without a result line
    };
    explicit JobResults(const std::string& jobDirectory, Order order = Order::RequestFiles);
    ~JobResults();
    JobResults(const JobResults&) = delete;
    JobResults& operator=(const JobResults&) = delete;

    /// The next request's result; false at the end.
    bool next(JobResult& result);

private:
    struct State;
    std::unique_ptr<State> m_State;
};

} // namespace openai_batch::workflow
