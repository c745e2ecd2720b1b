// libFuzzer harness: any bytes sent over a loopback connection to the local Batch API server, as a
// client would send them: request line, headers (Authorization among them), multipart uploads, JSON
// bodies, query strings. The server runs in this process, so a crash, a sanitizer finding or an escaped
// exception in its request handling ends the run. Each input gets its own connection; the harness
// reads the answer until the server closes it.
//
// The server keeps what it is sent on disk, so every few thousand inputs it is replaced by a new one
// in a fresh state directory.
#include "LocalBatchServer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>

namespace {

constexpr int inputsPerServer = 2000;
constexpr int answerTimeoutMs = 5000;

class ServerUnderTest
{
public:
    // Starting the first server here, not at the first input, creates cpprestsdk's own statics (its
    // thread pool) before this object is complete, so they are destroyed after it at exit: stopping a
    // listener needs that pool.
    ServerUnderTest() { restart(); }
    ~ServerUnderTest() { stop(); }

    uint16_t port()
    {
        if (m_Served == inputsPerServer)
        {
            restart();
        }
        ++m_Served;
        return m_Server->port();
    }

private:
    void restart()
    {
        stop();
        char pattern[] = "/tmp/openai-batch-fuzz-XXXXXX";
        if (::mkdtemp(pattern) == nullptr)
        {
            std::abort();
        }
        m_Directory = pattern;
        openai_batch::server::ServerOptions options;
        options.stateDirectory = m_Directory + "/state";
        options.apiKey = "sk-fuzz";
        m_Server = std::make_unique<openai_batch::server::LocalBatchServer>(options);
        m_Served = 0;
    }

    void stop()
    {
        m_Server.reset();
        if (!m_Directory.empty())
        {
            std::error_code ignored;
            std::filesystem::remove_all(m_Directory, ignored);
        }
    }

    std::unique_ptr<openai_batch::server::LocalBatchServer> m_Server;
    std::string m_Directory;
    int m_Served = 0;
};

/// Sends the bytes, closes the sending half, and reads until the server closes or goes quiet.
void exchange(uint16_t port, const uint8_t* data, size_t size)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0)
    {
        std::abort(); // the server stopped listening
    }
    // The server may answer and close before reading everything; a failed send is part of the game.
    for (size_t sent = 0; sent < size;)
    {
        const ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (n <= 0)
        {
            break;
        }
        sent += static_cast<size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    char buffer[16384];
    pollfd waiting{fd, POLLIN, 0};
    while (::poll(&waiting, 1, answerTimeoutMs) > 0 && ::recv(fd, buffer, sizeof(buffer), 0) > 0)
    {
    }
    ::close(fd);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static ServerUnderTest server;
    exchange(server.port(), data, size);
    return 0;
}
