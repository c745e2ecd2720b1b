// ResultFileReader: output and error files, line by line, typed, with malformed lines named.
#include "workflow/ResultFileReader.h"

#include <gtest/gtest.h>

#include <functional>
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

/// Every test runs with lines parsed in next() (1 thread) and ahead of it (2 and 3 threads): the same lines,
/// problems and values either way.
class ResultFileReaderTest : public ::testing::TestWithParam<unsigned>
{
protected:
    unsigned threads() const { return GetParam(); }
};

INSTANTIATE_TEST_SUITE_P(ParseThreads, ResultFileReaderTest, ::testing::Values(1U, 2U, 3U));

std::vector<BatchResult> readAll(const std::string& text, std::vector<LineProblem>* problems = nullptr,
                                 unsigned parseThreads = 1)
{
    std::istringstream in(text);
    ResultFileReader reader(
        in, problems ? ResultFileReader::OnMalformedLine::Skip : ResultFileReader::OnMalformedLine::Stop, parseThreads);
    std::vector<BatchResult> results;
    BatchResult result;
    while (reader.next(result))
    {
        result.line = {}; // views die with the next line; keep the copies only
        results.push_back(result);
    }
    if (problems)
    {
        *problems = reader.problems();
    }
    return results;
}

TEST_P(ResultFileReaderTest, ReadsTheOutputFixture)
{
    std::istringstream in(OUTPUT_LINE + "\n");
    ResultFileReader reader(in, ResultFileReader::OnMalformedLine::Stop, threads());
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
    EXPECT_EQ(result.body().substr(0, 21), R"({"id": "chatcmpl-123")");
    const auto model = result.toModel();
    EXPECT_EQ(model->getCustomId(), "request-2");
    EXPECT_EQ(model->getResponse()->getStatusCode(), 200);
    EXPECT_FALSE(reader.next(result));
}

TEST_P(ResultFileReaderTest, ReadsTheErrorFixture)
{
    const auto results = readAll(ERROR_LINE, nullptr, threads());
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].customId, "request-3");
    EXPECT_FALSE(results[0].statusCode.has_value());
    EXPECT_EQ(results[0].errorCode, "batch_expired");
    EXPECT_EQ(results[0].errorMessage, "This request could not be executed before the completion window expired.");
    EXPECT_FALSE(results[0].succeeded());
    EXPECT_TRUE(results[0].bodyJson().is_null());
}

TEST_P(ResultFileReaderTest, SkipsBlankLinesAndAcceptsCrlfAndAMissingFinalNewline)
{
    const auto results = readAll("\n" + OUTPUT_LINE + "\r\n\r\n   \n" + ERROR_LINE, nullptr, threads());
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].lineNumber, 2u);
    EXPECT_EQ(results[1].lineNumber, 5u);
    EXPECT_EQ(results[1].errorCode, "batch_expired");
}

TEST_P(ResultFileReaderTest, StopsAtATruncatedLastLineWithItsNumber)
{
    std::istringstream in(OUTPUT_LINE + "\n" + OUTPUT_LINE.substr(0, 60));
    ResultFileReader reader(in, ResultFileReader::OnMalformedLine::Stop, threads());
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

TEST_P(ResultFileReaderTest, CanSkipMalformedLinesAndGoOn)
{
    std::vector<LineProblem> problems;
    const auto results = readAll(OUTPUT_LINE + "\n[1, 2]\n{\"custom_id\": 7}\nnot json\n{\"id\": \"x\"}\n"
                                     + R"({"custom_id": "c", "response": {"status_code": "200"}})"
                                       "\n"
                                     + ERROR_LINE + "\n",
                                 &problems, threads());
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[1].lineNumber, 7u);
    ASSERT_EQ(problems.size(), 5u);
    EXPECT_EQ(problems[0].toString(), "line 2: expected a JSON object, got array");
    EXPECT_EQ(problems[1].toString(), "line 3: /custom_id: expected string, got number");
    EXPECT_EQ(problems[2].toString(), "line 4: invalid literal at byte 1");
    EXPECT_EQ(problems[3].toString(), "line 5: /custom_id: missing required property");
    EXPECT_EQ(problems[4].toString(), "line 6: /response/status_code: expected integer, got string");
}

