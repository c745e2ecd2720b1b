// Upload and download through the API layer, for bench/compare.py:
//   transfer <base-url> <megabytes> <work-dir>
// writes a request file of about that size with RequestFileWriter, uploads it with FilesApi::createFile
// (read from disk as it is sent), downloads it again with downloadFileTo (written to disk as it
// arrives), checks that the copy is byte-identical, deletes both, and prints
// "<upload seconds> <download seconds> <peak RSS KiB>". The API key is taken from OPENAI_API_KEY.
#include "PeakRss.h"

#include "api/FilesApi.h"
#include "workflow/RequestFileWriter.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

using org::openapitools::client::api::ApiClient;
using org::openapitools::client::api::ApiConfiguration;
using org::openapitools::client::api::FilesApi;
using org::openapitools::client::model::HttpContent;

/// About `megabytes` MB of chat-completion requests, written and checked by RequestFileWriter. Lines of
/// about 4 KB keep 200 MB under the API's 50,000 requests per file.
void writeRequests(const std::string& path, size_t megabytes)
{
    openai_batch::workflow::RequestFileWriter writer(path, "/v1/chat/completions");
    web::json::value message = web::json::value::object();
    message[_XPLATSTR("role")] = web::json::value::string(_XPLATSTR("user"));
    message[_XPLATSTR("content")] = web::json::value::string(utility::string_t(4000, _XPLATSTR('x')));
    web::json::value body = web::json::value::object();
    body[_XPLATSTR("model")] = web::json::value::string(_XPLATSTR("gpt-4o-mini"));
    body[_XPLATSTR("messages")] = web::json::value::array({message});
    for (size_t i = 0; writer.byteCount() < uint64_t{megabytes} * 1000 * 1000; ++i)
    {
        writer.add("r" + std::to_string(i), body);
    }
    writer.finish();
}

bool sameBytes(const std::string& left, const std::string& right)
{
    std::ifstream a(left, std::ios::binary);
    std::ifstream b(right, std::ios::binary);
    std::vector<char> x(1 << 20);
    std::vector<char> y(1 << 20);
    while (a && b)
    {
        a.read(x.data(), static_cast<std::streamsize>(x.size()));
        b.read(y.data(), static_cast<std::streamsize>(y.size()));
        if (a.gcount() != b.gcount() || !std::equal(x.begin(), x.begin() + a.gcount(), y.begin()))
        {
            return false;
        }
    }
    return a.eof() && b.eof();
}

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Writes, uploads, downloads and compares; prints the figures. The exit status main returns.
int transfer(const std::string& baseUrl, size_t megabytes, const std::string& upload, const std::string& download)
{
    try
    {
        auto configuration = ApiConfiguration::fromEnvironment();
        configuration->setBaseUrl(baseUrl);
        const FilesApi files(std::make_shared<ApiClient>(configuration));
        writeRequests(upload, megabytes);
        const auto started = std::chrono::steady_clock::now();
        const auto file = files.createFile(HttpContent::fromFile(upload, "application/jsonl"), "batch").get();
        const double uploadSeconds = secondsSince(started);
        const auto downloading = std::chrono::steady_clock::now();
        files.downloadFileTo(file->getId(), download).get();
        const double downloadSeconds = secondsSince(downloading);
        if (!sameBytes(upload, download))
        {
            std::cerr << "transfer: the downloaded copy differs from the upload\n";
            return 1;
        }
        std::printf("%.3f %.3f %ld\n", uploadSeconds, downloadSeconds, openai_batch::bench::peakRssKiB());
        return 0;
    }
    catch (const std::exception& error)
    {
        std::cerr << "transfer: " << error.what() << "\n";
        return 1;
    }
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 4)
    {
        std::cerr << "usage: transfer <base-url> <megabytes> <work-dir>\n";
        return 2;
    }
    const std::string upload = std::string(argv[3]) + "/upload.jsonl";
    const std::string download = std::string(argv[3]) + "/download.jsonl";
    const int status = transfer(argv[1], std::stoul(argv[2]), upload, download);
    std::remove(upload.c_str());
    std::remove(download.c_str());
    return status;
}
