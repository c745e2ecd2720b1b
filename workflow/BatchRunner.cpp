#include "workflow/BatchRunner.h"

#include "workflow/Pagination.h"
#include "workflow/RequestFileWriter.h"
#include "workflow/ResultFileReader.h"
#include "workflow/Sha256.h"

#include "api/BatchApi.h"
#include "api/FilesApi.h"

#include <algorithm>
#include <fstream>
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

std::string describeProblems(const std::string& path, const std::vector<LineProblem>& problems)
{
    std::string text = "the request file '" + path + "' would be rejected: ";
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

/// A succeeded response's tokens, under its model; a body without usage or model adds nothing.
void addTokens(std::map<std::string, TokenUsage>& tokensByModel, const BatchResult& result)
{
    try
    {
        const TokenUsage usage = result.usage();
        tokensByModel[std::string(result.model())] += usage;
    }
    catch (const std::invalid_argument&)
    {
        // Not every endpoint's body says both (a moderation has no usage): nothing to count.
    }
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
            addTokens(run.tokensByModel, result);
            continue;
        }
        FailedRequest failed{result.customId, result.statusCode, result.errorCode.value_or(""),
                             result.errorMessage.value_or("")};
        const std::string_view body = result.errorCode ? std::string_view() : result.body();
        if (!body.empty())
        {
            // An HTTP error: the body holds OpenAI's error object.
            const auto error = api::OpenAIError::parse(std::string(body));
            if (error)
            {
                failed.code = utility::conversions::to_utf8string(error->code);
                failed.message = utility::conversions::to_utf8string(error->message);
            }
        }
        run.failed.push_back(std::move(failed));
    }
}

/// Every check of the request file; its custom_ids, in file order.
std::vector<std::string> checkRequests(const RunOptions& options)
{
    RequestFileCheck check = checkRequestFile(options.requestFile, options.endpoint);
    if (!check.problems.empty())
    {
        throw std::invalid_argument(describeProblems(options.requestFile, check.problems));
    }
    if (check.customIds.empty())
    {
        throw std::invalid_argument("the request file '" + options.requestFile + "' has no requests");
    }
    return std::move(check.customIds);
}

bool isFileNameCharacter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
        || c == '.';
}

/// id for a message: bytes outside printable ASCII as \xNN, so that a NUL does not cut the message short
/// and a control character does not reach a log or a terminal.
std::string printableId(const std::string& id)
{
    std::ostringstream text;
    for (const char c : id)
    {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7F)
        {
            text << c;
        }
        else
        {
            text << "\\x" << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(byte);
        }
    }
    return text.str();
}

} // namespace

std::shared_ptr<const api::ApiClient> withoutRetries(const std::shared_ptr<const api::ApiClient>& client)
{
    auto configuration = std::make_shared<api::ApiConfiguration>(*client->getConfiguration());
    configuration->getRetryOptions().maxRetries = 0;
    return std::make_shared<api::ApiClient>(configuration);
}

std::string resultFilePath(const std::string& directory, const utility::string_t& batchId, const std::string& suffix)
{
    const std::string id = utility::conversions::to_utf8string(batchId);
    const bool plain =
        !id.empty() && id.size() <= 200 && id.front() != '.' && std::all_of(id.begin(), id.end(), isFileNameCharacter);
    if (!plain)
    {
        throw std::runtime_error("the batch id '" + printableId(id) + "' from the server cannot name a file in '"
                                 + directory
                                 + "': only 1 to 200 letters, digits, '_', '-' and '.' (not first) are used");
    }
    return directory + "/" + id + suffix;
}

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
    , m_SingleShotClient(withoutRetries(m_Client))
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

void BatchRunner::checkOptions(const RunOptions& options)
{
    if (options.metadata.size() >= 16)
    {
        throw std::invalid_argument("metadata: at most 15 pairs, the run adds its tag as the 16th");
    }
    batchRequest(options, _XPLATSTR("file-not-yet-uploaded")); // every limit of the spec
}

