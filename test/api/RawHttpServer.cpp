#include "RawHttpServer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace testing_support {

namespace {

bool readMore(int fd, std::string& buffer)
{
    char chunk[65536];
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0)
    {
        return false;
    }
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
}

bool sendAll(int fd, const std::string& data)
{
    size_t sent = 0;
    while (sent < data.size())
    {
        const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
        {
            return false;
        }
        sent += static_cast<size_t>(n);
    }
    return true;
}

/// Reads one request from the connection (buffer keeps what arrived beyond it); false when the peer closed.
bool readRequest(int fd, std::string& buffer, RawRequest& request)
{
    size_t headerEnd;
    while ((headerEnd = buffer.find("\r\n\r\n")) == std::string::npos)
    {
        if (!readMore(fd, buffer))
        {
            return false;
        }
    }
    const std::string head = buffer.substr(0, headerEnd);
    buffer.erase(0, headerEnd + 4);
    request = RawRequest{};
    size_t lineEnd = head.find("\r\n");
    const std::string requestLine = head.substr(0, lineEnd);
    const size_t space1 = requestLine.find(' ');
    const size_t space2 = requestLine.find(' ', space1 + 1);
    request.method = requestLine.substr(0, space1);
    request.target = requestLine.substr(space1 + 1, space2 - space1 - 1);
    while (lineEnd != std::string::npos && lineEnd < head.size())
    {
        const size_t next = head.find("\r\n", lineEnd + 2);
        const std::string line =
            head.substr(lineEnd + 2, next == std::string::npos ? std::string::npos : next - lineEnd - 2);
        const size_t colon = line.find(':');
        if (colon != std::string::npos)
        {
            std::string name = line.substr(0, colon);
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            request.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
        }
        lineEnd = next;
    }
    const auto length = request.headers.find("content-length");
    const size_t bodyLength = length == request.headers.end() ? 0 : std::stoul(length->second);
    while (buffer.size() < bodyLength)
    {
        if (!readMore(fd, buffer))
        {
            return false;
        }
    }
    request.body = buffer.substr(0, bodyLength);
    buffer.erase(0, bodyLength);
    return true;
}

} // namespace

RawHttpServer::RawHttpServer(Handler handler)
    : m_Handler(std::move(handler))
{
    m_Listener = ::socket(AF_INET, SOCK_STREAM, 0);
    const int yes = 1;
    ::setsockopt(m_Listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (::bind(m_Listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || ::listen(m_Listener, 16) != 0
        || ::getsockname(m_Listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    {
        throw std::runtime_error("RawHttpServer: cannot listen on 127.0.0.1");
    }
    m_Port = ntohs(address.sin_port);
    m_Acceptor = std::thread([this] { acceptLoop(); });
}

RawHttpServer::~RawHttpServer()
{
    m_Stopping = true;
    ::shutdown(m_Listener, SHUT_RDWR);
    ::close(m_Listener);
    m_Acceptor.join();
    std::vector<std::thread> connections;
    {
        std::lock_guard<std::mutex> lock(m_Mutex);
        for (int fd : m_OpenSockets)
        {
            ::shutdown(fd, SHUT_RDWR);
        }
        connections.swap(m_Connections);
    }
    for (auto& connection : connections)
    {
        connection.join();
    }
}

std::string RawHttpServer::url() const
{
    return "http://127.0.0.1:" + std::to_string(m_Port);
}

void RawHttpServer::acceptLoop()
{
    while (!m_Stopping)
    {
        const int fd = ::accept(m_Listener, nullptr, nullptr);
        if (fd < 0)
        {
            continue;
        }
        std::lock_guard<std::mutex> lock(m_Mutex);
        m_OpenSockets.push_back(fd);
        m_Connections.emplace_back([this, fd] { serve(fd); });
    }
}

void RawHttpServer::serve(int fd)
{
    std::string buffer;
    RawRequest request;
    while (!m_Stopping && readRequest(fd, buffer, request))
    {
        const std::optional<RawReply> reply = m_Handler(request);
        if (!reply)
        {
            break; // drop the connection: the client never gets an answer
        }
        const std::string response = "HTTP/1.1 " + std::to_string(reply->status)
            + " X\r\nContent-Type: " + reply->contentType
            + "\r\nContent-Length: " + reply->declaredLength.value_or(std::to_string(reply->body.size()))
            + "\r\nx-request-id: req_raw\r\n\r\n" + reply->body;
        if (!sendAll(fd, response) || reply->declaredLength)
        {
            break;
        }
    }
    std::lock_guard<std::mutex> lock(m_Mutex);
    m_OpenSockets.erase(std::remove(m_OpenSockets.begin(), m_OpenSockets.end(), fd), m_OpenSockets.end());
    ::close(fd);
}

} // namespace testing_support
