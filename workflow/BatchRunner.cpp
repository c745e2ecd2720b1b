#include "workflow/BatchRunner.h"

#include "workflow/Pagination.h"
#include "workflow/RequestFileWriter.h"
#include "workflow/ResultFileReader.h"

#include "api/BatchApi.h"
#include "api/FilesApi.h"

#include <iomanip>
#include <random>
#include <sstream>
#include <unordered_set>

namespace openai_batch::workflow {

namespace {

/// Whether an attempt's failure leaves it unknown if the server created the batch.
bool answerMayBeLost(std::exception_ptr failure)
{
    try
    {
        std::rethrow_exception(failure);
    }
    catch (const api::ApiConnectionException&)
    {
        return true;
    }
    catch (const api::ApiResponseException&)
    {
        return true; // a 2xx we could not read: the batch exists
    }
    catch (const api::ApiException& error)
    {
        return api::RetryOptions::isRetryableStatus(error.getStatus());
    }
    catch (...)
    {
        return false;
    }
}

std::shared_ptr<const api::ApiClient> singleShot(const std::shared_ptr<const api::ApiClient>& client)
{
    auto configuration = std::make_shared<api::ApiConfiguration>(*client->getConfiguration());
    configuration->getRetryOptions().maxRetries = 0;
    return std::make_shared<api::ApiClient>(configuration);
}

std::string describeProblems(const std::vector<LineProblem>& problems)
{
    std::string text = "the request file would be rejected: ";
    const size_t shown = std::min<size_t>(problems.size(), 5);
    for (size_t i = 0; i < shown; ++i)
    {
        text += (i ? "; " : "") + problems[i].toString();
    }
    if (problems.size() > shown)
    {
        text += "; and " + std::to_string(problems.size() - shown) + " more";
    }
    return text;
}

void readResults(const std::string& path, BatchRun& run, std::unordered_set<std::string>& seen)
{
    if (path.empty())
    {
        return;
    }
    ResultFileReader reader(path);
    BatchResult result;
    while (reader.next(result))
    {
        if (!seen.insert(result.customId).second)
        {
            continue; // a result is counted once, whichever file holds it first
        }
        if (result.succeeded())
        {
            run.succeeded.push_back(result.customId);
            continue;
        }
        FailedRequest failed{result.customId, result.statusCode, result.errorCode.value_or(""),
                             result.errorMessage.value_or("")};
        if (!result.errorCode && !result.body.empty())
        {
            // An HTTP error: the body holds OpenAI's error object.
            const auto error = api::OpenAIError::parse(std::string(result.body));
            if (error)
            {
                failed.code = utility::conversions::to_utf8string(error->code);
                failed.message = utility::conversions::to_utf8string(error->message);
            }
        }
        run.failed.push_back(std::move(failed));
    }
}

} // namespace

BatchRun matchResults(const std::vector<std::string>& requestIds, const std::string& outputFile,
                      const std::string& errorFile)
{
    BatchRun run;
    run.outputFile = outputFile;
    run.errorFile = errorFile;
    std::unordered_set<std::string> seen;
    readResults(outputFile, run, seen);
    readResults(errorFile, run, seen);
    for (const auto& id : requestIds)
    {
        if (seen.count(id) == 0)
        {
            run.missing.push_back(id);
        }
    }
    return run;
}

BatchRunner::BatchRunner(std::shared_ptr<const api::ApiClient> client)
    : m_Client(client ? std::move(client) : std::make_shared<const api::ApiClient>())
    , m_SingleShotClient(singleShot(m_Client))
{
}

utility::string_t BatchRunner::newTag()
{
    std::random_device random;
    std::ostringstream text;
    for (int word = 0; word < 4; ++word)
    {
        text << std::hex << std::setw(8) << std::setfill('0') << static_cast<uint32_t>(random());
    }
    return utility::conversions::to_string_t(text.str());
}

pplx::task<std::shared_ptr<model::Batch>> BatchRunner::findTagged(const utility::string_t& tag, size_t limit) const
{
    return collectAll(batchPages(api::BatchApi(m_Client), 100, limit))
        .then([tag](std::vector<std::shared_ptr<model::Batch>> batches) {
            for (const auto& batch : batches)
            {
                const auto& metadata = batch->getMetadata();
                const auto found = metadata.find(utility::conversions::to_string_t(runTagKey));
                if (found != metadata.end() && found->second == tag)
                {
                    return batch;
                }
            }
            return std::shared_ptr<model::Batch>();
        });
}

pplx::task<std::shared_ptr<model::Batch>> BatchRunner::createOnce(std::shared_ptr<model::CreateBatchRequest> request,
                                                                  utility::string_t tag, int attempts,
                                                                  WaitOptions pacing) const
{
    if (!request)
    {
        return pplx::task_from_exception<std::shared_ptr<model::Batch>>(
            std::invalid_argument("createOnce: request must not be null"));
    }
    auto tagged = std::make_shared<model::CreateBatchRequest>(*request);
    auto metadata = tagged->getMetadata();
    metadata[utility::conversions::to_string_t(runTagKey)] = tag;
    tagged->setMetadata(metadata);
    if (!pacing.sleep)
    {
        pacing.sleep = api::RetryHooks::real().sleep;
    }
    const BatchRunner self = *this;
    return api::BatchApi(m_SingleShotClient)
        .createBatch(tagged)
        .then([self, request, tag, attempts, pacing](pplx::task<std::shared_ptr<model::Batch>> created) {
            try
            {
                return pplx::task_from_result(created.get());
            }
            catch (...)
            {
                const auto failure = std::current_exception();
                if (!answerMayBeLost(failure))
                {
                    return pplx::task_from_exception<std::shared_ptr<model::Batch>>(failure);
                }
                return self.findTagged(tag).then(
                    [self, request, tag, attempts, pacing, failure](std::shared_ptr<model::Batch> found) {
                        if (found)
                        {
                            return pplx::task_from_result(found);
                        }
                        if (attempts <= 1)
                        {
                            return pplx::task_from_exception<std::shared_ptr<model::Batch>>(failure);
                        }
                        return pacing.sleep(pacing.firstInterval).then([self, request, tag, attempts, pacing] {
                            return self.createOnce(request, tag, attempts - 1, pacing);
                        });
                    });
            }
        });
}

std::shared_ptr<model::CreateBatchRequest> BatchRunner::batchRequest(const RunOptions& options,
                                                                     const utility::string_t& inputFileId)
{
    auto request = std::make_shared<model::CreateBatchRequest>();
    request->setInputFileId(inputFileId);
    request->setEndpointString(utility::conversions::to_string_t(options.endpoint));
    request->setCompletionWindowString(utility::conversions::to_string_t(options.completionWindow));
    request->setMetadata(options.metadata);
    if (options.outputExpiresAfter)
    {
        request->setOutputExpiresAfter(options.outputExpiresAfter);
    }
    request->validate();
    return request;
}

pplx::task<BatchRun> BatchRunner::run(RunOptions options) const
{
    RequestFileCheck check;
    try
    {
        check = checkRequestFile(options.requestFile, options.endpoint);
        if (!check.problems.empty())
        {
            throw std::invalid_argument(describeProblems(check.problems));
        }
        if (check.customIds.empty())
        {
            throw std::invalid_argument("the request file '" + options.requestFile + "' has no requests");
        }
        if (options.metadata.size() >= 16)
        {
            throw std::invalid_argument("metadata: at most 15 pairs, the run adds its tag as the 16th");
        }
        batchRequest(options, _XPLATSTR("file-not-yet-uploaded")); // every limit, before the upload
    }
    catch (...)
    {
        return pplx::task_from_exception<BatchRun>(std::current_exception());
    }
    const BatchRunner self = *this;
    auto ids = std::make_shared<std::vector<std::string>>(std::move(check.customIds));
    api::FilesApi files(m_Client);
    return files
        .createFile(model::HttpContent::fromFile(options.requestFile, _XPLATSTR("application/jsonl")),
                    _XPLATSTR("batch"))
        .then([self, options](std::shared_ptr<model::OpenAIFile> uploaded) {
            return self.createOnce(batchRequest(options, uploaded->getId()), newTag(), options.createAttempts,
                                   options.wait);
        })
        .then([self, options](std::shared_ptr<model::Batch> batch) {
            return waitForBatch(api::BatchApi(self.m_Client), batch->getId(), options.wait);
        })
        .then([self, options, ids](std::shared_ptr<model::Batch> batch) {
            const api::FilesApi files(self.m_Client);
            const std::string base =
                options.outputDirectory + "/" + utility::conversions::to_utf8string(batch->getId());
            const std::string output = batch->outputFileIdIsSet() ? base + "_output.jsonl" : std::string();
            const std::string errors = batch->errorFileIdIsSet() ? base + "_error.jsonl" : std::string();
            pplx::task<uint64_t> outputDone = output.empty() ? pplx::task_from_result<uint64_t>(0)
                                                             : files.downloadFileTo(batch->getOutputFileId(), output);
            return outputDone
                .then([files, batch, errors](uint64_t) {
                    return errors.empty() ? pplx::task_from_result<uint64_t>(0)
                                          : files.downloadFileTo(batch->getErrorFileId(), errors);
                })
                .then([batch, ids, output, errors](uint64_t) {
                    BatchRun run = matchResults(*ids, output, errors);
                    run.batch = batch;
                    return run;
                });
        });
}

} // namespace openai_batch::workflow
