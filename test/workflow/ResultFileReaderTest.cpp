// ResultFileReader: output and error files, line by line, typed, with malformed lines named.
#include "workflow/ResultFileReader.h"

#include <gtest/gtest.h>

#include <sstream>
#include <streambuf>
#include <vector>

using namespace openai_batch::workflow;

namespace {

// The two fixture lines of ../shared/reference/batch-api-facts.md.
const std::string OUTPUT_LINE =
    R"({"id": "batch_req_123", "custom_id": "request-2", "response": {"status_code": 200, "request_id": "req_123", "body": {"id": "chatcmpl-123", "object": "chat.completion", "created": 1711652795, "model": "gpt-4o-mini", "choices": [{"index": 0, "message": {"role": "assistant", "content": "2 + 2 equals 4."}, "logprobs": null, "finish_reason": "stop"}], "usage": {"prompt_tokens": 22, "completion_tokens": 8, "total_tokens": 30}, "system_fingerprint": "fp_123"}}, "error": null})";
const std::string ERROR_LINE =
    R"({"id": "batch_req_456", "custom_id": "request-3", "response": null, "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}})";

std::vector<BatchResult> readAll(const std::string& text, std::vector<LineProblem>* problems = nullptr)
{
    std::istringstream in(text);
    ResultFileReader reader(
        in, problems ? ResultFileReader::OnMalformedLine::Skip : ResultFileReader::OnMalformedLine::Stop);
    std::vector<BatchResult> results;
    BatchResult result;
    while (reader.next(result))
    {
        result.body = {}; // views die with the next line; keep the copies only
        result.line = {};
        results.push_back(result);
    }
    if (problems)
    {
        *problems = reader.problems();
    }
    return results;
}

TEST(ResultFileReader, ReadsTheOutputFixture)
{
    std::istringstream in(OUTPUT_LINE + "\n");
    ResultFileReader reader(in);
    BatchResult result;
    ASSERT_TRUE(reader.next(result));
    EXPECT_EQ(result.lineNumber, 1u);
    EXPECT_EQ(result.id, "batch_req_123");
    EXPECT_EQ(result.customId, "request-2");
    EXPECT_EQ(result.statusCode, 200);
    EXPECT_EQ(result.requestId, "req_123");
    EXPECT_FALSE(result.errorCode.has_value());
    EXPECT_TRUE(result.succeeded());
    EXPECT_EQ(result.bodyJson().at("usage").at("total_tokens").as_integer(), 30);
    EXPECT_EQ(result.body.substr(0, 21), R"({"id": "chatcmpl-123")");
    const auto model = result.toModel();
    EXPECT_EQ(model->getCustomId(), "request-2");
    EXPECT_EQ(model->getResponse()->getStatusCode(), 200);
    EXPECT_FALSE(reader.next(result));
}

TEST(ResultFileReader, ReadsTheErrorFixture)
{
    const auto results = readAll(ERROR_LINE);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].customId, "request-3");
    EXPECT_FALSE(results[0].statusCode.has_value());
    EXPECT_EQ(results[0].errorCode, "batch_expired");
    EXPECT_EQ(results[0].errorMessage, "This request could not be executed before the completion window expired.");
    EXPECT_FALSE(results[0].succeeded());
    EXPECT_TRUE(results[0].bodyJson().is_null());
}

TEST(ResultFileReader, SkipsBlankLinesAndAcceptsCrlfAndAMissingFinalNewline)
{
    const auto results = readAll("\n" + OUTPUT_LINE + "\r\n\r\n   \n" + ERROR_LINE);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].lineNumber, 2u);
    EXPECT_EQ(results[1].lineNumber, 5u);
    EXPECT_EQ(results[1].errorCode, "batch_expired");
}

TEST(ResultFileReader, StopsAtATruncatedLastLineWithItsNumber)
{
    std::istringstream in(OUTPUT_LINE + "\n" + OUTPUT_LINE.substr(0, 60));
    ResultFileReader reader(in);
    BatchResult result;
    ASSERT_TRUE(reader.next(result));
    try
    {
        reader.next(result);
        FAIL() << "the truncated line was accepted";
    }
    catch (const ResultFileError& error)
    {
        EXPECT_EQ(error.problem().lineNumber, 2u);
        EXPECT_STREQ(error.what(), "line 2: unexpected end of JSON at byte 61");
    }
}

TEST(ResultFileReader, CanSkipMalformedLinesAndGoOn)
{
    std::vector<LineProblem> problems;
    const auto results = readAll(OUTPUT_LINE + "\n[1, 2]\n{\"custom_id\": 7}\nnot json\n{\"id\": \"x\"}\n"
                                     + R"({"custom_id": "c", "response": {"status_code": "200"}})"
                                       "\n"
                                     + ERROR_LINE + "\n",
                                 &problems);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[1].lineNumber, 7u);
    ASSERT_EQ(problems.size(), 5u);
    EXPECT_EQ(problems[0].toString(), "line 2: expected a JSON object, got array");
    EXPECT_EQ(problems[1].toString(), "line 3: /custom_id: expected string, got number");
    EXPECT_EQ(problems[2].toString(), "line 4: invalid literal at byte 1");
    EXPECT_EQ(problems[3].toString(), "line 5: /custom_id: missing required property");
    EXPECT_EQ(problems[4].toString(), "line 6: /response/status_code: expected integer, got string");
}

