#include "workflow/Job.h"

#include "workflow/BatchRunner.h"
#include "workflow/DurableFile.h"
#include "workflow/JobStore.h"
#include "workflow/Pagination.h"

#include "api/ApiException.h"
#include "api/BatchApi.h"
#include "api/FilesApi.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;

namespace openai_batch::workflow {

using namespace jobstore;

namespace {

using web::json::value;

/// After this many token_limit_exceeded refusals in a row, a shard's wait stops doubling, and the run says
/// that the shard may be too large for the limit on its own.
constexpr int TOKEN_LIMITED_WARNING = 4;

/// A failure worth trying again that the API layer does not raise itself (a download cut short).
class TransientError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

int64_t unixMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string statusOf(const value& batch)
{
    return batch.is_object() && batch.has_string_field("status") ? batch.at("status").as_string() : std::string();
}

bool hasEnded(const std::string& status)
{
    return status == "completed" || status == "failed" || status == "expired" || status == "cancelled";
}

/// What a result (or its absence) makes of a request on its attempt.
RequestOutcome classify(const BatchResult* result, int attempt, int maxAttempts)
{
    if (result != nullptr)
    {
        if (result->succeeded())
        {
            return RequestOutcome::Succeeded;
        }
        const bool retryable = result->statusCode
            ? *result->statusCode == 429 || *result->statusCode >= 500
            : result->errorCode.value_or("") == "batch_expired" || result->errorCode.value_or("") == "batch_cancelled";
        if (!retryable)
        {
            return RequestOutcome::Failed;
        }
    }
    if (attempt < maxAttempts)
    {
        return RequestOutcome::Retry;
    }
    return result != nullptr ? RequestOutcome::Failed : RequestOutcome::Missing;
}

/// Adds a response body's token counts (chat's prompt/completion or the responses API's input/output) to
/// usage, under the body's model.
void addLineUsage(std::map<std::string, ModelUsage>& usage, const BatchResult& result)
{
    TokenUsage counts;
    try
    {
        counts = result.usage();
    }
    catch (const std::invalid_argument&)
    {
        return; // no usage (or a failed request): nothing to count
    }
    std::string model;
    try
    {
        model = std::string(result.model());
    }
    catch (const std::invalid_argument&)
    {
        // counted under no model
    }
    ModelUsage& tokens = usage[model];
    tokens.inputTokens += static_cast<uint64_t>(counts.input);
    tokens.outputTokens += static_cast<uint64_t>(counts.output);
    // Counts are 0 or more (usage() checks): added as unsigned, a hostile sum wraps instead of overflowing.
    tokens.totalTokens += counts.total != 0
        ? static_cast<uint64_t>(counts.total)
        : static_cast<uint64_t>(counts.input) + static_cast<uint64_t>(counts.output);
}

JobSummary summaryOf(const Manifest& manifest, const PriceTable* prices)
{
    JobSummary summary;
    summary.jobId = manifest.jobId;
    summary.requests = manifest.requests;
    summary.createdAt = manifest.createdAt;
    summary.finishedAt = manifest.finishedAt;
    summary.finished = manifest.finishedAt != 0;
    for (const auto& shard : manifest.shards)
    {
        summary.succeeded += shard.succeeded;
        summary.failed += shard.failed;
        summary.missing += shard.missing;
        for (size_t i = 0; i < shard.batchIds.size(); ++i)
        {
            summary.batches.push_back(JobBatch{shard.index, shard.attempt, shard.batchIds[i],
                                               i < shard.batchStatus.size() ? shard.batchStatus[i] : ""});
        }
        for (const auto& [model, tokens] : shard.usage)
        {
            ModelUsage& total = summary.usage[model];
            total.inputTokens += tokens.inputTokens;
            total.outputTokens += tokens.outputTokens;
            total.totalTokens += tokens.totalTokens;
        }
    }
    summary.pending = summary.requests - summary.succeeded - summary.failed - summary.missing;
    if (prices != nullptr)
    {
        double cost = 0;
        bool everyModelPriced = true;
        for (auto& [model, tokens] : summary.usage)
        {
            const auto price = prices->perMillionTokens.find(model);
            if (price == prices->perMillionTokens.end())
            {
                everyModelPriced = false;
                continue;
            }
            tokens.estimatedCost = (static_cast<double>(tokens.inputTokens) * price->second.input
                                    + static_cast<double>(tokens.outputTokens) * price->second.output)
                / 1e6;
            cost += *tokens.estimatedCost;
        }
        if (everyModelPriced)
        {
            summary.estimatedCost = cost;
        }
    }
    return summary;
}

std::string duration(double seconds)
{
    const auto total = static_cast<int64_t>(std::llround(seconds));
    std::ostringstream text;
    if (total >= 3600)
    {
        text << total / 3600 << "h" << std::setw(2) << std::setfill('0') << total % 3600 / 60 << "m";
    }
    else if (total >= 60)
    {
        text << total / 60 << "m" << std::setw(2) << std::setfill('0') << total % 60 << "s";
    }
    else
    {
        text << total << "s";
    }
    return text.str();
}

void checkOptions(const JobOptions& options)
{
    const auto refuse = [](const std::string& problem) { throw std::invalid_argument(problem); };
    if (options.jobDirectory.empty())
    {
        refuse("jobDirectory: a job needs a directory");
    }
    if (options.maxAttempts < 1 || options.maxAttempts > 255)
    {
        refuse("maxAttempts: 1 to 255, not " + std::to_string(options.maxAttempts));
    }
    if (options.maxBatches < 1)
    {
        refuse("maxBatches: at least 1");
    }
    const RequestFileLimits api;
    if (options.shardLimits.maxRequests < 1 || options.shardLimits.maxRequests > api.maxRequests)
    {
        refuse("shardLimits.maxRequests: 1 to " + std::to_string(api.maxRequests));
    }
    if (options.shardLimits.maxBytes < 1 || options.shardLimits.maxBytes > api.maxBytes)
    {
        refuse("shardLimits.maxBytes: 1 to " + std::to_string(api.maxBytes));
    }
    if (options.maxEnqueuedTokens && *options.maxEnqueuedTokens == 0)
    {
        refuse("maxEnqueuedTokens: at least 1");
    }
}

RunOptions batchOptions(const Manifest& manifest)
{
    RunOptions run;
    run.endpoint = manifest.endpoint;
    run.completionWindow = manifest.completionWindow;
    for (const auto& [key, item] : manifest.metadata)
    {
        run.metadata[utility::conversions::to_string_t(key)] = utility::conversions::to_string_t(item);
    }
    return run;
}

/// One call of JobRunner::run: the manifest in memory, written through on every change.
class JobRun
{
public:
    JobRun(std::shared_ptr<const api::ApiClient> client, JobOptions options)
        : m_Client(std::move(client))
        , m_SingleShotClient(withoutRetries(m_Client))
        , m_Options(std::move(options))
        , m_Directory(m_Options.jobDirectory)
    {
        m_Options.polling = withRealClock(m_Options.polling);
    }

