#include "workflow/JobStore.h"

#include "workflow/BatchRunner.h"
#include "workflow/DurableFile.h"
#include "workflow/LineReader.h"
#include "workflow/RequestEstimate.h"
#include "workflow/Sha256.h"

#include "api/ApiException.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <unordered_set>

namespace fs = std::filesystem;

namespace openai_batch::workflow {

const char* outcomeName(RequestOutcome outcome)
{
    switch (outcome)
    {
    case RequestOutcome::Pending: return "pending";
    case RequestOutcome::Retry: return "retry";
    case RequestOutcome::Succeeded: return "succeeded";
    case RequestOutcome::Failed: return "failed";
    case RequestOutcome::Missing: return "missing";
    }
    return "unknown";
}

namespace jobstore {

namespace {

using web::json::value;

constexpr const char* FORMAT = "openai-batch job 1";

StorageError systemError(const std::string& what, const std::string& path)
{
    return StorageError(what + " " + path + ": " + std::strerror(errno));
}

std::string text(const value& object, const char* name)
{
    return object.has_string_field(name) ? object.at(name).as_string() : std::string();
}

int64_t integer(const value& object, const char* name)
{
    return object.has_number_field(name) ? object.at(name).as_number().to_int64() : 0;
}

value stringArray(const std::vector<std::string>& items)
{
    std::vector<value> values;
    values.reserve(items.size());
    for (const auto& item : items)
    {
        values.push_back(value::string(item));
    }
    return value::array(std::move(values));
}

std::vector<std::string> strings(const value& object, const char* name)
{
    std::vector<std::string> items;
    if (object.has_array_field(name))
    {
        for (const auto& item : object.at(name).as_array())
        {
            items.push_back(item.as_string());
        }
    }
    return items;
}

value usageJson(const std::map<std::string, ModelUsage>& usage)
{
    value json = value::object(true);
    for (const auto& [model, tokens] : usage)
    {
        json[model] = tokens.toJson(); // no cost: prices are not part of the job
    }
    return json;
}

std::map<std::string, ModelUsage> usageFrom(const value& json)
{
    std::map<std::string, ModelUsage> usage;
    if (json.is_object())
    {
        for (const auto& [model, entry] : json.as_object())
        {
            usage[model] = ModelUsage{static_cast<uint64_t>(integer(entry, "input_tokens")),
                                      static_cast<uint64_t>(integer(entry, "output_tokens")),
                                      static_cast<uint64_t>(integer(entry, "total_tokens")), std::nullopt};
        }
    }
    return usage;
}

value shardJson(const Shard& shard)
{
    value json = value::object(true);
    json["index"] = value::number(static_cast<uint64_t>(shard.index));
    json["attempt"] = value::number(shard.attempt);
    json["file"] = value::string(shard.fileName());
    json["requests"] = value::number(shard.requests);
    json["bytes"] = value::number(shard.bytes);
    value tokens = value::object(true);
    for (const auto& [model, count] : shard.tokens)
    {
        tokens[model] = value::number(count);
    }
    json["estimated_tokens"] = tokens;
    json["state"] = value::string(shard.state);
    json["submission"] = value::number(shard.submission);
    json["token_limited"] = value::number(shard.tokenLimited);
    json["not_before_ms"] = value::number(shard.notBeforeMs);
    json["upload_id"] = value::string(shard.uploadId);
    json["batch_id"] = value::string(shard.batchId);
    json["batch_ids"] = stringArray(shard.batchIds);
    json["batch_statuses"] = stringArray(shard.batchStatus);
    json["batch"] = shard.batch;
    json["output_file"] = value::string(shard.outputFile);
    json["error_file"] = value::string(shard.errorFile);
    json["failure_code"] = value::string(shard.failureCode);
    json["failure_message"] = value::string(shard.failureMessage);
    json["succeeded"] = value::number(shard.succeeded);
    json["failed"] = value::number(shard.failed);
    json["missing"] = value::number(shard.missing);
    json["retry"] = value::number(shard.retry);
    json["usage"] = usageJson(shard.usage);
    return json;
}

Shard shardFrom(const value& json)
{
    Shard shard;
    shard.index = static_cast<size_t>(integer(json, "index"));
    shard.attempt = static_cast<int>(integer(json, "attempt"));
    shard.requests = static_cast<uint64_t>(integer(json, "requests"));
    shard.bytes = static_cast<uint64_t>(integer(json, "bytes"));
    if (json.has_object_field("estimated_tokens"))
    {
        for (const auto& [model, count] : json.at("estimated_tokens").as_object())
        {
            shard.tokens[model] = count.as_number().to_uint64();
        }
    }
    shard.state = text(json, "state");
    shard.submission = static_cast<int>(integer(json, "submission"));
    shard.tokenLimited = static_cast<int>(integer(json, "token_limited"));
    shard.notBeforeMs = integer(json, "not_before_ms");
    shard.uploadId = text(json, "upload_id");
    shard.batchId = text(json, "batch_id");
    shard.batchIds = strings(json, "batch_ids");
    shard.batchStatus = strings(json, "batch_statuses");
    shard.batch = json.has_field("batch") ? json.at("batch") : value::null();
    shard.outputFile = text(json, "output_file");
    shard.errorFile = text(json, "error_file");
    shard.failureCode = text(json, "failure_code");
    shard.failureMessage = text(json, "failure_message");
    shard.succeeded = static_cast<uint64_t>(integer(json, "succeeded"));
    shard.failed = static_cast<uint64_t>(integer(json, "failed"));
    shard.missing = static_cast<uint64_t>(integer(json, "missing"));
    shard.retry = static_cast<uint64_t>(integer(json, "retry"));
    shard.usage = usageFrom(json.has_field("usage") ? json.at("usage") : value::null());
    return shard;
}

/// Writes the shards of one attempt: each line goes to the open shard while it stays within the limits,
/// else to a new one.
class ShardWriter
{
public:
    ShardWriter(std::string directory, Manifest& manifest, int attempt)
        : m_Directory(std::move(directory))
        , m_Manifest(manifest)
        , m_Limits(manifest.limits)
        , m_Attempt(attempt)
        , m_Embeddings(manifest.endpoint == "/v1/embeddings")
    {
    }

