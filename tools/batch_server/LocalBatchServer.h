// LocalBatchServer: the Batch and Files API of openapi.yaml on 127.0.0.1, backed by a state directory.
#pragma once

#include "BatchProcessor.h"
#include "BatchState.h"
#include "Faults.h"
#include "WebhookSender.h"

#include <cpprest/http_listener.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace openai_batch::server {

/// One request being answered. Every reply goes through send(), which applies an injected drop.
struct Exchange
{
    web::http::http_request request;
    std::string requestId;
    bool drop = false;                 ///< carry the request out, then cut the reply off halfway
    bool bodyRead = false;             ///< the request's body has been read to its end
    std::function<void()> beforeReply; ///< work that must be done before the client hears back

    void send(web::http::status_code status, const web::json::value& body) const;
    void fail(web::http::status_code status, const std::string& message, const std::string& param = "",
              const std::string& code = "") const;
    /// Adds what every reply carries: x-request-id, and Connection: close when the connection cannot
    /// be trusted for another request (an error status, or a body nobody read to its end).
    void addReplyHeaders(web::http::http_response& response) const;
};

struct ServerOptions
{
    uint16_t port = 0;          ///< 0: a free port
    std::string apiKey;         ///< empty: any bearer key is accepted (a missing one never is)
    std::string stateDirectory; ///< where files and batches live
    Pacing pacing;
    std::vector<FaultRule> faults; ///< injected before a request is served
    uint64_t faultSeed = 1;
    WebhookDelivery webhooks; ///< where batch events go (an empty URL: nowhere)
};

class LocalBatchServer
{
public:
    /// Opens the state directory and starts listening; throws std::runtime_error if it cannot.
    explicit LocalBatchServer(ServerOptions options);
    ~LocalBatchServer();
    LocalBatchServer(const LocalBatchServer&) = delete;
    LocalBatchServer& operator=(const LocalBatchServer&) = delete;

    /// http://127.0.0.1:<port>/v1, what clients use as their base URL.
    std::string baseUrl() const;
    uint16_t port() const { return m_Port; }

private:
    void handle(web::http::http_request request);
    void route(const Exchange& exchange);
    void unknownUrl(const Exchange& exchange);
    void createFile(const Exchange& exchange);
    void storeUpload(const Exchange& exchange, const std::string& upload, const std::string& boundary);
    void createBatch(const Exchange& exchange);
    void createBatchFrom(const Exchange& exchange, const web::json::value& input);
    void listBatches(const Exchange& exchange);
    void listFiles(const Exchange& exchange);
    void downloadFile(const Exchange& exchange, const std::string& id);
    void tick();

    ServerOptions m_Options;
    BatchState m_State;
    std::unique_ptr<WebhookSender> m_Webhooks; ///< before the processor, which tells it of ended batches
    BatchProcessor m_Processor;
    FaultPlan m_Faults;
    uint16_t m_Port = 0;
    std::unique_ptr<web::http::experimental::listener::http_listener> m_Listener;
    std::atomic<uint64_t> m_RequestCount{0};
    std::atomic<bool> m_Stopping{false};
    std::mutex m_TickMutex;
    std::condition_variable m_TickWake;
    std::thread m_Ticker;
};

} // namespace openai_batch::server
