#include "HttpServer.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <filesystem>
#include <limits>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace openai_batch::server {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr int IO_THREADS = 2;
constexpr int WORKER_THREADS = 4;
/// How long, and how much, a closing connection reads of what its client still sends.
constexpr std::chrono::milliseconds LINGER(2000);
constexpr size_t LINGER_BYTES = 4 << 20;
/// The slowest a body or a reply may move, on average, once its first timeout has passed (bytes/s).
constexpr uint64_t MIN_TRANSFER_RATE = uint64_t{16} * 1024;
using Clock = std::chrono::steady_clock;

/// A file that is removed when the last owner lets go of it, whatever path the request took.
class TemporaryFile
{
public:
    explicit TemporaryFile(std::string path)
        : m_Path(std::move(path))
    {
    }
    ~TemporaryFile()
    {
        std::error_code ignored;
        fs::remove(m_Path, ignored);
    }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    const std::string& path() const { return m_Path; }

private:
    std::string m_Path;
};

HttpReply errorReply(unsigned status, const std::string& message)
{
    HttpReply reply;
    reply.status = status;
    reply.close = true;
    // The message is ours and plain ASCII: no escaping needed.
    reply.body = R"({"error": {"message": ")" + message + R"(", "type": "invalid_request_error", "param": null, )"
        + R"("code": null}})";
    return reply;
}

class Session;

} // namespace

struct HttpServer::Shared
{
    HttpLimits limits;
    HttpHandlers handlers;
    std::string uploadDirectory;
    std::atomic<size_t> connections{0};
    std::atomic<uint64_t> uploads{0};
    std::mutex sessionsMutex;
    std::set<Session*> sessions; ///< to close them all on stop
    bool stopping = false;
    // Declared after what sessions use, so destroyed before it: destroying these destroys the sessions
    // their queued work still holds.
    net::io_context io;
    net::thread_pool workers{WORKER_THREADS};
    tcp::acceptor acceptor{io};
    std::vector<std::thread> ioThreads;

    void accept();
};

namespace {

/// One connection: reads a request, has it served, writes the reply, and again while the client keeps
/// the connection alive. Every step is asynchronous and runs on the connection's strand.
class Session : public std::enable_shared_from_this<Session>
{
public:
    Session(tcp::socket socket, HttpServer::Shared* shared)
        : m_Stream(std::move(socket))
        , m_Shared(shared)
        // Bounds what the parser may hold at once: without it, a chunk-size line or a trailer that never
        // ends would grow the buffer for as long as the client sends.
        , m_Buffer(shared->limits.headerBytes + 65536)
    {
        // Reads fill the capacity the buffer already has (Beast's read_size): left to grow from the
        // size of a request head, it would read a 200 MB upload some 540 bytes at a time.
        m_Buffer.reserve(65536);
        ++m_Shared->connections;
    }
    ~Session()
    {
        {
            std::lock_guard<std::mutex> lock(m_Shared->sessionsMutex);
            m_Shared->sessions.erase(this);
        }
        --m_Shared->connections;
    }

    void start()
    {
        {
            std::lock_guard<std::mutex> lock(m_Shared->sessionsMutex);
            if (m_Shared->stopping)
            {
                return;
            }
            m_Shared->sessions.insert(this);
        }
        net::dispatch(m_Stream.get_executor(), [self = shared_from_this()] { self->readHead(); });
    }

    /// From any thread: ends the connection (the server is stopping).
    void close()
    {
        net::post(m_Stream.get_executor(), [self = weak_from_this()] {
            if (auto session = self.lock())
            {
                beast::error_code ignored;
                session->m_Stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                session->m_Stream.close();
            }
        });
    }

private:
    void readHead()
    {
        m_Head.emplace();
        m_Head->header_limit(static_cast<std::uint32_t>(m_Shared->limits.headerBytes));
        // The route's limit is set when the body is read. (Not boost::none: Boost 1.74 compares a length
        // with an empty limit as greater, and refuses every body.)
        m_Head->body_limit(std::numeric_limits<std::uint64_t>::max());
        m_Stream.expires_after(m_Served == 0 ? m_Shared->limits.readTimeout : m_Shared->limits.idleTimeout);
        http::async_read_header(m_Stream, m_Buffer, *m_Head,
                                [self = shared_from_this()](beast::error_code error, size_t) { self->onHead(error); });
    }