TEST_P(ResultFileReaderTest, ReadsAHundredMegabyteLine)
{
    const std::string content(size_t{100} << 20, 'x');
    const std::string line =
        R"({"custom_id": "big", "response": {"status_code": 200, "body": {"content": ")" + content + R"("}}})";
    std::istringstream in(OUTPUT_LINE + "\n" + line + "\n" + ERROR_LINE + "\n");
    ResultFileReader reader(in, ResultFileReader::OnMalformedLine::Stop, threads());
    BatchResult result;
    ASSERT_TRUE(reader.next(result));
    ASSERT_TRUE(reader.next(result));
    EXPECT_EQ(result.customId, "big");
    EXPECT_EQ(result.body().size(), content.size() + 15); // {"content": "..."}
    ASSERT_TRUE(reader.next(result));
    EXPECT_EQ(result.customId, "request-3");
    EXPECT_EQ(result.lineNumber, 3u);
}

TEST_P(ResultFileReaderTest, AFiftyMegabyteStringParsesIntoTheBody)
{
    const std::string content(size_t{50} << 20, 'y');
    std::istringstream in(R"({"custom_id": "big", "response": {"status_code": 200, "body": {"content": ")" + content
                          + "\"}}}\n");
    ResultFileReader reader(in, ResultFileReader::OnMalformedLine::Stop, threads());
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

TEST_P(ResultFileReaderTest, ALineWithoutEndIsRefusedAtTheLimitNotReadForever)
{
    EndlessLine endless;
    std::istream in(&endless);
    ResultFileReader reader(in, ResultFileReader::OnMalformedLine::Stop, threads());
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

TEST_P(ResultFileReaderTest, AKeyGivenTwiceIsAMalformedLine)
{
    std::vector<LineProblem> problems;
    const auto results = readAll(R"({"custom_id": "a", "response": null, "custom_id": "b"})"
                                 "\n" + ERROR_LINE
                                     + "\n",
                                 &problems, threads());
    ASSERT_EQ(results.size(), 1u);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].toString(), R"(line 1: duplicate key "custom_id")");
}

TEST_P(ResultFileReaderTest, ReadsManyLinesAcrossBufferBoundaries)
{
    std::string text;
    for (int i = 0; i < 3000; ++i)
    {
        text += R"({"custom_id": "r)" + std::to_string(i) + R"(", "response": {"status_code": 200, "body": {"pad": ")"
            + std::string(static_cast<size_t>(i % 700), 'p') + "\"}}}\n";
    }
    const auto results = readAll(text, nullptr, threads());
    ASSERT_EQ(results.size(), 3000u);
    EXPECT_EQ(results[2999].customId, "r2999");
    EXPECT_EQ(results[2999].lineNumber, 3000u);
}

TEST_P(ResultFileReaderTest, ALoneSurrogateIsRefusedWithItsPlaceNotACrash)
{
    // Found by fuzzing: valid JSON syntax, but an unpaired UTF-16 surrogate that cpprestsdk throws on and
    // other parsers replace. The line check refuses it, with its place, before anyone reads the body.
    std::istringstream in(R"({"custom_id": "x", "response": {"status_code": 200, "body": {"t": "\ud83d\udA00"}}})");
    ResultFileReader reader(in, ResultFileReader::OnMalformedLine::Stop, threads());
    BatchResult result;
    try
    {
        reader.next(result);
        FAIL() << "the line was accepted";
    }
    catch (const ResultFileError& error)
    {
        EXPECT_STREQ(error.what(), "line 1: unpaired UTF-16 surrogate in a \\u escape at byte 68");
    }
}

