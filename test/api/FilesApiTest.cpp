// FilesApi against a loopback server: multipart uploads, downloads, and the file operations' requests.
#include "ApiTestSupport.h"

#include "api/FilesApi.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

using namespace org::openapitools::client::api;
using namespace testing_support;

namespace {

/// A scratch file that is removed when the test ends.
class ScratchFile
{
public:
    explicit ScratchFile(const std::string& name)
        : m_Path((std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "-" + name)).string())
    {
    }
    ~ScratchFile() { std::filesystem::remove(m_Path); }
    const std::string& path() const { return m_Path; }

    void write(const std::string& bytes) const { std::ofstream(m_Path, std::ios::binary) << bytes; }
    std::string read() const
    {
        std::ifstream in(m_Path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

private:
    std::string m_Path;
};

std::string randomBytes(size_t size)
{
    std::mt19937 generator(42);
    std::string bytes(size, '\0');
    for (auto& byte : bytes)
    {
        byte = static_cast<char>(generator() & 0xff);
    }
    return bytes;
}

/// One part of a multipart body as a server sees it.
struct Part
{
    std::string headers;
    std::string data;
};

std::vector<Part> splitMultipart(const std::string& body, const std::string& boundary)
{
    std::vector<Part> parts;
    const std::string delimiter = "--" + boundary;
    size_t at = body.find(delimiter);
    while (at != std::string::npos && body.compare(at + delimiter.size(), 2, "--") != 0)
    {
        const size_t headersStart = at + delimiter.size() + 2;
        const size_t headersEnd = body.find("\r\n\r\n", headersStart);
        const size_t next = body.find("\r\n" + delimiter, headersEnd);
        if (headersEnd == std::string::npos || next == std::string::npos)
        {
            break;
        }
        parts.push_back(Part{body.substr(headersStart, headersEnd - headersStart),
                             body.substr(headersEnd + 4, next - headersEnd - 4)});
        at = next + 2;
    }
    return parts;
}

class FilesApiTest : public LoopbackApiTest
{
protected:
    FilesApi api{client};
};

TEST_F(FilesApiTest, CreateFileStreamsAMultipartBodyByteForByte)
{
    ScratchFile upload("requests.jsonl");
    const std::string content = randomBytes(3 * 1024 * 1024 + 17);
    upload.write(content);
    server.enqueueJson(200, fileJson());

    const auto file = api.createFile(HttpContent::fromFile(upload.path(), "application/jsonl"), "batch").get();

    const auto request = onlyRequest();
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/v1/files");
    const std::string contentType = request.header("Content-Type");
    const std::string prefix = "multipart/form-data; boundary=";
    ASSERT_EQ(contentType.rfind(prefix, 0), 0u) << contentType;
    EXPECT_EQ(request.header("Content-Length"), std::to_string(request.body.size()));
    const auto parts = splitMultipart(request.body, contentType.substr(prefix.size()));
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].headers,
              "Content-Disposition: form-data; name=\"file\"; filename=\"" + std::to_string(::getpid())
                  + "-requests.jsonl\"\r\nContent-Type: application/jsonl");
    EXPECT_TRUE(parts[0].data == content) << "the uploaded bytes differ from the file";
    EXPECT_EQ(parts[1].headers, "Content-Disposition: form-data; name=\"purpose\"");
    EXPECT_EQ(parts[1].data, "batch");
    EXPECT_EQ(file->getId(), "file-abc123");
}

TEST_F(FilesApiTest, CreateFileSendsAStreamFromItsCurrentPosition)
{
    auto stream = std::make_shared<std::istringstream>("skip me|{\"custom_id\": \"1\"}\n");
    stream->seekg(8);
    auto content = std::make_shared<HttpContent>();
    content->setFileName("in.jsonl");
    content->setData(stream);
    server.enqueueJson(200, fileJson());

    api.createFile(content, "batch").get();

    const auto request = onlyRequest();
    const std::string boundary =
        request.header("Content-Type").substr(std::string("multipart/form-data; boundary=").size());
    const auto parts = splitMultipart(request.body, boundary);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].data, "{\"custom_id\": \"1\"}\n");
    EXPECT_NE(parts[0].headers.find("filename=\"in.jsonl\""), std::string::npos);
    EXPECT_NE(parts[0].headers.find("Content-Type: application/octet-stream"), std::string::npos);
}

