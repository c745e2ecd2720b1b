// BatchState: the local server's files and batches, kept in a directory so that a restart loses nothing.
//
// Layout under the state directory:
//   files/<id>.json      the OpenAIFile object          files/<id>.data     its content
//   batches/<id>.json    the batch's record: the Batch object and how far processing got, together
//   batches/<id>.output  output lines so far             batches/<id>.errors error lines so far
// A record is one file, written to a temporary file, synced, renamed into place and its directory
// synced: a crash, even of the machine, leaves the old record or the new one, never half of one, and
// never a Batch object that disagrees with its progress. Output and error lines are synced before the
// record that counts them, and cut back to the record's length when processing resumes, so a crash
// neither loses a line nor writes one twice.
#pragma once

#include "workflow/DurableFile.h"

#include <cpprest/json.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
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
    /// The batch's estimated tokens per model, while it counts against an enqueued-token limit.
    std::map<std::string, uint64_t> enqueuedTokens;
    std::string outputPath; ///< partial output lines
    std::string errorPath;  ///< partial error lines
};

/// A failure of the disk or the system (a full disk, no descriptors left), not of the data: the work
/// that met it can be tried again later.
using workflow::StorageError;

/// One page of a list, newest or oldest first.
struct Page
{
    std::vector<web::json::value> data;
    bool hasMore = false;
};

class BatchState
{
public:
    /// Locks and loads the directory; a file that cannot be read is named in the std::runtime_error
    /// thrown, and so is a directory another server holds.
    explicit BatchState(std::string directory);
    ~BatchState();
    BatchState(const BatchState&) = delete;
    BatchState& operator=(const BatchState&) = delete;

    const std::string& directory() const { return m_Directory; }

    /// A new id with the given prefix ("file-", "batch_"), unique across restarts.
    std::string newId(const std::string& prefix);

    std::string filePath(const std::string& id) const;
    void putFile(const web::json::value& file);
    std::optional<web::json::value> file(const std::string& id) const;
    bool deleteFile(const std::string& id);

    /// Up to limit files after the file `after` (empty: from the start), those with `purpose` only
    /// when it is not empty.
    Page filePage(const std::string& after, size_t limit, bool newestFirst, const std::string& purpose) const;

    /// Saves a batch and its progress as one record (see above). Throws std::runtime_error.
    void putBatch(const web::json::value& batch, const RunProgress& progress);
    std::optional<web::json::value> batch(const std::string& id) const;
    /// Newest first, up to limit batches after the batch `after` (empty: from the newest).
    Page batchPage(const std::string& after, size_t limit) const;
    /// The ids of the batches that have not ended, oldest first.
    std::vector<std::string> unfinishedBatches() const;
    RunProgress progress(const std::string& batchId) const;

private:
    /// Objects by id, with an index in creation order for paging.
    struct Collection
    {
        std::map<std::string, web::json::value> byId;
        std::set<std::pair<int64_t, std::string>> byCreation; ///< (created_at, id)

        void put(const web::json::value& object);
        bool erase(const std::string& id);
        Page page(const std::string& after, size_t limit, bool newestFirst,
                  const std::function<bool(const web::json::value&)>& wanted) const;
    };

    void load();
    RunProgress progressFrom(const std::string& batchId, const web::json::value& record) const;

    std::string m_Directory;
    std::unique_ptr<workflow::DirectoryLock> m_Lock; ///< state/LOCK, held while this object lives
    mutable std::mutex m_Mutex;
    Collection m_Files;
    Collection m_Batches;
    std::map<std::string, RunProgress> m_Progress;
    uint64_t m_Counter = 0;
};

} // namespace openai_batch::server
