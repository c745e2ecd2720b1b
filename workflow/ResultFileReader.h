// ResultFileReader: the lines of a batch output or error file (BatchRequestOutput), one at a time, typed,
// in memory that does not grow with the file.
#pragma once

#include "workflow/JsonCursor.h"
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

/// One result line. The fields a caller usually needs are read; the response body stays as its source
/// text until bodyJson() or toModel() is asked for. Views point into the reader's line buffer and are
/// valid until its next call to next().
struct BatchResult
{
    size_t lineNumber = 0;
    std::string id;
    std::string customId;
    std::optional<int64_t> statusCode;       ///< response.status_code; empty when response is null
    std::string requestId;                   ///< response.request_id
    std::string_view body;                   ///< response.body as JSON text; empty when absent
    std::optional<std::string> errorCode;    ///< error.code, for requests that failed without an HTTP response
    std::optional<std::string> errorMessage; ///< error.message
    std::string_view line;                   ///< the whole line, as read

    /// A 2xx response and no error object.
    bool succeeded() const;
    /// The response body parsed (cpprestsdk's DOM); null when there is none. Throws
    /// std::invalid_argument ("line N: ...") for text cpprestsdk refuses (an unpaired \u surrogate).
    web::json::value bodyJson() const;
    /// The whole line as the generated model; throws as bodyJson() does.
    std::shared_ptr<model::BatchRequestOutput> toModel() const;
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
    explicit ResultFileReader(const std::string& path, OnMalformedLine onMalformed = OnMalformedLine::Stop);
    /// Reads from stream, which must outlive the reader.
    explicit ResultFileReader(std::istream& stream, OnMalformedLine onMalformed = OnMalformedLine::Stop);

    /// Reads the next result into result; false at the end. Blank lines are skipped, CRLF is accepted,
    /// the last line may lack its newline.
    bool next(BatchResult& result);
    /// Malformed lines skipped so far (OnMalformedLine::Skip).
    const std::vector<LineProblem>& problems() const { return m_Problems; }
    /// Lines read so far, blank ones included.
    size_t lineCount() const { return m_Lines.lineNumber(); }
    /// Where the last line read starts, in bytes from the start of the input.
    uint64_t lineOffset() const { return m_Lines.lineOffset(); }

private:
    LineReader m_Lines;
    OnMalformedLine m_OnMalformed;
    std::vector<LineProblem> m_Problems;
};

/// Parses one line into result; throws JsonSyntaxError or std::invalid_argument (wrong field types).
void parseResultLine(std::string_view line, BatchResult& result);

} // namespace openai_batch::workflow
