// JsonLine: simdjson checks a whole line; a refused line is named with its problem and byte.
#include "workflow/JsonLine.h"

#include <gtest/gtest.h>

using namespace openai_batch::workflow;

namespace {

/// Checks a whole document, or returns the error's message.
std::string check(const std::string& text)
{
    try
    {
        JsonLineParser parser;
        parser.parse(text);
        return "ok";
    }
    catch (const JsonSyntaxError& error)
    {
        return error.what();
    }
}

TEST(JsonLine, AcceptsEveryKindOfValue)
{
    for (const char* text :
         {R"({"a": [1, -2.5e+3, 0, "x\u00e9\n", true, false, null, {}, []]})", "  {}  ", "[]", "\"\"", "0", "-0.5",
          "1E9", R"("\ud83d\ude00")", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "18446744073709551615"})
    {
        EXPECT_EQ(check(text), "ok") << text;
    }
}

struct Broken
{
    const char* text;
    const char* message;
};

class JsonLineRefuses : public ::testing::TestWithParam<Broken>
{
};

TEST_P(JsonLineRefuses, WithTheProblemAndItsOffset)
{
    EXPECT_EQ(check(GetParam().text), GetParam().message) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(Documents, JsonLineRefuses,
                         ::testing::Values(Broken{R"({"a": 1)", "unexpected end of JSON at byte 8"},
                                           Broken{R"({"a": 1,})", "expected a member name at byte 9"},
                                           Broken{R"([1 2])", "expected ']' at byte 4"},
                                           Broken{R"({"a" 1})", "expected ':' at byte 6"},
                                           Broken{R"("abc)", "unterminated string at byte 5"},
                                           Broken{"\"a\tb\"", "control character in a string at byte 3"},
                                           Broken{R"("\x")", "invalid escape in a string at byte 2"},
                                           Broken{R"("\u12G4")", "invalid \\u escape at byte 2"},
                                           Broken{"\"\xff\"", "invalid UTF-8 in a string at byte 2"},
                                           Broken{"\"\xc0\xaf\"", "invalid UTF-8 in a string at byte 2"},
                                           Broken{"\"\xed\xa0\x80\"", "invalid UTF-8 in a string at byte 2"},
                                           Broken{"01", "unexpected text after the JSON value at byte 2"},
                                           Broken{"-", "invalid number at byte 2"},
                                           Broken{"1.", "invalid number at byte 3"},
                                           Broken{"tru", "invalid literal at byte 1"},
                                           Broken{"{} {}", "unexpected text after the JSON value at byte 4"},
                                           Broken{"", "unexpected end of JSON at byte 1"},
                                           Broken{"'a'", "unexpected character ''' at byte 1"}));

TEST(JsonLine, RefusesUnpairedSurrogatesInEscapes)
{
    // Parsers disagree on these (cpprestsdk throws, others substitute U+FFFD): refused with their place.
    EXPECT_EQ(check(R"("a\ud800b")"), "unpaired UTF-16 surrogate in a \\u escape at byte 3");
    EXPECT_EQ(check(R"(["\udc00"])"), "unpaired UTF-16 surrogate in a \\u escape at byte 3");
    EXPECT_EQ(check(R"({"t": "\ud83d\udA00"})"), "unpaired UTF-16 surrogate in a \\u escape at byte 8");
}

TEST(JsonLine, RefusesNumbersNoIntegerOrDoubleHoldsWithTheirPlace)
{
    EXPECT_EQ(check("[1e400]"), "a number beyond a double's range at byte 2");
    EXPECT_EQ(check(R"({"seed": 18446744073709551616})"), "an integer beyond 64 bits at byte 10");
    EXPECT_EQ(check("[-9223372036854775809]"), "an integer beyond 64 bits at byte 2");
    EXPECT_EQ(check("[18446744073709551615, -9223372036854775808, 1e-400, 123456789012345678901234567890.5]"), "ok");
}

TEST(JsonLine, RefusesNulBytesOutsideStrings)
{
    EXPECT_EQ(check(std::string("1\0", 2)), "unexpected text after the JSON value at byte 2");
    EXPECT_EQ(check(std::string("[1,\0]", 5)), "unexpected character '\0' at byte 4");
    EXPECT_EQ(check(std::string("\"a\0\"", 4)), "control character in a string at byte 3");
}

TEST(JsonLine, RefusesNestingDeeperThanTheLimit)
{
    EXPECT_EQ(check(std::string(256, '[') + "0" + std::string(256, ']')), "ok");
    EXPECT_EQ(check(std::string(257, '[') + "0" + std::string(257, ']')), "nesting deeper than 256 levels at byte 257");
    EXPECT_EQ(check(std::string(100000, '[')), "nesting deeper than 256 levels at byte 257");
    // simdjson does not count an empty array at the bottom as a level: this one level more passes.
    EXPECT_EQ(check(std::string(257, '[') + std::string(257, ']')), "ok");
}

TEST(JsonLine, AnObjectLineHasNoKeyTwice)
{
    JsonLineParser parser;
    EXPECT_EQ(parser.parseObject(R"({"id": "x", "n": 42})")["n"].get_int64().value(), 42);
    try
    {
        parser.parseObject(R"({"custom_id": "a", "response": null, "custom\u005fid": "b"})");
        FAIL() << "a repeated key was accepted";
    }
    catch (const std::invalid_argument& error)
    {
        EXPECT_STREQ(error.what(), R"(duplicate key "custom_id")");
    }
    try
    {
        parser.parseObject("[1, 2]");
        FAIL() << "an array was taken for an object";
    }
    catch (const std::invalid_argument& error)
    {
        EXPECT_STREQ(error.what(), "expected a JSON object, got array");
    }
}

TEST(JsonLine, MalformedValuesInPartsNobodyReadsAreStillRefused)
{
    // simdjson's on-demand API would skip these; the line check parses every value.
    JsonLineParser parser;
    for (const char* line : {R"({"custom_id": "a", "response": {"body": {"deep": [1, 2 3]}}})",
                             R"({"custom_id": "a", "response": {"body": {"n": 01}}})",
                             R"({"custom_id": "a", "response": {"body": {"s": "\q"}}})",
                             R"({"custom_id": "a", "response": {"body": {"t": tru}}})"})
    {
        EXPECT_THROW(parser.parseObject(line), JsonSyntaxError) << line;
    }
}

TEST(JsonLine, SourceOfComparesKeysDecodedAndTakesTheFirst)
{
    const std::string line = R"({"b\u006fdy": {"k": 1}, "n": {"a": 1, "a": 2}})";
    EXPECT_EQ(sourceOf(line, {"body"}), R"({"k": 1})");
    EXPECT_EQ(sourceOf(line, {"n", "a"}), "1");
}

TEST(JsonLine, SourceOfGivesTheExactTextOfAValue)
{
    const std::string line = R"({"custom_id": "x\"y", "body": {"k": [1, 2]} , "n": 7 , "z": null})";
    EXPECT_EQ(sourceOf(line, {"body"}), R"({"k": [1, 2]})");
    EXPECT_EQ(sourceOf(line, {"body", "k"}), "[1, 2]");
    EXPECT_EQ(sourceOf(line, {"n"}), "7");
    EXPECT_EQ(sourceOf(line, {"custom_id"}), R"("x\"y")");
    EXPECT_EQ(sourceOf(line, {"z"}), "");
    EXPECT_EQ(sourceOf(line, {"missing"}), "");
    EXPECT_EQ(sourceOf(line, {"body"}).data(), line.data() + line.find("{\"k\""));
}