TEST_P(ResultFileReaderTest, ABodyCpprestsdkCannotHoldIsAClearErrorNotACrash)
{
    // 250 levels: within the line check's 256, beyond the limit of cpprestsdk's own parser.
    std::istringstream in(R"({"custom_id": "x", "response": {"status_code": 200, "body": {"t": )"
                          + std::string(300, '[') + std::string(300, ']') + "}}}");
    std::istringstream deep(R"({"custom_id": "x", "response": {"status_code": 200, "body": {"t": )"
                            + std::string(250, '[') + std::string(250, ']') + "}}}");
    ResultFileReader refused(in, ResultFileReader::OnMalformedLine::Stop, threads());
    BatchResult result;
    EXPECT_THROW(refused.next(result), ResultFileError);
    ResultFileReader reader(deep, ResultFileReader::OnMalformedLine::Stop, threads());
    ASSERT_TRUE(reader.next(result));
    try
    {
        result.bodyJson();
        FAIL() << "the body parsed";
    }
    catch (const std::invalid_argument& error)
    {
        EXPECT_STREQ(error.what(), "line 1: not valid JSON: Nesting too deep");
    }
    EXPECT_THROW(result.toModel(), std::invalid_argument);
}

TEST_P(ResultFileReaderTest, NamesAFileItCannotOpen)
{
    try
    {
        ResultFileReader reader("/no/such/output.jsonl", ResultFileReader::OnMalformedLine::Stop, threads());
        FAIL() << "opened a missing file";
    }
    catch (const std::runtime_error& error)
    {
        EXPECT_STREQ(error.what(), "cannot open '/no/such/output.jsonl': No such file or directory");
    }
}

} // namespace

