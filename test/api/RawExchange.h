// Raw bytes to a server on loopback, below any HTTP client: for tests and the server fuzzer, which send
// what no well-behaved client would (bodies cut short, broken request lines) and watch what comes back.
// Header-only, so the fuzz project (a separate CMake build) can include it too.
#ifndef OPENAI_BATCH_TEST_RAW_EXCHANGE_H
#define OPENAI_BATCH_TEST_RAW_EXCHANGE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace testing_support {

/// A socket connected to 127.0.0.1:port, or -1 when nothing accepts there.
inline int connectLoopback(uint16_t port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0)
    {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// Sends the bytes on a connected socket, closes its sending half, and returns everything the server
/// sends back until it closes the connection; nothing if it stays open and quiet for longer than
/// `patience`. Closes the socket either way. A failed send is not an error: a server may answer and
/// close before it has read all of a request.
inline std::optional<std::string> exchangeRaw(int fd, std::string_view bytes, std::chrono::milliseconds patience)
{
    for (size_t sent = 0; sent < bytes.size();)
    {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
        {
            break;
        }
        sent += static_cast<size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    std::string answer;
    char buffer[16384];
    pollfd waiting{fd, POLLIN, 0};
    while (::poll(&waiting, 1, static_cast<int>(patience.count())) > 0)
    {
        const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0)
        {
            ::close(fd);
            return answer;
        }
        answer.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return std::nullopt;
}

} // namespace testing_support

#endif // OPENAI_BATCH_TEST_RAW_EXCHANGE_H