    JobSummary run()
    {
        checkOptions(m_Options);
        fs::create_directories(m_Directory);
        const DirectoryLock lock(m_Directory, "another run of this job");
        m_Manifest = fs::exists(manifestPath(m_Directory)) ? resume() : plan();
        m_Records = std::make_unique<RecordFile>(recordsPath(m_Directory), false);
        m_Started = m_Options.polling.now();
        m_SettledAtStart = settledRequests();
        auto interval = m_Options.polling.firstInterval;
        while (true)
        {
            if (m_Options.polling.cancellation.is_canceled())
            {
                throw pplx::task_canceled();
            }
            bool changed = settleEnded();
            if (allSettled())
            {
                if (!nextRound())
                {
                    break;
                }
                continue;
            }
            changed = recover() || changed;
            changed = admit() || changed;
            changed = poll() || changed;
            if (changed)
            {
                report();
            }
            interval = changed ? m_Options.polling.firstInterval
                               : std::min(m_Options.polling.maxInterval,
                                          std::chrono::milliseconds(static_cast<int64_t>(
                                              static_cast<double>(interval.count()) * m_Options.polling.backoff)));
            pausePolling(m_Options.polling, interval).wait();
        }
        if (m_Manifest.finishedAt == 0)
        {
            m_Manifest.finishedAt = unixMs() / 1000;
            saveManifest(m_Directory, m_Manifest);
        }
        report();
        return summaryOf(m_Manifest, nullptr);
    }

private:
    Manifest plan()
    {
        if (m_Options.requestFiles.empty())
        {
            throw JobError("no job in " + m_Directory
                           + " to carry on: give its request files (and endpoint) to plan one");
        }
        RunOptions limits;
        limits.endpoint = m_Options.endpoint;
        limits.completionWindow = m_Options.completionWindow;
        limits.metadata = m_Options.metadata;
        BatchRunner::checkOptions(limits);
        Manifest manifest = planJob(m_Options);
        saveManifest(m_Directory, manifest);
        return manifest;
    }