namespace {

/// A stream that gives text and then fails, as a disk or a pipe can.
class FailsAfter : public std::streambuf
{
public:
    explicit FailsAfter(std::string text)
        : m_Text(std::move(text))
    {
        setg(m_Text.data(), m_Text.data(), m_Text.data() + m_Text.size());
    }

protected:
    int_type underflow() override { throw std::ios_base::failure("the device failed"); }

private:
    std::string m_Text;
};

TEST_P(ResultFileReaderTest, AReadErrorComesAfterTheLinesBeforeIt)
{
    // More than the reader asks the stream for at once, so that the failure comes with a later request.
    std::string text;
    while (text.size() < (size_t{3} << 20))
    {
        text += OUTPUT_LINE + "\n";
    }
    FailsAfter failing(text);
    std::istream in(&failing);
    ResultFileReader reader(in, ResultFileReader::OnMalformedLine::Stop, threads());
    BatchResult result;
    size_t lines = 0;
    try
    {
        while (reader.next(result))
        {
            ASSERT_EQ(result.lineNumber, ++lines);
        }
        FAIL() << "the failure went unnoticed";
    }
    catch (const std::runtime_error& error)
    {
        EXPECT_GT(lines, 1000u);
        EXPECT_EQ(error.what(), "reading failed after line " + std::to_string(lines));
    }
    EXPECT_FALSE(reader.next(result)) << "read on after the input failed";
}

/// The answer of a chat line or the vectors of an embeddings line, or why the line has none.
std::string typedReads(const BatchResult& result)
{
    try
    {
        return result.answerText();
    }
    catch (const std::invalid_argument& notAnAnswer)
    {
        try
        {
            std::vector<float> floats(result.embeddingCount() * result.dimensions());
            const size_t read = result.readEmbeddings(floats.data(), floats.size());
            return std::to_string(read) + " floats, the first " + std::to_string(floats.at(0)) + ", the last "
                + std::to_string(result.embedding(result.embeddingCount() - 1).back());
        }
        catch (const std::exception& notEmbeddings)
        {
            return std::string(notAnAnswer.what()) + "; " + notEmbeddings.what();
        }
    }
}

/// What a reader with parseThreads hands out for text, as plain values: every accessor, in order.
std::vector<std::string> everythingRead(const std::string& text, unsigned parseThreads,
                                        ResultFileReader::OnMalformedLine onMalformed)
{
    std::istringstream in(text);
    ResultFileReader reader(in, onMalformed, parseThreads);
    std::vector<std::string> seen;
    BatchResult result;
    while (true)
    {
        try
        {
            if (!reader.next(result))
            {
                break;
            }
        }
        catch (const ResultFileError& error)
        {
            // result holds the refused line, as read
            seen.push_back(std::string("stopped: ") + error.what() + " " + std::to_string(result.lineNumber) + " "
                           + std::to_string(result.line.size()) + " " + result.customId);
            continue; // the next call goes on after the refused line
        }
        std::string line = std::to_string(result.lineNumber) + " " + std::to_string(reader.lineCount()) + " "
            + std::to_string(reader.lineOffset()) + " " + result.id + " " + result.customId + " "
            + std::to_string(result.statusCode.value_or(-1)) + " " + result.errorCode.value_or("-") + " "
            + std::string(result.body()).substr(0, 40) + " " + std::to_string(result.line.size());
        if (result.succeeded())
        {
            line += " " + std::to_string(result.usage().total) + " " + typedReads(result);
        }
        seen.push_back(line);
    }
    for (const LineProblem& problem : reader.problems())
    {
        seen.push_back("skipped: " + problem.toString());
    }
    seen.push_back("lines: " + std::to_string(reader.lineCount()) + " ending at "
                   + std::to_string(reader.lineOffset()));
    return seen;
}

/// Thousands of lines over many chunks: short and long (beyond a chunk), blank, CRLF, refused ones and
/// lines of the wrong shape, and a last line without its newline.
std::string mixedFile()
{
    std::string text;
    for (int i = 0; i < 4000; ++i)
    {
        const std::string id = std::to_string(i);
        switch (i % 9)
        {
        case 0: text += "\n"; break;
        case 1: text += "  \r\n"; break;
        case 2: text.append(R"({"custom_id": "r)").append(id).append(R"(", "body": [1, 2 3]})").append("\n"); break;
        case 3: text.append(R"({"custom_id": )").append(id).append("}\r\n"); break;
        case 4: text.append(ERROR_LINE).append("\r\n"); break;
        case 5:
            text.append(R"({"custom_id": "e)")
                .append(id)
                .append(R"(", "response": {"status_code": 200, "body": {"object": "list", "data": [)")
                .append(R"({"object": "embedding", "index": 0, "embedding": [0.25, -1.5e-3, )")
                .append(id)
                .append(R"(]}, {"object": "embedding", "index": 1, "embedding": "AACAPwAAAMA="}], )")
                .append(R"("usage": {"prompt_tokens": 3, "total_tokens": 3}}}})")
                .append("\n");
            break;
        default:
            text.append(R"({"id": "batch_req_)")
                .append(id)
                .append(R"(", "custom_id": "r)")
                .append(id)
                .append(R"(", "response": {"status_code": 200, "body": {"object": "chat.completion", )")
                .append(R"("choices": [{"message": {"content": ")")
                .append(i % 97 == 5 ? size_t{300} << 10 : static_cast<size_t>(i % 500), 'a')
                .append(R"("}}], "usage": {"total_tokens": )")
                .append(id)
                .append("}}}}\n");
        }
    }
    return text + OUTPUT_LINE;
}

TEST(ResultFileReaderAhead, HandsOutWhatOneThreadDoesLineForLine)
{
    const std::string text = mixedFile();
    for (const auto mode : {ResultFileReader::OnMalformedLine::Skip, ResultFileReader::OnMalformedLine::Stop})
    {
        const auto expected = everythingRead(text, 1, mode);
        ASSERT_GT(expected.size(), 3000u);
        for (const unsigned threads : {2U, 4U, 0U})
        {
            EXPECT_EQ(everythingRead(text, threads, mode), expected) << threads << " threads";
        }
    }
}

TEST(ResultFileReaderAhead, StopsItsThreadsWhenLeftEarly)
{
    const std::string text = mixedFile();
    for (int round = 0; round < 20; ++round)
    {
        std::istringstream in(text);
        ResultFileReader reader(in, ResultFileReader::OnMalformedLine::Skip, 2);
        BatchResult result;
        for (int i = 0; i < round * 50; ++i)
        {
            ASSERT_TRUE(reader.next(result));
        }
    } // each reader is destroyed with chunks being read and parsed ahead
}

} // namespace

namespace {

/// The first result of text; views and typed reads last while reader does.
struct OneLine
{
    explicit OneLine(const std::string& text)
        : in(text + "\n")
        , reader(in)
    {
        EXPECT_TRUE(reader.next(result));
    }
    std::istringstream in;
    ResultFileReader reader;
    BatchResult result;
};

std::string messageOf(const std::function<void()>& read)
{
    try
    {
        read();
    }
    catch (const std::invalid_argument& error)
    {
        return error.what();
    }
    return "no error";
}

TEST(ResultFileReaderTyped, ReadsAChatCompletion)
{
    OneLine chat(OUTPUT_LINE);
    EXPECT_EQ(chat.result.answerText(), "2 + 2 equals 4.");
    EXPECT_EQ(chat.result.model(), "gpt-4o-mini");
    EXPECT_EQ(chat.result.finishReason(), "stop");
    const TokenUsage usage = chat.result.usage();
    EXPECT_EQ(usage.input, 22);
    EXPECT_EQ(usage.output, 8);
    EXPECT_EQ(usage.total, 30);
    EXPECT_EQ(usage.cached, 0);
    EXPECT_EQ(messageOf([&] { chat.result.embeddingCount(); }), "line 1: no embeddings: the body has no data");
}

TEST(ResultFileReaderTyped, ReadsDetailsEscapesAndAToolCallWithoutText)
{
    OneLine chat(
        R"({"custom_id": "c", "response": {"status_code": 200, "body": {"object": "chat.completion", "model": "m", )"
        R"("choices": [{"message": {"content": "caf\u00e9 \ud83d\ude00 \"q\"\n"}, "finish_reason": "length"}], )"
        R"("usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12, )"
        R"("prompt_tokens_details": {"cached_tokens": 3}, "completion_tokens_details": {"reasoning_tokens": 4}}}}})");
    EXPECT_EQ(chat.result.answerText(), "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\"\n");
    EXPECT_EQ(chat.result.finishReason(), "length");
    EXPECT_EQ(chat.result.usage().cached, 3);
    EXPECT_EQ(chat.result.usage().reasoning, 4);
    OneLine tool(R"({"custom_id": "t", "response": {"status_code": 200, "body": {"object": "chat.completion", )"
                 R"("choices": [{"message": {"content": null, "tool_calls": []}, "finish_reason": "tool_calls"}]}}})");
    EXPECT_EQ(tool.result.answerText(), "");
    EXPECT_EQ(tool.result.finishReason(), "tool_calls");
    EXPECT_EQ(messageOf([&] { tool.result.usage(); }), "line 1: no usage: the body has none");
    EXPECT_EQ(messageOf([&] { tool.result.model(); }), "line 1: no model: the body has none");
}

