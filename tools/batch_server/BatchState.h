// BatchState: the local server's files and batches, kept in a directory so that a restart loses nothing.
//
// Layout under the state directory:
//   files/<id>.json      the OpenAIFile object          files/<id>.data   its content
//   batches/<id>.json    the Batch object                batches/<id>.run  how far processing got
// Every write goes to a temporary file first and is renamed into place, so a crash leaves either the
// old or the new version, never half of one.
#pragma once

#include <cpprest/json.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace openai_batch::server {

/// Processing progress of a batch that the API does not show.
struct RunProgress
{
    int64_t stageStartedMs = 0; ///< when the current status began (Unix milliseconds)
    uint64_t inputOffset = 0;   ///< bytes of the input file handled so far
    uint64_t outputBytes = 0;   ///< valid bytes of the partial output file (more is a torn write)
    uint64_t errorBytes = 0;    ///< valid bytes of the partial error file
    /// Seconds from their creation until the output and error files expire (the batch's
    /// output_expires_after); 0 for the default of 30 days.
    int64_t outputExpiresAfter = 0;
    std::string outputPath; ///< partial output lines
    std::string errorPath;  ///< partial error lines
};

class BatchState
{
public:
    explicit BatchState(std::string directory);

    const std::string& directory() const { return m_Directory; }

    /// A new id with the given prefix ("file-", "batch_"), unique across restarts.
    std::string newId(const std::string& prefix);

    std::string filePath(const std::string& id) const;
    void putFile(const web::json::value& file);
    std::optional<web::json::value> file(const std::string& id) const;
    std::vector<web::json::value> files() const; ///< oldest first
    bool deleteFile(const std::string& id);

    void putBatch(const web::json::value& batch);
    std::optional<web::json::value> batch(const std::string& id) const;
    std::vector<web::json::value> batches() const; ///< oldest first

    RunProgress progress(const std::string& batchId) const;
    void putProgress(const std::string& batchId, const RunProgress& progress);

    /// Writes text to path through a temporary file and a rename: a crash leaves the old file or the
    /// new one, never half of one. Throws std::runtime_error when the write fails.
    static void writeAtomically(const std::string& path, const std::string& text);

private:
    void load();

    std::string m_Directory;
    mutable std::mutex m_Mutex;
    std::map<std::string, web::json::value> m_Files;
    std::map<std::string, web::json::value> m_Batches;
    uint64_t m_Counter = 0;
};

} // namespace openai_batch::server
