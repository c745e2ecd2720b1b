// The whole batch job: write a request file, then upload it, create the batch, wait, download the
// results and match them to the requests. Reads OPENAI_API_KEY (and OPENAI_BASE_URL, ...).
#include "workflow/BatchRunner.h"
#include "workflow/RequestFileWriter.h"
#include "workflow/ResultFileReader.h"

#include <iostream>

using namespace openai_batch::workflow;

int main(int argc, char** argv)
{
    const std::string directory = argc > 1 ? argv[1] : ".";
    try
    {
        // 1. The request file, checked line by line as the API would check it.
        RunOptions options;
        options.requestFile = directory + "/requests.jsonl";
        options.endpoint = "/v1/chat/completions";
        options.outputDirectory = directory;
        RequestFileWriter writer(options.requestFile, options.endpoint);
        for (const char* question : {"What is 2+2?", "Name a prime number.", "Spell 'batch' backwards."})
        {
            web::json::value message = web::json::value::object();
            message[_XPLATSTR("role")] = web::json::value::string(_XPLATSTR("user"));
            message[_XPLATSTR("content")] = web::json::value::string(question);
            web::json::value body = web::json::value::object();
            body[_XPLATSTR("model")] = web::json::value::string(_XPLATSTR("gpt-4o-mini"));
            body[_XPLATSTR("messages")] = web::json::value::array({message});
            writer.add("question-" + std::to_string(writer.requestCount() + 1), body);
        }
        writer.finish();

        // 2. Upload, create exactly once, wait (progress on every change), download, match.
        options.wait.onProgress = [](const model::Batch& batch) {
            const auto& counts = batch.getRequestCounts();
            std::cout << batch.getStatusString() << ": " << (counts ? counts->getCompleted() : 0) << " of "
                      << (counts ? counts->getTotal() : 0) << " done" << std::endl;
        };
        auto client = std::make_shared<api::ApiClient>(api::ApiConfiguration::fromEnvironment());
        const BatchRun run = BatchRunner(client).run(options).get();
        std::cout << run.succeeded.size() << " succeeded, " << run.failed.size() << " failed, " << run.missing.size()
                  << " missing" << std::endl;

        // 3. The answers, read one line at a time; only the bodies we print are parsed.
        if (!run.outputFile.empty())
        {
            ResultFileReader results(run.outputFile);
            BatchResult result;
            while (results.next(result))
            {
                if (result.succeeded())
                {
                    const auto body = result.bodyJson();
                    std::cout << result.customId << ": "
                              << body.at(_XPLATSTR("choices"))
                                     .at(0)
                                     .at(_XPLATSTR("message"))
                                     .at(_XPLATSTR("content"))
                                     .as_string()
                              << std::endl;
                }
            }
        }
        for (const FailedRequest& failed : run.failed)
        {
            std::cout << failed.customId << " failed: " << failed.code << " " << failed.message << std::endl;
        }
        return run.failed.empty() && run.missing.empty() ? 0 : 1;
    }
    catch (const std::exception& error) // ApiException, RequestFileError, BatchWaitTimeout, ...
    {
        std::cerr << "run_batch: " << error.what() << std::endl;
        return 1;
    }
}
