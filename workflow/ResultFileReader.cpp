#include "workflow/ResultFileReader.h"

#include "api/ApiException.h"

namespace openai_batch::workflow {

namespace {

/// Reads a value that may be null: nothing for null, otherwise read(cursor).
template <typename Read> auto readNullable(JsonCursor& cursor, Read read) -> std::optional<decltype(read(cursor))>
{
    if (cursor.peek() == JsonKind::Null)
    {
        cursor.readValue();
        return std::nullopt;
    }
    return read(cursor);
}

/// A member of a known type, read or refused with its path.
std::string stringAt(JsonCursor& cursor, const char* path)
{
    const JsonKind kind = cursor.peek();
    if (kind != JsonKind::String)
    {
        throw std::invalid_argument(std::string(path) + ": expected string, got " + jsonKindName(kind));
    }
    return cursor.readString();
}

int64_t integerAt(JsonCursor& cursor, const char* path)
{
    const JsonKind kind = cursor.peek();
    if (kind != JsonKind::Number)
    {
        throw std::invalid_argument(std::string(path) + ": expected integer, got " + jsonKindName(kind));
    }
    try
    {
        return cursor.readInteger();
    }
    catch (const JsonSyntaxError&)
    {
        throw std::invalid_argument(std::string(path)
                                    + ": expected integer, got a number that is not a 64-bit integer");
    }
}

void expectObject(JsonCursor& cursor, const char* path)
{
    const JsonKind kind = cursor.peek();
    if (kind != JsonKind::Object)
    {
        throw std::invalid_argument(std::string(path) + ": expected object, got " + jsonKindName(kind));
    }
}

void readResponse(JsonCursor& cursor, BatchResult& result)
{
    expectObject(cursor, "/response");
    cursor.readObject([&](std::string_view key, JsonCursor& inner) {
        if (key == "status_code")
        {
            result.statusCode =
                readNullable(inner, [](JsonCursor& c) { return integerAt(c, "/response/status_code"); });
        }
        else if (key == "request_id")
        {
            result.requestId =
                readNullable(inner, [](JsonCursor& c) { return stringAt(c, "/response/request_id"); }).value_or("");
        }
        else if (key == "body")
        {
            const JsonSpan body = inner.readValue();
            if (body.kind != JsonKind::Object && body.kind != JsonKind::Null)
            {
                throw std::invalid_argument(std::string("/response/body: expected object, got ")
                                            + jsonKindName(body.kind));
            }
            result.body = body.kind == JsonKind::Object ? body.text : std::string_view();
        }
        else
        {
            inner.readValue();
        }
    });
}

void readError(JsonCursor& cursor, BatchResult& result)
{
    expectObject(cursor, "/error");
    result.errorCode = std::string();
    result.errorMessage = std::string();
    cursor.readObject([&](std::string_view key, JsonCursor& inner) {
        if (key == "code")
        {
            result.errorCode =
                readNullable(inner, [](JsonCursor& c) { return stringAt(c, "/error/code"); }).value_or("");
        }
        else if (key == "message")
        {
            result.errorMessage =
                readNullable(inner, [](JsonCursor& c) { return stringAt(c, "/error/message"); }).value_or("");
        }
        else
        {
            inner.readValue();
        }
    });
}

} // namespace

bool BatchResult::succeeded() const
{
    return !errorCode && statusCode && *statusCode >= 200 && *statusCode < 300;
}

namespace {

/// text parsed by cpprestsdk, or std::invalid_argument naming the line (its parser refuses some text
/// the reader accepts, such as a \u escape with a lone UTF-16 surrogate).
web::json::value parseForCaller(std::string_view text, size_t lineNumber)
{
    std::string problem;
    auto json = api::tryParseJson(std::string(text), problem);
    if (!json)
    {
        throw std::invalid_argument("line " + std::to_string(lineNumber) + ": " + problem);
    }
    return std::move(*json);
}

} // namespace

web::json::value BatchResult::bodyJson() const
{
    return body.empty() ? web::json::value::null() : parseForCaller(body, lineNumber);
}

std::shared_ptr<model::BatchRequestOutput> BatchResult::toModel() const
{
    auto output = std::make_shared<model::BatchRequestOutput>();
    output->fromJson(parseForCaller(line, lineNumber));
    return output;
}

ResultFileError::ResultFileError(LineProblem problem)
    : std::runtime_error(problem.toString())
    , m_Problem(std::move(problem))
{
}

void parseResultLine(std::string_view line, BatchResult& result)
{
    const size_t lineNumber = result.lineNumber;
    result = BatchResult{};
    result.lineNumber = lineNumber;
    result.line = line;
    JsonCursor cursor(line);
    bool hasCustomId = false;
    cursor.readTopLevelObject([&](std::string_view key, JsonCursor& member) {
        if (key == "custom_id")
        {
            result.customId = stringAt(member, "/custom_id");
            hasCustomId = true;
        }
        else if (key == "id")
        {
            result.id = readNullable(member, [](JsonCursor& c) { return stringAt(c, "/id"); }).value_or("");
        }
        else if (key == "response")
        {
            if (member.peek() == JsonKind::Null)
            {
                member.readValue();
            }
            else
            {
                readResponse(member, result);
            }
        }
        else if (key == "error")
        {
            if (member.peek() == JsonKind::Null)
            {
                member.readValue();
            }
            else
            {
                readError(member, result);
            }
        }
        else
        {
            member.readValue();
        }
    });
    if (!hasCustomId)
    {
        throw std::invalid_argument("/custom_id: missing required property");
    }
}

ResultFileReader::ResultFileReader(const std::string& path, OnMalformedLine onMalformed)
    : m_Lines(path)
    , m_OnMalformed(onMalformed)
{
}

ResultFileReader::ResultFileReader(std::istream& stream, OnMalformedLine onMalformed)
    : m_Lines(stream)
    , m_OnMalformed(onMalformed)
{
}

bool ResultFileReader::next(BatchResult& result)
{
    std::string_view line;
    while (m_Lines.next(line))
    {
        if (isBlank(line))
        {
            continue;
        }
        result.lineNumber = m_Lines.lineNumber();
        try
        {
            parseResultLine(line, result);
            return true;
        }
        catch (const std::exception& error) // JsonSyntaxError or a wrong field type
        {
            LineProblem problem{result.lineNumber, error.what()};
            if (m_OnMalformed == OnMalformedLine::Stop)
            {
                throw ResultFileError(std::move(problem));
            }
            m_Problems.push_back(std::move(problem));
        }
    }
    return false;
}

} // namespace openai_batch::workflow