    void onHead(beast::error_code error)
    {
        if (error == http::error::header_limit || error == http::error::buffer_overflow)
        {
            return write(errorReply(431, "The request's headers are too large."));
        }
        if (error == http::error::end_of_stream || error == beast::error::timeout || error == net::error::eof
            || error == net::error::connection_reset || error == net::error::operation_aborted)
        {
            return shut();
        }
        if (error)
        {
            return write(errorReply(400, "The request is not valid HTTP/1.1."));
        }
        m_KeepAlive = m_Head->get().keep_alive();
        Admission admission;
        try
        {
            admission = m_Shared->handlers.admit(m_Head->get());
        }
        catch (const std::exception&)
        {
            return write(errorReply(500, "The local server failed to read the request."));
        }
        if (admission.refusal)
        {
            admission.refusal->close = true; // its body, if any, is still on the wire
            return write(std::move(*admission.refusal));
        }
        const auto declared = m_Head->content_length();
        if (declared && *declared > admission.bodyLimit)
        {
            return write(errorReply(413,
                                    "The request body is larger than this endpoint accepts ("
                                        + std::to_string(admission.bodyLimit) + " bytes)."));
        }
        admission.bodyToFile ? readBodyToFile(admission.bodyLimit) : readBodyToMemory(admission.bodyLimit);
    }

    void readBodyToMemory(uint64_t limit)
    {
        startTransfer();
        m_Memory.emplace(std::move(*m_Head));
        m_Memory->body_limit(limit);
        readBody(*m_Memory);
    }

    void readBodyToFile(uint64_t limit)
    {
        startTransfer();
        m_Upload = std::make_shared<TemporaryFile>(
            (fs::path(m_Shared->uploadDirectory) / ("upload-" + std::to_string(++m_Shared->uploads) + ".tmp"))
                .string());
        m_File.emplace(std::move(*m_Head));
        m_File->body_limit(limit);
        beast::error_code error;
        m_File->get().body().open(m_Upload->path().c_str(), beast::file_mode::write, error);
        if (error)
        {
            return write(errorReply(500, "The local server cannot store the upload."));
        }
        readBody(*m_File);
    }

    /// When the next read or write must end: a pause of at most the timeout, and no later than the
    /// transfer's start plus the timeout plus what has moved at the minimum rate.
    Clock::time_point paced(std::chrono::milliseconds timeout) const
    {
        const auto allowed =
            m_TransferStart + timeout + std::chrono::milliseconds(m_Transferred * 1000 / MIN_TRANSFER_RATE);
        return std::min(Clock::now() + timeout, allowed);
    }

    /// Reads the body a piece at a time, so that the read timeout is a limit on a pause, not on the
    /// whole; and at the minimum rate, so that a byte every few seconds cannot hold a connection for good.
    template <typename Parser> void readBody(Parser& parser)
    {
        if (parser.is_done())
        {
            return bodyRead(parser);
        }
        m_Stream.expires_at(paced(m_Shared->limits.readTimeout));
        http::async_read_some(
            m_Stream, m_Buffer, parser, [self = shared_from_this(), &parser](beast::error_code error, size_t read) {
                self->m_Transferred += read;
                if (error == http::error::body_limit)
                {
                    return self->write(errorReply(413, "The request body is too large."));
                }
                if (error == http::error::buffer_overflow)
                {
                    return self->write(errorReply(400, "A chunk header or trailer is too long."));
                }
                if (error == http::error::partial_message || error == net::error::eof
                    || error == http::error::end_of_stream)
                {
                    return self->write(errorReply(400, "The request body ended before its declared length."));
                }
                if (error)
                {
                    return self->shut(); // a timeout or a reset: nobody to answer
                }
                self->readBody(parser);
            });
    }

    template <typename Parser> void bodyRead(Parser& parser)
    {
        auto request = std::make_shared<HttpRequest>();
        request->head = std::move(parser.get().base());
        if constexpr (std::is_same_v<Parser, http::request_parser<http::string_body>>)
        {
            request->body = std::move(parser.get().body());
        }
        else
        {
            parser.get().body().close(); // all of it on disk before anyone reads it
            request->bodyFile = m_Upload->path();
        }
        serve(std::move(request));
    }

    void serve(std::shared_ptr<HttpRequest> request)
    {
        // The upload lives until the request is answered (the handler may remove it sooner).
        auto upload = std::move(m_Upload);
        const Respond respond = [self = shared_from_this(), upload](HttpReply reply) {
            net::dispatch(self->m_Stream.get_executor(),
                          [self, reply = std::move(reply)]() mutable { self->write(std::move(reply)); });
        };
        net::post(m_Shared->workers, [shared = m_Shared, request = std::move(request), respond] {
            try
            {
                shared->handlers.serve(request, respond);
            }
            catch (const std::exception&)
            {
                respond(errorReply(500, "The local server failed."));
            }
        });
    }

