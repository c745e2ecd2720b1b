// libFuzzer harness: any bytes sent over a loopback connection to the local Batch API server, as a
// client would send them: request line, headers (Authorization among them), multipart uploads, JSON
// bodies, query strings. The server runs in this process, so a crash, a sanitizer finding or an escaped
// exception in its request handling ends the run. Each input gets its own connection; the harness
// reads the answer until the server closes it.
//
// The server keeps what it is sent on disk, so every few thousand inputs it is replaced by a new one
// in a fresh state directory.
#include "LocalBatchServer.h"

#include "test/api/RawExchange.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>

namespace {

constexpr int inputsPerServer = 2000;
constexpr std::chrono::milliseconds answerTimeout(5000);

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

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static ServerUnderTest server;
    const int fd = testing_support::connectLoopback(server.port());
    if (fd < 0)
    {
        std::abort(); // the server stopped listening
    }
    testing_support::exchangeRaw(fd, std::string_view(reinterpret_cast<const char*>(data), size), answerTimeout);
    return 0;
}
