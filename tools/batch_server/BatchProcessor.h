// BatchProcessor: moves batches through the real lifecycle as time passes.
//
// validating -> in_progress -> finalizing -> completed; validating -> failed (an input file the API
// would reject, with line numbers); in_progress -> expired (the completion window passed: finished
// requests stay in the output file, the rest go to the error file as batch_expired); cancelling ->
// cancelled (partial results kept). Every *_at and request_counts stay current. Progress is saved
// after each step, so a restarted server carries on where it stopped, without repeating a request.
#pragma once

#include "BatchState.h"

#include <chrono>
#include <functional>
#include <optional>

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

class BatchProcessor
{
public:
    /// nowMs: Unix time in milliseconds (tests pass their own clock).
    BatchProcessor(BatchState& state, Pacing pacing, std::function<int64_t()> nowMs, EndListener onEnd = {});

    /// Moves every batch as far as the time allows. Safe to call at any rate.
    void advance();
    /// A new batch's progress record starts now; its output and error files will expire
    /// outputExpiresAfter seconds after they are created (0: the default, 30 days).
    void started(const std::string& batchId, int64_t outputExpiresAfter = 0);
    /// Asks for cancellation (validating, in_progress, finalizing become cancelling) and returns the
    /// batch as that left it; nothing if the batch is unknown or has ended. The caller answers with this
    /// copy: by the time it re-reads the state, the next tick may have finished cancelling.
    std::optional<web::json::value> cancel(const std::string& batchId);

    int64_t now() const { return m_Now(); }

private:
    void advance(web::json::value batch);
    void validate(web::json::value& batch, RunProgress& progress);
    void run(web::json::value& batch, RunProgress& progress, size_t upTo);
    void expire(web::json::value& batch, RunProgress& progress);
    void publishFiles(web::json::value& batch, RunProgress& progress);
    void enter(web::json::value& batch, RunProgress& progress, const char* status, const char* timestampField);

    BatchState& m_State;
    Pacing m_Pacing;
    std::function<int64_t()> m_Now;
    EndListener m_OnEnd;
    std::mutex m_Mutex;
};

} // namespace openai_batch::server
