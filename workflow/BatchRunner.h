// BatchRunner: the whole job in one call. Upload the request file, create the batch exactly once,
// wait, download the output and error files, and match every request to its result.
#pragma once

#include "workflow/BatchWaiter.h"
#include "workflow/Namespaces.h"
#include "workflow/ResultFileReader.h"

#include "api/ApiClient.h"
#include "model/Batch.h"
#include "model/CreateBatchRequest.h"

#include <pplx/pplxtasks.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace openai_batch::workflow {

struct RunOptions
{
    std::string requestFile; ///< a JSONL file of BatchRequestInput lines
    std::string endpoint;    ///< every line's url, e.g. "/v1/chat/completions"
    std::string completionWindow = "24h";
    std::map<utility::string_t, utility::string_t> metadata; ///< at most 15 pairs: the run adds its tag
    /// When the output and error files expire (anchor created_at, 3600 to 2592000 seconds); null: the
    /// API's default of 30 days.
    std::shared_ptr<model::BatchFileExpirationAfter> outputExpiresAfter;
    std::string outputDirectory; ///< receives <batch id>_output.jsonl and <batch id>_error.jsonl
    WaitOptions wait;
    /// The tag the batch is created under (metadata[runTagKey]); empty: a fresh random one.
    /// BatchRunner::jobTag gives the same tag to the same job.
    utility::string_t runTag;
    /// Take up a batch that already carries runTag (among the newest 200) instead of uploading and
    /// creating another, so that a run started again after an interruption finds the batch the first made.
    bool resumeTagged = false;
    /// How many times creating the batch is tried when its answer is lost (each after a look-up).
    int createAttempts = 3;
};

/// A request that ran and failed: an HTTP error status (statusCode) or no response at all (code).
struct FailedRequest
{
    std::string customId;
    std::optional<int64_t> statusCode;
    std::string code;
    std::string message;
};

/// A batch that exists, with the custom_ids of its request file.
struct Submission
{
    std::shared_ptr<model::Batch> batch;
    std::vector<std::string> requestIds;
    bool resumed = false; ///< found carrying RunOptions::runTag, not created by this call
};

struct BatchRun
{
    std::shared_ptr<model::Batch> batch;
    std::string outputFile;             ///< path of the downloaded output file; empty when the batch had none
    std::string errorFile;              ///< path of the downloaded error file; empty when the batch had none
    std::vector<std::string> succeeded; ///< custom_ids with a 2xx response, in output-file order
    std::vector<FailedRequest> failed;  ///< in output-file, then error-file order
    std::vector<std::string> missing;   ///< custom_ids with no result at all, in request-file order
    /// The tokens the succeeded requests' responses say they used, summed per model (body.model), from
    /// the output file's lines; responses without usage are not counted.
    std::map<std::string, TokenUsage> tokensByModel;
};

class BatchRunner
{
public:
    /// The metadata key that carries a run's tag, so that a lost create can be found again.
    static constexpr const char* runTagKey = "openai_batch_run";

    explicit BatchRunner(std::shared_ptr<const api::ApiClient> client);

    /// The whole job: submit, then finish. Fails with std::invalid_argument (listing line numbers) for a
    /// request file the API would reject, before anything is uploaded.
    pplx::task<BatchRun> run(RunOptions options) const;

    /// Checks everything (checkOptions, then the request file: every line, and at least one), then takes
    /// up the batch tagged options.runTag when options.resumeTagged finds one, or uploads the file and
    /// creates the batch exactly once. Nothing is uploaded when a check fails.
    pplx::task<Submission> submit(RunOptions options) const;

    /// Waits for a submitted batch, downloads its output and error files into options.outputDirectory
    /// (named by resultFilePath) and matches every request to its result.
    pplx::task<BatchRun> finish(Submission submission, RunOptions options) const;

    /// Throws std::invalid_argument naming the field when options would be refused by the API (metadata
    /// pairs, keys and values, completion window, outputExpiresAfter), counting the tag the run adds.
    static void checkOptions(const RunOptions& options);

    /// A tag for the job options describe: the SHA-256 (first 128 bits, hex) of the request file's bytes,
    /// the endpoint, the completion window, the metadata and outputExpiresAfter. The same job gets the same
    /// tag; any difference, another.
    static utility::string_t jobTag(const RunOptions& options);

    /// Creates the batch at most once: request carries metadata[runTagKey] = tag. When an attempt's
    /// answer is lost (no response, or a 408/409/429/5xx), the newest batches are searched for the tag
    /// before trying again, so a batch the server did create is found instead of made twice.
    pplx::task<std::shared_ptr<model::Batch>> createOnce(std::shared_ptr<model::CreateBatchRequest> request,
                                                         utility::string_t tag, int attempts,
                                                         WaitOptions pacing = {}) const;

    /// The batch carrying tag among the newest `limit` batches, if any.
    pplx::task<std::shared_ptr<model::Batch>> findTagged(const utility::string_t& tag, size_t limit = 200) const;

    /// A fresh random tag (128 bits, hex).
    static utility::string_t newTag();

    /// The POST /batches body that options ask for, for an uploaded file. Throws
    /// ModelValidationException (a std::invalid_argument naming each field) when it breaks the spec's
    /// limits: run() builds it once before uploading, so a bad option never leaves an orphan upload.
    static std::shared_ptr<model::CreateBatchRequest> batchRequest(const RunOptions& options,
                                                                   const utility::string_t& inputFileId);

private:
    std::shared_ptr<const api::ApiClient> m_Client;
    /// The same configuration with retries off: a blind retry of POST /batches could create twice.
    std::shared_ptr<const api::ApiClient> m_SingleShotClient;
};

/// The same client configuration with the API layer's retries off: for a POST that is not idempotent
/// (creating a batch, uploading a file), whose blind retry after a lost answer would do it twice.
std::shared_ptr<const api::ApiClient> withoutRetries(const std::shared_ptr<const api::ApiClient>& client);

/// directory/<batchId><suffix>, for one of a batch's files. The id comes from the server, so it is refused
/// (std::runtime_error naming it: the server's fault, not the caller's) unless it is a plain file name: 1 to
/// 200 letters, digits, '_', '-' and '.', not starting with '.'. A hostile or broken server can then never
/// have a file written outside directory.
std::string resultFilePath(const std::string& directory, const utility::string_t& batchId, const std::string& suffix);

/// Matches the results in outputFile and errorFile (either may be empty: absent) to requestIds.
BatchRun matchResults(const std::vector<std::string>& requestIds, const std::string& outputFile,
                      const std::string& errorFile);

} // namespace openai_batch::workflow