    /// The manifest already there, after checking that it is this job's: the same request files (by
    /// content), endpoint, window and metadata. Without request files, the job is taken as it is.
    Manifest resume()
    {
        Manifest manifest = loadManifest(m_Directory);
        if (m_Options.requestFiles.empty())
        {
            m_Options.endpoint = manifest.endpoint;
            return manifest;
        }
        std::vector<std::string> hashes;
        for (const auto& path : m_Options.requestFiles)
        {
            try
            {
                hashes.push_back(fileSha256(path));
            }
            catch (const JobError& unreadable)
            {
                throw JobError(std::string(unreadable.what()) + " (the job in " + m_Directory + " was made from "
                               + describeFiles(manifest) + ")");
            }
        }
        if (jobIdOf(m_Options, hashes) != manifest.jobId)
        {
            throw JobError(m_Directory + " holds another job: it was made from " + describeFiles(manifest) + " for "
                           + manifest.endpoint
                           + ", and these request files, endpoint, window or metadata differ (or the files changed "
                             "since); use another --job-dir, or run it without request files to carry it on");
        }
        return manifest;
    }

    static std::string describeFiles(const Manifest& manifest)
    {
        std::string names;
        for (const auto& file : manifest.files)
        {
            names += (names.empty() ? "" : ", ") + file.path;
        }
        return names;
    }

    void save() { saveManifest(m_Directory, m_Manifest); }

    bool allSettled() const
    {
        return std::all_of(m_Manifest.shards.begin(), m_Manifest.shards.end(),
                           [](const Shard& shard) { return shard.state == "settled"; });
    }

    /// Plans the next attempt when requests wait for one; false when the job is done.
    bool nextRound()
    {
        uint64_t retry = 0;
        for (const auto& shard : m_Manifest.shards)
        {
            retry += shard.attempt == m_Manifest.round ? shard.retry : 0;
        }
        if (retry == 0)
        {
            return false;
        }
        planRetries(m_Directory, m_Manifest);
        save();
        return true;
    }

    /// Transient failures are left for the next pass; anything else ends the run.
    template <typename Call> bool tryCall(const std::string& what, Call call)
    {
        try
        {
            call();
            return true;
        }
        catch (const pplx::task_canceled&)
        {
            throw;
        }
        catch (...)
        {
            const auto failure = std::current_exception();
            if (!isTransientFailure(failure) && !isTransientHere(failure))
            {
                throw;
            }
            try
            {
                std::rethrow_exception(failure);
            }
            catch (const std::exception& error)
            {
                std::fprintf(stderr, "openai-batch job: %s: %s; trying again later\n", what.c_str(), error.what());
            }
            return false;
        }
    }

    static bool isTransientHere(std::exception_ptr failure)
    {
        try
        {
            std::rethrow_exception(failure);
        }
        catch (const TransientError&)
        {
            return true;
        }
        catch (...)
        {
            return false;
        }
    }