    void write(HttpReply reply)
    {
        m_Memory.reset();
        m_File.reset();
        m_Upload.reset(); // an upload refused part-way is removed now
        const bool keepAlive = m_KeepAlive && !reply.close;
        if (reply.drop)
        {
            return writeHalf(std::move(reply));
        }
        if (!reply.file.empty())
        {
            auto response = std::make_shared<http::response<http::file_body>>(http::status(reply.status), 11);
            beast::error_code error;
            response->body().open(reply.file.c_str(), beast::file_mode::scan, error);
            if (error)
            {
                return write(errorReply(500, "The file could not be read."));
            }
            return send(describe(std::move(response), reply, keepAlive));
        }
        auto response = std::make_shared<http::response<http::string_body>>(http::status(reply.status), 11);
        response->body() = std::move(reply.body);
        send(describe(std::move(response), reply, keepAlive));
    }

    template <typename Response>
    std::shared_ptr<Response> describe(std::shared_ptr<Response> response, const HttpReply& reply, bool keepAlive)
    {
        for (const auto& [name, value] : reply.headers)
        {
            response->set(name, value);
        }
        response->set(http::field::content_type, reply.contentType);
        response->keep_alive(keepAlive);
        response->prepare_payload();
        return response;
    }

    /// Writes a piece at a time, so that the write timeout is a limit on a pause in the client's reading.
    void startTransfer()
    {
        m_TransferStart = Clock::now();
        m_Transferred = 0;
    }

    template <typename Response> void send(std::shared_ptr<Response> response)
    {
        startTransfer();
        auto serializer = std::make_shared<http::response_serializer<typename Response::body_type>>(*response);
        sendSome(std::move(response), std::move(serializer));
    }

    template <typename Response, typename Serializer>
    void sendSome(std::shared_ptr<Response> response, std::shared_ptr<Serializer> serializer)
    {
        m_Stream.expires_at(paced(m_Shared->limits.writeTimeout));
        http::async_write_some(
            m_Stream, *serializer,
            [self = shared_from_this(), response, serializer](beast::error_code error, size_t written) {
                self->m_Transferred += written;
                if (error)
                {
                    return self->shut();
                }
                if (!serializer->is_done())
                {
                    return self->sendSome(response, serializer);
                }
                ++self->m_Served;
                response->keep_alive() ? self->readHead() : self->shut();
            });
    }

    /// The status line, the headers and half the body, then a broken connection: what a client sees
    /// when a connection drops mid-reply, after the server has done the work.
    void writeHalf(HttpReply reply)
    {
        http::response<http::string_body> response(http::status(reply.status), 11);
        const size_t bodyBytes = reply.body.size();
        response.body() = std::move(reply.body);
        auto text = std::make_shared<std::string>();
        {
            std::ostringstream out;
            out << *describe(std::make_shared<http::response<http::string_body>>(std::move(response)), reply, true);
            *text = out.str();
        }
        text->resize(text->size() - bodyBytes / 2 - bodyBytes % 2);
        m_Stream.expires_after(m_Shared->limits.writeTimeout);
        net::async_write(m_Stream, net::buffer(*text),
                         [self = shared_from_this(), text](beast::error_code, size_t) { self->reset(); });
    }

    /// Closes after the reply. What the client still sends is read and dropped for a moment first:
    /// closing a socket with unread data resets the connection, and the client could lose the reply.
    void shut()
    {
        beast::error_code ignored;
        m_Stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        m_Stream.expires_after(LINGER);
        drain(0);
    }

    void drain(size_t drained)
    {
        auto scratch = std::make_shared<std::array<char, 16384>>();
        m_Stream.async_read_some(net::buffer(*scratch),
                                 [self = shared_from_this(), scratch, drained](beast::error_code error, size_t read) {
                                     if (error || drained + read > LINGER_BYTES)
                                     {
                                         return self->m_Stream.close();
                                     }
                                     self->drain(drained + read);
                                 });
    }

    /// Closes at once, discarding what is unsent.
    void reset()
    {
        beast::error_code ignored;
        m_Stream.socket().set_option(net::socket_base::linger(true, 0), ignored);
        m_Stream.close();
    }