    /// The problem that keeps this request out of every shard, if any.
    std::optional<std::string> tooLarge(uint64_t lineBytes, const RequestEstimate& estimate) const
    {
        if (lineBytes > m_Limits.shard.maxBytes)
        {
            return "the request is " + std::to_string(lineBytes) + " bytes, more than a batch file may hold ("
                + std::to_string(m_Limits.shard.maxBytes) + ")";
        }
        if (m_Embeddings && estimate.embeddingInputs > m_Limits.embeddingInputs)
        {
            return "the request has " + std::to_string(estimate.embeddingInputs) + " embedding inputs, more than a "
                + "batch may hold (" + std::to_string(m_Limits.embeddingInputs) + ")";
        }
        if (m_Limits.enqueuedTokens && estimate.tokens() > *m_Limits.enqueuedTokens)
        {
            return "the request is estimated at " + std::to_string(estimate.tokens())
                + " tokens, more than the enqueued-token budget (" + std::to_string(*m_Limits.enqueuedTokens) + ")";
        }
        return std::nullopt;
    }

    /// Writes line to a shard; returns the shard's index and where the line starts in its file.
    std::pair<uint32_t, uint64_t> add(std::string_view line, uint64_t jobIndex, const RequestEstimate& estimate)
    {
        if (!m_Open || !fits(line.size() + 1, estimate))
        {
            close();
            open();
        }
        Shard& shard = m_Manifest.shards.back();
        const uint64_t offset = shard.bytes;
        m_Lines.write(line.data(), static_cast<std::streamsize>(line.size()));
        m_Lines.put('\n');
        m_Index.write(reinterpret_cast<const char*>(&jobIndex), sizeof jobIndex);
        shard.bytes += line.size() + 1;
        ++shard.requests;
        shard.tokens[estimate.model] += estimate.tokens();
        m_Inputs += estimate.embeddingInputs;
        return {static_cast<uint32_t>(shard.index), offset};
    }