    /// Shards left uploading or creating by an interrupted run: their upload or batch may exist.
    bool recover()
    {
        bool changed = false;
        std::vector<std::shared_ptr<model::OpenAIFile>> uploads;
        std::optional<bool> listed; // the uploads are listed once, when a shard needs them
        for (auto& shard : m_Manifest.shards)
        {
            if (shard.state == "uploading")
            {
                if (!listed)
                {
                    listed = tryCall("listing uploads", [&] {
                        uploads = collectAll(filePages(api::FilesApi(m_Client), utility::string_t("batch"))).get();
                    });
                }
                if (!*listed)
                {
                    continue;
                }
                const auto found = std::find_if(uploads.begin(), uploads.end(), [&](const auto& file) {
                    return file->getFilename() == uploadName(shard)
                        && static_cast<uint64_t>(file->getBytes()) == shard.bytes;
                });
                shard.uploadId = found != uploads.end() ? (*found)->getId() : "";
                shard.state = found != uploads.end() ? "uploaded" : "pending";
                changed = true;
            }
            else if (shard.state == "creating")
            {
                std::shared_ptr<model::Batch> found;
                if (tryCall("looking for a batch",
                            [&] { found = BatchRunner(m_Client).findTagged(shard.tag(m_Manifest.planId)).get(); }))
                {
                    found ? started(shard, *found) : void(shard.state = "uploaded");
                    changed = true;
                }
            }
        }
        if (changed)
        {
            save();
        }
        return changed;
    }

    std::string uploadName(const Shard& shard) const
    {
        return "job-" + m_Manifest.planId.substr(0, 16) + "-" + fs::path(shard.fileName()).filename().string();
    }

    void started(Shard& shard, const model::Batch& batch)
    {
        shard.batchId = batch.getId();
        shard.batchIds.push_back(shard.batchId);
        shard.batchStatus.push_back(batch.getStatusString());
        shard.batch = batch.toJson();
        shard.state = "running";
    }

    /// This run's budget, else the one the job was planned with.
    std::optional<uint64_t> budget() const
    {
        return m_Options.maxEnqueuedTokens ? m_Options.maxEnqueuedTokens : m_Manifest.limits.enqueuedTokens;
    }

    bool fits(const Shard& shard, const std::map<std::string, uint64_t>& inFlight) const
    {
        const auto limit = budget();
        if (!limit)
        {
            return true;
        }
        return std::all_of(shard.tokens.begin(), shard.tokens.end(), [&](const auto& model) {
            const auto used = inFlight.find(model.first);
            const uint64_t enqueued = used == inFlight.end() ? 0 : used->second;
            // A shard larger than the budget (planned under a larger one) goes alone.
            return enqueued == 0 || enqueued + model.second <= *limit;
        });
    }

    std::map<std::string, uint64_t> tokensInFlight(size_t* batches) const
    {
        std::map<std::string, uint64_t> tokens;
        for (const auto& shard : m_Manifest.shards)
        {
            if (shard.inFlight() || shard.state == "uploading")
            {
                *batches += 1;
                for (const auto& [model, count] : shard.tokens)
                {
                    tokens[model] += count;
                }
            }
        }
        return tokens;
    }

    /// Submits the pending shards that fit: within maxBatches and the token budget, in shard order.
    bool admit()
    {
        size_t batches = 0;
        auto inFlight = tokensInFlight(&batches);
        std::vector<Shard*> chosen;
        const int64_t now = unixMs();
        for (auto& shard : m_Manifest.shards)
        {
            if (batches >= m_Options.maxBatches)
            {
                break;
            }
            if ((shard.state == "pending" || shard.state == "uploaded") && shard.notBeforeMs <= now
                && fits(shard, inFlight))
            {
                chosen.push_back(&shard);
                ++batches;
                for (const auto& [model, count] : shard.tokens)
                {
                    inFlight[model] += count;
                }
            }
        }
        if (chosen.empty())
        {
            return false;
        }
        upload(chosen);
        return create(chosen);
    }

    /// The shards of chosen in state `from`, moved to state `to`.
    static std::vector<Shard*> advance(const std::vector<Shard*>& chosen, const char* from, const char* to)
    {
        std::vector<Shard*> moved;
        for (Shard* shard : chosen)
        {
            if (shard->state == from)
            {
                shard->state = to;
                moved.push_back(shard);
            }
        }
        return moved;
    }