TEST(ResultFileReader, ReadsAHundredMegabyteLine)
{
    const std::string content(size_t{100} << 20, 'x');
    const std::string line =
        R"({"custom_id": "big", "response": {"status_code": 200, "body": {"content": ")" + content + R"("}}})";
    std::istringstream in(OUTPUT_LINE + "\n" + line + "\n" + ERROR_LINE + "\n");
    ResultFileReader reader(in);
    BatchResult result;
    ASSERT_TRUE(reader.next(result));
    ASSERT_TRUE(reader.next(result));
    EXPECT_EQ(result.customId, "big");
    EXPECT_EQ(result.body.size(), content.size() + 15); // {"content": "..."}
    ASSERT_TRUE(reader.next(result));
    EXPECT_EQ(result.customId, "request-3");
    EXPECT_EQ(result.lineNumber, 3u);
}

TEST(ResultFileReader, AFiftyMegabyteStringParsesIntoTheBody)
{
    const std::string content(size_t{50} << 20, 'y');
    std::istringstream in(R"({"custom_id": "big", "response": {"status_code": 200, "body": {"content": ")" + content
                          + "\"}}}\n");
    ResultFileReader reader(in);
    BatchResult result;
    ASSERT_TRUE(reader.next(result));
    EXPECT_EQ(result.bodyJson().at("content").as_string().size(), content.size());
}

/// An endless line: 'x' forever, never a newline.
class EndlessLine : public std::streambuf
{
public:
    EndlessLine()
        : m_Block(1 << 20, 'x')
    {
        setg(m_Block.data(), m_Block.data(), m_Block.data() + m_Block.size());
    }

protected:
    int_type underflow() override
    {
        setg(m_Block.data(), m_Block.data(), m_Block.data() + m_Block.size());
        return traits_type::to_int_type('x');
    }

private:
    std::vector<char> m_Block;
};

TEST(ResultFileReader, ALineWithoutEndIsRefusedAtTheLimitNotReadForever)
{
    EndlessLine endless;
    std::istream in(&endless);
    ResultFileReader reader(in);
    BatchResult result;
    try
    {
        reader.next(result);
        FAIL() << "an endless line was accepted";
    }
    catch (const std::runtime_error& error)
    {
        EXPECT_EQ(std::string(error.what()), "line 1: longer than 536870912 bytes");
    }
}

TEST(ResultFileReader, AKeyGivenTwiceIsAMalformedLine)
{
    std::vector<LineProblem> problems;
    const auto results = readAll(R"({"custom_id": "a", "response": null, "custom_id": "b"})"
                                 "\n" + ERROR_LINE
                                     + "\n",
                                 &problems);
    ASSERT_EQ(results.size(), 1u);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].toString(), R"(line 1: duplicate key "custom_id")");
}

TEST(ResultFileReader, ReadsManyLinesAcrossBufferBoundaries)
{
    std::string text;
    for (int i = 0; i < 3000; ++i)
    {
        text += R"({"custom_id": "r)" + std::to_string(i) + R"(", "response": {"status_code": 200, "body": {"pad": ")"
            + std::string(static_cast<size_t>(i % 700), 'p') + "\"}}}\n";
    }
    const auto results = readAll(text);
    ASSERT_EQ(results.size(), 3000u);
    EXPECT_EQ(results[2999].customId, "r2999");
    EXPECT_EQ(results[2999].lineNumber, 3000u);
}

TEST(ResultFileReader, ABodyCpprestsdkCannotParseIsAClearErrorNotACrash)
{
    // Found by fuzzing: valid JSON syntax, but an unpaired UTF-16 surrogate that cpprestsdk throws on.
    std::istringstream in(R"({"custom_id": "x", "response": {"status_code": 200, "body": {"t": "\ud83d\udA00"}}})");
    ResultFileReader reader(in);
    BatchResult result;
    ASSERT_TRUE(reader.next(result));
    try
    {
        result.bodyJson();
        FAIL() << "the body parsed";
    }
    catch (const std::invalid_argument& error)
    {
        EXPECT_STREQ(error.what(), "line 1: not valid JSON: UTF-16 string has invalid low surrogate");
    }
    EXPECT_THROW(result.toModel(), std::invalid_argument);
}

TEST(ResultFileReader, NamesAFileItCannotOpen)
{
    try
    {
        ResultFileReader reader("/no/such/output.jsonl");
        FAIL() << "opened a missing file";
    }
    catch (const std::runtime_error& error)
    {
        EXPECT_STREQ(error.what(), "cannot open '/no/such/output.jsonl': No such file or directory");
    }
}

} // namespace
