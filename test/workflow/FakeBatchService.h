// A stateful stand-in for the Batch and Files API on a RawHttpServer: enough of the real behaviour
// for the workflow tests (uploads, creates, lists with pagination, a scripted lifecycle, downloads),
// and faults the tests ask for (dropping the reply to a create it has carried out).
#pragma once

#include "RawHttpServer.h"

#include <cpprest/json.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace testing_support {

class FakeBatchService
{
public:
    /// How a batch ends once its lifecycle is walked.
    enum class Ending
    {
        Completed, ///< every request answered; those whose custom_id starts with "bad" get HTTP 400
        Expired    ///< the first `finishedBeforeExpiry` answered, the next ones batch_expired, the rest never ran
    };

    FakeBatchService();

    std::string url() const { return m_Server.url(); }

    /// Statuses each retrieve walks through before the ending (default validating, in_progress, finalizing).
    std::vector<std::string> lifecycle = {"validating", "in_progress", "finalizing"};
    Ending ending = Ending::Completed;
    size_t finishedBeforeExpiry = 0;
    size_t expiredInErrorFile = 0;
    /// Carry out the next N creates but close the connection instead of answering.
    int dropCreateReplies = 0;

    /// Batches created so far (as the server holds them).
    size_t batchCount() const;
    std::vector<std::string> requestTargets() const;

private:
    std::optional<RawReply> handle(const RawRequest& request);
    RawReply createFile(const RawRequest& request);
    std::optional<RawReply> createBatch(const RawRequest& request);
    RawReply listBatches(const std::string& query);
    RawReply retrieveBatch(const std::string& id);
    void finish(web::json::value& batch);

    mutable std::mutex m_Mutex;
    std::map<std::string, std::string> m_Files; // id -> content
    std::vector<web::json::value> m_Batches;    // oldest first
    std::map<std::string, size_t> m_Polls;      // batch id -> retrieves so far
    std::vector<std::string> m_Targets;
    int m_NextId = 1;
    RawHttpServer m_Server; // last: it calls handle() on its own threads
};

} // namespace testing_support
