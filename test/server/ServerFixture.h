// The fixture of the local server's tests: a server in process on its own state directory, this
// package's client pointed at it, and helpers for request files and results.
#pragma once

#include "LocalBatchServer.h"

#include "api/BatchApi.h"
#include "api/FilesApi.h"
#include "workflow/BatchRunner.h"
#include "workflow/RequestFileWriter.h"
#include "workflow/ResultFileReader.h"

#include "test/api/RawExchange.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <thread>

namespace openai_batch::testing_server {

using namespace openai_batch::workflow;
using std::chrono::milliseconds;

class LocalBatchServerTest : public ::testing::Test
{
protected:
    LocalBatchServerTest()
        : directory(std::filesystem::temp_directory_path()
                    / ("local-server-" + std::to_string(::getpid()) + "-"
                       + ::testing::UnitTest::GetInstance()->current_test_info()->name()))
    {
        std::filesystem::remove_all(directory);
        std::filesystem::create_directories(directory / "run");
    }
    ~LocalBatchServerTest() override
    {
        server.reset();
        std::filesystem::remove_all(directory);
    }

    /// A plain TCP connection to the running server.
    int connectRaw() const
    {
        const int fd = testing_support::connectLoopback(server->port());
        if (fd < 0)
        {
            throw std::runtime_error("cannot connect to the local server");
        }
        return fd;
    }

    /// Sends bytes, closes the sending half, and returns all the server sends back before it closes
    /// the connection; nothing when it keeps the connection open for longer than `patience`.
    std::optional<std::string> exchangeRaw(const std::string& bytes, milliseconds patience = milliseconds(3000)) const
    {
        return testing_support::exchangeRaw(connectRaw(), bytes, patience);
    }

    void start(server::Pacing pacing = {}, const std::string& key = "", std::vector<server::FaultRule> faults = {})
    {
        server::ServerOptions options = defaultOptions();
        options.pacing = pacing;
        options.apiKey = key;
        options.faults = std::move(faults);
        startWith(options);
    }

    /// The options start() begins from: this test's state directory, nothing else.
    server::ServerOptions defaultOptions() const
    {
        server::ServerOptions options;
        options.stateDirectory = (directory / "state").string();
        return options;
    }

    void startWith(const server::ServerOptions& options)
    {
        server = std::make_unique<server::LocalBatchServer>(options);
        auto configuration = std::make_shared<api::ApiConfiguration>();
        configuration->setBaseUrl(server->baseUrl());
        configuration->setApiKey(options.apiKey.empty() ? "sk-any" : options.apiKey);
        client = std::make_shared<api::ApiClient>(configuration);
    }

    std::string requestFile(const std::string& endpoint, size_t count, const std::string& name = "requests.jsonl")
    {
        std::string path = (directory / name).string();
        RequestFileWriter writer(path, endpoint);
        for (size_t i = 0; i < count; ++i)
        {
            const std::string id = "r" + std::to_string(i);
            writer.add(
                id,
                endpoint == "/v1/embeddings"
                    ? web::json::value::parse(R"({"model": "text-embedding-3-small", "input": "text )" + id + R"("})")
                    : web::json::value::parse(
                        R"({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello )" + id
                        + R"("}]})"));
        }
        writer.finish();
        return path;
    }

    RunOptions runOptions(const std::string& path, const std::string& endpoint)
    {
        RunOptions options;
        options.requestFile = path;
        options.endpoint = endpoint;
        options.outputDirectory = (directory / "run").string();
        options.wait.firstInterval = milliseconds(20);
        options.wait.maxInterval = milliseconds(100);
        return options;
    }

    /// Uploads path and creates a chat-completions batch from it, without waiting: the batch's id.
    std::string createBatchFrom(const std::string& path)
    {
        const auto uploaded = api::FilesApi(client).createFile(model::HttpContent::fromFile(path), "batch").get();
        auto request = std::make_shared<model::CreateBatchRequest>();
        request->setInputFileId(uploaded->getId());
        request->setEndpoint(model::CreateBatchRequest::EndpointEnum::V1_CHAT_COMPLETIONS);
        request->setCompletionWindow(model::CreateBatchRequest::CompletionWindowEnum::_24H);
        return utility::conversions::to_utf8string(api::BatchApi(client).createBatch(request).get()->getId());
    }

    std::shared_ptr<model::Batch> waitUntil(const std::string& id, const std::function<bool(const model::Batch&)>& done)
    {
        api::BatchApi batches(client);
        for (int i = 0; i < 500; ++i)
        {
            auto batch = batches.retrieveBatch(id).get();
            if (done(*batch))
            {
                return batch;
            }
            std::this_thread::sleep_for(milliseconds(10));
        }
        ADD_FAILURE() << "batch " << id << " never reached the expected state";
        return nullptr;
    }

    std::filesystem::path directory;
    std::unique_ptr<server::LocalBatchServer> server;
    std::shared_ptr<api::ApiClient> client;
};

inline std::vector<BatchResult> resultsOf(const std::string& path)
{
    std::vector<BatchResult> results;
    if (path.empty())
    {
        return results;
    }
    ResultFileReader reader(path);
    BatchResult result;
    while (reader.next(result))
    {
        results.push_back(result);
        results.back().line = {}; // the view ends with the reader; keep the copies only
    }
    return results;
}

} // namespace openai_batch::testing_server