TEST(ResultFileReaderTyped, ReadsAResponseAndACompletion)
{
    OneLine response(
        R"({"custom_id": "r", "response": {"status_code": 200, "body": {"object": "response", "model": "gpt-4.1", )"
        R"("status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}, "output": [)"
        R"({"type": "reasoning", "summary": []}, {"type": "message", "content": [{"type": "output_text", "text": "Hel"}, )"
        R"({"type": "refusal", "refusal": "no"}, {"type": "output_text", "text": "lo"}]}], )"
        R"("usage": {"input_tokens": 9, "output_tokens": 2, "total_tokens": 11, "input_tokens_details": )"
        R"({"cached_tokens": 1}, "output_tokens_details": {"reasoning_tokens": 6}}}}})");
    EXPECT_EQ(response.result.answerText(), "Hello");
    EXPECT_EQ(response.result.finishReason(), "max_output_tokens");
    const TokenUsage usage = response.result.usage();
    EXPECT_EQ(usage.input, 9);
    EXPECT_EQ(usage.output, 2);
    EXPECT_EQ(usage.cached, 1);
    EXPECT_EQ(usage.reasoning, 6);
    OneLine completion(R"({"custom_id": "x", "response": {"status_code": 200, "body": {"object": "text_completion", )"
                       R"("choices": [{"text": "four", "finish_reason": "stop"}]}}})");
    EXPECT_EQ(completion.result.answerText(), "four");
}

