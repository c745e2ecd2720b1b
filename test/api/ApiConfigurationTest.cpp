// ApiConfiguration: defaults and fromEnvironment().
#include "api/ApiConfiguration.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace org::openapitools::client::api;

namespace {

/// Sets environment variables for one test and restores them afterwards.
class ScopedEnvironment
{
public:
    void set(const char* name, const char* value)
    {
        const char* old = std::getenv(name);
        m_Saved.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
        if (value)
        {
            ::setenv(name, value, 1);
        }
        else
        {
            ::unsetenv(name);
        }
    }
    ~ScopedEnvironment()
    {
        for (auto it = m_Saved.rbegin(); it != m_Saved.rend(); ++it)
        {
            it->second ? ::setenv(it->first.c_str(), it->second->c_str(), 1) : ::unsetenv(it->first.c_str());
        }
    }

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> m_Saved;
};

TEST(ApiConfiguration, DefaultsToOpenAIWithATenMinuteTimeoutAndTwoRetries)
{
    ApiConfiguration configuration;
    EXPECT_EQ(configuration.getBaseUrl(), "https://api.openai.com/v1");
    EXPECT_EQ(configuration.getApiKey(), "");
    EXPECT_EQ(configuration.getTimeout(), std::chrono::seconds(600));
    EXPECT_EQ(configuration.getHttpConfig().timeout(), std::chrono::hours(24));
    EXPECT_EQ(configuration.getRetryOptions().maxRetries, 2);
    EXPECT_EQ(configuration.getUserAgent(), "OpenAIBatch-cpp");
}

TEST(ApiConfiguration, TheIdleTimeoutIsSeparateFromCpprestsdksWholeAttemptCap)
{
    ApiConfiguration configuration;
    configuration.setTimeout(std::chrono::milliseconds(1500));
    EXPECT_EQ(configuration.getTimeout(), std::chrono::milliseconds(1500));
    EXPECT_EQ(configuration.getHttpConfig().timeout(), std::chrono::hours(24));
}

TEST(ApiConfiguration, FromEnvironmentReadsTheOpenAIVariables)
{
    ScopedEnvironment environment;
    environment.set("OPENAI_API_KEY", "sk-env");
    environment.set("OPENAI_BASE_URL", "http://127.0.0.1:9/v1");
    environment.set("OPENAI_ORG_ID", "org-env");
    environment.set("OPENAI_PROJECT_ID", "proj-env");

    const auto configuration = ApiConfiguration::fromEnvironment();

    EXPECT_EQ(configuration->getApiKey(), "sk-env");
    EXPECT_EQ(configuration->getBaseUrl(), "http://127.0.0.1:9/v1");
    EXPECT_EQ(configuration->getOrganization(), "org-env");
    EXPECT_EQ(configuration->getProject(), "proj-env");
}

TEST(ApiConfiguration, FromEnvironmentKeepsDefaultsForUnsetOrEmptyVariables)
{
    ScopedEnvironment environment;
    environment.set("OPENAI_API_KEY", nullptr);
    environment.set("OPENAI_BASE_URL", "");
    environment.set("OPENAI_ORG_ID", nullptr);
    environment.set("OPENAI_PROJECT_ID", nullptr);

    const auto configuration = ApiConfiguration::fromEnvironment();

    EXPECT_EQ(configuration->getApiKey(), "");
    EXPECT_EQ(configuration->getBaseUrl(), "https://api.openai.com/v1");
    EXPECT_EQ(configuration->getOrganization(), "");
}

} // namespace