    beast::tcp_stream m_Stream;
    HttpServer::Shared* m_Shared;
    beast::flat_buffer m_Buffer;
    std::optional<http::request_parser<http::empty_body>> m_Head;
    std::optional<http::request_parser<http::string_body>> m_Memory;
    std::optional<http::request_parser<http::file_body>> m_File;
    std::shared_ptr<TemporaryFile> m_Upload;
    uint64_t m_Served = 0;
    bool m_KeepAlive = false;
    Clock::time_point m_TransferStart;
    uint64_t m_Transferred = 0; ///< bytes of the body being read, or of the reply being written
};

/// What a connection over the limit gets, without anything of it being read.
std::string tooManyConnections()
{
    const std::string body = R"({"error": {"message": "Too many connections.", "type": "server_error", )"
                             R"("param": null, "code": "too_many_connections"}})";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
           "Retry-After: 1\r\nContent-Length: "
        + std::to_string(body.size()) + "\r\n\r\n" + body;
}

void refuse(tcp::socket socket)
{
    static const std::string text = tooManyConnections();
    auto stream = std::make_shared<tcp::socket>(std::move(socket));
    net::async_write(*stream, net::buffer(text), [stream](beast::error_code, size_t) {
        beast::error_code ignored;
        stream->shutdown(tcp::socket::shutdown_send, ignored);
        stream->close(ignored);
    });
}

} // namespace

void HttpServer::Shared::accept()
{
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code error, tcp::socket socket) {
        if (error == net::error::operation_aborted || !acceptor.is_open())
        {
            return;
        }
        if (error)
        {
            // Out of descriptors (EMFILE) or memory: accepting again at once would fail again at once,
            // a thread spinning. Wait a moment for connections to close.
            auto pause = std::make_shared<net::steady_timer>(io, std::chrono::milliseconds(100));
            pause->async_wait([this, pause](beast::error_code) { accept(); });
            return;
        }
        if (connections >= limits.maxConnections)
        {
            refuse(std::move(socket));
        }
        else
        {
            std::make_shared<Session>(std::move(socket), this)->start();
        }
        accept();
    });
}

HttpServer::HttpServer(uint16_t port, const std::string& uploadDirectory, HttpLimits limits, HttpHandlers handlers)
    : m_Shared(std::make_unique<Shared>())
{
    m_Shared->limits = limits;
    m_Shared->handlers = std::move(handlers);
    m_Shared->uploadDirectory = uploadDirectory;
    std::error_code ignored;
    fs::remove_all(uploadDirectory, ignored);
    fs::create_directories(uploadDirectory);
    beast::error_code error;
    const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    m_Shared->acceptor.open(endpoint.protocol(), error);
    if (!error)
    {
        m_Shared->acceptor.set_option(net::socket_base::reuse_address(true), error);
        m_Shared->acceptor.bind(endpoint, error);
    }
    if (!error)
    {
        m_Shared->acceptor.listen(net::socket_base::max_listen_connections, error);
    }
    if (error)
    {
        throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + error.message());
    }
    m_Shared->accept();
    for (int i = 0; i < IO_THREADS; ++i)
    {
        m_Shared->ioThreads.emplace_back([shared = m_Shared.get()] { shared->io.run(); });
    }
}

HttpServer::~HttpServer()
{
    {
        std::lock_guard<std::mutex> lock(m_Shared->sessionsMutex);
        m_Shared->stopping = true;
        for (Session* session : m_Shared->sessions)
        {
            session->close();
        }
    }
    net::post(m_Shared->io, [shared = m_Shared.get()] {
        beast::error_code ignored;
        shared->acceptor.close(ignored);
    });
    m_Shared->workers.join(); // the requests being served finish (their replies go nowhere)
    m_Shared->io.stop();
    for (auto& thread : m_Shared->ioThreads)
    {
        thread.join();
    }
}

uint16_t HttpServer::port() const
{
    return m_Shared->acceptor.local_endpoint().port();
}

void HttpServer::after(std::chrono::milliseconds delay, std::function<void()> work)
{
    auto timer = std::make_shared<net::steady_timer>(m_Shared->io, delay);
    timer->async_wait([timer, shared = m_Shared.get(), work = std::move(work)](beast::error_code error) {
        if (!error)
        {
            net::post(shared->workers, work);
        }
    });
}

size_t HttpServer::connections() const
{
    return m_Shared->connections;
}

} // namespace openai_batch::server