TEST(ResultFileReaderTyped, SaysWhenALineIsNotOfTheKindAskedFor)
{
    OneLine expired(ERROR_LINE);
    EXPECT_EQ(messageOf([&] { expired.result.answerText(); }),
              "line 1: no answer text: the request failed (batch_expired)");
    OneLine refused(R"({"custom_id": "f", "response": {"status_code": 429, "body": {"error": {"message": "slow"}}}})");
    EXPECT_EQ(messageOf([&] { refused.result.usage(); }), "line 1: no usage: the request failed with HTTP 429");
    OneLine embeddings(
        R"({"custom_id": "e", "response": {"status_code": 200, "body": {"object": "list", "data": []}}})");
    EXPECT_EQ(messageOf([&] { embeddings.result.answerText(); }), "line 1: no answer text: the body is a list");
    EXPECT_EQ(messageOf([&] { embeddings.result.dimensions(); }), "line 1: no embeddings: its data is empty");
    OneLine wrong(
        R"({"custom_id": "w", "response": {"status_code": 200, "body": {"choices": [{"message": {"content": 7}}]}}})");
    EXPECT_EQ(messageOf([&] { wrong.result.answerText(); }),
              "line 1: /response/body/choices/0/message/content: expected string, got number");
    OneLine notBase64(
        R"({"custom_id": "b", "response": {"status_code": 200, "body": {"data": [{"embedding": "a"}]}}})");
    EXPECT_EQ(messageOf([&] { notBase64.result.dimensions(); }).substr(0, 53),
              "line 1: /response/body/data/0/embedding: not base64: ");
    OneLine negative(
        R"({"custom_id": "n", "response": {"status_code": 200, "body": {"usage": {"total_tokens": -5}}}})");
    EXPECT_EQ(messageOf([&] { negative.result.usage(); }),
              "line 1: /response/body/usage/total_tokens: expected a count of 0 or more, got -5");
}

TEST(ResultFileReaderTyped, AKeyTwiceInTheResponseOrErrorIsAMalformedLine)
{
    std::vector<LineProblem> problems;
    readAll(R"({"custom_id": "a", "response": {"status_code": 200, "body": {"n": 1}, "body": {"n": 2}}})"
            "\n"
            R"({"custom_id": "b", "response": null, "error": {"code": "x", "code": "y"}})"
            "\n",
            &problems);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].toString(), R"(line 1: duplicate key "body" in /response)");
    EXPECT_EQ(problems[1].toString(), R"(line 2: duplicate key "code" in /error)");
}

TEST(ResultFileReaderTyped, TokenSumsHoldAtTheLargestCountRatherThanOverflow)
{
    TokenUsage sum;
    sum.total = INT64_MAX - 1;
    TokenUsage more;
    more.total = 5;
    more.input = 2;
    sum += more;
    EXPECT_EQ(sum.total, INT64_MAX);
    EXPECT_EQ(sum.input, 2);
}

TEST(ResultFileReaderTyped, ReadsEmbeddingsAsFloatsFromNumbersAndFromBase64)
{
    // 1.5 and -2 as little-endian 32-bit floats: 00 00 c0 3f, 00 00 00 c0.
    OneLine vectors(R"({"custom_id": "e", "response": {"status_code": 200, "body": {"object": "list", "data": [)"
                    R"({"object": "embedding", "index": 0, "embedding": [0.25, -1, 3e-2]}, )"
                    R"({"object": "embedding", "index": 1, "embedding": "AADAPwAAAMAAAAAA"}], )"
                    R"("model": "text-embedding-3-small", "usage": {"prompt_tokens": 4, "total_tokens": 4}}}})");
    const BatchResult& result = vectors.result;
    EXPECT_EQ(result.embeddingCount(), 2u);
    EXPECT_EQ(result.dimensions(), 3u);
    EXPECT_EQ(result.embedding(0), (std::vector<float>{0.25f, -1.0f, 0.03f}));
    EXPECT_EQ(result.embedding(1), (std::vector<float>{1.5f, -2.0f, 0.0f}));
    EXPECT_EQ(result.usage().input, 4);
    EXPECT_EQ(result.usage().output, 0);
    std::vector<float> buffer(6);
    EXPECT_EQ(result.readEmbeddings(buffer.data(), buffer.size()), 6u);
    EXPECT_EQ(buffer, (std::vector<float>{0.25f, -1.0f, 0.03f, 1.5f, -2.0f, 0.0f}));
    EXPECT_EQ(messageOf([&] { result.readEmbeddings(buffer.data(), 5); }),
              "line 1: its embeddings need 6 floats, the buffer holds 5");
    EXPECT_EQ(messageOf([&] { result.embedding(2); }), "line 1: no embedding 2: the body has 2");
}

} // namespace
