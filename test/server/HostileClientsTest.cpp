// The local server against clients that break the rules: oversized heads and bodies, too many
// connections, requests that stop halfway, uploads aborted by the hundred, slow faults; and batches
// whose requests the server cannot read, or whose input file goes away while they run. Each must cost
// the client its request (or the batch its own run), never the server or any other batch.
#include "Responders.h"
#include "ServerFixture.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

namespace openai_batch::testing_server {
namespace {

using Clock = std::chrono::steady_clock;
const std::string AUTH = "Host: 127.0.0.1\r\nAuthorization: Bearer sk-any\r\n";

class HostileClientsTest : public LocalBatchServerTest
{
protected:
    /// Sends bytes without closing, and returns what arrives before the server closes or `patience` ends.
    std::string sendAndRead(int fd, const std::string& bytes, milliseconds patience = milliseconds(3000)) const
    {
        ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        timeval timeout{static_cast<time_t>(patience.count() / 1000),
                        static_cast<suseconds_t>((patience.count() % 1000) * 1000)};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        std::string answer;
        char chunk[4096];
        for (ssize_t got; (got = ::recv(fd, chunk, sizeof chunk, 0)) > 0;)
        {
            answer.append(chunk, static_cast<size_t>(got));
        }
        return answer;
    }

    /// Whether the server answers GET /v1/batches within `within`.
    bool answersWithin(milliseconds within) const
    {
        const auto start = Clock::now();
        const auto answer = exchangeRaw("GET /v1/batches?limit=1 HTTP/1.1\r\n" + AUTH + "\r\n", within);
        return answer && answer->rfind("HTTP/1.1 200", 0) == 0 && Clock::now() - start < within;
    }

    size_t leftoverUploads() const
    {
        size_t count = 0;
        for (const auto& entry : std::filesystem::directory_iterator(directory / "state" / "uploads"))
        {
            count += entry.is_regular_file() ? 1 : 0;
        }
        return count;
    }

