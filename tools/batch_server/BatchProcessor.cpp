#include "BatchProcessor.h"

#include "Responders.h"

#include "api/ApiException.h"
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

/// Appends text to path and returns the file's new size.
uint64_t append(const std::string& path, const std::string& text, uint64_t validBytes)
{
    // Cut any torn tail a crash left beyond what the progress record vouches for.
    if (fs::exists(path) && fs::file_size(path) != validBytes)
    {
        fs::resize_file(path, validBytes);
    }
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << text;
    out.flush();
    return validBytes + text.size();
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

value expiredError()
{
    value error = value::object(true);
    error["code"] = value::string("batch_expired");
    error["message"] = value::string("This request could not be executed before the completion window expired.");
    return error;
}

} // namespace

BatchProcessor::BatchProcessor(BatchState& state, Pacing pacing, std::function<int64_t()> nowMs, EndListener onEnd)
    : m_State(state)
    , m_Pacing(pacing)
    , m_Now(std::move(nowMs))
    , m_OnEnd(std::move(onEnd))
{
}

void BatchProcessor::started(const std::string& batchId, int64_t outputExpiresAfter)
{
    RunProgress progress = m_State.progress(batchId);
    progress.stageStartedMs = m_Now();
    progress.outputExpiresAfter = outputExpiresAfter;
    m_State.putProgress(batchId, progress);
}

std::optional<value> BatchProcessor::cancel(const std::string& batchId)
{
    std::lock_guard<std::mutex> lock(m_Mutex);
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
    return batch;
}

void BatchProcessor::advance()
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    for (const auto& batch : m_State.batches())
    {
        if (!isTerminal(batch.at("status").as_string()))
        {
            advance(batch);
        }
    }
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
    m_State.putProgress(batch.at("id").as_string(), progress);
    m_State.putBatch(batch);
    if (ends && m_OnEnd.ended)
    {
        m_OnEnd.ended(batch);
    }
}

void BatchProcessor::advance(value batch)
{
    const std::string id = batch.at("id").as_string();
    RunProgress progress = m_State.progress(id);
    const int64_t now = m_Now();
    const bool stepDone = now >= progress.stageStartedMs + m_Pacing.stepTime.count();
    const std::string status = batch.at("status").as_string();
    if (status == "validating" && stepDone)
    {
        validate(batch, progress);
        return;
    }
    if (status == "in_progress")
    {
        if (now >= batch.at("expires_at").as_number().to_int64() * 1000)
        {
            expire(batch, progress);
            return;
        }
        const int64_t total = count(batch, "total");
        const int64_t elapsed = now - progress.stageStartedMs;
        const int64_t due = m_Pacing.requestTime.count() == 0
            ? total
            : std::min<int64_t>(total, elapsed / m_Pacing.requestTime.count());
        run(batch, progress, static_cast<size_t>(due));
        return;
    }
    if ((status == "finalizing" || status == "cancelling") && stepDone)
    {
        publishFiles(batch, progress);
        enter(batch, progress, status == "finalizing" ? "completed" : "cancelled",
              status == "finalizing" ? "completed_at" : "cancelled_at");
    }
}

void BatchProcessor::validate(value& batch, RunProgress& progress)
{
    const std::string inputPath = m_State.filePath(batch.at("input_file_id").as_string());
    const auto check = workflow::checkRequestFile(inputPath, batch.at("endpoint").as_string());
    if (!check.problems.empty() || check.customIds.empty())
    {
        std::vector<value> errors;
        for (const auto& problem : check.problems)
        {
            value error = value::object(true);
            error["code"] = value::string("invalid_request");
            error["message"] = value::string(problem.message);
            error["param"] = value::null();
            error["line"] = value::number(static_cast<uint64_t>(problem.lineNumber));
            errors.push_back(error);
        }
        if (check.customIds.empty() && errors.empty())
        {
            value error = value::object(true);
            error["code"] = value::string("empty_file");
            error["message"] = value::string("The input file has no requests.");
            error["param"] = value::null();
            error["line"] = value::null();
            errors.push_back(error);
        }
        value list = value::object(true);
        list["object"] = value::string("list");
        list["data"] = value::array(errors);
        batch["errors"] = list;
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

void BatchProcessor::run(value& batch, RunProgress& progress, size_t upTo)
{
    const std::string endpoint = batch.at("endpoint").as_string();
    const size_t done = static_cast<size_t>(handled(batch));
    if (done < upTo)
    {
        std::ifstream input(m_State.filePath(batch.at("input_file_id").as_string()), std::ios::binary);
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
            const value request = value::parse(line);
            const std::string customId = request.at("custom_id").as_string();
            const EndpointReply reply = respond(endpoint, request.at("body"), customId);
            value response = value::object(true);
            response["status_code"] = value::number(reply.status);
            response["request_id"] = value::string("req_" + batch.at("id").as_string() + "_" + std::to_string(handled));
            response["body"] = reply.body;
            const std::string text =
                resultLine("batch_req_" + std::to_string(handled), customId, response, value::null());
            (reply.status < 300 ? output : errors) += text;
            bump(batch, reply.status < 300 ? "completed" : "failed");
            addUsage(batch, reply.body);
            ++handled;
        }
        progress.inputOffset = input.eof() ? fs::file_size(m_State.filePath(batch.at("input_file_id").as_string()))
                                           : static_cast<uint64_t>(input.tellg());
        progress.outputBytes = append(progress.outputPath, output, progress.outputBytes);
        progress.errorBytes = append(progress.errorPath, errors, progress.errorBytes);
        m_State.putProgress(batch.at("id").as_string(), progress);
        m_State.putBatch(batch);
    }
    if (handled(batch) >= count(batch, "total"))
    {
        enter(batch, progress, "finalizing", "finalizing_at");
    }
}

void BatchProcessor::expire(value& batch, RunProgress& progress)
{
    std::ifstream input(m_State.filePath(batch.at("input_file_id").as_string()), std::ios::binary);
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
        errors += resultLine("batch_req_" + std::to_string(index++), value::parse(line).at("custom_id").as_string(),
                             value::null(), expiredError());
        bump(batch, "failed");
    }
    progress.inputOffset = fs::file_size(m_State.filePath(batch.at("input_file_id").as_string()));
    progress.errorBytes = append(progress.errorPath, errors, progress.errorBytes);
    publishFiles(batch, progress);
    enter(batch, progress, "expired", "expired_at");
}

void BatchProcessor::publishFiles(value& batch, RunProgress& progress)
{
    const auto publish = [&](const std::string& partial, uint64_t bytes, const char* field, const char* suffix) {
        if (bytes == 0)
        {
            return;
        }
        const std::string id = m_State.newId("file-");
        fs::copy_file(partial, m_State.filePath(id), fs::copy_options::overwrite_existing);
        fs::resize_file(m_State.filePath(id), bytes);
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
    publish(progress.outputPath, progress.outputBytes, "output_file_id", "_output.jsonl");
    publish(progress.errorPath, progress.errorBytes, "error_file_id", "_error.jsonl");
}

} // namespace openai_batch::server
