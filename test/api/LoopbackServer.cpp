#include "LoopbackServer.h"

#include <cpprest/filestream.h>
#include <gtest/gtest.h>
#include <cpprest/producerconsumerstream.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace testing_support {

namespace {

/// A TCP socket bound to a port on 127.0.0.1 that the system picks, listening when asked; its port goes
/// to `port`. Throws std::runtime_error, closing the socket, when any step fails.
int bindLoopback(bool listen, uint16_t& port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0
        || (listen && ::listen(fd, 8) != 0) || ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    {
        if (fd >= 0)
        {
            ::close(fd);
        }
        throw std::runtime_error("cannot bind a loopback port");
    }
    port = ntohs(address.sin_port);
    return fd;
}

} // namespace

uint16_t freeLoopbackPort()
{
    uint16_t port = 0;
    ::close(bindLoopback(false, port));
    return port;
}

CannedResponse CannedResponse::text(web::http::status_code status, std::string body,
                                    std::map<std::string, std::string> headers)
{
    CannedResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    return response;
}

CannedResponse CannedResponse::fromFile(std::string path)
{
    CannedResponse response;
    response.bodyFile = std::move(path);
    return response;
}

SilentServer::SilentServer()
{
    m_Socket = bindLoopback(true, m_Port);
}

SilentServer::~SilentServer()
{
    ::close(m_Socket);
}

std::string SilentServer::url() const
{
    return "http://127.0.0.1:" + std::to_string(m_Port);
}

std::string RecordedRequest::header(const std::string& name) const
{
    const auto found = headers.find(name);
    return found == headers.end() ? std::string("<absent>") : found->second;
}

LoopbackServer::LoopbackServer()
    : m_Port(freeLoopbackPort())
    , m_Listener(web::uri(url()))
{
    m_Listener.support([this](web::http::http_request request) { handle(request); });
    m_Listener.open().wait();
}

LoopbackServer::~LoopbackServer()
{
    try
    {
        for (auto& trickler : m_Tricklers)
        {
            trickler.join();
        }
        m_Listener.close().wait();
    }
    catch (const std::exception& error)
    {
        // A destructor must not throw; a test that gets here has failed already or will.
        ADD_FAILURE() << "LoopbackServer did not stop: " << error.what();
    }
}

std::string LoopbackServer::url() const
{
    return "http://127.0.0.1:" + std::to_string(m_Port);
}

void LoopbackServer::enqueue(CannedResponse response)
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    m_Queue.push_back(std::move(response));
}

void LoopbackServer::enqueueJson(web::http::status_code status, const std::string& json,
                                 std::map<std::string, std::string> headers)
{
    headers.emplace("Content-Type", "application/json");
    enqueue(CannedResponse::text(status, json, std::move(headers)));
}

std::vector<RecordedRequest> LoopbackServer::requests() const
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    return m_Requests;
}

void LoopbackServer::handle(web::http::http_request request)
{
    request.extract_vector().then([this, request](pplx::task<std::vector<unsigned char>> body) {
        RecordedRequest recorded;
        recorded.method = request.method();
        recorded.target = request.request_uri().to_string();
        recorded.headers = request.headers();
        try
        {
            const auto bytes = body.get();
            recorded.body.assign(bytes.begin(), bytes.end());
        }
        catch (const std::exception& error)
        {
            recorded.body = std::string("<body unreadable: ") + error.what() + ">";
        }
        CannedResponse canned = CannedResponse::text(500, "no response queued");
        {
            std::lock_guard<std::mutex> lock(m_Mutex);
            m_Requests.push_back(recorded);
            if (!m_Queue.empty())
            {
                canned = m_Queue.front();
                m_Queue.pop_front();
            }
        }
        answer(request, canned);
    });
}

void LoopbackServer::answer(web::http::http_request request, const CannedResponse& canned)
{
    web::http::http_response response(canned.status);
    for (const auto& header : canned.headers)
    {
        response.headers()[header.first] = header.second;
    }
    if (!canned.trickle.empty())
    {
        concurrency::streams::producer_consumer_buffer<uint8_t> body;
        size_t length = 0;
        for (const auto& piece : canned.trickle)
        {
            length += piece.size();
        }
        response.set_body(concurrency::streams::istream(body), length, "application/octet-stream");
        request.reply(response);
        std::lock_guard<std::mutex> lock(m_Mutex);
        m_Tricklers.emplace_back([body, canned]() mutable {
            for (const auto& piece : canned.trickle)
            {
                std::this_thread::sleep_for(canned.trickleDelay);
                body.putn_nocopy(reinterpret_cast<const uint8_t*>(piece.data()), piece.size()).wait();
            }
            body.close(std::ios_base::out).wait();
        });
        return;
    }
    if (canned.bodyFile.empty())
    {
        response.set_body(canned.body,
                          response.headers().content_type().empty() ? "text/plain" : response.headers().content_type());
        request.reply(response);
        return;
    }
    const auto size = std::filesystem::file_size(canned.bodyFile);
    concurrency::streams::fstream::open_istream(canned.bodyFile)
        .then([request, response, size](concurrency::streams::istream file) mutable {
            response.set_body(file, size, "application/octet-stream");
            return request.reply(response);
        });
}

} // namespace testing_support