    /// Opens `count` uploads that promise 100 MB, sends a little of each, then resets them all at once.
    void abortUploads(size_t count)
    {
        std::vector<int> sockets;
        const std::string head = "POST /v1/files HTTP/1.1\r\n" + AUTH
            + "Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 100000000\r\n\r\n--XYZ\r\n"
            + "Content-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\n\r\n" + std::string(20000, 'x');
        for (size_t i = 0; i < count; ++i)
        {
            const int fd = connectRaw();
            ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
            sockets.push_back(fd);
        }
        std::this_thread::sleep_for(milliseconds(200)); // the server has begun storing every one
        for (const int fd : sockets)
        {
            const linger reset{1, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
            ::close(fd);
        }
    }

    /// Polls until pred holds (at most 5 s).
    static bool eventually(const std::function<bool()>& pred)
    {
        for (int i = 0; i < 500 && !pred(); ++i)
        {
            std::this_thread::sleep_for(milliseconds(10));
        }
        return pred();
    }
};

TEST_F(HostileClientsTest, HeadersOverTheLimitGet431BeforeMoreIsRead)
{
    server::ServerOptions options = defaultOptions();
    options.http.headerBytes = 8192;
    startWith(options);
    const int fd = connectRaw();
    // The server answers once it has 8 KiB; the client goes on sending a header it never ends.
    const std::string answer =
        sendAndRead(fd, "GET /v1/batches HTTP/1.1\r\n" + AUTH + "X-Big: " + std::string(20000, 'a'));
    ::close(fd);
    EXPECT_EQ(answer.rfind("HTTP/1.1 431", 0), 0u) << answer;
    EXPECT_TRUE(answersWithin(milliseconds(1000)));
}

TEST_F(HostileClientsTest, BodiesOverTheLimitGet413BeforeTheyAreRead)
{
    server::ServerOptions options = defaultOptions();
    options.maxFileBytes = 1000;
    startWith(options);
    // Declared too large: refused from the head alone, although not a byte of the body was sent.
    for (const std::string& head :
         {"POST /v1/batches HTTP/1.1\r\n" + AUTH
              + "Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n",
          "POST /v1/files HTTP/1.1\r\n" + AUTH
              + "Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 1073741824\r\n\r\n"})
    {
        const int fd = connectRaw();
        const std::string answer = sendAndRead(fd, head);
        ::close(fd);
        EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << head << answer;
    }
    // Chunked, with no length to check: refused once the body passes the limit.
    const int fd = connectRaw();
    std::string chunked = "POST /v1/batches HTTP/1.1\r\n" + AUTH + "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 40; ++i)
    {
        chunked += "8000\r\n" + std::string(0x8000, ' ') + "\r\n";
    }
    const std::string answer = sendAndRead(fd, chunked);
    ::close(fd);
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);
    // A whole upload whose file part is over the file limit, though its body is within the framing.
    const std::string upload = "--XYZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--XYZ\r\n"
                               "Content-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\n\r\n"
        + std::string(1001, 'x') + "\r\n--XYZ--\r\n";
    const auto refused = exchangeRaw("POST /v1/files HTTP/1.1\r\n" + AUTH
                                     + "Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: "
                                     + std::to_string(upload.size()) + "\r\n\r\n" + upload);
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->rfind("HTTP/1.1 413", 0), 0u) << *refused;
    EXPECT_NE(refused->find("file_too_large"), std::string::npos) << *refused;
    EXPECT_TRUE(eventually([&] { return leftoverUploads() == 0; }));
}

TEST_F(HostileClientsTest, ConnectionsOverTheLimitGet503AndTheRestAreServed)
{
    server::ServerOptions options = defaultOptions();
    options.http.maxConnections = 4;
    startWith(options);
    std::vector<int> idle;
    idle.reserve(4);
    for (int i = 0; i < 4; ++i)
    {
        idle.push_back(connectRaw());
    }
    ASSERT_TRUE(eventually([&] { return server->connections() == 4; }));
    const int fd = connectRaw();
    const std::string answer = sendAndRead(fd, "");
    ::close(fd);
    EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0u) << answer;
    for (const int socket : idle)
    {
        ::close(socket);
    }
    EXPECT_TRUE(eventually([&] { return server->connections() == 0; }));
    EXPECT_TRUE(answersWithin(milliseconds(1000)));
}

TEST_F(HostileClientsTest, RequestsThatStopHalfwayAreDroppedAfterTheReadTimeout)
{
    server::ServerOptions options = defaultOptions();
    options.http.readTimeout = milliseconds(300);
    options.http.idleTimeout = milliseconds(300);
    startWith(options);
    for (const std::string& half :
         {std::string("GET /v1/batc"), "POST /v1/batches HTTP/1.1\r\n" + AUTH + "Content-Length: 100\r\n\r\n{\"in",
          std::string()})
    {
        const int fd = connectRaw();
        const auto start = Clock::now();
        sendAndRead(fd, half, milliseconds(5000));
        ::close(fd);
        EXPECT_LT(Clock::now() - start, milliseconds(3000)) << "still open: " << half;
    }
    EXPECT_TRUE(eventually([&] { return server->connections() == 0; }));
}

TEST_F(HostileClientsTest, UploadsAbortedByTheHundredLeaveNothingAndTheServerAnswers)
{
    start();
    for (const size_t count : {size_t{60}, size_t{200}})
    {
        abortUploads(count);
        EXPECT_TRUE(answersWithin(milliseconds(1000))) << "after " << count << " aborted uploads";
        EXPECT_TRUE(eventually([&] { return leftoverUploads() == 0 && server->connections() == 0; }))
            << leftoverUploads() << " temporary files and " << server->connections() << " connections left after "
            << count << " aborted uploads";
    }
    EXPECT_TRUE(
        api::FilesApi(client).listFiles(boost::none, boost::none, boost::none, boost::none).get()->getData().empty());
}

TEST_F(HostileClientsTest, AChunkHeaderThatNeverEndsIsRefusedInBoundedMemory)
{
    start();
    const int fd = connectRaw();
    const std::string answer = sendAndRead(
        fd, "POST /v1/batches HTTP/1.1\r\n" + AUTH + "Transfer-Encoding: chunked\r\n\r\n1;" + std::string(300000, 'a'));
    ::close(fd);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer.substr(0, 200);
    EXPECT_TRUE(answersWithin(milliseconds(1000)));
}

