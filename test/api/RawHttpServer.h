// A bare HTTP/1.1 server on 127.0.0.1 over plain sockets, for faults cpprestsdk's listener cannot
// produce: the handler may drop the connection instead of answering.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace testing_support {

struct RawRequest
{
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers; ///< names in lower case
    std::string body;
};

struct RawReply
{
    int status = 200;
    std::string body;
    std::string contentType = "application/json";
    /// Declared instead of the body's real size, to lie to the client; the connection closes after it.
    std::optional<std::string> declaredLength;
};

class RawHttpServer
{
public:
    /// handler answers a request, or returns nothing to close the connection without a reply.
    using Handler = std::function<std::optional<RawReply>(const RawRequest&)>;

    explicit RawHttpServer(Handler handler);
    ~RawHttpServer();
    RawHttpServer(const RawHttpServer&) = delete;
    RawHttpServer& operator=(const RawHttpServer&) = delete;

    /// http://127.0.0.1:<port>
    std::string url() const;

private:
    void acceptLoop();
    void serve(int fd);

    Handler m_Handler;
    int m_Listener = -1;
    uint16_t m_Port = 0;
    std::atomic<bool> m_Stopping{false};
    std::thread m_Acceptor;
    std::mutex m_Mutex;
    std::vector<std::thread> m_Connections;
    std::vector<int> m_OpenSockets;
};

} // namespace testing_support
