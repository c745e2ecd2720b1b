// JsonCursor: validates a whole document, reads the members asked for, and names each problem.
#include "workflow/JsonCursor.h"

#include <gtest/gtest.h>

using namespace openai_batch::workflow;

namespace {

/// Reads a whole document, or returns the syntax error's message.
std::string check(const std::string& text)
{
    try
    {
        JsonCursor cursor(text);
        cursor.readValue();
        cursor.expectEnd();
        return "ok";
    }
    catch (const JsonSyntaxError& error)
    {
        return error.what();
    }
}

TEST(JsonCursor, AcceptsEveryKindOfValue)
{
    for (const char* text :
         {R"({"a": [1, -2.5e+3, 0, "x\u00e9\n", true, false, null, {}, []]})", "  {}  ", "[]", "\"\"", "0", "-0.5",
          "1E9", R"("\ud83d\ude00")", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""})
    {
        EXPECT_EQ(check(text), "ok") << text;
    }
}

struct Broken
{
    const char* text;
    const char* message;
};

class JsonCursorRefuses : public ::testing::TestWithParam<Broken>
{
};

TEST_P(JsonCursorRefuses, WithTheProblemAndItsOffset)
{
    EXPECT_EQ(check(GetParam().text), GetParam().message) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(Documents, JsonCursorRefuses,
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

TEST(JsonCursor, RefusesNulBytesOutsideStrings)
{
    EXPECT_EQ(check(std::string("1\0", 2)), "unexpected text after the JSON value at byte 2");
    EXPECT_EQ(check(std::string("[1,\0]", 5)), "unexpected character '\0' at byte 4");
    EXPECT_EQ(check(std::string("\"a\0\"", 4)), "control character in a string at byte 3");
}

TEST(JsonCursor, RefusesNestingDeeperThanTheLimit)
{
    EXPECT_EQ(check(std::string(256, '[') + std::string(256, ']')), "ok");
    EXPECT_EQ(check(std::string(100000, '[')), "nesting deeper than 256 levels at byte 257");
}

TEST(JsonCursor, ReadsMembersAndKeepsTheRestAsSpans)
{
    JsonCursor cursor(R"({"id": "x\"y", "n": 42, "body": {"k": [1, 2]}, "skip": null})");
    std::string id;
    int64_t n = 0;
    JsonSpan body;
    cursor.readObject([&](std::string_view key, JsonCursor& member) {
        if (key == "id")
        {
            id = member.readString();
        }
        else if (key == "n")
        {
            n = member.readInteger();
        }
        else if (key == "body")
        {
            body = member.readValue();
        }
        else
        {
            member.readValue();
        }
    });
    EXPECT_EQ(id, "x\"y");
    EXPECT_EQ(n, 42);
    EXPECT_EQ(body.kind, JsonKind::Object);
    EXPECT_EQ(body.text, R"({"k": [1, 2]})");
}

TEST(JsonCursor, DecodesEscapedKeys)
{
    JsonCursor cursor(R"({"custom\u005fid": 1})");
    std::string seen;
    cursor.readObject([&](std::string_view key, JsonCursor& member) {
        seen = std::string(key);
        member.readValue();
    });
    EXPECT_EQ(seen, "custom_id");
}

TEST(JsonCursor, ReadIntegerRefusesFractionsAndOverflow)
{
    for (const char* text : {"1.5", "1e3", "9223372036854775808", "-9223372036854775809"})
    {
        JsonCursor cursor(text);
        EXPECT_THROW(cursor.readInteger(), JsonSyntaxError) << text;
    }
    JsonCursor largest("9223372036854775807");
    EXPECT_EQ(largest.readInteger(), INT64_MAX);
}

TEST(JsonCursor, DecodeJoinsSurrogatePairsAndReplacesLoneHalves)
{
    EXPECT_EQ(JsonCursor::decode(R"("\ud83d\ude00")"), "\xf0\x9f\x98\x80");
    EXPECT_EQ(JsonCursor::decode(R"("a\ud800b")"),
              "a\xef\xbf\xbd"
              "b");
    EXPECT_EQ(JsonCursor::decode(R"("\/\b\f\n\r\t\"\\")"), "/\b\f\n\r\t\"\\");
}

} // namespace