TEST_F(HostileClientsTest, ABodyTrickledInJustUnderTheTimeoutIsDroppedAtTheMinimumRate)
{
    server::ServerOptions options = defaultOptions();
    options.http.readTimeout = milliseconds(300);
    startWith(options);
    const int fd = connectRaw();
    const std::string head = "POST /v1/batches HTTP/1.1\r\n" + AUTH + "Content-Length: 1000\r\n\r\n";
    ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    const auto start = Clock::now();
    bool open = true;
    // One byte every 150 ms: each pause is within the timeout, the rate far below 16 KiB/s.
    for (int i = 0; i < 40 && open; ++i)
    {
        std::this_thread::sleep_for(milliseconds(150));
        open = ::send(fd, "{", 1, MSG_NOSIGNAL) == 1;
    }
    ::close(fd);
    EXPECT_FALSE(open) << "still reading a trickle after " << (Clock::now() - start).count() / 1000000 << " ms";
    EXPECT_LT(Clock::now() - start, milliseconds(3000));
}

TEST_F(HostileClientsTest, AnUploadOfTooManyPartsIsMalformed)
{
    start();
    std::string upload;
    for (int i = 0; i < 100; ++i)
    {
        upload += "--XYZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n";
    }
    upload += "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n{}\n\r\n--XYZ--\r\n";
    const auto answer = exchangeRaw("POST /v1/files HTTP/1.1\r\n" + AUTH
                                    + "Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: "
                                    + std::to_string(upload.size()) + "\r\n\r\n" + upload);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->rfind("HTTP/1.1 400", 0), 0u) << *answer;
    EXPECT_NE(answer->find("malformed"), std::string::npos) << *answer;
}

TEST_F(HostileClientsTest, MetadataThatWouldNotBeValidUtf8IsRefused)
{
    start();
    const std::string file = utility::conversions::to_utf8string(
        api::FilesApi(client)
            .createFile(model::HttpContent::fromFile(requestFile("/v1/chat/completions", 1)),
                        utility::string_t("batch"))
            .get()
            ->getId());
    const std::string body = R"({"input_file_id": ")" + file
        + R"(", "endpoint": "/v1/chat/completions", "completion_window": "24h", "metadata": {"k": "\ud800"}})";
    const auto answer = exchangeRaw("POST /v1/batches HTTP/1.1\r\n" + AUTH + "Content-Type: application/json\r\n"
                                    + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->rfind("HTTP/1.1 400", 0), 0u) << *answer;
}

TEST_F(HostileClientsTest, AFileOfAMillionProblemsFailsItsBatchWithTheFirstHundredListed)
{
    start();
    const std::string path = (directory / "blank.jsonl").string();
    std::ofstream(path) << std::string(1000000, '\n');
    const auto failed = waitUntil(createBatchFrom(path), [](const model::Batch& batch) {
        return batch.getStatus() == model::Batch::StatusEnum::FAILED;
    });
    ASSERT_TRUE(failed && failed->getErrors());
    const auto& errors = failed->getErrors()->getData();
    ASSERT_EQ(errors.size(), 101u);
    EXPECT_EQ(utility::conversions::to_utf8string(errors.back()->getMessage()), "and 999900 more problems");
}

TEST_F(HostileClientsTest, ASecondServerOnTheSameStateDirectoryIsRefused)
{
    start();
    try
    {
        server::LocalBatchServer second(defaultOptions());
        FAIL() << "a second server started on " << directory / "state";
    }
    catch (const std::runtime_error& refused)
    {
        EXPECT_NE(std::string(refused.what()).find("in use by another server"), std::string::npos) << refused.what();
    }
    EXPECT_TRUE(answersWithin(milliseconds(1000)));
}

TEST_F(HostileClientsTest, AnUploadLeftOverFromACrashIsSweptAtStart)
{
    std::filesystem::create_directories(directory / "state" / "uploads");
    std::ofstream(directory / "state" / "uploads" / "upload-7.tmp") << "half an upload";
    start();
    EXPECT_EQ(leftoverUploads(), 0u);
}