    void upload(const std::vector<Shard*>& chosen)
    {
        const std::vector<Shard*> uploads = advance(chosen, "pending", "uploading");
        if (uploads.empty())
        {
            return;
        }
        save(); // before: an upload whose answer is lost is found again by its name
        for (Shard* shard : uploads)
        {
            tryCall("uploading " + shard->fileName(), [&] {
                auto content =
                    model::HttpContent::fromFile(m_Directory + "/" + shard->fileName(), _XPLATSTR("application/jsonl"));
                content->setFileName(uploadName(*shard));
                // Sent once: after a lost answer the next pass looks for the upload by its name instead.
                shard->uploadId =
                    api::FilesApi(m_SingleShotClient).createFile(content, _XPLATSTR("batch")).get()->getId();
                shard->state = "uploaded";
            });
        }
    }

    /// Whether a batch was created: when every call failed for a passing reason, the polls back off.
    bool create(const std::vector<Shard*>& chosen)
    {
        const std::vector<Shard*> creates = advance(chosen, "uploaded", "creating");
        save(); // the uploads, and before creating: a batch whose answer is lost is found by its tag
        bool created = false;
        for (Shard* shard : creates)
        {
            const bool done = tryCall("creating the batch of " + shard->fileName(), [&] {
                const auto request = BatchRunner::batchRequest(batchOptions(m_Manifest), shard->uploadId);
                const auto batch = BatchRunner(m_Client)
                                       .createOnce(request, shard->tag(m_Manifest.planId), 3, m_Options.polling)
                                       .get();
                started(*shard, *batch);
            });
            created = created || done;
        }
        if (!creates.empty())
        {
            save();
        }
        return created;
    }

    bool poll()
    {
        bool changed = false;
        for (auto& shard : m_Manifest.shards)
        {
            if (shard.state != "running")
            {
                continue;
            }
            std::shared_ptr<model::Batch> batch;
            if (!tryCall("polling " + shard.batchId,
                         [&] { batch = api::BatchApi(m_Client).retrieveBatch(shard.batchId).get(); }))
            {
                continue;
            }
            const value json = batch->toJson();
            changed = changed || !(json == shard.batch);
            shard.batch = json;
            shard.batchStatus.back() = statusOf(json);
            if (hasEnded(statusOf(json)))
            {
                ended(shard);
                changed = true;
            }
        }
        if (changed)
        {
            save();
        }
        return changed;
    }

    void ended(Shard& shard)
    {
        if (statusOf(shard.batch) != "failed" || batchFailure(shard.batch).first != "token_limit_exceeded")
        {
            shard.state = "ended";
            return;
        }
        // Its requests did not run: the shard waits, longer each time, and goes again under a new tag.
        ++shard.tokenLimited;
        if (shard.tokenLimited == TOKEN_LIMITED_WARNING)
        {
            std::fprintf(stderr,
                         "openai-batch job: %s was refused for token_limit_exceeded %d times in a row; it keeps "
                         "waiting, but if it alone exceeds the limit, plan the job with smaller shards\n",
                         shard.fileName().c_str(), shard.tokenLimited);
        }
        shard.state = "uploaded";
        shard.batchId.clear();
        ++shard.submission;
        const int doublings = std::min(shard.tokenLimited, TOKEN_LIMITED_WARNING) - 1;
        shard.notBeforeMs = unixMs() + m_Options.tokenLimitBackoff.count() * (int64_t{1} << doublings);
    }

    bool settleEnded()
    {
        bool changed = false;
        for (auto& shard : m_Manifest.shards)
        {
            if (shard.state == "ended" && tryCall("fetching the results of " + shard.batchId, [&] { settle(shard); }))
            {
                save();
                changed = true;
            }
        }
        return changed;
    }

