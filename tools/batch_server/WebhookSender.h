// WebhookSender: POSTs the batch events OpenAI sends (batch.completed, batch.failed, batch.cancelled,
// batch.expired) to a loopback URL, signed as OpenAI signs them (Standard Webhooks, through
// workflow::WebhookVerifier::sign).
//
// An event is recorded in <state>/webhooks/<event id>.json just before the batch's end is saved, and
// queued just after; it is removed once a 2xx answer arrives or every attempt has failed. A restarted
// server queues the recorded events whose batch's end was saved, and leaves the others: their batch
// will end again and record the same file (event ids come from the batch and its final status, so
// one end is one file and one webhook-id; receivers deduplicate on webhook-id). Sending runs on its
// own thread, so a slow or dead receiver never holds up the batches.
#pragma once

#include "BatchState.h"

#include "workflow/WebhookVerifier.h"

#include <cpprest/json.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace openai_batch::server {

struct WebhookDelivery
{
    std::string url;    ///< http:// on 127.0.0.1, ::1 or localhost; empty: no webhooks
    std::string secret; ///< "whsec_<base64>" or a plain secret, as WebhookVerifier takes it
    /// Tries per event: the first send and the retries after a non-2xx answer or no answer.
    int attempts = 4;
    /// The wait before the first retry; each later one is four times longer.
    std::chrono::milliseconds firstRetry{250};
};

/// Throws std::invalid_argument unless url is http:// to a loopback host: the local server never
/// sends anything off the machine.
void checkLoopbackUrl(const std::string& url);

class WebhookSender
{
public:
    /// Sends what an earlier run left in <state>/webhooks for batches whose end state saved. Throws
    /// std::invalid_argument for a URL that is not loopback or an unusable secret.
    WebhookSender(const BatchState& state, WebhookDelivery options, std::function<int64_t()> nowSeconds);
    ~WebhookSender();
    WebhookSender(const WebhookSender&) = delete;
    WebhookSender& operator=(const WebhookSender&) = delete;

    /// Records the event of a batch about to be saved with a terminal status (nothing for another status).
    void record(const web::json::value& batch);
    /// Queues the event recorded for a batch whose terminal status is now saved.
    void release(const web::json::value& batch);

private:
    std::string eventPath(const web::json::value& batch) const;
    void queueWhatAnEarlierRunLeft(const BatchState& state);
    void run();
    void send(const std::string& path);
    bool deliver(const std::string& eventId, const std::string& body);
    bool sleepUnlessStopping(std::chrono::milliseconds duration);

    std::string m_Directory;
    WebhookDelivery m_Options;
    workflow::WebhookVerifier m_Signer;
    std::function<int64_t()> m_Now;
    std::mutex m_Mutex;
    std::condition_variable m_Wake;
    std::deque<std::string> m_Pending; ///< event files, in the order they are to be sent
    bool m_Stopping = false;
    std::thread m_Worker;
};

} // namespace openai_batch::server