TEST_F(HostileClientsTest, SlowFaultsHoldNoThread)
{
    start({}, "", {server::FaultRule::parse("slow=1000:rate=1")});
    // 40 slow requests at once: a server that slept on its threads would take ten rounds of its four
    // workers; on timers, they all wait together.
    std::vector<std::thread> clients;
    clients.reserve(40);
    std::atomic<int> answered{0};
    const auto start = Clock::now();
    for (int i = 0; i < 40; ++i)
    {
        clients.emplace_back([&] {
            const auto answer = exchangeRaw("GET /v1/batches HTTP/1.1\r\n" + AUTH + "\r\n", milliseconds(8000));
            answered += answer && answer->rfind("HTTP/1.1 200", 0) == 0 ? 1 : 0;
        });
    }
    for (auto& thread : clients)
    {
        thread.join();
    }
    EXPECT_EQ(answered, 40);
    EXPECT_LT(Clock::now() - start, milliseconds(4000));
}

TEST_F(HostileClientsTest, RequestsTheServerCannotReadGoToTheErrorFileAndOtherBatchesRunOn)
{
    start();
    // A line the request-file check accepts but cpprestsdk cannot hold: a body nested 200 levels deep (the
    // check allows 256). It is one request's failure, not the batch's. (A lone surrogate, the other such
    // line once, is now refused by the check itself, with its place.)
    const std::string path = (directory / "odd.jsonl").string();
    {
        std::ofstream odd(path);
        odd << R"({"custom_id": "deep", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "x": )"
            << std::string(200, '[') << std::string(200, ']') << "}}\n";
        odd << R"({"custom_id": "plain", "method": "POST", "url": "/v1/chat/completions", "body": )"
            << R"({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}})"
            << "\n";
    }
    const std::string odd = createBatchFrom(path);
    const std::string plain = createBatchFrom(requestFile("/v1/chat/completions", 5, "plain.jsonl"));
    const auto ended = [](const model::Batch& batch) {
        return batch.getStatus() == model::Batch::StatusEnum::COMPLETED
            || batch.getStatus() == model::Batch::StatusEnum::FAILED;
    };
    const auto oddBatch = waitUntil(odd, ended);
    const auto plainBatch = waitUntil(plain, ended);
    ASSERT_TRUE(oddBatch && plainBatch);
    EXPECT_EQ(plainBatch->getStatus(), model::Batch::StatusEnum::COMPLETED);
    ASSERT_EQ(oddBatch->getStatus(), model::Batch::StatusEnum::COMPLETED);
    EXPECT_EQ(oddBatch->getRequestCounts()->getCompleted() + oddBatch->getRequestCounts()->getFailed(), 2);
    const std::string errors = (directory / "odd-errors.jsonl").string();
    api::FilesApi(client).downloadFileTo(oddBatch->getErrorFileId(), errors).get();
    std::set<std::string> failed;
    for (const auto& result : resultsOf(errors))
    {
        failed.insert(result.customId);
    }
    EXPECT_TRUE(failed.count("deep")) << "the deep body is refused as that request's error";
}

