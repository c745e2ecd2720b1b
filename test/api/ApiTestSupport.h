// Shared set-up for the API tests: a client pointed at a loopback server, with retry waits recorded
// instead of slept.
#pragma once

#include "LoopbackServer.h"

#include "api/ApiClient.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace testing_support {

inline const char* const TEST_API_KEY = "sk-test-0123456789abcdef";

/// The waits the retry loop asked for, in order; nothing actually sleeps.
class RecordedSleeps
{
public:
    org::openapitools::client::api::RetryHooks hooks(
        std::chrono::system_clock::time_point now = std::chrono::system_clock::now())
    {
        org::openapitools::client::api::RetryHooks hooks;
        hooks.sleep = [this](std::chrono::milliseconds delay) {
            std::lock_guard<std::mutex> lock(m_Mutex);
            m_Waits.push_back(delay);
            return pplx::task_from_result();
        };
        hooks.now = [now] { return now; };
        hooks.jitter = [] { return 0.0; };
        return hooks;
    }

    std::vector<std::chrono::milliseconds> waits() const
    {
        std::lock_guard<std::mutex> lock(m_Mutex);
        return m_Waits;
    }

private:
    mutable std::mutex m_Mutex;
    std::vector<std::chrono::milliseconds> m_Waits;
};

inline std::shared_ptr<org::openapitools::client::api::ApiConfiguration> configurationFor(const std::string& baseUrl)
{
    auto configuration = std::make_shared<org::openapitools::client::api::ApiConfiguration>();
    configuration->setBaseUrl(baseUrl);
    configuration->setApiKey(TEST_API_KEY);
    return configuration;
}

/// A loopback server and a client whose base URL is <server>/v1, so that tests also see the base path kept.
class LoopbackApiTest : public ::testing::Test
{
protected:
    LoopbackApiTest()
        : configuration(configurationFor(server.url() + "/v1"))
        , client(std::make_shared<org::openapitools::client::api::ApiClient>(configuration))
    {
        client->setRetryHooks(sleeps.hooks());
    }

    /// The one request the server saw (a failure if it saw another number).
    RecordedRequest onlyRequest() const
    {
        const auto seen = server.requests();
        EXPECT_EQ(seen.size(), 1u);
        return seen.empty() ? RecordedRequest{} : seen.front();
    }

    /// Applies changes made to configuration after the client was created.
    void reconfigure() { client->setConfiguration(configuration); }

    LoopbackServer server;
    RecordedSleeps sleeps;
    std::shared_ptr<org::openapitools::client::api::ApiConfiguration> configuration;
    std::shared_ptr<org::openapitools::client::api::ApiClient> client;
};

/// The JSON of a complete batch, as the API returns one.
inline std::string batchJson(const std::string& id = "batch_abc123", const std::string& status = "validating")
{
    return R"({"id": ")" + id + R"(", "object": "batch", "endpoint": "/v1/chat/completions", "errors": null,
        "input_file_id": "file-abc123", "completion_window": "24h", "status": ")"
        + status + R"(",
        "output_file_id": null, "error_file_id": null, "created_at": 1711471533, "in_progress_at": null,
        "expires_at": 1711557933, "finalizing_at": null, "completed_at": null, "failed_at": null,
        "expired_at": null, "cancelling_at": null, "cancelled_at": null,
        "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": {"job": "nightly"}})";
}

inline std::string fileJson(const std::string& id = "file-abc123")
{
    return R"({"id": ")" + id + R"(", "object": "file", "bytes": 120000, "created_at": 1677610602,
        "filename": "requests.jsonl", "purpose": "batch"})";
}

} // namespace testing_support