utility::string_t BatchRunner::jobTag(const RunOptions& options)
{
    Sha256 digest;
    digest.updateField("openai-batch job 1");
    digest.updateField(options.endpoint);
    digest.updateField(options.completionWindow);
    for (const auto& [key, value] : options.metadata) // a std::map: the same order every time
    {
        digest.updateField(utility::conversions::to_utf8string(key));
        digest.updateField(utility::conversions::to_utf8string(value));
    }
    digest.updateField(options.outputExpiresAfter
                           ? utility::conversions::to_utf8string(options.outputExpiresAfter->toJson().serialize())
                           : std::string());
    try
    {
        digest.updateFile(options.requestFile);
    }
    catch (const std::runtime_error&)
    {
        throw std::invalid_argument("cannot read the request file '" + options.requestFile + "'");
    }
    return utility::conversions::to_string_t(digest.hex(16)); // 128 bits, as newTag()
}

pplx::task<Submission> BatchRunner::submit(RunOptions options) const
{
    auto requestIds = std::make_shared<std::vector<std::string>>();
    try
    {
        checkOptions(options);
        *requestIds = checkRequests(options);
    }
    catch (...)
    {
        return pplx::task_from_exception<Submission>(std::current_exception());
    }
    if (options.runTag.empty())
    {
        options.runTag = newTag();
    }
    const BatchRunner self = *this;
    auto earlier =
        options.resumeTagged ? findTagged(options.runTag) : pplx::task_from_result(std::shared_ptr<model::Batch>());
    return earlier.then([self, options, requestIds](std::shared_ptr<model::Batch> found) {
        if (found)
        {
            return pplx::task_from_result(Submission{found, *requestIds, true});
        }
        return api::FilesApi(self.m_Client)
            .createFile(model::HttpContent::fromFile(options.requestFile, _XPLATSTR("application/jsonl")),
                        _XPLATSTR("batch"))
            .then([self, options](std::shared_ptr<model::OpenAIFile> uploaded) {
                return self.createOnce(batchRequest(options, uploaded->getId()), options.runTag, options.createAttempts,
                                       options.wait);
            })
            .then([requestIds](std::shared_ptr<model::Batch> created) {
                return Submission{created, *requestIds, false};
            });
    });
}

pplx::task<BatchRun> BatchRunner::finish(Submission submission, RunOptions options) const
{
    std::string output;
    std::string errors;
    try
    {
        // Before the wait, which may take hours: an id that cannot name a file fails now.
        output = resultFilePath(options.outputDirectory, submission.batch->getId(), "_output.jsonl");
        errors = resultFilePath(options.outputDirectory, submission.batch->getId(), "_error.jsonl");
    }
    catch (...)
    {
        return pplx::task_from_exception<BatchRun>(std::current_exception());
    }
    const BatchRunner self = *this;
    auto ids = std::make_shared<std::vector<std::string>>(std::move(submission.requestIds));
    return waitForBatch(api::BatchApi(m_Client), submission.batch->getId(), options.wait)
        .then([self, ids, output, errors](std::shared_ptr<model::Batch> batch) {
            const api::FilesApi files(self.m_Client);
            const std::string outputFile = batch->outputFileIdIsSet() ? output : std::string();
            const std::string errorFile = batch->errorFileIdIsSet() ? errors : std::string();
            pplx::task<uint64_t> outputDone = outputFile.empty()
                ? pplx::task_from_result<uint64_t>(0)
                : files.downloadFileTo(batch->getOutputFileId(), outputFile);
            return outputDone
                .then([files, batch, errorFile](uint64_t) {
                    return errorFile.empty() ? pplx::task_from_result<uint64_t>(0)
                                             : files.downloadFileTo(batch->getErrorFileId(), errorFile);
                })
                .then([batch, ids, outputFile, errorFile](uint64_t) {
                    BatchRun run = matchResults(*ids, outputFile, errorFile);
                    run.batch = batch;
                    return run;
                });
        });
}

pplx::task<BatchRun> BatchRunner::run(RunOptions options) const
{
    const BatchRunner self = *this;
    return submit(options).then([self, options](Submission submission) { return self.finish(submission, options); });
}

} // namespace openai_batch::workflow