TEST_F(HostileClientsTest, DeletingTheInputFileMidRunFailsThatBatchOnly)
{
    start(server::Pacing{milliseconds(0), milliseconds(20), milliseconds(24 * 3600 * 1000)});
    const std::string path = requestFile("/v1/chat/completions", 200, "victim.jsonl");
    const auto uploaded =
        api::FilesApi(client).createFile(model::HttpContent::fromFile(path), utility::string_t("batch")).get();
    auto request = std::make_shared<model::CreateBatchRequest>();
    request->setInputFileId(uploaded->getId());
    request->setEndpoint(model::CreateBatchRequest::EndpointEnum::V1_CHAT_COMPLETIONS);
    request->setCompletionWindow(model::CreateBatchRequest::CompletionWindowEnum::_24H);
    const std::string victim =
        utility::conversions::to_utf8string(api::BatchApi(client).createBatch(request).get()->getId());
    const std::string bystander = createBatchFrom(requestFile("/v1/chat/completions", 20, "bystander.jsonl"));
    waitUntil(victim, [](const model::Batch& batch) { return batch.getRequestCounts()->getCompleted() > 0; });
    api::FilesApi(client).deleteFile(uploaded->getId()).get();

    const auto failed = waitUntil(
        victim, [](const model::Batch& batch) { return batch.getStatus() == model::Batch::StatusEnum::FAILED; });
    ASSERT_TRUE(failed);
    const auto message = utility::conversions::to_utf8string(failed->getErrors()->getData().front()->getMessage());
    EXPECT_NE(message.find("deleted"), std::string::npos) << message;
    const auto finished = waitUntil(
        bystander, [](const model::Batch& batch) { return batch.getStatus() == model::Batch::StatusEnum::COMPLETED; });
    EXPECT_TRUE(finished);
}

TEST_F(HostileClientsTest, AFileNameThatIsNotUtf8IsStoredAsValidUtf8)
{
    start();
    const std::string upload = "--XYZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--XYZ\r\n"
                               "Content-Disposition: form-data; name=\"file\"; filename=\"in\xff\xc3.jsonl\"\r\n\r\n"
                               "{}\n\r\n--XYZ--\r\n";
    const auto answer = exchangeRaw("POST /v1/files HTTP/1.1\r\n" + AUTH
                                    + "Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: "
                                    + std::to_string(upload.size()) + "\r\n\r\n" + upload);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->rfind("HTTP/1.1 200", 0), 0u) << *answer;
    EXPECT_NE(answer->find("in\xef\xbf\xbd\xef\xbf\xbd.jsonl"), std::string::npos) << *answer;
    const auto files = api::FilesApi(client).listFiles(boost::none, boost::none, boost::none, boost::none).get();
    ASSERT_EQ(files->getData().size(), 1u);
    EXPECT_EQ(utility::conversions::to_utf8string(files->getData().front()->getFilename()),
              "in\xef\xbf\xbd\xef\xbf\xbd.jsonl");
}

TEST_F(HostileClientsTest, AFailedFileWithABomOrBadBytesStillGetsValidJson)
{
    start();
    const std::string path = (directory / "bom.jsonl").string();
    std::ofstream(path) << "\xef\xbb\xbf{\"custom_id\": \"a\"}\n\xff\xfe{\n";
    const std::string id = createBatchFrom(path);
    const auto failed =
        waitUntil(id, [](const model::Batch& batch) { return batch.getStatus() == model::Batch::StatusEnum::FAILED; });
    ASSERT_TRUE(failed);
    const auto answer = exchangeRaw("GET /v1/batches/" + id + " HTTP/1.1\r\n" + AUTH + "Connection: close\r\n\r\n");
    ASSERT_TRUE(answer.has_value());
    const std::string body = answer->substr(answer->find("\r\n\r\n") + 4);
    EXPECT_EQ(server::validUtf8(body), body) << body;
    EXPECT_NE(body.find("\"line\":1}"), std::string::npos) << body;
}

TEST(ValidUtf8, KeepsWellFormedTextAndReplacesEveryBadByte)
{
    EXPECT_EQ(server::validUtf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
              "plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    EXPECT_EQ(server::validUtf8("\xef\xbb\xbf"
                                "bom"),
              "\xef\xbb\xbf"
              "bom"); // a BOM is well-formed
    const std::string bad = "\xef\xbf\xbd";
    EXPECT_EQ(server::validUtf8("\xff"), bad);
    EXPECT_EQ(server::validUtf8("\xc3"), bad);                               // cut short
    EXPECT_EQ(server::validUtf8("\xc0\xaf"), bad + bad);                     // overlong
    EXPECT_EQ(server::validUtf8("\xed\xa0\x80"), bad + bad + bad);           // a surrogate
    EXPECT_EQ(server::validUtf8("\xf4\x90\x80\x80"), bad + bad + bad + bad); // past U+10FFFF
    EXPECT_EQ(server::validUtf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

} // namespace
} // namespace openai_batch::testing_server
