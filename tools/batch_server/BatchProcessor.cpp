#include "BatchProcessor.h"

#include "Responders.h"

#include "api/ApiException.h"
#include "workflow/LineReader.h"
#include "workflow/RequestEstimate.h"
#include "workflow/RequestFileWriter.h"

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace openai_batch::server {

namespace {

using web::json::value;

bool isTerminal(const std::string& status)
{
    return status == "completed" || status == "failed" || status == "expired" || status == "cancelled";
}

/// How long output and error files live when the batch did not say (the API keeps them 30 days).
constexpr int64_t DEFAULT_OUTPUT_EXPIRY_SECONDS = int64_t{30} * 24 * 3600;

int64_t seconds(int64_t ms)
{
    return ms / 1000;
}

int64_t count(const value& batch, const char* name)
{
    return batch.at("request_counts").at(name).as_number().to_int64();
}

/// Requests handled so far, whatever their outcome.
int64_t handled(const value& batch)
{
    return count(batch, "completed") + count(batch, "failed");
}

void bump(value& batch, const char* name)
{
    batch["request_counts"][name] = value::number(count(batch, name) + 1);
}

/// Appends text to path, durably, and returns the file's new size.
uint64_t append(const std::string& path, const std::string& text, uint64_t validBytes)
{
    // Cut any tail a crash left beyond what the progress record vouches for: those lines will be
    // written again, with the same ids.
    if (fs::exists(path) && fs::file_size(path) != validBytes)
    {
        fs::resize_file(path, validBytes);
    }
    if (text.empty())
    {
        return validBytes;
    }
    {
        std::ofstream out(path, std::ios::binary | std::ios::app);
        out << text;
        if (!out.flush())
        {
            throw StorageError("cannot write " + path);
        }
    }
    workflow::savePoint(); // written, not yet durable, not yet counted
    workflow::syncPath(path);
    return validBytes + text.size();
}

/// The largest number of requests one step runs, so that one large batch cannot keep others waiting
/// and a step's lines stay small in memory.
constexpr size_t REQUESTS_PER_STEP = 1000;

/// The problems of an input file a failed batch lists in errors.data (the record holds them all).
constexpr size_t MAX_LISTED_PROBLEMS = 100;

/// A request line the check admitted, as far as the server can read it: its custom_id always, its
/// body when cpprestsdk can hold it (not, for example, nested deeper than its parser goes, or with a
/// lone surrogate it cannot convert).
struct RequestLine
{
    std::string customId;
    std::optional<value> body;
    std::string problem;
};

RequestLine readRequestLine(const std::string& line)
{
    RequestLine request;
    std::string problem;
    if (const auto parsed = org::openapitools::client::api::tryParseJson(line, problem))
    {
        request.customId = parsed->at("custom_id").as_string();
        request.body = parsed->at("body");
        return request;
    }
    request.customId = workflow::readRequestLine(line).customId;
    request.problem = problem;
    return request;
}

/// The answer to a request: the endpoint's, or an error the request earned by being unreadable here.
EndpointReply answer(const std::string& endpoint, const RequestLine& request)
{
    if (!request.body)
    {
        return EndpointReply{400,
                             errorBody("The request body could not be read: " + request.problem + ".",
                                       "invalid_request_error", "body", "invalid_body")};
    }
    try
    {
        return respond(endpoint, *request.body, request.customId);
    }
    catch (const std::exception& error)
    {
        return EndpointReply{500,
                             errorBody(std::string("The local server could not answer this request: ") + error.what(),
                                       "server_error", "", "server_error")};
    }
}

std::string resultLine(const std::string& lineId, const std::string& customId, const value& response,
                       const value& error)
{
    value line = value::object(true);
    line["id"] = value::string(lineId);
    line["custom_id"] = value::string(customId);
    line["response"] = response;
    line["error"] = error;
    return line.serialize() + "\n";
}

/// The model the batch's requests name: the first request line's body.model (the API takes a batch's
/// model from its requests), or nothing.
std::optional<std::string> firstModel(const std::string& inputPath)
{
    std::ifstream input(inputPath, std::ios::binary);
    for (std::string line; std::getline(input, line);)
    {
        if (line.find_first_not_of(" \t\r") == std::string::npos)
        {
            continue;
        }
        std::string problem;
        const auto request = org::openapitools::client::api::tryParseJson(line, problem); // never throws
        if (request && request->has_object_field("body") && request->at("body").has_string_field("model"))
        {
            return request->at("body").at("model").as_string();
        }
        return std::nullopt;
    }
    return std::nullopt;
}

/// Adds an answer's token counts to the batch's usage, whichever shape the endpoint reports them in.
void addUsage(value& batch, const value& answer)
{
    const TokenCounts counts = tokensOf(answer);
    if (!counts.reported)
    {
        return;
    }
    if (!batch.has_object_field("usage"))
    {
        batch["usage"] = value::parse(R"({"input_tokens": 0, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 0, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 0})");
    }
    value& usage = batch["usage"];
    const auto add = [](value& field, int64_t amount) { field = value::number(field.as_number().to_int64() + amount); };
    add(usage["input_tokens"], counts.input);
    add(usage["input_tokens_details"]["cached_tokens"], counts.cached);
    add(usage["output_tokens"], counts.output);
    add(usage["output_tokens_details"]["reasoning_tokens"], counts.reasoning);
    add(usage["total_tokens"], counts.input + counts.output);
}

/// The id of a batch's output or error file: derived from the batch, so that publishing it again after a
/// crash replaces the same file instead of making a second one.
std::string publishedFileId(const std::string& batchId, const char* kind)
{
    return "file-" + batchId.substr(batchId.find('_') + 1) + "-" + kind;
}

value errorList(std::vector<value> errors)
{
    value list = value::object(true);
    list["object"] = value::string("list");
    list["data"] = value::array(std::move(errors));
    return list;
}

value batchError(const std::string& code, const std::string& message, const value& line = value::null())
{
    value error = value::object(true);
    error["code"] = value::string(code);
    error["message"] = value::string(message);
    error["param"] = value::null();
    error["line"] = line;
    return error;
}

value expiredError()
{
    value error = value::object(true);
    error["code"] = value::string("batch_expired");
    error["message"] = value::string("This request could not be executed before the completion window expired.");
    return error;
}

} // namespace

BatchProcessor::BatchProcessor(BatchState& state, Pacing pacing, std::function<int64_t()> nowMs, EndListener onEnd,
                               BatchFaults faults)
    : m_State(state)
    , m_Pacing(pacing)
    , m_Faults(faults)
    , m_Now(std::move(nowMs))
    , m_OnEnd(std::move(onEnd))
{
}

BatchProcessor::~BatchProcessor()
{
    {
        std::lock_guard<std::mutex> lock(m_QueueMutex);
        m_Stopping = true;
    }
    m_Wake.notify_all();
    if (m_Thread.joinable())
    {
        m_Thread.join();
    }
}

void BatchProcessor::start()
{
    for (const auto& id : m_State.unfinishedBatches())
    {
        schedule(id, m_Now());
    }
    m_Thread = std::thread([this] { loop(); });
}

void BatchProcessor::schedule(const std::string& batchId, int64_t dueMs)
{
    {
        std::lock_guard<std::mutex> lock(m_QueueMutex);
        const auto known = m_Due.find(batchId);
        if (known != m_Due.end())
        {
            if (known->second <= dueMs)
            {
                return;
            }
            m_Queue.erase({known->second, batchId});
        }
        m_Due[batchId] = dueMs;
        m_Queue.insert({dueMs, batchId});
    }
    m_Wake.notify_all();
}

void BatchProcessor::loop()
{
    std::unique_lock<std::mutex> lock(m_QueueMutex);
    while (!m_Stopping)
    {
        if (m_Queue.empty())
        {
            m_Wake.wait(lock);
            continue;
        }
        const auto [due, id] = *m_Queue.begin();
        const int64_t now = m_Now();
        if (due > now)
        {
            m_Wake.wait_for(lock, std::chrono::milliseconds(due - now));
            continue;
        }
        m_Queue.erase(m_Queue.begin());
        m_Due.erase(id);
        lock.unlock();
        const auto next = step(id);
        if (next)
        {
            schedule(id, *next);
        }
        lock.lock();
    }
}

std::optional<int64_t> BatchProcessor::step(const std::string& batchId)
{
    std::lock_guard<std::mutex> lock(m_StepMutex);
    try
    {
        auto batch = m_State.batch(batchId);
        return batch && !isTerminal(batch->at("status").as_string()) ? advance(std::move(*batch)) : std::nullopt;
    }
    catch (const StorageError& error)
    {
        return retryLater(batchId, error);
    }
    catch (const fs::filesystem_error& error)
    {
        return retryLater(batchId, error);
    }
    catch (const std::exception& error)
    {
        fail(batchId, error.what());
        return std::nullopt;
    }
}

int64_t BatchProcessor::retryLater(const std::string& batchId, const std::exception& error)
{
    // The disk or the system, not the batch (a full disk, no descriptors left): try again in a while,
    // as a restart would, instead of failing a batch that did nothing wrong.
    std::fprintf(stderr, "openai-batch-server: batch %s: %s; trying again in 1 s\n", batchId.c_str(), error.what());
    return m_Now() + 1000;
}

void BatchProcessor::fail(const std::string& batchId, const std::string& reason)
{
    try
    {
        auto batch = *m_State.batch(batchId);
        RunProgress progress = m_State.progress(batchId);
        batch["errors"] =
            errorList({batchError("batch_failed", "The local server could not process this batch: " + reason)});
        enter(batch, progress, "failed", "failed_at");
    }
    catch (const std::exception& error)
    {
        // Not even the failure could be saved (a full disk?): the batch stays as it was, and is tried
        // again at the next start.
        std::fprintf(stderr, "openai-batch-server: batch %s: %s; then, failing it: %s\n", batchId.c_str(),
                     reason.c_str(), error.what());
    }
}

void BatchProcessor::created(const value& batch, int64_t outputExpiresAfter)
{
    RunProgress progress = m_State.progress(batch.at("id").as_string());
    progress.stageStartedMs = m_Now();
    progress.outputExpiresAfter = outputExpiresAfter;
    m_State.putBatch(batch, progress);
    schedule(batch.at("id").as_string(), m_Now());
}

std::optional<value> BatchProcessor::cancel(const std::string& batchId)
{
    std::lock_guard<std::mutex> lock(m_StepMutex);
    auto batch = m_State.batch(batchId);
    if (!batch)
    {
        return std::nullopt;
    }
    const std::string status = batch->at("status").as_string();
    if (status != "validating" && status != "in_progress" && status != "finalizing")
    {
        return std::nullopt;
    }
    RunProgress progress = m_State.progress(batchId);
    enter(*batch, progress, "cancelling", "cancelling_at");
    schedule(batchId, m_Now() + m_Pacing.stepTime.count());
    return batch;
}

void BatchProcessor::enter(value& batch, RunProgress& progress, const char* status, const char* timestampField)
{
    batch["status"] = value::string(status);
    batch[timestampField] = value::number(seconds(m_Now()));
    progress.stageStartedMs = m_Now();
    const bool ends = isTerminal(status);
    if (ends && m_OnEnd.ending)
    {
        m_OnEnd.ending(batch);
    }
    m_State.putBatch(batch, progress);
    if (ends && m_OnEnd.ended)
    {
        m_OnEnd.ended(batch);
    }
}

std::optional<int64_t> BatchProcessor::advance(value batch)
{
    const std::string id = batch.at("id").as_string();
    RunProgress progress = m_State.progress(id);
    const int64_t now = m_Now();
    const int64_t stepDue = progress.stageStartedMs + m_Pacing.stepTime.count();
    const std::string status = batch.at("status").as_string();
    if (status == "validating")
    {
        if (now < stepDue)
        {
            return stepDue;
        }
        validate(batch, progress);
        return now; // in_progress starts at once, or the batch has failed (and is then dropped)
    }
    if (status == "in_progress")
    {
        const int64_t expiresMs = batch.at("expires_at").as_number().to_int64() * 1000;
        if (now >= expiresMs)
        {
            expire(batch, progress);
            return std::nullopt;
        }
        const int64_t total = count(batch, "total");
        const bool expiresEarly = picked(m_Faults.expiryShare, id);
        if (expiresEarly && handled(batch) >= total / 2)
        {
            expire(batch, progress);
            return std::nullopt;
        }
        const int64_t pace = m_Pacing.requestTime.count();
        const int64_t due =
            std::min<int64_t>(pace == 0 ? total : std::min<int64_t>(total, (now - progress.stageStartedMs) / pace),
                              expiresEarly ? total / 2 : total);
        run(batch, progress, static_cast<size_t>(due));
        if (batch.at("status").as_string() != "in_progress")
        {
            return now; // finalizing: its step time starts now
        }
        const int64_t done = handled(batch);
        const int64_t nextRequest = pace == 0 || done < due ? now : progress.stageStartedMs + (done + 1) * pace;
        return std::min(nextRequest, expiresMs);
    }
    if (status == "finalizing" || status == "cancelling")
    {
        if (now < stepDue)
        {
            return stepDue;
        }
        publishFiles(batch, progress);
        enter(batch, progress, status == "finalizing" ? "completed" : "cancelled",
              status == "finalizing" ? "completed_at" : "cancelled_at");
    }
    return std::nullopt;
}

void BatchProcessor::validate(value& batch, RunProgress& progress)
{
    const std::string inputPath = m_State.filePath(batch.at("input_file_id").as_string());
    if (!m_State.file(batch.at("input_file_id").as_string()))
    {
        batch["errors"] =
            errorList({batchError("missing_input_file", "The input file was deleted before the batch ran.")});
        enter(batch, progress, "failed", "failed_at");
        return;
    }
    const auto check = workflow::checkRequestFile(inputPath, batch.at("endpoint").as_string());
    if (!check.problems.empty() || check.customIds.empty())
    {
        // The first problems, as the API lists them; a count of the rest keeps the record small.
        std::vector<value> errors;
        for (const auto& problem : check.problems)
        {
            if (errors.size() == MAX_LISTED_PROBLEMS)
            {
                break;
            }
            errors.push_back(batchError("invalid_request", validUtf8(problem.message),
                                        value::number(static_cast<uint64_t>(problem.lineNumber))));
        }
        const uint64_t unlisted = check.problems.size() - errors.size() + check.unlistedProblems;
        if (unlisted > 0)
        {
            errors.push_back(batchError("invalid_request", "and " + std::to_string(unlisted) + " more problems"));
        }
        if (errors.empty())
        {
            errors.push_back(batchError("empty_file", "The input file has no requests."));
        }
        batch["errors"] = errorList(std::move(errors));
        enter(batch, progress, "failed", "failed_at");
        return;
    }
    if (const auto refusal = overTokenLimit(batch.at("id").as_string(), progress, inputPath))
    {
        batch["errors"] = errorList({batchError("token_limit_exceeded", *refusal)});
        enter(batch, progress, "failed", "failed_at");
        return;
    }
    batch["request_counts"]["total"] = value::number(static_cast<uint64_t>(check.customIds.size()));
    if (const auto model = firstModel(inputPath))
    {
        batch["model"] = value::string(*model);
    }
    enter(batch, progress, "in_progress", "in_progress_at");
}

std::optional<std::string> BatchProcessor::overTokenLimit(const std::string& batchId, RunProgress& progress,
                                                          const std::string& inputPath) const
{
    if (!m_Faults.enqueuedTokenLimit)
    {
        return std::nullopt;
    }
    std::map<std::string, uint64_t> tokens;
    workflow::LineReader lines(inputPath);
    std::string_view line;
    while (lines.next(line))
    {
        if (!workflow::isBlank(line))
        {
            // checkRequestFile accepted every line before this is called.
            const auto estimate = workflow::estimateRequestLine(line, workflow::LineReader::readable(line));
            tokens[estimate.model] += estimate.tokens();
        }
    }
    std::map<std::string, uint64_t> enqueued;
    for (const auto& id : m_State.unfinishedBatches())
    {
        const auto other = m_State.batch(id);
        const std::string status = other ? other->at("status").as_string() : "";
        if (id != batchId && (status == "in_progress" || status == "finalizing"))
        {
            for (const auto& [model, count] : m_State.progress(id).enqueuedTokens)
            {
                enqueued[model] += count;
            }
        }
    }
    for (const auto& [model, count] : tokens)
    {
        if (enqueued[model] + count > *m_Faults.enqueuedTokenLimit)
        {
            return "Enqueued token limit reached for " + model + " in organization org-local. Limit: "
                + std::to_string(*m_Faults.enqueuedTokenLimit) + " enqueued tokens (this batch: "
                + std::to_string(count) + ", in progress: " + std::to_string(enqueued[model])
                + "). Please try submitting a smaller batch or wait until your in-progress batches complete.";
        }
    }
    progress.enqueuedTokens = std::move(tokens);
    return std::nullopt;
}

bool BatchProcessor::picked(double share, const std::string& batchId, const std::string& customId) const
{
    if (share <= 0)
    {
        return false;
    }
    const uint64_t hash = std::hash<std::string>()(batchId + '\n' + customId + '\n' + std::to_string(m_Faults.seed));
    return static_cast<double>(hash % 1000000) < share * 1000000;
}

void BatchProcessor::run(value& batch, RunProgress& progress, size_t upTo)
{
    const std::string endpoint = batch.at("endpoint").as_string();
    const std::string inputId = batch.at("input_file_id").as_string();
    const size_t done = static_cast<size_t>(handled(batch));
    upTo = std::min(upTo, done + REQUESTS_PER_STEP);
    if (done < upTo)
    {
        if (!m_State.file(inputId))
        {
            throw std::runtime_error("its input file " + inputId + " was deleted while it ran");
        }
        std::ifstream input(m_State.filePath(inputId), std::ios::binary);
        input.seekg(static_cast<std::streamoff>(progress.inputOffset));
        std::string output;
        std::string errors;
        std::string line;
        for (size_t handled = done; handled < upTo && std::getline(input, line);)
        {
            if (line.find_first_not_of(" \t\r") == std::string::npos)
            {
                continue;
            }
            const RequestLine request = readRequestLine(line);
            const EndpointReply reply =
                picked(m_Faults.requestFailureShare, batch.at("id").as_string(), request.customId)
                ? EndpointReply{500,
                                errorBody("The server had an error while processing your request. Sorry about that!",
                                          "server_error", "", "server_error")}
                : answer(endpoint, request);
            value response = value::object(true);
            response["status_code"] = value::number(reply.status);
            response["request_id"] = value::string("req_" + batch.at("id").as_string() + "_" + std::to_string(handled));
            response["body"] = reply.body;
            const std::string text =
                resultLine("batch_req_" + std::to_string(handled), request.customId, response, value::null());
            (reply.status < 300 ? output : errors) += text;
            bump(batch, reply.status < 300 ? "completed" : "failed");
            addUsage(batch, reply.body);
            ++handled;
        }
        progress.inputOffset =
            input.eof() ? fs::file_size(m_State.filePath(inputId)) : static_cast<uint64_t>(input.tellg());
        progress.outputBytes = append(progress.outputPath, output, progress.outputBytes);
        progress.errorBytes = append(progress.errorPath, errors, progress.errorBytes);
        m_State.putBatch(batch, progress);
    }
    if (handled(batch) >= count(batch, "total"))
    {
        enter(batch, progress, "finalizing", "finalizing_at");
    }
}

void BatchProcessor::expire(value& batch, RunProgress& progress)
{
    const std::string inputId = batch.at("input_file_id").as_string();
    std::ifstream input(m_State.filePath(inputId), std::ios::binary);
    input.seekg(static_cast<std::streamoff>(progress.inputOffset));
    std::string errors;
    std::string line;
    size_t index = static_cast<size_t>(handled(batch));
    while (std::getline(input, line))
    {
        if (line.find_first_not_of(" \t\r") == std::string::npos)
        {
            continue;
        }
        errors += resultLine("batch_req_" + std::to_string(index++), readRequestLine(line).customId, value::null(),
                             expiredError());
        bump(batch, "failed");
    }
    progress.inputOffset = m_State.file(inputId) ? fs::file_size(m_State.filePath(inputId)) : progress.inputOffset;
    progress.errorBytes = append(progress.errorPath, errors, progress.errorBytes);
    publishFiles(batch, progress);
    enter(batch, progress, "expired", "expired_at");
}

void BatchProcessor::publishFiles(value& batch, const RunProgress& progress)
{
    const auto publish = [&](const std::string& partial, uint64_t bytes, const char* field, const char* kind,
                             const char* suffix) {
        if (bytes == 0)
        {
            return;
        }
        const std::string id = publishedFileId(batch.at("id").as_string(), kind);
        const std::string path = m_State.filePath(id);
        fs::copy_file(partial, path, fs::copy_options::overwrite_existing);
        fs::resize_file(path, bytes);
        workflow::syncPath(path);
        value file = value::object(true);
        file["id"] = value::string(id);
        file["object"] = value::string("file");
        file["bytes"] = value::number(bytes);
        file["created_at"] = value::number(seconds(m_Now()));
        file["expires_at"] = value::number(
            seconds(m_Now())
            + (progress.outputExpiresAfter > 0 ? progress.outputExpiresAfter : DEFAULT_OUTPUT_EXPIRY_SECONDS));
        file["filename"] = value::string(batch.at("id").as_string() + suffix);
        file["purpose"] = value::string("batch_output");
        file["status"] = value::string("processed");
        m_State.putFile(file);
        batch[field] = value::string(id);
    };
    publish(progress.outputPath, progress.outputBytes, "output_file_id", "output", "_output.jsonl");
    publish(progress.errorPath, progress.errorBytes, "error_file_id", "errors", "_error.jsonl");
}

} // namespace openai_batch::server