TEST_F(FilesApiTest, ARetriedUploadSendsTheWholeFileAgain)
{
    ScratchFile upload("retry.jsonl");
    upload.write("line one\nline two\n");
    server.enqueueJson(503,
                       R"({"error": {"message": "overloaded", "type": "server_error", "param": null, "code": null}})");
    server.enqueueJson(200, fileJson());

    api.createFile(HttpContent::fromFile(upload.path()), "batch").get();

    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].body, seen[1].body);
    EXPECT_NE(seen[1].body.find("line one\nline two\n"), std::string::npos);
}

/// A stream that can only be read forward, like a pipe: seeking fails.
class ForwardOnlyBuffer : public std::streambuf
{
public:
    explicit ForwardOnlyBuffer(std::string data)
        : m_Data(std::move(data))
    {
        setg(m_Data.data(), m_Data.data(), m_Data.data() + m_Data.size());
    }

private:
    std::string m_Data;
};

class ForwardOnlyStream : public std::istream
{
public:
    explicit ForwardOnlyStream(std::string data)
        : std::istream(nullptr)
        , m_Buffer(std::move(data))
    {
        rdbuf(&m_Buffer);
    }

private:
    ForwardOnlyBuffer m_Buffer;
};

TEST_F(FilesApiTest, AStreamThatCannotSeekIsSentChunkedAndNotRetried)
{
    auto content = std::make_shared<HttpContent>();
    content->setFileName("piped.jsonl");
    content->setData(std::make_shared<ForwardOnlyStream>("{\"custom_id\": \"p\"}\n"));
    server.enqueueJson(503, "{}");
    server.enqueueJson(200, fileJson());

    EXPECT_THROW(api.createFile(content, "batch").get(), ApiException);

    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].header("Transfer-Encoding"), "chunked");
    EXPECT_NE(seen[0].body.find("{\"custom_id\": \"p\"}\n"), std::string::npos);
}

TEST_F(FilesApiTest, RetrieveAndDeleteFileUseTheFilePath)
{
    server.enqueueJson(200, fileJson("file-1"));
    server.enqueueJson(200, R"({"id": "file-1", "object": "file", "deleted": true})");

    EXPECT_EQ(api.retrieveFile("file-1").get()->getBytes(), 120000);
    EXPECT_TRUE(api.deleteFile("file-1").get()->isDeleted());

    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].method, "GET");
    EXPECT_EQ(seen[0].target, "/v1/files/file-1");
    EXPECT_EQ(seen[1].method, "DELETE");
    EXPECT_EQ(seen[1].target, "/v1/files/file-1");
}

TEST_F(FilesApiTest, ListFilesSendsEveryParameterInSpecOrder)
{
    server.enqueueJson(200, R"({"object": "list", "data": [)" + fileJson() + R"(], "has_more": false})");
    const auto page =
        api.listFiles(utility::string_t("batch"), int64_t{10000}, utility::string_t("asc"), utility::string_t("file-0"))
            .get();

    EXPECT_EQ(onlyRequest().target, "/v1/files?purpose=batch&limit=10000&order=asc&after=file-0");
    ASSERT_EQ(page->getData().size(), 1u);
    EXPECT_EQ(page->getData()[0]->getFilename(), "requests.jsonl");
}

TEST_F(FilesApiTest, DownloadFileReturnsTheRawBytes)
{
    const std::string jsonl = std::string("{\"custom_id\": \"a\"}\n{\"custom_id\": \"b\"}\n") + '\0' + "\xff\xfe";
    server.enqueue(CannedResponse::text(200, jsonl, {{"Content-Type", "application/octet-stream"}}));

    const utility::string_t bytes = api.downloadFile("file-out").get();

    EXPECT_EQ(onlyRequest().target, "/v1/files/file-out/content");
    EXPECT_TRUE(bytes == jsonl);
}

TEST_F(FilesApiTest, DownloadFileToAStreamWritesTheBody)
{
    server.enqueue(CannedResponse::text(200, "line 1\nline 2\n"));
    std::ostringstream out;

    EXPECT_EQ(api.downloadFileTo("file-out", out).get(), 14u);
    EXPECT_EQ(out.str(), "line 1\nline 2\n");
}

