// LocalBatchServer: the Batch and Files API of openapi.yaml on 127.0.0.1, backed by a state directory.
#pragma once

#include "BatchProcessor.h"
#include "BatchState.h"
#include "Faults.h"
#include "HttpServer.h"
#include "WebhookSender.h"

#include <cpprest/json.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace openai_batch::server {

/// One request being answered. Every reply goes through send() or reply(), which add the request id
/// and apply an injected drop.
struct Exchange
{
    std::shared_ptr<const HttpRequest> request;
    std::string requestId;
    Respond respond;
    bool drop = false;                 ///< carry the request out, then cut the reply off halfway
    std::function<void()> beforeReply; ///< work that must be done before the client hears back

    std::string path() const; ///< the request target without its query
    void send(unsigned status, const web::json::value& body) const;
    void fail(unsigned status, const std::string& message, const std::string& param = "",
              const std::string& code = "") const;
    void reply(HttpReply reply) const;
};

struct ServerOptions
{
    uint16_t port = 0;          ///< 0: a free port
    std::string apiKey;         ///< empty: any bearer key is accepted (a missing one never is)
    std::string stateDirectory; ///< where files and batches live
    Pacing pacing;
    std::vector<FaultRule> faults; ///< injected before a request is served
    BatchFaults batchFaults;       ///< token limits, failed requests and early expiry, inside batches
    uint64_t faultSeed = 1;
    WebhookDelivery webhooks; ///< where batch events go (an empty URL: nowhere)
    HttpLimits http;
    uint64_t maxFileBytes = uint64_t{512} * 1000 * 1000; ///< the largest file an upload may hold (the API's limit)
    uint64_t maxJsonBodyBytes = 1 << 20;                 ///< the largest JSON request body
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
    uint16_t port() const { return m_Http->port(); }
    /// Connections open now.
    size_t connections() const { return m_Http->connections(); }

private:
    std::string nextRequestId();
    Admission admit(const HttpHead& head);
    void serve(std::shared_ptr<const HttpRequest> request, Respond respond);
    void route(const Exchange& exchange);
    void unknownUrl(const Exchange& exchange);
    void createFile(const Exchange& exchange);
    void storeUpload(const Exchange& exchange, const std::string& upload, const std::string& boundary);
    void createBatch(const Exchange& exchange);
    void createBatchFrom(const Exchange& exchange, const web::json::value& input);
    void listBatches(const Exchange& exchange);
    void listFiles(const Exchange& exchange);
    void downloadFile(const Exchange& exchange, const std::string& id);

    ServerOptions m_Options;
    BatchState m_State;
    std::unique_ptr<WebhookSender> m_Webhooks; ///< before the processor, which tells it of ended batches
    BatchProcessor m_Processor;
    FaultPlan m_Faults;
    std::atomic<uint64_t> m_RequestCount{0};
    std::unique_ptr<HttpServer> m_Http; ///< last: stopped first, so no request is served on a dying server
};

} // namespace openai_batch::server
