// HttpServer: the local server's HTTP/1.1 layer, on Boost.Beast, built to stay up under hostile clients.
//
// Connection model: asynchronous sessions on one io_context run by two threads, each connection on its
// own strand, so no connection ever holds a thread while it waits for a client. Requests are served on
// a separate pool of worker threads: serving touches the disk (an upload of 512 MB is copied, a batch is
// saved with fsync), and a worker busy with that must not stop other connections from being read or
// answered. A thread per connection would let a few hundred idle or slow clients take every thread;
// one thread for everything would let one upload stall every client.
//
// Every limit is enforced before the data it limits is read: a header block over its limit gets 431, a
// body over the limit its route allows gets 413 (from Content-Length, or as soon as a chunked body
// passes it), a connection over the connection limit gets 503. A request that stops arriving is dropped
// after the read timeout, a kept-alive connection after the idle timeout, a client that stops reading
// a reply after the write timeout. Bodies bound for disk are written as they arrive, in bounded memory.
#pragma once

#include <boost/beast/http/message.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace openai_batch::server {

struct HttpLimits
{
    size_t headerBytes = size_t{64} * 1024; ///< request line and headers together
    size_t maxConnections = 512;
    std::chrono::milliseconds readTimeout{30000}; ///< longest wait for more of a request already begun
    std::chrono::milliseconds idleTimeout{60000}; ///< longest wait for the next request on a connection
    std::chrono::milliseconds writeTimeout{30000};
};

using HttpHead = boost::beast::http::request_header<>;

/// A request read to its end.
struct HttpRequest
{
    HttpHead head;
    std::string body;     ///< the body, when it was read into memory
    std::string bodyFile; ///< where it was stored, when its route wanted it on disk (removed after the reply)
};

struct HttpReply
{
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string contentType = "application/json";
    std::string body;
    std::string file;  ///< non-empty: the body is this file's content, streamed from disk
    bool drop = false; ///< send the head and half the body, then cut the connection (an injected fault)
    bool close = false;
};

/// What to do with a request whose head has arrived, decided before any of its body is read.
struct Admission
{
    std::optional<HttpReply> refusal; ///< answer this at once; the body is never read and the connection closes
    uint64_t bodyLimit = 0;           ///< larger bodies get 413
    bool bodyToFile = false;          ///< store the body on disk instead of in memory
};

using Respond = std::function<void(HttpReply)>;

struct HttpHandlers
{
    std::function<Admission(const HttpHead&)> admit;
    /// Called on a worker thread; must call respond exactly once, from any thread, now or later.
    std::function<void(std::shared_ptr<const HttpRequest>, Respond)> serve;
};

class HttpServer
{
public:
    /// Listens on 127.0.0.1:port (0: a free port) and stores bodies bound for disk in uploadDirectory,
    /// which it empties first (what an earlier run left there is debris). Throws std::runtime_error.
    HttpServer(uint16_t port, const std::string& uploadDirectory, HttpLimits limits, HttpHandlers handlers);
    /// Stops accepting, closes every connection and waits for the requests being served.
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    uint16_t port() const;
    /// Runs work after a delay on the server's threads, holding none of them while it waits.
    void after(std::chrono::milliseconds delay, std::function<void()> work);
    /// Connections open now.
    size_t connections() const;

    struct Shared;

private:
    std::unique_ptr<Shared> m_Shared;
};

} // namespace openai_batch::server
