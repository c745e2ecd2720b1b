// What the command prints from the server reaches a terminal only escaped, and never with the API key.
#include "TerminalText.h"

#include <gtest/gtest.h>

#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace openai_batch::cli;

namespace {

TEST(ForTerminal, EscapesEveryControlCharacter)
{
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"batch_1", "batch_1"},
        {"\x1b[2J\x1b]0;pwned\x07", "\\x1b[2J\\x1b]0;pwned\\x07"}, // clear screen, retitle the window
        {"ok\rfailed", "ok\\rfailed"},                             // CR would overwrite what came before
        {"line\nfake line", "line\\nfake line"},
        {"a\tb", "a\\tb"},
        {std::string("nul\0x", 5), "nul\\x00x"},
        {"\x01\x1f", "\\x01\\x1f"},
        {"del\x7f", "del\\x7f"},
        {std::string("csi\xc2\x9b") + "31m", "csi\\u009b31m"}, // C1: U+009B is a one-character ESC [
        {"\xc2\x80\xc2\x9f", "\\u0080\\u009f"},
        {"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"}, // UTF-8 kept
        {"\xc2\xa0", "\xc2\xa0"},                                                                   // U+00A0, printable
        {"raw\x9b", "raw\\x9b"},                                                     // a lone C1 byte, not UTF-8
        {"\xc0\xaf \xed\xa0\x80 \xe2\x9c", "\\xc0\\xaf \\xed\\xa0\\x80 \\xe2\\x9c"}, // overlong, surrogate, cut
    };
    for (const auto& [text, expected] : cases)
    {
        EXPECT_EQ(forTerminal(text), expected);
    }
}

TEST(JsonForTerminal, EscapesControlCharactersAsJson)
{
    EXPECT_EQ(jsonForTerminal(R"({"id":"batch_1","n":2})"), R"({"id":"batch_1","n":2})");
    EXPECT_EQ(jsonForTerminal("{\"m\":\"a\x1b[2J\x7f\xc2\x9b\"}"), R"({"m":"a\u001b[2J\u007f\u009b"})");
    EXPECT_EQ(jsonForTerminal("{\"m\":\"\xff\"}"), R"({"m":"\ufffd"})");
    EXPECT_EQ(jsonForTerminal("{\"m\":\"caf\xc3\xa9\"}"), "{\"m\":\"caf\xc3\xa9\"}");
}

const std::string KEY = "sk-test-0123456789abcdef";

std::string throughFilter(const std::vector<std::string>& writes, bool flushEach = false)
{
    std::ostringstream target;
    {
        RedactingBuffer filter(target.rdbuf(), KEY);
        std::ostream out(&filter);
        for (const auto& piece : writes)
        {
            out << piece;
            if (flushEach)
            {
                out << std::flush;
            }
        }
    } // the destructor passes on what is held
    return target.str();
}

TEST(RedactingBuffer, RedactsTheKeyWrittenInPieces)
{
    EXPECT_EQ(throughFilter({"error: ", KEY.substr(0, 5), KEY.substr(5), " end\n"}), "error: [redacted] end\n");
    EXPECT_EQ(throughFilter({"a \\u0073\\u006b", "-test-0123456789abcdef b\n"}), "a [redacted] b\n");
    EXPECT_EQ(throughFilter({"cut: " + KEY.substr(0, 14) + "\n", "next " + KEY + "\n"}),
              "cut: [redacted]\nnext [redacted]\n");
    EXPECT_EQ(throughFilter({"\r[###] 3/5 ", KEY, "\x1b[K"}, true), "\r[###] 3/5 [redacted]\x1b[K");
}

TEST(RedactingBuffer, PassesOtherTextOnUnchanged)
{
    const std::string text = "batch_1 completed: 5 succeeded\n\r[####....] x\x1b[K\n";
    EXPECT_EQ(throughFilter({text}), text);
    EXPECT_EQ(throughFilter({std::string(3u << 20, 'x')}).size(), 3u << 20);
}

TEST(RedactingBuffer, HoldsALineUntilItEndsOrIsFlushed)
{
    std::ostringstream target;
    RedactingBuffer filter(target.rdbuf(), KEY);
    std::ostream out(&filter);
    out << "partial";
    EXPECT_EQ(target.str(), "");
    out << " line\nnext";
    EXPECT_EQ(target.str(), "partial line\n"); // the line ended; the start of the next one waits
    out << " more" << std::flush;
    EXPECT_EQ(target.str(), "partial line\nnext more");
}

} // namespace
