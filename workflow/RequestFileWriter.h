// RequestFileWriter: writes a batch input file (BatchRequestInput lines) and refuses, with the line
// number, what the Batch API would reject after upload.
#pragma once

#include "workflow/Namespaces.h"
#include "workflow/ResultFileReader.h"

#include "model/BatchRequestInput.h"

#include <cpprest/json.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace openai_batch::workflow {

/// The Batch API's limits on one input file.
struct RequestFileLimits
{
    size_t maxRequests = 50000;
    uint64_t maxBytes = 200ull * 1024 * 1024;
};

/// A request the API would reject; nothing of it was written.
class RequestFileError : public std::invalid_argument
{
public:
    explicit RequestFileError(LineProblem problem);
    const LineProblem& problem() const noexcept { return m_Problem; }

private:
    LineProblem m_Problem;
};

/// The API's checks on a sequence of requests: fields, unique ids, count and size.
class RequestChecker
{
public:
    RequestChecker(std::string endpoint, RequestFileLimits limits);

    /// Admits the request on lineNumber (lineBytes long, newline included) or says why the API would
    /// reject it; a refused request is not counted.
    std::optional<std::string> admit(const std::string& customId, std::string_view method, std::string_view url,
                                     uint64_t lineBytes, size_t lineNumber);
    /// The checks of one request on its own: a custom_id, method POST, url the endpoint.
    static std::optional<std::string> checkFields(const std::string& customId, std::string_view method,
                                                  std::string_view url, const std::string& endpoint);
    size_t requestCount() const { return m_Count; }
    uint64_t byteCount() const { return m_Bytes; }
    const std::string& endpoint() const { return m_Endpoint; }

private:
    std::string m_Endpoint;
    RequestFileLimits m_Limits;
    std::unordered_map<std::string, size_t> m_LineOfId;
    size_t m_Count = 0;
    uint64_t m_Bytes = 0;
};

class RequestFileWriter
{
public:
    /// Creates (or empties) the file at path; one that cannot be created throws std::runtime_error.
    RequestFileWriter(const std::string& path, std::string endpoint, RequestFileLimits limits = {});
    /// Writes to stream, which must outlive the writer.
    RequestFileWriter(std::ostream& stream, std::string endpoint, RequestFileLimits limits = {});

    /// {"custom_id": customId, "method": "POST", "url": <endpoint>, "body": body}. body must be an object.
    void add(const std::string& customId, const web::json::value& body);
    /// A prepared request; method and url must match the batch.
    void add(const model::BatchRequestInput& request);
    /// A line of JSON written elsewhere, checked the same way and copied as it is.
    void addLine(std::string_view line);

    size_t requestCount() const { return m_Checker.requestCount(); }
    uint64_t byteCount() const { return m_Checker.byteCount(); }
    /// Flushes; throws std::runtime_error if anything could not be written.
    void finish();

private:
    void append(const std::string& customId, std::string_view method, std::string_view url, std::string_view line);
    [[noreturn]] void refuse(const std::string& problem) const;

    std::unique_ptr<std::ofstream> m_File;
    std::ostream& m_Stream;
    RequestChecker m_Checker;
    std::string m_Scratch;
};

/// What checkRequestFile found.
struct RequestFileCheck
{
    /// The problems listed at most: a file of a million bad lines must not take a million messages.
    static constexpr size_t maxListedProblems = 1000;

    std::vector<LineProblem> problems;  ///< the problems the API would find, with their line numbers (the first 1000)
    uint64_t unlistedProblems = 0;      ///< the problems found beyond those
    std::vector<std::string> customIds; ///< the admitted requests' ids, in file order
};

/// Checks an existing request file for endpoint, reading it once in constant memory (plus the ids).
RequestFileCheck checkRequestFile(const std::string& path, const std::string& endpoint, RequestFileLimits limits = {});

/// The parts of a request line the API checks.
struct RequestFields
{
    std::string customId;
    std::string method;
    std::string url;
};

/// Reads one request line: a JSON object with custom_id, method and url strings and a body object, no key
/// twice (the body is checked, not read: estimateRequestLine reads it). Throws JsonSyntaxError or
/// std::invalid_argument naming the field ("/body: expected object ..."). The line is read where it lies when readable
/// (bytes that may be read from line.data() on) is SIMDJSON_PADDING more than its size, as for LineReader's lines; else
/// it is copied.
RequestFields readRequestLine(std::string_view line, size_t readable = 0);

/// text as a JSON string literal, quotes included.
void appendJsonString(std::string& out, std::string_view text);

} // namespace openai_batch::workflow