    /// Closes the last shard and makes every shard file durable.
    void finish()
    {
        close();
        syncPath(m_Directory + "/shards");
    }

private:
    bool fits(uint64_t lineBytes, const RequestEstimate& estimate) const
    {
        const Shard& shard = m_Manifest.shards.back();
        if (shard.requests + 1 > m_Limits.shard.maxRequests || shard.bytes + lineBytes > m_Limits.shard.maxBytes)
        {
            return false;
        }
        if (m_Embeddings && m_Inputs + estimate.embeddingInputs > m_Limits.embeddingInputs)
        {
            return false;
        }
        const auto tokens = shard.tokens.find(estimate.model);
        return !m_Limits.enqueuedTokens
            || (tokens == shard.tokens.end() ? 0 : tokens->second) + estimate.tokens() <= *m_Limits.enqueuedTokens;
    }

    void open()
    {
        Shard shard;
        shard.index = m_Manifest.shards.size();
        shard.attempt = m_Attempt;
        m_Lines.open(m_Directory + "/" + shard.fileName(), std::ios::binary | std::ios::trunc);
        m_Index.open(m_Directory + "/" + shard.indexName(), std::ios::binary | std::ios::trunc);
        if (!m_Lines || !m_Index)
        {
            throw systemError("cannot create", m_Directory + "/" + shard.fileName());
        }
        m_Manifest.shards.push_back(std::move(shard));
        m_Open = true;
        m_Inputs = 0;
    }

    void close()
    {
        if (!m_Open)
        {
            return;
        }
        m_Open = false;
        const Shard& shard = m_Manifest.shards.back();
        for (const auto& [stream, name] :
             {std::pair{&m_Lines, shard.fileName()}, std::pair{&m_Index, shard.indexName()}})
        {
            stream->flush();
            const bool written = static_cast<bool>(*stream);
            stream->close();
            if (!written)
            {
                throw systemError("cannot write", m_Directory + "/" + name);
            }
            syncPath(m_Directory + "/" + name);
        }
    }

