#include "workflow/BatchWaiter.h"

#include "api/ApiException.h"
#include "api/RetryPolicy.h"

#include <algorithm>

namespace openai_batch::workflow {

namespace {

using Clock = std::chrono::steady_clock;

struct WaitState
{
    api::BatchApi api;
    utility::string_t batchId;
    WaitOptions options;
    Clock::time_point started;
    std::chrono::milliseconds interval;
    std::shared_ptr<model::Batch> last;
};

bool sameCounts(const std::shared_ptr<model::BatchRequestCounts>& a,
                const std::shared_ptr<model::BatchRequestCounts>& b)
{
    return a == b || (a && b && *a == *b);
}

bool changed(const model::Batch* before, const model::Batch& now)
{
    return before == nullptr || before->getStatusString() != now.getStatusString()
        || !sameCounts(before->getRequestCounts(), now.getRequestCounts());
}

} // namespace

pplx::task<void> pausePolling(const WaitOptions& options, std::chrono::milliseconds delay)
{
    pplx::task<void> slept = options.sleep(delay);
    if (!options.cancellation.is_cancelable())
    {
        return slept;
    }
    pplx::task_completion_event<void> cancelled;
    const auto registration = options.cancellation.register_callback([cancelled] { cancelled.set(); });
    auto token = options.cancellation;
    return (slept || pplx::create_task(cancelled)).then([token, registration] {
        token.deregister_callback(registration);
    });
}

bool isTransientFailure(std::exception_ptr failure)
{
    try
    {
        std::rethrow_exception(failure);
    }
    catch (const api::ApiConnectionException&)
    {
        return true;
    }
    catch (const api::ApiResponseException&)
    {
        return false; // a 2xx that is not a batch: polling again would read the same
    }
    catch (const api::ApiException& error)
    {
        return api::RetryOptions::isRetryableStatus(error.getStatus());
    }
    catch (...)
    {
        return false;
    }
}

namespace {

std::chrono::milliseconds elapsed(const WaitState& state)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(state.options.now() - state.started);
}

pplx::task<std::shared_ptr<model::Batch>> poll(std::shared_ptr<WaitState> state);

/// Sleeps the current interval (cut short by the timeout), backs the interval off, and polls again.
pplx::task<std::shared_ptr<model::Batch>> pollLater(const std::shared_ptr<WaitState>& state)
{
    std::chrono::milliseconds delay = state->interval;
    if (const auto& timeout = state->options.timeout)
    {
        delay = std::min(delay, *timeout - elapsed(*state));
    }
    const auto next = std::chrono::milliseconds(
        static_cast<int64_t>(static_cast<double>(state->interval.count()) * state->options.backoff));
    state->interval = std::min(std::max(next, state->interval), state->options.maxInterval);
    return pausePolling(state->options, delay).then([state] { return poll(state); });
}

bool timedOut(const WaitState& state)
{
    return state.options.timeout && elapsed(state) >= *state.options.timeout;
}

pplx::task<std::shared_ptr<model::Batch>> afterPoll(const std::shared_ptr<WaitState>& state,
                                                    std::shared_ptr<model::Batch> batch)
{
    if (state->options.onProgress && changed(state->last.get(), *batch))
    {
        state->options.onProgress(*batch);
    }
    state->last = batch;
    if (isTerminal(*batch))
    {
        return pplx::task_from_result(batch);
    }
    if (timedOut(*state))
    {
        return pplx::task_from_exception<std::shared_ptr<model::Batch>>(
            BatchWaitTimeout("waitForBatch: " + utility::conversions::to_utf8string(state->batchId) + " is still "
                                 + utility::conversions::to_utf8string(batch->getStatusString()) + " after "
                                 + std::to_string(elapsed(*state).count()) + " ms",
                             batch));
    }
    return pollLater(state);
}

pplx::task<std::shared_ptr<model::Batch>> poll(std::shared_ptr<WaitState> state)
{
    if (state->options.cancellation.is_canceled())
    {
        return pplx::task_from_exception<std::shared_ptr<model::Batch>>(pplx::task_canceled());
    }
    return state->api.retrieveBatch(state->batchId).then([state](pplx::task<std::shared_ptr<model::Batch>> polled) {
        try
        {
            return afterPoll(state, polled.get());
        }
        catch (...)
        {
            // A transient failure is polled through, with the same backoff, until the timeout; then the
            // wait ends with that failure, which says more than "still in_progress" would.
            const auto failure = std::current_exception();
            if (!isTransientFailure(failure) || timedOut(*state))
            {
                return pplx::task_from_exception<std::shared_ptr<model::Batch>>(failure);
            }
            return pollLater(state);
        }
    });
}

} // namespace

BatchWaitTimeout::BatchWaitTimeout(const std::string& message, std::shared_ptr<model::Batch> lastSeen)
    : std::runtime_error(message)
    , m_LastSeen(std::move(lastSeen))
{
}

bool isTerminal(const model::Batch& batch)
{
    using Status = model::Batch::StatusEnum;
    const Status status = batch.getStatus();
    return status == Status::COMPLETED || status == Status::FAILED || status == Status::EXPIRED
        || status == Status::CANCELLED;
}

WaitOptions withRealClock(WaitOptions options)
{
    if (!options.sleep)
    {
        // A timer that the cancellation token stops, so a cancelled wait leaves nothing running.
        options.sleep = [token = options.cancellation](std::chrono::milliseconds wait) {
            return api::delay(wait, token);
        };
    }
    if (!options.now)
    {
        options.now = [] { return Clock::now(); };
    }
    return options;
}

pplx::task<std::shared_ptr<model::Batch>> waitForBatch(const api::BatchApi& api, const utility::string_t& batchId,
                                                       WaitOptions options)
{
    options = withRealClock(std::move(options));
    if (batchId.empty())
    {
        return pplx::task_from_exception<std::shared_ptr<model::Batch>>(
            std::invalid_argument("waitForBatch: batchId must not be empty"));
    }
    auto state =
        std::make_shared<WaitState>(WaitState{api, batchId, options, options.now(), options.firstInterval, nullptr});
    return poll(state);
}

} // namespace openai_batch::workflow