    /// Downloads fileId to the job's results directory unless a complete copy is there; its path relative
    /// to the job directory.
    std::string download(const utility::string_t& fileId, const std::string& batchId, const std::string& suffix)
    {
        fs::create_directories(m_Directory + "/results");
        const std::string path = resultFilePath(m_Directory + "/results", batchId, suffix);
        const api::FilesApi files(m_Client);
        const int64_t bytes = files.retrieveFile(fileId).get()->getBytes();
        if (!fs::exists(path) || static_cast<int64_t>(fs::file_size(path)) != bytes)
        {
            const std::string part = path + ".part";
            const uint64_t received = files.downloadFileTo(fileId, part).get();
            if (static_cast<int64_t>(received) != bytes)
            {
                fs::remove(part);
                throw TransientError("downloading " + utility::conversions::to_utf8string(fileId) + " gave "
                                     + std::to_string(received) + " bytes of " + std::to_string(bytes));
            }
            syncPath(part);
            fs::rename(part, path);
            syncPath(m_Directory + "/results");
        }
        return fs::relative(path, m_Directory).string();
    }

    void record(uint64_t jobIndex, const Shard& shard, RequestOutcome outcome, ResultKind kind, uint64_t offset,
                const BatchResult* result)
    {
        RequestRecord record = m_Records->read(jobIndex);
        record.outcome = static_cast<uint8_t>(outcome);
        record.attempt = static_cast<uint8_t>(shard.attempt);
        record.resultShard = static_cast<uint32_t>(shard.index);
        record.resultKind = static_cast<uint8_t>(kind);
        record.resultOffset = offset;
        record.statusCode = result && result->statusCode && *result->statusCode > 0 && *result->statusCode < 1000
            ? static_cast<uint16_t>(*result->statusCode)
            : 0;
        m_Records->write(jobIndex, record);
    }

    void count(Shard& shard, RequestOutcome outcome)
    {
        switch (outcome)
        {
        case RequestOutcome::Succeeded: ++shard.succeeded; break;
        case RequestOutcome::Failed: ++shard.failed; break;
        case RequestOutcome::Missing: ++shard.missing; break;
        case RequestOutcome::Retry: ++shard.retry; break;
        case RequestOutcome::Pending: break;
        }
    }

    /// Records the outcome of every request of an ended shard, from its result files. Idempotent: a crash
    /// before the manifest says "settled" only makes it run again.
    void settle(Shard& shard)
    {
        shard.succeeded = shard.failed = shard.missing = shard.retry = 0;
        shard.usage.clear();
        const ShardRequests requests = loadShardRequests(m_Directory, shard);
        std::vector<bool> decided(requests.jobIndex.size(), false);
        if (statusOf(shard.batch) == "failed")
        {
            const auto [code, message] = batchFailure(shard.batch);
            shard.failureCode = code.empty() ? "batch_failed" : code;
            shard.failureMessage = message;
            for (const uint64_t jobIndex : requests.jobIndex)
            {
                record(jobIndex, shard, RequestOutcome::Failed, ResultKind::BatchFailure, 0, nullptr);
                count(shard, RequestOutcome::Failed);
            }
        }
        else
        {
            readResults(shard, requests, decided);
            for (size_t position = 0; position < decided.size(); ++position)
            {
                if (!decided[position])
                {
                    const RequestOutcome outcome = classify(nullptr, shard.attempt, m_Options.maxAttempts);
                    record(requests.jobIndex[position], shard, outcome, ResultKind::None, 0, nullptr);
                    count(shard, outcome);
                }
            }
        }
        addBatchUsage(shard);
        m_Records->sync(); // before the manifest says so
        shard.state = "settled";
    }