TEST(JsonLine, SourceOfReadsAPaddedDocumentWhereItLiesAndNotPastItsEnd)
{
    // What follows the document in its buffer is JSON that would change every answer if it were read.
    const std::string document = R"({"body": {"k": [1, 2]}, "n": 7})";
    std::string buffer = document + R"(, "z": 1, "body": 2, "n": [3]})";
    buffer.resize(document.size() + simdjson::SIMDJSON_PADDING, '}');
    const std::string_view padded(buffer.data(), document.size());
    for (const size_t readable : {buffer.size(), buffer.size() - 1}) // where it lies; one byte short: copied
    {
        EXPECT_EQ(sourceOf(padded, {"body"}, readable), R"({"k": [1, 2]})") << readable;
        EXPECT_EQ(sourceOf(padded, {"body"}, readable).data(), buffer.data() + buffer.find("{\"k\"")) << readable;
        EXPECT_EQ(sourceOf(padded, {"n"}, readable), "7") << readable;
        EXPECT_EQ(sourceOf(padded, {"z"}, readable), "") << readable;
    }
}

TEST(JsonLine, TypedMembersNameTheirPath)
{
    JsonLineParser parser;
    const auto object = parser.parseObject(R"({"s": 1, "i": 1.5, "big": 9223372036854775808, "o": []})");
    EXPECT_THROW(
        {
            try
            {
                stringAt(object["s"], "/s");
            }
            catch (const std::invalid_argument& error)
            {
                EXPECT_STREQ(error.what(), "/s: expected string, got number");
                throw;
            }
        },
        std::invalid_argument);
    for (const char* key : {"i", "big"})
    {
        try
        {
            integerAt(object[key], "/n");
            FAIL() << key;
        }
        catch (const std::invalid_argument& error)
        {
            EXPECT_STREQ(error.what(), "/n: expected integer, got a number that is not a 64-bit integer");
        }
    }
    EXPECT_THROW(objectAt(object["o"], "/o"), std::invalid_argument);
    EXPECT_EQ(arrayAt(object["o"], "/o").size(), 0u);
}

} // namespace