    std::string m_Directory;
    Manifest& m_Manifest;
    PlanLimits m_Limits;
    int m_Attempt;
    bool m_Embeddings;
    bool m_Open = false;
    uint64_t m_Inputs = 0;
    std::ofstream m_Lines;
    std::ofstream m_Index;
};

/// Problems of the request files, listed up to a limit and counted beyond it.
class Problems
{
public:
    void add(const std::string& where, const std::string& problem)
    {
        if (m_Listed.size() < LISTED)
        {
            m_Listed.push_back(where + ": " + problem);
        }
        ++m_Count;
    }
    bool empty() const { return m_Count == 0; }
    std::string describe() const
    {
        std::string message = "the job's requests would be rejected, nothing was uploaded: ";
        for (size_t i = 0; i < m_Listed.size(); ++i)
        {
            message += (i ? "; " : "") + m_Listed[i];
        }
        if (m_Count > m_Listed.size())
        {
            message += "; and " + std::to_string(m_Count - m_Listed.size()) + " more";
        }
        return message;
    }

private:
    static constexpr size_t LISTED = 20;
    std::vector<std::string> m_Listed;
    uint64_t m_Count = 0;
};

std::string location(const Manifest& manifest, const RequestRecord& record)
{
    return manifest.files[record.file].path + " line " + std::to_string(record.lineNumber);
}

/// Finds the custom_ids used twice. hashes holds one 64-bit hash per request: 8 bytes a request, never
/// the ids. Only when two hashes are equal (a duplicate, or a collision once in billions) are the shards
/// read again, in job order, keeping the ids whose hash repeats, to name both places.
void reportDuplicates(const std::string& directory, const Manifest& manifest, const RecordFile& records,
                      std::vector<uint64_t> hashes, Problems& problems)
{
    std::sort(hashes.begin(), hashes.end());
    std::unordered_set<uint64_t> repeated;
    for (size_t i = 1; i < hashes.size(); ++i)
    {
        if (hashes[i] == hashes[i - 1])
        {
            repeated.insert(hashes[i]);
        }
    }
    hashes = {};
    if (repeated.empty())
    {
        return;
    }
    std::unordered_map<std::string, RequestRecord> firstUse;
    uint64_t jobIndex = 0;
    for (const Shard& shard : manifest.shards) // first-attempt shards hold the requests in job order
    {
        LineReader lines(directory + "/" + shard.fileName());
        std::string_view line;
        for (; lines.next(line); ++jobIndex)
        {
            std::string id = readRequestLine(line, LineReader::readable(line)).customId;
            if (repeated.count(std::hash<std::string>()(id)) == 0)
            {
                continue;
            }
            const RequestRecord record = records.read(jobIndex);
            const auto [earlier, first] = firstUse.emplace(id, record);
            if (!first)
            {
                problems.add(location(manifest, record),
                             "custom_id '" + id + "' is already used on " + location(manifest, earlier->second));
            }
        }
    }
}

int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

RecordFile::RecordFile(const std::string& path, bool create)
    : m_Path(path)
    , m_Descriptor(::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0644))
{
    if (m_Descriptor < 0)
    {
        throw systemError("cannot open", path);
    }
}

RecordFile::~RecordFile()
{
    ::close(m_Descriptor);
}

RequestRecord RecordFile::read(uint64_t index) const
{
    RequestRecord record;
    const auto offset = static_cast<off_t>(index * sizeof record);
    ssize_t read = -1;
    do
    {
        read = ::pread(m_Descriptor, &record, sizeof record, offset);
    } while (read < 0 && errno == EINTR);
    if (read != static_cast<ssize_t>(sizeof record))
    {
        throw StorageError("cannot read request " + std::to_string(index) + " from " + m_Path + ": "
                           + (read < 0 ? std::strerror(errno) : "the file is short"));
    }
    return record;
}

void RecordFile::write(uint64_t index, const RequestRecord& record)
{
    const auto offset = static_cast<off_t>(index * sizeof record);
    ssize_t written = -1;
    do
    {
        written = ::pwrite(m_Descriptor, &record, sizeof record, offset);
    } while (written < 0 && errno == EINTR);
    if (written < 0)
    {
        throw systemError("cannot write", m_Path);
    }
    if (written != static_cast<ssize_t>(sizeof record))
    {
        // A write cut short (a full disk, a file-size limit) sets no errno: try the rest to learn why.
        const ssize_t rest = ::pwrite(m_Descriptor, reinterpret_cast<const char*>(&record) + written,
                                      sizeof record - static_cast<size_t>(written), offset + written);
        if (rest != static_cast<ssize_t>(sizeof record) - written)
        {
            throw rest < 0 ? systemError("cannot write", m_Path) : StorageError("cannot write " + m_Path);
        }
    }
}

uint64_t RecordFile::count() const
{
    const off_t end = ::lseek(m_Descriptor, 0, SEEK_END);
    return end < 0 ? 0 : static_cast<uint64_t>(end) / sizeof(RequestRecord);
}

void RecordFile::sync()
{
    savePoint();
    if (::fsync(m_Descriptor) != 0)
    {
        throw systemError("cannot sync", m_Path);
    }
}

std::string Shard::fileName() const
{
    std::ostringstream name;
    name << "shards/" << std::setw(5) << std::setfill('0') << index << ".jsonl";
    return name.str();
}

std::string Shard::indexName() const
{
    const std::string lines = fileName();
    return lines.substr(0, lines.size() - 6) + ".index";
}

std::string Shard::tag(const std::string& planId) const
{
    return planId.substr(0, 16) + "-" + std::to_string(index) + "-" + std::to_string(submission);
}

value Manifest::toJson() const
{
    value json = value::object(true);
    json["format"] = value::string(FORMAT);
    json["job_id"] = value::string(jobId);
    json["plan_id"] = value::string(planId);
    value limitsJson = value::object(true);
    limitsJson["shard_requests"] = value::number(static_cast<uint64_t>(limits.shard.maxRequests));
    limitsJson["shard_bytes"] = value::number(limits.shard.maxBytes);
    limitsJson["embedding_inputs"] = value::number(limits.embeddingInputs);
    limitsJson["enqueued_tokens"] = limits.enqueuedTokens ? value::number(*limits.enqueuedTokens) : value::null();
    json["limits"] = limitsJson;
    json["endpoint"] = value::string(endpoint);
    json["completion_window"] = value::string(completionWindow);
    value pairs = value::object(true);
    for (const auto& [key, item] : metadata)
    {
        pairs[key] = value::string(item);
    }
    json["metadata"] = pairs;
    json["created_at"] = value::number(createdAt);
    json["finished_at"] = value::number(finishedAt);
    std::vector<value> fileList;
    for (const auto& file : files)
    {
        value entry = value::object(true);
        entry["path"] = value::string(file.path);
        entry["sha256"] = value::string(file.sha256);
        entry["requests"] = value::number(file.requests);
        fileList.push_back(entry);
    }
    json["files"] = value::array(std::move(fileList));
    json["requests"] = value::number(requests);
    json["round"] = value::number(round);
    std::vector<value> shardList;
    shardList.reserve(shards.size());
    for (const auto& shard : shards)
    {
        shardList.push_back(shardJson(shard));
    }
    json["shards"] = value::array(std::move(shardList));
    return json;
}

Manifest Manifest::fromJson(const value& json, const std::string& path)
{
    if (!json.is_object() || text(json, "format") != FORMAT)
    {
        throw JobError(path + " is not a job manifest of this version (\"format\": \"" + FORMAT + "\")");
    }
    try
    {
        Manifest manifest;
        manifest.jobId = text(json, "job_id");
        manifest.planId = text(json, "plan_id");
        const value& limitsJson = json.at("limits");
        manifest.limits.shard.maxRequests = static_cast<size_t>(integer(limitsJson, "shard_requests"));
        manifest.limits.shard.maxBytes = static_cast<uint64_t>(integer(limitsJson, "shard_bytes"));
        manifest.limits.embeddingInputs = static_cast<uint64_t>(integer(limitsJson, "embedding_inputs"));
        if (limitsJson.has_number_field("enqueued_tokens"))
        {
            manifest.limits.enqueuedTokens = static_cast<uint64_t>(integer(limitsJson, "enqueued_tokens"));
        }
        manifest.endpoint = text(json, "endpoint");
        manifest.completionWindow = text(json, "completion_window");
        for (const auto& [key, item] : json.at("metadata").as_object())
        {
            manifest.metadata[key] = item.as_string();
        }
        manifest.createdAt = integer(json, "created_at");
        manifest.finishedAt = integer(json, "finished_at");
        for (const auto& entry : json.at("files").as_array())
        {
            manifest.files.push_back(RequestFileEntry{text(entry, "path"), text(entry, "sha256"),
                                                      static_cast<uint64_t>(integer(entry, "requests"))});
        }
        manifest.requests = static_cast<uint64_t>(integer(json, "requests"));
        manifest.round = static_cast<int>(integer(json, "round"));
        for (const auto& entry : json.at("shards").as_array())
        {
            manifest.shards.push_back(shardFrom(entry));
        }
        return manifest;
    }
    catch (const web::json::json_exception& error)
    {
        throw JobError(path + " is not a readable job manifest: " + error.what());
    }
}

std::string manifestPath(const std::string& directory)
{
    return directory + "/manifest.json";
}

std::string recordsPath(const std::string& directory)
{
    return directory + "/requests.bin";
}

Manifest loadManifest(const std::string& directory)
{
    const std::string path = manifestPath(directory);
    std::ifstream file(path, std::ios::binary);
    if (!file)
    {
        throw JobError("no job in " + directory + ": cannot read " + path + ": " + std::strerror(errno));
    }
    std::stringstream content;
    content << file.rdbuf();
    std::string problem;
    const auto json = api::tryParseJson(content.str(), problem);
    if (!json)
    {
        throw JobError(path + " is not a readable job manifest: " + problem);
    }
    return Manifest::fromJson(*json, path);
}

void saveManifest(const std::string& directory, const Manifest& manifest)
{
    writeAtomically(manifestPath(directory), manifest.toJson().serialize());
}

ShardRequests loadShardRequests(const std::string& directory, const Shard& shard)
{
    ShardRequests requests;
    requests.jobIndex.resize(shard.requests);
    std::ifstream index(directory + "/" + shard.indexName(), std::ios::binary);
    index.read(reinterpret_cast<char*>(requests.jobIndex.data()),
               static_cast<std::streamsize>(requests.jobIndex.size() * sizeof(uint64_t)));
    if (static_cast<uint64_t>(index.gcount()) != shard.requests * sizeof(uint64_t))
    {
        throw StorageError("the index " + directory + "/" + shard.indexName() + " is shorter than its "
                           + std::to_string(shard.requests) + " requests");
    }
    requests.positionOf.reserve(shard.requests);
    LineReader lines(directory + "/" + shard.fileName());
    std::string_view line;
    while (lines.next(line))
    {
        requests.positionOf.emplace(readRequestLine(line, LineReader::readable(line)).customId,
                                    static_cast<uint32_t>(lines.lineNumber() - 1));
    }
    return requests;
}

std::string fileSha256(const std::string& path)
{
    try
    {
        Sha256 digest;
        digest.updateFile(path);
        return digest.hex();
    }
    catch (const std::runtime_error& error)
    {
        throw JobError(std::string("request file: ") + error.what());
    }
}

std::string jobIdOf(const JobOptions& options, const std::vector<std::string>& fileHashes)
{
    Sha256 digest;
    digest.updateField(FORMAT);
    digest.updateField(options.endpoint);
    digest.updateField(options.completionWindow);
    for (const auto& [key, item] : options.metadata)
    {
        digest.updateField(utility::conversions::to_utf8string(key));
        digest.updateField(utility::conversions::to_utf8string(item));
    }
    for (const auto& hash : fileHashes)
    {
        digest.updateField(hash);
    }
    return digest.hex();
}

std::string readRequestLineOf(const std::string& directory, const RequestRecord& record)
{
    Shard shard;
    shard.index = record.firstShard;
    std::ifstream file(directory + "/" + shard.fileName(), std::ios::binary);
    std::string line(record.lineBytes, '\0');
    file.seekg(static_cast<std::streamoff>(record.lineOffset));
    file.read(line.data(), static_cast<std::streamsize>(line.size()));
    if (static_cast<size_t>(file.gcount()) != line.size())
    {
        throw StorageError("cannot read a request line from " + directory + "/" + shard.fileName());
    }
    return line;
}

Manifest planJob(const JobOptions& options)
{
    const std::string& directory = options.jobDirectory;
    fs::create_directories(directory + "/shards");
    Manifest manifest;
    manifest.endpoint = options.endpoint;
    manifest.completionWindow = options.completionWindow;
    for (const auto& [key, item] : options.metadata)
    {
        manifest.metadata[utility::conversions::to_utf8string(key)] = utility::conversions::to_utf8string(item);
    }
    manifest.createdAt = unixNow();
    manifest.planId = utility::conversions::to_utf8string(BatchRunner::newTag());
    manifest.limits = PlanLimits{options.shardLimits, options.maxEmbeddingInputs, options.maxEnqueuedTokens};
    std::vector<std::string> hashes;
    for (const auto& path : options.requestFiles)
    {
        hashes.push_back(fileSha256(path));
        manifest.files.push_back(RequestFileEntry{fs::absolute(path).lexically_normal().string(), hashes.back(), 0});
    }
    manifest.jobId = jobIdOf(options, hashes);

    RecordFile records(recordsPath(directory), true);
    ShardWriter shards(directory, manifest, 1);
    Problems problems;
    std::vector<uint64_t> idHashes;
    uint64_t jobIndex = 0;
    for (uint32_t file = 0; file < options.requestFiles.size(); ++file)
    {
        LineReader lines(options.requestFiles[file]);
        std::string_view line;
        while (lines.next(line))
        {
            const std::string where = options.requestFiles[file] + " line " + std::to_string(lines.lineNumber());
            try
            {
                if (isBlank(line))
                {
                    throw std::invalid_argument("blank line");
                }
                const RequestFields fields = readRequestLine(line, LineReader::readable(line));
                auto problem =
                    RequestChecker::checkFields(fields.customId, fields.method, fields.url, options.endpoint);
                const RequestEstimate estimate = estimateRequestLine(line, LineReader::readable(line));
                problem = problem ? problem : shards.tooLarge(line.size() + 1, estimate);
                if (problem)
                {
                    throw std::invalid_argument(*problem);
                }
                const auto [shard, offset] = shards.add(line, jobIndex, estimate);
                RequestRecord record;
                record.lineOffset = offset;
                record.lineBytes = static_cast<uint32_t>(line.size());
                record.firstShard = shard;
                record.file = file;
                record.lineNumber = static_cast<uint32_t>(lines.lineNumber());
                records.write(jobIndex, record);
                idHashes.push_back(std::hash<std::string>()(fields.customId));
                ++manifest.files[file].requests;
                ++jobIndex;
            }
            catch (const std::invalid_argument& refused)
            {
                problems.add(where, refused.what());
            }
            catch (const JsonSyntaxError& malformed)
            {
                problems.add(where, malformed.what());
            }
        }
    }
    shards.finish();
    reportDuplicates(directory, manifest, records, std::move(idHashes), problems);
    if (jobIndex == 0 && problems.empty())
    {
        problems.add("the request files", "no requests");
    }
    if (!problems.empty())
    {
        fs::remove_all(directory + "/shards");
        fs::remove(recordsPath(directory));
        throw JobError(problems.describe());
    }
    records.sync();
    manifest.requests = jobIndex;
    return manifest;
}

void planRetries(const std::string& directory, Manifest& manifest)
{
    RecordFile records(recordsPath(directory), false);
    ShardWriter shards(directory, manifest, manifest.round + 1);
    for (uint64_t index = 0; index < manifest.requests; ++index)
    {
        const RequestRecord record = records.read(index);
        if (record.outcome != static_cast<uint8_t>(RequestOutcome::Retry))
        {
            continue;
        }
        const std::string line = readRequestLineOf(directory, record);
        shards.add(line, index, estimateRequestLine(line));
    }
    shards.finish();
    ++manifest.round;
}

std::pair<std::string, std::string> batchFailure(const value& batch)
{
    if (batch.is_object() && batch.has_object_field("errors") && batch.at("errors").has_array_field("data")
        && batch.at("errors").at("data").size() > 0)
    {
        const value& first = batch.at("errors").at("data").at(0);
        return {text(first, "code"), text(first, "message")};
    }
    return {};
}

} // namespace jobstore

} // namespace openai_batch::workflow
