// A small HTTP server on 127.0.0.1 for the API tests: it records every request exactly as it arrived and
// answers with the responses a test queues, in order.
#pragma once

#include <cpprest/http_listener.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace testing_support {

/// A port on 127.0.0.1 that nothing listens on at the moment of the call.
uint16_t freeLoopbackPort();

struct RecordedRequest
{
    std::string method;
    std::string target; ///< path and query exactly as sent, percent-encoding intact
    web::http::http_headers headers;
    std::string body;

    std::string header(const std::string& name) const;
};

struct CannedResponse
{
    web::http::status_code status = 200;
    std::map<std::string, std::string> headers;
    std::string body;
    std::string bodyFile; ///< when set, the body is streamed from this file
    /// When set, the body is sent as these pieces, each after trickleDelay (chunked transfer).
    std::vector<std::string> trickle;
    std::chrono::milliseconds trickleDelay{0};

    static CannedResponse text(web::http::status_code status, std::string body,
                               std::map<std::string, std::string> headers = {});
    static CannedResponse fromFile(std::string path);
};

/// A port on 127.0.0.1 that takes connections and never reads or answers: the kernel completes the
/// handshake and buffers the request. A plain socket, so no server-side work is left in flight when a
/// client gives up (cpprestsdk's listener keeps tasks for a request it never answered).
class SilentServer
{
public:
    SilentServer();
    ~SilentServer();
    SilentServer(const SilentServer&) = delete;
    SilentServer& operator=(const SilentServer&) = delete;

    /// http://127.0.0.1:<port>
    std::string url() const;

private:
    int m_Socket = -1;
    uint16_t m_Port = 0;
};

class LoopbackServer
{
public:
    LoopbackServer();
    ~LoopbackServer();
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;

    /// http://127.0.0.1:<port>
    std::string url() const;
    /// Queues a response; requests beyond the queue get 500 "no response queued".
    void enqueue(CannedResponse response);
    void enqueueJson(web::http::status_code status, const std::string& json,
                     std::map<std::string, std::string> headers = {});
    std::vector<RecordedRequest> requests() const;

private:
    void handle(web::http::http_request request);
    void answer(web::http::http_request request, const CannedResponse& canned);

    uint16_t m_Port;
    web::http::experimental::listener::http_listener m_Listener;
    mutable std::mutex m_Mutex;
    std::deque<CannedResponse> m_Queue;
    std::vector<RecordedRequest> m_Requests;
    std::vector<std::thread> m_Tricklers;
};

} // namespace testing_support