    void readResults(Shard& shard, const ShardRequests& requests, std::vector<bool>& decided)
    {
        const value& batch = shard.batch;
        const std::string batchId = batch.at("id").as_string();
        const bool batchHasUsage = batch.has_object_field("usage") && batch.has_string_field("model");
        for (const auto& [field, suffix, kind] : {std::tuple{"output_file_id", "_output.jsonl", ResultKind::Output},
                                                  std::tuple{"error_file_id", "_error.jsonl", ResultKind::Error}})
        {
            if (!batch.has_string_field(field))
            {
                continue;
            }
            const std::string relative = download(batch.at(field).as_string(), batchId, suffix);
            (kind == ResultKind::Output ? shard.outputFile : shard.errorFile) = relative;
            ResultFileReader reader(m_Directory + "/" + relative, ResultFileReader::OnMalformedLine::Skip);
            BatchResult result;
            while (reader.next(result))
            {
                const auto found = requests.positionOf.find(result.customId);
                if (found == requests.positionOf.end() || decided[found->second])
                {
                    continue; // not this shard's request, or already decided by an earlier line
                }
                decided[found->second] = true;
                const RequestOutcome outcome = classify(&result, shard.attempt, m_Options.maxAttempts);
                record(requests.jobIndex[found->second], shard, outcome, kind, reader.lineOffset(), &result);
                count(shard, outcome);
                if (!batchHasUsage && kind == ResultKind::Output)
                {
                    addLineUsage(shard.usage, result);
                }
            }
        }
    }

    static void addBatchUsage(Shard& shard)
    {
        const value& batch = shard.batch;
        if (!batch.has_object_field("usage") || !batch.has_string_field("model"))
        {
            return;
        }
        const value& usage = batch.at("usage");
        const auto number = [&usage](const char* name) {
            return usage.has_number_field(name) ? usage.at(name).as_number().to_uint64() : 0;
        };
        ModelUsage& model = shard.usage[batch.at("model").as_string()];
        model.inputTokens += number("input_tokens");
        model.outputTokens += number("output_tokens");
        model.totalTokens += number("total_tokens");
    }

    uint64_t settledRequests() const
    {
        const JobSummary summary = summaryOf(m_Manifest, nullptr);
        return summary.succeeded + summary.failed + summary.missing;
    }

    void report()
    {
        if (!m_Options.onProgress)
        {
            return;
        }
        JobProgress progress;
        const JobSummary summary = summaryOf(m_Manifest, nullptr);
        progress.shards = m_Manifest.shards.size();
        for (const auto& shard : m_Manifest.shards)
        {
            progress.shardsSettled += shard.state == "settled" ? 1 : 0;
            progress.shardsInFlight += shard.inFlight() ? 1 : 0;
            progress.retrying += shard.attempt == m_Manifest.round ? shard.retry : 0;
        }
        progress.attempt = m_Manifest.round;
        progress.requests = summary.requests;
        progress.succeeded = summary.succeeded;
        progress.failed = summary.failed;
        progress.missing = summary.missing;
        progress.elapsedSeconds = std::chrono::duration<double>(m_Options.polling.now() - m_Started).count();
        const uint64_t settledNow = summary.succeeded + summary.failed + summary.missing - m_SettledAtStart;
        if (progress.elapsedSeconds > 0 && settledNow > 0)
        {
            progress.requestsPerSecond = static_cast<double>(settledNow) / progress.elapsedSeconds;
            progress.etaSeconds = static_cast<double>(summary.pending) / progress.requestsPerSecond;
        }
        m_Options.onProgress(progress);
    }

