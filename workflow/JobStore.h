// JobStore: what a job keeps in its directory, for Job.cpp and JobResults.cpp (not a public interface).
//
//   DIR/LOCK                    held (flock) by the run using the directory
//   DIR/manifest.json           the plan and where every shard stands; replaced atomically on each change
//   DIR/requests.bin            one fixed-size RequestRecord per request, in job order
//   DIR/shards/NNNNN.jsonl      a shard's request lines, as uploaded
//   DIR/shards/NNNNN.index      the job index of each of its lines (uint64, native byte order)
//   DIR/results/<batch>_output.jsonl, <batch>_error.jsonl   downloaded result files
//
// Memory holds the manifest (one to two KB per shard: it keeps each batch as last seen) and at most one
// shard's custom_ids at a time;
// the records stay on disk and are read and written in place.
#pragma once

#include "workflow/Job.h"

#include <cpprest/json.h>

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace openai_batch::workflow::jobstore {

/// Where a request's result line is.
enum class ResultKind : uint8_t
{
    None = 0,
    Output = 1,       ///< in resultShard's output file, at resultOffset
    Error = 2,        ///< in resultShard's error file, at resultOffset
    BatchFailure = 3, ///< resultShard's batch failed as a whole: its manifest entry holds the error
};

struct RequestRecord
{
    uint64_t lineOffset = 0;   ///< where the request line starts in firstShard's file
    uint64_t resultOffset = 0; ///< where the deciding result line starts
    uint32_t lineBytes = 0;    ///< the request line's length, newline excluded
    uint32_t firstShard = 0;   ///< the first-attempt shard that holds the request line
    uint32_t file = 0;         ///< the request file, as an index of the manifest's files
    uint32_t lineNumber = 0;   ///< in that file
    uint32_t resultShard = 0;  ///< the shard whose result decided the outcome
    uint16_t statusCode = 0;   ///< of the deciding result; 0 when it had no response
    uint8_t outcome = 0;       ///< RequestOutcome
    uint8_t attempt = 0;       ///< the attempt that decided it; 0 before the first
    uint8_t resultKind = 0;    ///< ResultKind
    uint8_t reserved[7] = {};
};
static_assert(sizeof(RequestRecord) == 48, "requests.bin has 48-byte records");

/// The requests' records, read and written in place by index.
class RecordFile
{
public:
    /// Opens path (create: also creates it, empty); throws StorageError.
    RecordFile(const std::string& path, bool create);
    ~RecordFile();
    RecordFile(const RecordFile&) = delete;
    RecordFile& operator=(const RecordFile&) = delete;

    RequestRecord read(uint64_t index) const;
    void write(uint64_t index, const RequestRecord& record);
    uint64_t count() const;
    void sync();

private:
    std::string m_Path;
    int m_Descriptor = -1;
};

struct RequestFileEntry
{
    std::string path;
    std::string sha256;
    uint64_t requests = 0;
};

struct Shard
{
    size_t index = 0;
    int attempt = 1;
    uint64_t requests = 0;
    uint64_t bytes = 0;
    std::map<std::string, uint64_t> tokens; ///< estimated, per model
    /// pending -> uploading -> (pending with uploadId) -> creating -> running -> ended -> settled
    std::string state = "pending";
    int submission = 0;      ///< bumped each time a token-limited batch sends it back to pending
    int tokenLimited = 0;    ///< token_limit_exceeded refusals in a row (the wait doubles with each)
    int64_t notBeforeMs = 0; ///< Unix ms: not submitted again before (after token_limit_exceeded)
    std::string uploadId;
    std::string batchId;                  ///< the current batch
    std::vector<std::string> batchIds;    ///< every batch it had, in order
    std::vector<std::string> batchStatus; ///< the same batches' last known status
    web::json::value batch;               ///< the current batch as last seen (null before it exists)
    std::string outputFile;               ///< relative to the job directory; empty when none
    std::string errorFile;
    std::string failureCode; ///< when its batch failed as a whole
    std::string failureMessage;
    uint64_t succeeded = 0, failed = 0, missing = 0, retry = 0; ///< when settled
    std::map<std::string, ModelUsage> usage;                    ///< when settled

    std::string fileName() const;  ///< "shards/00012.jsonl"
    std::string indexName() const; ///< "shards/00012.index"
    std::string tag(const std::string& planId) const;
    bool inFlight() const { return state == "creating" || state == "running"; }
};

/// The limits a job was planned with; retry shards are cut by the same ones.
struct PlanLimits
{
    RequestFileLimits shard;
    uint64_t embeddingInputs = 50000;
    std::optional<uint64_t> enqueuedTokens;
};

struct Manifest
{
    std::string jobId;
    std::string planId; ///< random, per job directory: tags and upload names carry it
    PlanLimits limits;
    std::string endpoint;
    std::string completionWindow;
    std::map<std::string, std::string> metadata;
    int64_t createdAt = 0;
    int64_t finishedAt = 0;
    std::vector<RequestFileEntry> files;
    uint64_t requests = 0;
    int round = 1;
    std::vector<Shard> shards;

    web::json::value toJson() const;
    /// Throws JobError naming path when the JSON is not a manifest.
    static Manifest fromJson(const web::json::value& json, const std::string& path);
};

std::string manifestPath(const std::string& directory);
std::string recordsPath(const std::string& directory);
/// Reads DIR/manifest.json; throws JobError when it is absent or unreadable.
Manifest loadManifest(const std::string& directory);
void saveManifest(const std::string& directory, const Manifest& manifest);

/// A shard's request lines, as the job knows them: each custom_id's position and each position's index.
struct ShardRequests
{
    std::unordered_map<std::string, uint32_t> positionOf;
    std::vector<uint64_t> jobIndex;
};
ShardRequests loadShardRequests(const std::string& directory, const Shard& shard);

/// The SHA-256 of a file's bytes, hex; throws JobError naming the file when it cannot be read.
std::string fileSha256(const std::string& path);
/// The job's id: the SHA-256 (hex) of its options and its files' hashes.
std::string jobIdOf(const JobOptions& options, const std::vector<std::string>& fileHashes);

/// Splits the request files into first-attempt shards, writing shards/, the index files and
/// requests.bin. Throws JobError listing every request the API would refuse and every duplicate
/// custom_id (both files and lines) before anything is uploaded.
Manifest planJob(const JobOptions& options);
/// Appends the shards of the next attempt, made of every request whose outcome is Retry, cut by the
/// manifest's limits.
void planRetries(const std::string& directory, Manifest& manifest);

/// A batch error's code and message (the first of errors.data), or empty strings.
std::pair<std::string, std::string> batchFailure(const web::json::value& batch);

/// The request line at record's place, read from its shard file.
std::string readRequestLineOf(const std::string& directory, const RequestRecord& record);

} // namespace openai_batch::workflow::jobstore