TEST_F(FilesApiTest, DownloadToAPathLeavesAnExistingFileAloneOnError)
{
    ScratchFile target("keep.jsonl");
    target.write("previous content");
    server.enqueueJson(404, R"({"error": {"message": "No such File object: file-x", "type": "invalid_request_error",
                                          "param": "id", "code": null}})");

    EXPECT_THROW(api.downloadFileTo("file-x", target.path()).get(), ApiException);
    EXPECT_EQ(target.read(), "previous content");
}

TEST_F(FilesApiTest, DownloadToAPathThatCannotBeOpenedFailsClearly)
{
    server.enqueue(CannedResponse::text(200, "data"));
    try
    {
        api.downloadFileTo("file-out", std::string("/nonexistent-dir/out.jsonl")).get();
        FAIL() << "expected an exception";
    }
    catch (const std::runtime_error& error)
    {
        EXPECT_STREQ(error.what(), "cannot open '/nonexistent-dir/out.jsonl' for writing");
    }
}

TEST_F(FilesApiTest, ARetriedDownloadToAPathStartsTheFileAgain)
{
    ScratchFile target("retried.jsonl");
    server.enqueue(CannedResponse::text(500, "oops"));
    server.enqueue(CannedResponse::text(200, "complete body\n"));

    EXPECT_EQ(api.downloadFileTo("file-out", target.path()).get(), 14u);
    EXPECT_EQ(target.read(), "complete body\n");
    EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(FilesApiTest, TheTimeoutLimitsSilenceNotTheLengthOfADownload)
{
    // Five 100 KB pieces 300 ms apart take 1.5 s in all, longer than the 1 s timeout, but the server is
    // never silent for a second: a long download that keeps moving must not be cut off.
    configuration->setTimeout(std::chrono::milliseconds(1000));
    configuration->getRetryOptions().maxRetries = 0;
    reconfigure();
    CannedResponse slow;
    for (char c = 'a'; c < 'f'; ++c)
    {
        slow.trickle.push_back(std::string(size_t{100} * 1024, c));
    }
    slow.trickleDelay = std::chrono::milliseconds(300);
    server.enqueue(slow);
    std::ostringstream out;

    EXPECT_EQ(api.downloadFileTo("file-slow", out).get(), 5u * 100 * 1024);
    EXPECT_EQ(out.str().substr(size_t{4} * 100 * 1024, 3), "eee");
}

/// The process's resident set now, and its peak since the last reset, from /proc.
long residentKiB(const char* field)
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
    {
        if (line.rfind(field, 0) == 0)
        {
            return std::stol(line.substr(std::string(field).size()));
        }
    }
    return -1;
}

TEST_F(FilesApiTest, A100MegabyteDownloadToAFileKeepsPeakMemoryFarBelowItsSize)
{
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "AddressSanitizer holds freed memory in quarantine, so RSS says nothing here";
#endif
    constexpr size_t size = size_t{100} << 20;
    ScratchFile source("source-100mb.jsonl");
    {
        std::ofstream out(source.path(), std::ios::binary);
        const std::string line = std::string(1023, 'x') + "\n";
        for (size_t written = 0; written < size; written += line.size())
        {
            out << line;
        }
    }
    ScratchFile target("download-100mb.jsonl");
    server.enqueue(CannedResponse::fromFile(source.path()));
    // Reset the peak so that VmHWM measures this download only (Linux: "5" to clear_refs).
    std::ofstream("/proc/self/clear_refs") << "5";
    const long before = residentKiB("VmHWM:");

    const uint64_t written = api.downloadFileTo("file-big", target.path()).get();

    const long peakGrowthKiB = residentKiB("VmHWM:") - before;
    EXPECT_EQ(written, size);
    EXPECT_EQ(std::filesystem::file_size(target.path()), size);
    RecordProperty("peak_rss_growth_kib", std::to_string(peakGrowthKiB));
    std::printf("peak RSS growth during a %zu MiB download: %ld KiB\n", size >> 20, peakGrowthKiB);
    // The server streams the file in the same process, so this bounds both ends together.
    EXPECT_LT(peakGrowthKiB, 32 * 1024);
}

} // namespace