    std::shared_ptr<const api::ApiClient> m_Client;
    std::shared_ptr<const api::ApiClient> m_SingleShotClient; ///< for uploads, sent once
    JobOptions m_Options;
    std::string m_Directory;
    Manifest m_Manifest;
    std::unique_ptr<RecordFile> m_Records;
    std::chrono::steady_clock::time_point m_Started;
    uint64_t m_SettledAtStart = 0;
};

} // namespace

std::string JobProgress::line() const
{
    std::ostringstream text;
    text << "attempt " << attempt << " · shards " << shardsSettled << "/" << shards << " settled, " << shardsInFlight
         << " in flight · requests " << succeeded + failed + missing << "/" << requests << " done, " << failed
         << " failed, " << missing << " missing";
    if (retrying > 0)
    {
        text << ", " << retrying << " to retry";
    }
    text << " · " << std::fixed << std::setprecision(1) << requestsPerSecond << "/s";
    if (etaSeconds)
    {
        text << " · ETA " << duration(*etaSeconds);
    }
    return text.str();
}

value JobProgress::toJson() const
{
    value json = value::object(true);
    json["attempt"] = value::number(attempt);
    json["shards"] = value::number(static_cast<uint64_t>(shards));
    json["shards_settled"] = value::number(static_cast<uint64_t>(shardsSettled));
    json["shards_in_flight"] = value::number(static_cast<uint64_t>(shardsInFlight));
    json["requests"] = value::number(requests);
    json["succeeded"] = value::number(succeeded);
    json["failed"] = value::number(failed);
    json["missing"] = value::number(missing);
    json["retrying"] = value::number(retrying);
    json["elapsed_seconds"] = value::number(elapsedSeconds);
    json["requests_per_second"] = value::number(requestsPerSecond);
    json["eta_seconds"] = etaSeconds ? value::number(*etaSeconds) : value::null();
    return json;
}

value ModelUsage::toJson() const
{
    value json = value::object(true);
    json["input_tokens"] = value::number(inputTokens);
    json["output_tokens"] = value::number(outputTokens);
    json["total_tokens"] = value::number(totalTokens);
    if (estimatedCost)
    {
        json["estimated_cost_usd"] = value::number(*estimatedCost);
    }
    return json;
}

value JobSummary::toJson() const
{
    value json = value::object(true);
    json["job_id"] = value::string(jobId);
    json["finished"] = value::boolean(finished);
    json["requests"] = value::number(requests);
    json["succeeded"] = value::number(succeeded);
    json["failed"] = value::number(failed);
    json["missing"] = value::number(missing);
    json["pending"] = value::number(pending);
    json["created_at"] = value::number(createdAt);
    json["finished_at"] = finishedAt ? value::number(finishedAt) : value::null();
    std::vector<value> batchList;
    for (const auto& batch : batches)
    {
        value entry = value::object(true);
        entry["shard"] = value::number(static_cast<uint64_t>(batch.shard));
        entry["attempt"] = value::number(batch.attempt);
        entry["batch_id"] = value::string(batch.batchId);
        entry["status"] = value::string(batch.status);
        batchList.push_back(entry);
    }
    json["batches"] = value::array(std::move(batchList));
    value models = value::object(true);
    for (const auto& [model, tokens] : usage)
    {
        value entry = tokens.toJson();
        entry["estimated_cost_usd"] = tokens.estimatedCost ? value::number(*tokens.estimatedCost) : value::null();
        models[model] = entry;
    }
    json["usage"] = models;
    json["estimated_cost_usd"] = estimatedCost ? value::number(*estimatedCost) : value::null();
    return json;
}

PriceTable PriceTable::load(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    if (!file)
    {
        throw JobError("cannot read the price file '" + path + "'");
    }
    std::stringstream content;
    content << file.rdbuf();
    std::string problem;
    const auto json = api::tryParseJson(content.str(), problem);
    if (!json || !json->is_object())
    {
        throw JobError("the price file '" + path + "' is not a JSON object: " + (json ? "another type" : problem));
    }
    PriceTable table;
    for (const auto& entry : json->as_object())
    {
        const std::string& model = entry.first;
        const value& price = entry.second;
        const auto rate = [&](const char* name) {
            if (!price.is_object() || !price.has_number_field(name) || price.at(name).as_double() < 0)
            {
                std::string problem = "the price file '" + path + "': \"";
                problem += model + "\" needs \"" + name + "\", a non-negative price per million tokens";
                throw JobError(problem);
            }
            return price.at(name).as_double();
        };
        table.perMillionTokens[model] = Price{rate("input"), rate("output")};
    }
    return table;
}

JobRunner::JobRunner(std::shared_ptr<const api::ApiClient> client, JobOptions options)
    : m_Client(client ? std::move(client) : std::make_shared<const api::ApiClient>())
    , m_Options(std::move(options))
{
}

JobSummary JobRunner::run()
{
    return JobRun(m_Client, m_Options).run();
}

JobSummary readJobSummary(const std::string& jobDirectory, const PriceTable* prices)
{
    return summaryOf(loadManifest(jobDirectory), prices);
}

} // namespace openai_batch::workflow
