// retryDelay: the pure decision of whether and how long to wait before the next attempt.
#include "api/RetryPolicy.h"

#include <gtest/gtest.h>

using namespace org::openapitools::client::api;
using std::chrono::milliseconds;

namespace {

const auto NOW = std::chrono::system_clock::from_time_t(1700000000); // Tue, 14 Nov 2023 22:13:20 GMT

AttemptOutcome status(int code, std::initializer_list<std::pair<const char*, const char*>> headers = {})
{
    AttemptOutcome outcome;
    outcome.status = code;
    for (const auto& header : headers)
    {
        outcome.headers.add(header.first, header.second);
    }
    return outcome;
}

std::optional<milliseconds> delayFor(const AttemptOutcome& outcome, int retriesDone = 0, double jitter = 0.0)
{
    return retryDelay(RetryOptions{}, retriesDone, outcome, NOW, jitter);
}

TEST(RetryPolicy, RetriesTheStatusesThatMayPass)
{
    for (int code : {408, 409, 429, 500, 502, 503, 504, 599})
    {
        EXPECT_TRUE(delayFor(status(code)).has_value()) << code;
    }
}

TEST(RetryPolicy, NeverRetriesOtherClientErrors)
{
    for (int code : {400, 401, 403, 404, 405, 410, 413, 422})
    {
        EXPECT_FALSE(delayFor(status(code)).has_value()) << code;
    }
}

TEST(RetryPolicy, RetriesConnectionErrors)
{
    EXPECT_EQ(delayFor(AttemptOutcome{}), milliseconds(500));
}

TEST(RetryPolicy, BacksOffExponentiallyUpToTheMaximum)
{
    RetryOptions options;
    options.maxRetries = 10;
    std::vector<milliseconds> waits;
    waits.reserve(6);
    for (int retry = 0; retry < 6; ++retry)
    {
        waits.push_back(*retryDelay(options, retry, status(500), NOW, 0.0));
    }
    EXPECT_EQ(waits,
              (std::vector<milliseconds>{milliseconds(500), milliseconds(1000), milliseconds(2000), milliseconds(4000),
                                         milliseconds(8000), milliseconds(8000)}));
}

TEST(RetryPolicy, JitterShortensTheBackoffByAtMostAQuarter)
{
    EXPECT_EQ(delayFor(status(500), 1, 0.0), milliseconds(1000));
    EXPECT_EQ(delayFor(status(500), 1, 0.5), milliseconds(875));
    EXPECT_EQ(delayFor(status(500), 1, 0.999999), milliseconds(750));
}

TEST(RetryPolicy, StopsAfterMaxRetries)
{
    EXPECT_TRUE(delayFor(status(500), 1).has_value());
    EXPECT_FALSE(delayFor(status(500), 2).has_value());
    RetryOptions none;
    none.maxRetries = 0;
    EXPECT_FALSE(retryDelay(none, 0, status(503), NOW, 0.0).has_value());
}

TEST(RetryPolicy, HonoursRetryAfterSeconds)
{
    EXPECT_EQ(delayFor(status(429, {{"Retry-After", "1"}})), milliseconds(1000));
    EXPECT_EQ(delayFor(status(503, {{"Retry-After", "2.5"}})), milliseconds(2500));
}

TEST(RetryPolicy, HonoursRetryAfterMillisecondsFirst)
{
    EXPECT_EQ(delayFor(status(429, {{"retry-after-ms", "250"}, {"Retry-After", "9"}})), milliseconds(250));
}

TEST(RetryPolicy, HonoursRetryAfterAsAnHttpDate)
{
    EXPECT_EQ(delayFor(status(429, {{"Retry-After", "Tue, 14 Nov 2023 22:13:23 GMT"}})), milliseconds(3000));
    EXPECT_EQ(delayFor(status(429, {{"Retry-After", "Tue, 14 Nov 2023 22:00:00 GMT"}})), milliseconds(0));
}

TEST(RetryPolicy, IgnoresUnreadableOrExcessiveRetryAfter)
{
    EXPECT_EQ(delayFor(status(429, {{"Retry-After", "soon"}})), milliseconds(500));
    EXPECT_EQ(delayFor(status(429, {{"Retry-After", "-3"}})), milliseconds(500));
    EXPECT_EQ(delayFor(status(429, {{"Retry-After", "86400"}})), milliseconds(500));
}

TEST(RetryPolicy, FollowsTheServersShouldRetryHeader)
{
    EXPECT_FALSE(delayFor(status(503, {{"x-should-retry", "false"}})).has_value());
    EXPECT_EQ(delayFor(status(400, {{"x-should-retry", "true"}})), milliseconds(500));
}

} // namespace
