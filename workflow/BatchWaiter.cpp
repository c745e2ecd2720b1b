#include "workflow/BatchWaiter.h"

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

/// options.sleep, ended early when the wait is cancelled.
pplx::task<void> pause(const WaitOptions& options, std::chrono::milliseconds delay)
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

pplx::task<std::shared_ptr<model::Batch>> poll(std::shared_ptr<WaitState> state)
{
    if (state->options.cancellation.is_canceled())
    {
        return pplx::task_from_exception<std::shared_ptr<model::Batch>>(pplx::task_canceled());
    }
    return state->api.retrieveBatch(state->batchId).then([state](std::shared_ptr<model::Batch> batch) {
        if (state->options.onProgress && changed(state->last.get(), *batch))
        {
            state->options.onProgress(*batch);
        }
        state->last = batch;
        if (isTerminal(*batch))
        {
            return pplx::task_from_result(batch);
        }
        std::chrono::milliseconds delay = state->interval;
        if (const auto& timeout = state->options.timeout)
        {
            const auto elapsed =
                std::chrono::duration_cast<std::chrono::milliseconds>(state->options.now() - state->started);
            if (elapsed >= *timeout)
            {
                return pplx::task_from_exception<std::shared_ptr<model::Batch>>(
                    BatchWaitTimeout("waitForBatch: " + utility::conversions::to_utf8string(state->batchId)
                                         + " is still " + utility::conversions::to_utf8string(batch->getStatusString())
                                         + " after " + std::to_string(elapsed.count()) + " ms",
                                     batch));
            }
            delay = std::min(delay, *timeout - elapsed);
        }
        const auto next = std::chrono::milliseconds(
            static_cast<int64_t>(static_cast<double>(state->interval.count()) * state->options.backoff));
        state->interval = std::min(std::max(next, state->interval), state->options.maxInterval);
        return pause(state->options, delay).then([state] { return poll(state); });
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

pplx::task<std::shared_ptr<model::Batch>> waitForBatch(const api::BatchApi& api, const utility::string_t& batchId,
                                                       WaitOptions options)
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
