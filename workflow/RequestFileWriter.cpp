#include "workflow/RequestFileWriter.h"

#include "workflow/LineReader.h"

#include <cerrno>
#include <cstring>

namespace openai_batch::workflow {

RequestFields readRequestLine(std::string_view line, size_t readable)
{
    thread_local JsonLineParser parser;
    RequestFields fields;
    bool hasBody = false;
    for (const auto [key, value] : parser.parseObject(line, readable))
    {
        if (key == "custom_id")
        {
            fields.customId = stringAt(value, "/custom_id");
        }
        else if (key == "method")
        {
            fields.method = stringAt(value, "/method");
        }
        else if (key == "url")
        {
            fields.url = stringAt(value, "/url");
        }
        else if (key == "body")
        {
            objectAt(value, "/body");
            hasBody = true;
        }
    }
    for (const auto& [present, name] :
         {std::pair{!fields.customId.empty(), "custom_id"}, std::pair{!fields.method.empty(), "method"},
          std::pair{!fields.url.empty(), "url"}, std::pair{hasBody, "body"}})
    {
        if (!present)
        {
            throw std::invalid_argument(std::string("/") + name + ": missing required property");
        }
    }
    return fields;
}

void appendJsonString(std::string& out, std::string_view text)
{
    static const char hex[] = "0123456789abcdef";
    out += '"';
    size_t plain = 0;
    for (size_t i = 0; i < text.size(); ++i)
    {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\')
        {
            continue;
        }
        out.append(text.data() + plain, i - plain);
        plain = i + 1;
        switch (c)
        {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    out.append(text.data() + plain, text.size() - plain);
    out += '"';
}

RequestFileError::RequestFileError(LineProblem problem)
    : std::invalid_argument(problem.toString())
    , m_Problem(std::move(problem))
{
}

RequestChecker::RequestChecker(std::string endpoint, RequestFileLimits limits)
    : m_Endpoint(std::move(endpoint))
    , m_Limits(limits)
{
}

std::optional<std::string> RequestChecker::checkFields(const std::string& customId, std::string_view method,
                                                       std::string_view url, const std::string& endpoint)
{
    if (customId.empty())
    {
        return "custom_id must not be empty";
    }
    if (method != "POST")
    {
        return "method must be POST, not '" + std::string(method) + "'";
    }
    if (url != endpoint)
    {
        return "url '" + std::string(url) + "' is not the batch's endpoint '" + endpoint + "'";
    }
    return std::nullopt;
}

std::optional<std::string> RequestChecker::admit(const std::string& customId, std::string_view method,
                                                 std::string_view url, uint64_t lineBytes, size_t lineNumber)
{
    if (auto problem = checkFields(customId, method, url, m_Endpoint))
    {
        return problem;
    }
    const auto earlier = m_LineOfId.find(customId);
    if (earlier != m_LineOfId.end())
    {
        return "custom_id '" + customId + "' is already used on line " + std::to_string(earlier->second);
    }
    if (m_Count + 1 > m_Limits.maxRequests)
    {
        return "a batch takes at most " + std::to_string(m_Limits.maxRequests) + " requests";
    }
    if (m_Bytes + lineBytes > m_Limits.maxBytes)
    {
        return "the file would exceed " + std::to_string(m_Limits.maxBytes) + " bytes";
    }
    m_LineOfId.emplace(customId, lineNumber);
    ++m_Count;
    m_Bytes += lineBytes;
    return std::nullopt;
}

RequestFileWriter::RequestFileWriter(const std::string& path, std::string endpoint, RequestFileLimits limits)
    : m_File(std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc))
    , m_Stream(*m_File)
    , m_Checker(std::move(endpoint), limits)
{
    if (!*m_File)
    {
        throw std::runtime_error("cannot create request file '" + path + "': " + std::strerror(errno));
    }
}

RequestFileWriter::RequestFileWriter(std::ostream& stream, std::string endpoint, RequestFileLimits limits)
    : m_Stream(stream)
    , m_Checker(std::move(endpoint), limits)
{
}

void RequestFileWriter::refuse(const std::string& problem) const
{
    throw RequestFileError(LineProblem{m_Checker.requestCount() + 1, problem});
}

void RequestFileWriter::add(const std::string& customId, const web::json::value& body)
{
    if (!body.is_object())
    {
        refuse("body: expected a JSON object");
    }
    m_Scratch.clear();
    m_Scratch += "{\"custom_id\":";
    appendJsonString(m_Scratch, customId);
    m_Scratch += ",\"method\":\"POST\",\"url\":";
    appendJsonString(m_Scratch, m_Checker.endpoint());
    m_Scratch += ",\"body\":";
    m_Scratch += utility::conversions::to_utf8string(body.serialize());
    m_Scratch += '}';
    append(customId, "POST", m_Checker.endpoint(), m_Scratch);
}

void RequestFileWriter::add(const model::BatchRequestInput& request)
{
    try
    {
        model::BatchRequestInput copy = request;
        copy.validate();
    }
    catch (const model::ModelValidationException& invalid)
    {
        refuse(invalid.what());
    }
    if (!request.bodyIsSet() || !request.getBody())
    {
        refuse("/body: missing required property");
    }
    const std::string line = utility::conversions::to_utf8string(request.toJson().serialize());
    append(utility::conversions::to_utf8string(request.getCustomId()),
           utility::conversions::to_utf8string(request.getMethodString()),
           utility::conversions::to_utf8string(request.getUrl()), line);
}

void RequestFileWriter::addLine(std::string_view line)
{
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    {
        line.remove_suffix(1);
    }
    if (line.find('\n') != std::string_view::npos)
    {
        refuse("a request must be one line");
    }
    RequestFields fields;
    try
    {
        fields = readRequestLine(line);
    }
    catch (const std::exception& malformed)
    {
        refuse(malformed.what());
    }
    append(fields.customId, fields.method, fields.url, line);
}

void RequestFileWriter::append(const std::string& customId, std::string_view method, std::string_view url,
                               std::string_view line)
{
    const size_t lineNumber = m_Checker.requestCount() + 1;
    if (const auto problem = m_Checker.admit(customId, method, url, line.size() + 1, lineNumber))
    {
        refuse(*problem);
    }
    m_Stream.write(line.data(), static_cast<std::streamsize>(line.size()));
    m_Stream.put('\n');
    if (!m_Stream)
    {
        throw std::runtime_error("writing request line " + std::to_string(lineNumber) + " failed");
    }
}

void RequestFileWriter::finish()
{
    m_Stream.flush();
    if (!m_Stream)
    {
        throw std::runtime_error("writing the request file failed");
    }
}

RequestFileCheck checkRequestFile(const std::string& path, const std::string& endpoint, RequestFileLimits limits)
{
    RequestFileCheck check;
    const auto report = [&check](LineProblem problem) {
        if (check.problems.size() < RequestFileCheck::maxListedProblems)
        {
            check.problems.push_back(std::move(problem));
        }
        else
        {
            ++check.unlistedProblems;
        }
    };
    LineReader lines(path);
    RequestChecker checker(endpoint, limits);
    std::string_view line;
    while (lines.next(line))
    {
        if (isBlank(line))
        {
            report(LineProblem{lines.lineNumber(), "blank line"});
            continue;
        }
        try
        {
            const RequestFields fields = readRequestLine(line, LineReader::readable(line));
            if (auto problem =
                    checker.admit(fields.customId, fields.method, fields.url, line.size() + 1, lines.lineNumber()))
            {
                report(LineProblem{lines.lineNumber(), std::move(*problem)});
            }
            else
            {
                check.customIds.push_back(fields.customId);
            }
        }
        catch (const std::exception& malformed)
        {
            report(LineProblem{lines.lineNumber(), malformed.what()});
        }
    }
    return check;
}

} // namespace openai_batch::workflow
