// Every operation against Prism (@stoplight/prism-cli from npm) serving our openapi.yaml. Prism checks
// each request against the spec and answers 422 when it does not conform, so a request we build wrong
// fails the test; its answers are generated from the spec's schemas, so our models must read them.
#include "ApiTestSupport.h"

#include "api/BatchApi.h"
#include "api/FilesApi.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

using namespace org::openapitools::client::api;
using namespace testing_support;

namespace {

bool acceptsConnections(uint16_t port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    ::close(fd);
    return connected;
}

/// `prism mock` as a child process on a free loopback port, for the whole test suite.
class PrismProcess
{
public:
    PrismProcess()
        : m_Port(freeLoopbackPort())
        , m_Log(std::string(PRISM_LOG_DIR) + "/prism-" + std::to_string(::getpid()) + ".log")
    {
        m_Pid = ::fork();
        if (m_Pid == 0)
        {
            ::setpgid(0, 0);
            std::FILE* log = std::fopen(m_Log.c_str(), "w");
            if (log != nullptr)
            {
                ::dup2(fileno(log), STDOUT_FILENO);
                ::dup2(fileno(log), STDERR_FILENO);
            }
            const std::string port = std::to_string(m_Port);
            ::execl(PRISM_EXECUTABLE, PRISM_EXECUTABLE, "mock", "--host", "127.0.0.1", "--port", port.c_str(),
                    "--errors", OPENAPI_SPEC, static_cast<char*>(nullptr));
            std::_Exit(127);
        }
        for (int waited = 0; waited < 600 && !acceptsConnections(m_Port); ++waited)
        {
            int status = 0;
            if (::waitpid(m_Pid, &status, WNOHANG) == m_Pid)
            {
                m_Pid = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    ~PrismProcess()
    {
        if (m_Pid > 0)
        {
            ::kill(-m_Pid, SIGTERM);
            ::waitpid(m_Pid, nullptr, 0);
        }
    }

    bool running() const { return m_Pid > 0 && acceptsConnections(m_Port); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_Port); }

    std::string log() const
    {
        std::ifstream in(m_Log);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    uint16_t m_Port;
    std::string m_Log;
    pid_t m_Pid = -1;
};

class PrismTest : public ::testing::Test
{
protected:
    static void SetUpTestSuite() { prism = new PrismProcess(); }
    static void TearDownTestSuite()
    {
        delete prism;
        prism = nullptr;
    }

    void SetUp() override
    {
        ASSERT_TRUE(prism->running()) << PRISM_EXECUTABLE << " did not start (run `npm ci` first). Its log:\n"
                                      << prism->log();
        auto configuration = configurationFor(prism->url());
        configuration->getRetryOptions().maxRetries = 0;
        client = std::make_shared<ApiClient>(configuration);
        batches = std::make_unique<BatchApi>(client);
        files = std::make_unique<FilesApi>(client);
    }

    static PrismProcess* prism;
    std::shared_ptr<ApiClient> client;
    std::unique_ptr<BatchApi> batches;
    std::unique_ptr<FilesApi> files;
};

PrismProcess* PrismTest::prism = nullptr;

TEST_F(PrismTest, CreateBatch)
{
    auto request = std::make_shared<CreateBatchRequest>();
    request->setInputFileId("file-abc123");
    request->setEndpoint(CreateBatchRequest::EndpointEnum::V1_EMBEDDINGS);
    request->setCompletionWindow(CreateBatchRequest::CompletionWindowEnum::_24H);
    request->setMetadata({{"job", "nightly"}});
    const auto batch = batches->createBatch(request).get();
    EXPECT_TRUE(batch->idIsSet());
    EXPECT_EQ(batch->getObject(), Batch::ObjectEnum::BATCH);
}

TEST_F(PrismTest, RetrieveBatch)
{
    EXPECT_TRUE(batches->retrieveBatch("batch_abc123").get()->statusIsSet());
}

TEST_F(PrismTest, CancelBatch)
{
    EXPECT_TRUE(batches->cancelBatch("batch_abc123").get()->idIsSet());
}

TEST_F(PrismTest, ListBatches)
{
    const auto page = batches->listBatches(utility::string_t("batch_abc123"), int64_t{100}).get();
    EXPECT_EQ(page->getObject(), ListBatchesResponse::ObjectEnum::LIST);
}

TEST_F(PrismTest, CreateFile)
{
    auto content = std::make_shared<HttpContent>();
    content->setFileName("requests.jsonl");
    content->setContentType("application/jsonl");
    content->setData(std::make_shared<std::istringstream>(
        R"({"custom_id": "r1", "method": "POST", "url": "/v1/embeddings", "body": {"model": "m", "input": "x"}})"
        "\n"));
    const auto file = files->createFile(content, "batch").get();
    EXPECT_TRUE(file->idIsSet());
}

TEST_F(PrismTest, RetrieveFile)
{
    EXPECT_TRUE(files->retrieveFile("file-abc123").get()->filenameIsSet());
}

TEST_F(PrismTest, DeleteFile)
{
    EXPECT_TRUE(files->deleteFile("file-abc123").get()->deletedIsSet());
}

TEST_F(PrismTest, ListFiles)
{
    const auto page = files
                          ->listFiles(utility::string_t("batch"), int64_t{10000}, utility::string_t("asc"),
                                      utility::string_t("file-abc123"))
                          .get();
    EXPECT_TRUE(page->objectIsSet());
}

TEST_F(PrismTest, DownloadFile)
{
    EXPECT_FALSE(files->downloadFile("file-abc123").get().empty());
    std::ostringstream streamed;
    EXPECT_GT(files->downloadFileTo("file-abc123", streamed).get(), 0u);
}

TEST_F(PrismTest, RefusesARequestWithoutTheApiKey)
{
    auto configuration = configurationFor(prism->url());
    configuration->setApiKey("");
    BatchApi anonymous(std::make_shared<ApiClient>(configuration));
    try
    {
        anonymous.retrieveBatch("batch_abc123").get();
        FAIL() << "Prism accepted a request without Authorization";
    }
    catch (const ApiException& error)
    {
        EXPECT_EQ(error.getStatus(), 401);
    }
}

TEST_F(PrismTest, RefusesARequestThatBreaksTheSpec)
{
    // Built by hand, past the generated checks: proves Prism's validation is on, so the tests above
    // would fail on a request that does not conform.
    ApiRequest request(_XPLATSTR("listBatches"), web::http::methods::GET, _XPLATSTR("/batches"));
    request.addQueryParameter(_XPLATSTR("limit"), utility::string_t("many"));
    try
    {
        client->callApi(std::move(request)).get();
        FAIL() << "Prism accepted limit=many";
    }
    catch (const ApiException& error)
    {
        EXPECT_EQ(error.getStatus(), 422);
        EXPECT_NE(error.getBody().find("limit must be integer"), std::string::npos) << error.getBody();
    }
}

} // namespace
