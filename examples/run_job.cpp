// A job of any size: the requests of several files, split into batches within the API's limits, a few in
// flight at a time within an enqueued-token budget, failed requests retried. Kept in a job directory:
// run it again after any interruption and it carries on. Reads OPENAI_API_KEY (and OPENAI_BASE_URL, ...).
// Usage: run_job JOB_DIR REQUESTS.jsonl...
#include "workflow/Job.h"

#include <iostream>

using namespace openai_batch::workflow;

int main(int argc, char** argv)
{
    if (argc < 3)
    {
        std::cerr << "usage: run_job JOB_DIR REQUESTS.jsonl...\n";
        return 2;
    }
    try
    {
        JobOptions options;
        options.jobDirectory = argv[1];
        options.requestFiles.assign(argv + 2, argv + argc);
        options.endpoint = "/v1/chat/completions";
        options.maxBatches = 5;
        options.maxEnqueuedTokens = 2000000; // a margin below your tier's limit for the model
        options.maxAttempts = 3;
        options.onProgress = [](const JobProgress& progress) { std::cout << progress.line() << std::endl; };

        auto client = std::make_shared<api::ApiClient>(api::ApiConfiguration::fromEnvironment());
        const JobSummary summary = JobRunner(client, options).run();
        std::cout << summary.succeeded << " succeeded, " << summary.failed << " failed, " << summary.missing
                  << " missing, in " << summary.batches.size() << " batches" << std::endl;

        // One final outcome per request, in request-file order, one line in memory at a time.
        JobResults results(options.jobDirectory);
        JobResult result;
        while (results.next(result))
        {
            if (result.outcome != RequestOutcome::Succeeded)
            {
                std::cout << result.requestFile << ":" << result.lineNumber << " " << result.customId << " "
                          << outcomeName(result.outcome) << " after " << result.attempt << " attempts: " << result.code
                          << " " << result.message << std::endl;
            }
        }
        return summary.failed == 0 && summary.missing == 0 ? 0 : 1;
    }
    catch (const std::exception& error) // JobError, StorageError, ApiException, ...
    {
        std::cerr << "run_job: " << error.what() << std::endl;
        return 1;
    }
}
