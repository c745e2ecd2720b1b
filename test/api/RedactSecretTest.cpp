// redactSecret: the API key never survives into an exception's text, whole, escaped, or cut short.
#include "api/ApiException.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

using org::openapitools::client::api::redactSecret;

namespace {

const std::string KEY = "sk-proj-AbCdEf0123456789XyZ";

/// Every character of text as a JSON escape (\u0073...).
std::string jsonEscaped(const std::string& text, bool upperCase = false)
{
    std::string escaped;
    for (const char c : text)
    {
        char unit[8];
        std::snprintf(unit, sizeof unit, upperCase ? "\\u%04X" : "\\u%04x", static_cast<unsigned char>(c));
        escaped += unit;
    }
    return escaped;
}

/// Every character of text percent-encoded (%73...).
std::string percentEncoded(const std::string& text)
{
    std::string encoded;
    for (const char c : text)
    {
        char unit[4];
        std::snprintf(unit, sizeof unit, "%%%02X", static_cast<unsigned char>(c));
        encoded += unit;
    }
    return encoded;
}

TEST(RedactSecret, BlanksTheKeyInEveryForm)
{
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"key " + KEY + " end", "key [redacted] end"},
        {KEY + KEY, "[redacted][redacted]"},
        {"key " + jsonEscaped(KEY) + " end", "key [redacted] end"},
        {"key " + jsonEscaped(KEY, true) + " end", "key [redacted] end"},
        {"key " + percentEncoded(KEY) + " end", "key [redacted] end"},
        {"key sk-proj-" + jsonEscaped("AbCd") + "Ef01" + percentEncoded("2345") + "6789XyZ end", "key [redacted] end"},
        {"prefix " + KEY.substr(0, 12) + "...", "prefix [redacted]..."},
        {"suffix ..." + KEY.substr(KEY.size() - 12), "suffix ...[redacted]"},
        {"middle " + KEY.substr(5, 14) + ".", "middle [redacted]."},
        {"escaped prefix " + jsonEscaped(KEY.substr(0, 15)), "escaped prefix [redacted]"},
        {R"({"error": {"message": "Incorrect API key provided: )" + KEY + R"("}})",
         R"({"error": {"message": "Incorrect API key provided: [redacted]"}})"},
    };
    for (const auto& [text, expected] : cases)
    {
        EXPECT_EQ(redactSecret(text, KEY), expected) << text;
    }
}

TEST(RedactSecret, LeavesShortRunsAndOtherTextAlone)
{
    const std::vector<std::string> kept = {
        "",
        "no key here",
        "sk-proj-****************6789", // OpenAI's own masking: 8 and 4 characters
        KEY.substr(0, 11) + " is 11 characters of it",
        KEY.substr(KEY.size() - 11),
        "\\u0073\\u006b\\u002d",   // sk- escaped: 3 characters
        "%zz \\u00zz \\u12 % \\",  // broken escapes
        "sk-proj-AbCXX0123456789", // two runs of the key, of 11 and 10 characters
    };
    for (const auto& text : kept)
    {
        EXPECT_EQ(redactSecret(text, KEY), text);
    }
}

TEST(RedactSecret, KeysShorterThanEightCharactersAreTestValues)
{
    EXPECT_EQ(redactSecret("key sk-1234 end", "sk-1234"), "key sk-1234 end");
    EXPECT_EQ(redactSecret("key sk-12345 end", "sk-12345"), "key [redacted] end");
    EXPECT_EQ(redactSecret("key sk-1234 end", ""), "key sk-1234 end");
}

} // namespace
