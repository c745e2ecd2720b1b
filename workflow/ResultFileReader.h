// ResultFileReader: the lines of a batch output or error file (BatchRequestOutput), one at a time, typed,
// in memory that does not grow with the file.
#pragma once

#include "workflow/JsonLine.h"
#include "workflow/LineReader.h"
#include "workflow/Namespaces.h"

#include "model/BatchRequestOutput.h"

#include <cpprest/json.h>

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace openai_batch::workflow {

struct BatchResult;

/// Parses one line into result, checking all of it with parser (whose tree result then reads from);
/// throws JsonSyntaxError or std::invalid_argument (wrong field types). readable: see JsonLineParser.
void parseResultLine(std::string_view line, BatchResult& result, JsonLineParser& parser, size_t readable = 0);
/// The same into tree, which result then reads from: lines parsed into trees of their own can be read at once.
void parseResultLine(std::string_view line, BatchResult& result, JsonLineParser& parser, simdjson::dom::document& tree,
                     size_t readable = 0);
/// The same with a parser of this thread's: result is valid until the thread's next call.
void parseResultLine(std::string_view line, BatchResult& result);

/// The tokens a response says it used (its `usage`), under one set of names for every endpoint.
struct TokenUsage
{
    int64_t input = 0;     ///< prompt_tokens (chat completions, completions, embeddings) or input_tokens (responses)
    int64_t output = 0;    ///< completion_tokens or output_tokens; 0 for embeddings
    int64_t total = 0;     ///< total_tokens
    int64_t cached = 0;    ///< prompt_tokens_details.cached_tokens or input_tokens_details.cached_tokens
    int64_t reasoning = 0; ///< completion_tokens_details.reasoning_tokens or output_tokens_details.reasoning_tokens

    TokenUsage& operator+=(const TokenUsage& more);
};

/// One result line. The envelope (ids, status, error) is read into fields; the response body is read on
/// request, typed (answerText(), usage(), model(), embedding(), ...) or whole (bodyJson(), toModel()).
/// Views and typed reads use the reader's buffers: they are valid until its next call to next().
struct BatchResult
{
    size_t lineNumber = 0;
    std::string id;
    std::string customId;
    std::optional<int64_t> statusCode;       ///< response.status_code; empty when response is null
    std::string requestId;                   ///< response.request_id
    std::optional<std::string> errorCode;    ///< error.code, for requests that failed without an HTTP response
    std::optional<std::string> errorMessage; ///< error.message
    std::string_view line;                   ///< the whole line, as read

    /// A 2xx response and no error object.
    bool succeeded() const;
    /// response.body's exact text, a view of line; empty when there is none. Found on each call, by
    /// reading the line up to the body's end where it lies (in the reader's buffer, without a copy).
    std::string_view body() const;
    /// The response body parsed (cpprestsdk's DOM); null when there is none.
    web::json::value bodyJson() const;
    /// The whole line as the generated model.
    std::shared_ptr<model::BatchRequestOutput> toModel() const;

    // Typed reads of the body, from the simdjson tree the line was checked with (not cpprestsdk's DOM):
    // nothing is parsed again, and what is not asked for costs nothing. Each throws std::invalid_argument
    // naming the line and what it holds when the body is not of that kind ("line 7: no answer text: the
    // request failed with HTTP 429"), and the line and path when a value has the wrong type ("line 7:
    // /response/body/usage/total_tokens: expected integer, got string").

    /// The answer: a chat completion's choices[0].message.content, a completion's choices[0].text, or a
    /// response's output_text parts, joined. Empty when the answer holds no text (a tool call, a refusal).
    std::string answerText() const;
    /// body.model, as the API names the model that answered.
    std::string_view model() const;
    /// A chat completion's or completion's choices[0].finish_reason ("stop", "length", ...); for a
    /// response, incomplete_details.reason when it has one, else its status ("completed", ...).
    std::string_view finishReason() const;
    /// body.usage, for chat completions, completions, responses and embeddings.
    TokenUsage usage() const;
    /// The number of vectors of an embeddings body (its data array).
    size_t embeddingCount() const;
    /// The length of the first vector.
    size_t dimensions() const;
    /// Vector index as floats (from numbers, or from base64 when encoding_format was base64).
    std::vector<float> embedding(size_t index = 0) const;
    /// Every vector, one after another, into out; returns the floats written. Throws
    /// std::invalid_argument saying how many are needed when capacity is too small.
    size_t readEmbeddings(float* out, size_t capacity) const;

private:
    friend void parseResultLine(std::string_view, BatchResult&, JsonLineParser&, size_t);
    friend void parseResultLine(std::string_view, BatchResult&, JsonLineParser&, simdjson::dom::document&, size_t);
    /// Reads the envelope of text, the line (readable: see JsonLineParser), from parse()'s object, which
    /// checks the whole line.
    template <class Parse> void readLine(std::string_view text, size_t readable, Parse parse);
    [[noreturn]] static void notOfKind(const std::string& what, const std::string& why);
    void readEnvelope(simdjson::dom::object line);
    simdjson::dom::object bodyOfKind(const char* what) const;
    simdjson::dom::array embeddingData() const;

    simdjson::dom::element m_Body; ///< valid when m_HasBody
    bool m_HasBody = false;
    size_t m_Readable = 0; ///< bytes that may be read from line.data() on, for body()
};

/// A line that is not a well-formed result.
struct LineProblem
{
    size_t lineNumber;
    std::string message;

    std::string toString() const { return "line " + std::to_string(lineNumber) + ": " + message; }
};

class ResultFileError : public std::runtime_error
{
public:
    explicit ResultFileError(LineProblem problem);
    const LineProblem& problem() const noexcept { return m_Problem; }

private:
    LineProblem m_Problem;
};

class ResultFileReader
{
public:
    /// What to do with a malformed line: throw ResultFileError, or record it in problems() and go on.
    enum class OnMalformedLine
    {
        Stop,
        Skip
    };

    /// Reads the file at path; a file that cannot be opened throws std::runtime_error naming it.
    ///
    /// parseThreads: how many threads check and parse lines. 1 (the default) parses each line in next(), on
    /// the caller's thread. More read and parse ahead of next(), in chunks of about 64 KiB and at most
    /// 256 KiB ahead: parseThreads - 1 worker threads read the input in turn and parse what they read, and
    /// every parseThreads-th chunk is parsed by next() itself; 0 means one thread per core, and more than 5
    /// are not used (4 chunks ahead keep 4 workers busy at most). Either way the lines, their order, their
    /// problems, the exceptions and every accessor are the same; only the time differs. It pays where
    /// parsing outweighs the reads that follow (long lines of numbers: embeddings); reading another core's
    /// trees costs time too (see workflow/README.md, "Reading results").
    explicit ResultFileReader(const std::string& path, OnMalformedLine onMalformed = OnMalformedLine::Stop,
                              unsigned parseThreads = 1);
    /// Reads from stream, which must outlive the reader. With parseThreads above 1 the stream is read by
    /// worker threads, ahead of next(), and the destructor waits for a read under way.
    explicit ResultFileReader(std::istream& stream, OnMalformedLine onMalformed = OnMalformedLine::Stop,
                              unsigned parseThreads = 1);
    ~ResultFileReader();
    ResultFileReader(const ResultFileReader&) = delete;
    ResultFileReader& operator=(const ResultFileReader&) = delete;

    /// Reads the next result into result; false at the end. Blank lines are skipped, CRLF is accepted,
    /// the last line may lack its newline. After a malformed line (ResultFileError) the next call reads on;
    /// after the input fails (a line over LineReader::maxLineBytes, a read error: std::runtime_error) every
    /// later call returns false.
    bool next(BatchResult& result);
    /// Malformed lines skipped so far (OnMalformedLine::Skip).
    const std::vector<LineProblem>& problems() const { return m_Problems; }
    /// Lines read so far, blank ones included, up to the line next() gave last (at the end: all of them).
    size_t lineCount() const;
    /// Where the last line read starts, in bytes from the start of the input (at the end: its size).
    uint64_t lineOffset() const;

private:
    class ReadAhead;

    /// Starts reading ahead when parseThreads (0: one per core) is more than 1.
    void readAheadOn(unsigned parseThreads);
    bool nextInLine(BatchResult& result);
    bool nextReadAhead(BatchResult& result);
    /// Throws problem (Stop) or records it (Skip).
    void refuse(LineProblem problem);

    LineReader m_Lines;
    JsonLineParser m_Parser;
    OnMalformedLine m_OnMalformed;
    std::vector<LineProblem> m_Problems;
    bool m_InputFailed = false;
    std::unique_ptr<ReadAhead> m_ReadAhead; ///< with more than one parse thread
};

} // namespace openai_batch::workflow
