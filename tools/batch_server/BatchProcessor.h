// BatchProcessor: moves batches through the real lifecycle as time passes.
//
// validating -> in_progress -> finalizing -> completed; validating -> failed (an input file the API
// would reject, with line numbers); in_progress -> expired (the completion window passed: finished
// requests stay in the output file, the rest go to the error file as batch_expired); cancelling ->
// cancelled (partial results kept). Every *_at and request_counts stay current. Progress is saved
// after each step, so a restarted server carries on where it stopped, without repeating a request.
//
// Work drives it, not a clock: each batch is due at the time its next step can happen (now, when a
// step time or the next paced request is up, or when it expires), and one thread sleeps until the
// earliest due time or until a batch is created or cancelled. Batches that have ended are never looked
// at again, so an idle server uses no CPU however many batches it keeps.
//
// Batches are isolated: a request that cannot be run goes to the error file with its own status, and
// anything else that goes wrong in a batch fails that batch, with the reason in errors.data[]. Nothing
// in one batch stops another.
#pragma once

#include "BatchState.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace openai_batch::server {

/// Told of each batch that reaches completed, failed, expired or cancelled: `ending` just before that
/// is saved, `ended` just after. (The webhook sender records its event in the first and sends it in the
/// second: a crash between the two loses no event, and no event is sent for an end that was not saved.)
struct EndListener
{
    std::function<void(const web::json::value&)> ending;
    std::function<void(const web::json::value&)> ended;
};

struct Pacing
{
    /// How long validating, finalizing and cancelling each last.
    std::chrono::milliseconds stepTime{0};
    /// How long each request takes while in_progress (0: all at once).
    std::chrono::milliseconds requestTime{0};
    /// The completion window in effect ("24h" unless shortened, to show expiry).
    std::chrono::milliseconds completionWindow{24 * 3600 * 1000};
};

/// What a real Batch API does to a client now and then, played on purpose so that clients can be tested
/// against it. All off by default; deterministic for a given seed.
struct BatchFaults
{
    /// Per model: a batch whose estimated tokens (workflow::RequestEstimate, summed over its requests per
    /// body.model), added to those of the batches in_progress or finalizing, exceed this fails at validation
    /// with token_limit_exceeded, as the API's enqueued-token limit does. Unset: no limit.
    std::optional<uint64_t> enqueuedTokenLimit;
    /// The share (0 to 1) of requests answered with a 500 status line instead of the endpoint's answer,
    /// chosen by a hash of the batch id and custom_id: the same request in another batch may succeed.
    double requestFailureShare = 0;
    /// The share (0 to 1) of batches that expire once half their requests are done, with those results
    /// kept and the rest in the error file as batch_expired, chosen by a hash of the batch id.
    double expiryShare = 0;
    uint64_t seed = 1;
};

class BatchProcessor
{
public:
    /// nowMs: Unix time in milliseconds (tests pass their own clock).
    BatchProcessor(BatchState& state, Pacing pacing, std::function<int64_t()> nowMs, EndListener onEnd = {},
                   BatchFaults faults = {});
    /// Stops processing; a step under way finishes first.
    ~BatchProcessor();
    BatchProcessor(const BatchProcessor&) = delete;
    BatchProcessor& operator=(const BatchProcessor&) = delete;

    /// Picks up the batches an earlier run left unfinished and starts processing.
    void start();
    /// Saves a new batch (status validating) with its progress record and schedules it; its output and
    /// error files will expire outputExpiresAfter seconds after they are created (0: 30 days).
    void created(const web::json::value& batch, int64_t outputExpiresAfter);
    /// Asks for cancellation (validating, in_progress, finalizing become cancelling) and returns the
    /// batch as that left it; nothing if the batch is unknown or has ended. The caller answers with this
    /// copy: by the time it re-reads the state, the processor may have finished cancelling.
    std::optional<web::json::value> cancel(const std::string& batchId);

    int64_t now() const { return m_Now(); }

private:
    void loop();
    void schedule(const std::string& batchId, int64_t dueMs);
    /// One step of a batch; returns when its next step is due, or nothing once it has ended.
    std::optional<int64_t> step(const std::string& batchId);
    std::optional<int64_t> advance(web::json::value batch);
    void fail(const std::string& batchId, const std::string& reason);
    int64_t retryLater(const std::string& batchId, const std::exception& error);
    void validate(web::json::value& batch, RunProgress& progress);
    /// The reason the batch's tokens do not fit under BatchFaults::enqueuedTokenLimit, if they do not.
    std::optional<std::string> overTokenLimit(const std::string& batchId, RunProgress& progress,
                                              const std::string& inputPath) const;
    /// Whether BatchFaults picks this (batch, request) or this batch, at share.
    bool picked(double share, const std::string& batchId, const std::string& customId = "") const;
    void run(web::json::value& batch, RunProgress& progress, size_t upTo);
    void expire(web::json::value& batch, RunProgress& progress);
    void publishFiles(web::json::value& batch, const RunProgress& progress);
    void enter(web::json::value& batch, RunProgress& progress, const char* status, const char* timestampField);

    BatchState& m_State;
    Pacing m_Pacing;
    BatchFaults m_Faults;
    std::function<int64_t()> m_Now;
    EndListener m_OnEnd;
    std::mutex m_StepMutex; ///< one step or cancel at a time

    std::mutex m_QueueMutex;
    std::condition_variable m_Wake;
    std::map<std::string, int64_t> m_Due;              ///< each scheduled batch's due time
    std::set<std::pair<int64_t, std::string>> m_Queue; ///< the same, earliest first
    bool m_Stopping = false;
    std::thread m_Thread;
};

} // namespace openai_batch::server
