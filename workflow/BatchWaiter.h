// waitForBatch: polls a batch until it reaches a terminal status, backing off between polls.
#pragma once

#include "workflow/Namespaces.h"

#include "api/BatchApi.h"

#include <pplx/pplxtasks.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>

namespace openai_batch::workflow {

struct WaitOptions
{
    /// The first wait between polls; each later one is `backoff` times longer, up to maxInterval.
    std::chrono::milliseconds firstInterval{1000};
    std::chrono::milliseconds maxInterval{60000};
    double backoff = 2.0;
    /// Give up after this long in all (nothing: wait as long as it takes; a batch ends within its
    /// completion window anyway).
    std::optional<std::chrono::milliseconds> timeout;
    /// Told of the batch after every poll that changed its status or request counts (and the first).
    std::function<void(const model::Batch&)> onProgress;
    /// Cancelling it ends the wait promptly with pplx::task_canceled.
    pplx::cancellation_token cancellation = pplx::cancellation_token::none();
    /// How to wait and what time it is; tests replace them so nothing really waits.
    std::function<pplx::task<void>(std::chrono::milliseconds)> sleep;
    std::function<std::chrono::steady_clock::time_point()> now;
};

/// The wait passed WaitOptions::timeout; lastSeen() is the batch as the last poll found it.
class BatchWaitTimeout : public std::runtime_error
{
public:
    BatchWaitTimeout(const std::string& message, std::shared_ptr<model::Batch> lastSeen);
    const std::shared_ptr<model::Batch>& lastSeen() const noexcept { return m_LastSeen; }

private:
    std::shared_ptr<model::Batch> m_LastSeen;
};

/// Whether a failed call says nothing about the batch: the server or the way to it had a bad moment (no
/// answer, a reset, a timeout, 408, 409, 429, 5xx), so calling again later is right.
bool isTransientFailure(std::exception_ptr failure);

/// options with a real sleep (a timer the cancellation stops) and the steady clock where they are unset.
WaitOptions withRealClock(WaitOptions options);

/// options.sleep(delay) (set it, or use withRealClock), ended early when options.cancellation fires.
pplx::task<void> pausePolling(const WaitOptions& options, std::chrono::milliseconds delay);

/// completed, failed, expired or cancelled: the batch will not change again.
bool isTerminal(const model::Batch& batch);

/// Polls retrieveBatch until the batch is terminal and returns it. A poll that fails for a transient
/// reason (no answer, a reset, a timeout, 408, 409, 429, 5xx, even after the API layer's own retries) is
/// polled through with the same backoff: the batch goes on regardless. When WaitOptions::timeout passes
/// while polls fail, the wait ends with the last failure. Any other failure (401, 404, a body that is
/// not a batch) ends the wait at once.
pplx::task<std::shared_ptr<model::Batch>> waitForBatch(const api::BatchApi& api, const utility::string_t& batchId,
                                                       WaitOptions options = {});

} // namespace openai_batch::workflow
