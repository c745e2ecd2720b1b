#include "workflow/ResultFileReader.h"

#include "api/ApiException.h"

#include <cpprest/asyncrt_utils.h>

#include <cstring>
#include <limits>

namespace openai_batch::workflow {

static_assert(LineReader::padding >= simdjson::SIMDJSON_PADDING, "lines are parsed where they lie");

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

bool isNull(element value)
{
    return value.type() == simdjson::dom::element_type::NULL_VALUE;
}

/// The member key of container, if it is there and not null (the first of that name, as everywhere).
std::optional<element> member(object container, std::string_view key)
{
    element value;
    if (container.at_key(key).get(value) != simdjson::SUCCESS || isNull(value))
    {
        return std::nullopt;
    }
    return value;
}

/// The number of elements: simdjson's count stops at 2^24 - 1, so a longer array is counted one by one.
size_t lengthOf(simdjson::dom::array array)
{
    constexpr size_t SATURATED = 0xFFFFFF;
    size_t length = array.size();
    if (length == SATURATED)
    {
        length = 0;
        for ([[maybe_unused]] const element item : array)
        {
            ++length;
        }
    }
    return length;
}

std::string itemPath(const std::string& array, size_t index)
{
    return array + "/" + std::to_string(index);
}

/// A token count of usage: an integer, 0 or more, at path (and detail inside it, for the *_details
/// objects); the whole path is spelled out only for the message of a count that is wrong.
int64_t countOf(element value, const char* path, std::string_view detail)
{
    int64_t count = 0;
    if (value.get(count) == simdjson::SUCCESS && count >= 0)
    {
        return count;
    }
    const std::string where = path + (detail.empty() ? "" : "/" + std::string(detail));
    count = integerAt(value, where.c_str()); // throws for a value that is not a 64-bit integer
    throw std::invalid_argument(where + ": expected a count of 0 or more, got " + std::to_string(count));
}

/// a + b, held at INT64_MAX rather than overflowing (a sum of hostile counts must not be undefined).
int64_t saturatingSum(int64_t a, int64_t b)
{
    int64_t sum = 0;
    return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<int64_t>::max() : sum;
}

/// The members that say what a body is, found in one pass over it (the first of a name counts).
struct BodyShape
{
    std::string_view kind;          ///< body.object: "chat.completion", "text_completion", "response", "list"
    std::optional<element> output;  ///< a response's output items
    std::optional<element> choices; ///< a chat completion's or completion's choices

    explicit BodyShape(object body)
    {
        bool hasKind = false;
        for (const auto [key, value] : body)
        {
            if (key == "object" && !hasKind)
            {
                hasKind = true;
                if (value.get(kind) != simdjson::SUCCESS)
                {
                    kind = {};
                }
            }
            else if (key == "output" && !output && !isNull(value))
            {
                output = value;
            }
            else if (key == "choices" && !choices && !isNull(value))
            {
                choices = value;
            }
        }
    }

    bool isResponse() const { return kind == "response" || output.has_value(); }

    /// choices[0]; nothing when there is no choice.
    std::optional<object> firstChoice() const
    {
        element first;
        if (!choices || arrayAt(*choices, "/response/body/choices").at(0).get(first) != simdjson::SUCCESS)
        {
            return std::nullopt;
        }
        return objectAt(first, "/response/body/choices/0");
    }

    /// Why a body without a choice is not an answer, for the message that says so.
    std::string withoutChoice() const
    {
        if (choices)
        {
            return "its choices are empty";
        }
        return kind.empty() ? "the body is not a chat completion, completion or response"
                            : "the body is a " + std::string(kind);
    }
};

/// The text of a response's output_text parts, in order.
void appendResponseText(element output, std::string& text)
{
    size_t index = 0;
    for (const element item : arrayAt(output, "/response/body/output"))
    {
        const std::string path = itemPath("/response/body/output", index++);
        const object message = objectAt(item, path.c_str());
        const auto type = member(message, "type");
        const auto content = member(message, "content");
        if (!type || stringAt(*type, (path + "/type").c_str()) != "message" || !content)
        {
            continue;
        }
        size_t partIndex = 0;
        for (const element part : arrayAt(*content, (path + "/content").c_str()))
        {
            const std::string partPath = itemPath(path + "/content", partIndex++);
            const object piece = objectAt(part, partPath.c_str());
            const auto partType = member(piece, "type");
            const auto partText = member(piece, "text");
            if (partType && stringAt(*partType, (partPath + "/type").c_str()) == "output_text" && partText)
            {
                text += stringAt(*partText, (partPath + "/text").c_str());
            }
        }
    }
}

/// The floats of one embedding, data[index]: an array of numbers, or base64 of little-endian 32-bit floats.
class EmbeddingVector
{
public:
    EmbeddingVector(element item, size_t index)
        : m_Path(itemPath("/response/body/data", index) + "/embedding")
    {
        const auto vector = member(objectAt(item, itemPath("/response/body/data", index).c_str()), "embedding");
        if (!vector)
        {
            throw std::invalid_argument(m_Path + ": missing required property");
        }
        if (vector->get(m_Numbers) == simdjson::SUCCESS)
        {
            m_Size = lengthOf(m_Numbers);
            return;
        }
        const std::string_view base64 = stringAt(*vector, m_Path.c_str());
        try
        {
            m_Bytes = utility::conversions::from_base64(utility::string_t(base64));
        }
        catch (const std::exception& invalid) // cpprestsdk says std::runtime_error
        {
            throw std::invalid_argument(m_Path + ": not base64: " + invalid.what());
        }
        if (m_Bytes.size() % 4 != 0)
        {
            throw std::invalid_argument(m_Path + ": base64 that is not a whole number of floats");
        }
        m_IsBase64 = true;
        m_Size = m_Bytes.size() / 4;
    }

    size_t size() const { return m_Size; }

    /// Writes size() floats from out on.
    float* copyTo(float* out) const
    {
        if (m_IsBase64)
        {
            for (size_t i = 0; i < m_Bytes.size(); i += 4)
            {
                const uint32_t bits = m_Bytes[i] | (uint32_t{m_Bytes[i + 1]} << 8) | (uint32_t{m_Bytes[i + 2]} << 16)
                    | (uint32_t{m_Bytes[i + 3]} << 24);
                std::memcpy(out++, &bits, sizeof bits);
            }
            return out;
        }
        size_t index = 0;
        for (const element number : m_Numbers)
        {
            double value = 0;
            if (number.get(value) != simdjson::SUCCESS)
            {
                throw std::invalid_argument(itemPath(m_Path, index) + ": expected number, got "
                                            + jsonTypeName(number.type()));
            }
            *out++ = static_cast<float>(value);
            ++index;
        }
        return out;
    }

private:
    std::string m_Path;
    simdjson::dom::array m_Numbers;
    std::vector<unsigned char> m_Bytes;
    bool m_IsBase64 = false;
    size_t m_Size = 0;
};

/// Each count of a usage object: chat completions, completions and embeddings name them after prompt and
/// completion, responses after input and output.
struct UsageCount
{
    std::string_view key;
    int64_t TokenUsage::*field;
    std::string_view detail; ///< the count inside the key's object, for the *_details objects
    const char* path;        ///< of the key's value
};

constexpr UsageCount USAGE_COUNTS[] = {
    {"prompt_tokens", &TokenUsage::input, {}, "/response/body/usage/prompt_tokens"},
    {"input_tokens", &TokenUsage::input, {}, "/response/body/usage/input_tokens"},
    {"completion_tokens", &TokenUsage::output, {}, "/response/body/usage/completion_tokens"},
    {"output_tokens", &TokenUsage::output, {}, "/response/body/usage/output_tokens"},
    {"total_tokens", &TokenUsage::total, {}, "/response/body/usage/total_tokens"},
    {"prompt_tokens_details", &TokenUsage::cached, "cached_tokens", "/response/body/usage/prompt_tokens_details"},
    {"input_tokens_details", &TokenUsage::cached, "cached_tokens", "/response/body/usage/input_tokens_details"},
    {"completion_tokens_details", &TokenUsage::reasoning, "reasoning_tokens",
     "/response/body/usage/completion_tokens_details"},
    {"output_tokens_details", &TokenUsage::reasoning, "reasoning_tokens", "/response/body/usage/output_tokens_details"},
};

void readResponse(object response, BatchResult& result, element& body, bool& hasBody)
{
    refuseRepeatedKeys(response, "/response");
    for (const auto [key, value] : response)
    {
        if (key == "status_code")
        {
            result.statusCode =
                isNull(value) ? std::nullopt : std::optional<int64_t>(integerAt(value, "/response/status_code"));
        }
        else if (key == "request_id")
        {
            result.requestId.assign(isNull(value) ? std::string_view() : stringAt(value, "/response/request_id"));
        }
        else if (key == "body")
        {
            hasBody = !isNull(value);
            if (hasBody)
            {
                objectAt(value, "/response/body");
                body = value;
            }
        }
    }
}

void readError(object error, BatchResult& result)
{
    refuseRepeatedKeys(error, "/error");
    result.errorCode = std::string();
    result.errorMessage = std::string();
    for (const auto [key, value] : error)
    {
        if (key == "code")
        {
            result.errorCode = isNull(value) ? "" : std::string(stringAt(value, "/error/code"));
        }
        else if (key == "message")
        {
            result.errorMessage = isNull(value) ? "" : std::string(stringAt(value, "/error/message"));
        }
    }
}

/// text parsed by cpprestsdk, or std::invalid_argument naming the line.
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

/// read(), with "line N: " before the message of a std::invalid_argument it throws.
template <typename Read> auto withLine(size_t lineNumber, Read read) -> decltype(read())
{
    try
    {
        return read();
    }
    catch (const std::invalid_argument& error)
    {
        throw std::invalid_argument("line " + std::to_string(lineNumber) + ": " + error.what());
    }
}

} // namespace

TokenUsage& TokenUsage::operator+=(const TokenUsage& more)
{
    for (int64_t TokenUsage::*count :
         {&TokenUsage::input, &TokenUsage::output, &TokenUsage::total, &TokenUsage::cached, &TokenUsage::reasoning})
    {
        this->*count = saturatingSum(this->*count, more.*count);
    }
    return *this;
}

bool BatchResult::succeeded() const
{
    return !errorCode && statusCode && *statusCode >= 200 && *statusCode < 300;
}

std::string_view BatchResult::body() const
{
    return m_HasBody ? sourceOf(line, {"response", "body"}, m_Readable) : std::string_view();
}

web::json::value BatchResult::bodyJson() const
{
    return m_HasBody ? parseForCaller(body(), lineNumber) : web::json::value::null();
}

std::shared_ptr<model::BatchRequestOutput> BatchResult::toModel() const
{
    auto output = std::make_shared<model::BatchRequestOutput>();
    output->fromJson(parseForCaller(line, lineNumber));
    return output;
}

void BatchResult::notOfKind(const std::string& what, const std::string& why)
{
    throw std::invalid_argument("no " + what + ": " + why);
}

object BatchResult::bodyOfKind(const char* what) const
{
    if (errorCode)
    {
        notOfKind(what, "the request failed (" + *errorCode + ")");
    }
    if (statusCode && (*statusCode < 200 || *statusCode >= 300))
    {
        notOfKind(what, "the request failed with HTTP " + std::to_string(*statusCode));
    }
    if (!m_HasBody)
    {
        notOfKind(what, "the line has no response body");
    }
    return objectAt(m_Body, "/response/body");
}

std::string BatchResult::answerText() const
{
    return withLine(lineNumber, [this] {
        const BodyShape shape(bodyOfKind("answer text"));
        std::string text;
        if (shape.isResponse())
        {
            if (shape.output)
            {
                appendResponseText(*shape.output, text);
            }
            return text;
        }
        const auto choice = shape.firstChoice();
        if (!choice)
        {
            notOfKind("answer text", shape.withoutChoice());
        }
        if (const auto message = member(*choice, "message"))
        {
            const auto content = member(objectAt(*message, "/response/body/choices/0/message"), "content");
            return content ? std::string(stringAt(*content, "/response/body/choices/0/message/content")) : text;
        }
        const auto completion = member(*choice, "text");
        return completion ? std::string(stringAt(*completion, "/response/body/choices/0/text")) : text;
    });
}

std::string_view BatchResult::model() const
{
    return withLine(lineNumber, [this] {
        const auto value = member(bodyOfKind("model"), "model");
        if (!value)
        {
            notOfKind("model", "the body has none");
        }
        return stringAt(*value, "/response/body/model");
    });
}

std::string_view BatchResult::finishReason() const
{
    return withLine(lineNumber, [this] {
        const object body = bodyOfKind("finish reason");
        const BodyShape shape(body);
        if (shape.isResponse())
        {
            if (const auto details = member(body, "incomplete_details"))
            {
                if (const auto reason = member(objectAt(*details, "/response/body/incomplete_details"), "reason"))
                {
                    return stringAt(*reason, "/response/body/incomplete_details/reason");
                }
            }
            const auto status = member(body, "status");
            return status ? stringAt(*status, "/response/body/status") : std::string_view();
        }
        const auto choice = shape.firstChoice();
        if (!choice)
        {
            notOfKind("finish reason", shape.withoutChoice());
        }
        const auto reason = member(*choice, "finish_reason");
        return reason ? stringAt(*reason, "/response/body/choices/0/finish_reason") : std::string_view();
    });
}

TokenUsage BatchResult::usage() const
{
    return withLine(lineNumber, [this] {
        const auto value = member(bodyOfKind("usage"), "usage");
        if (!value)
        {
            notOfKind("usage", "the body has none");
        }
        TokenUsage usage;
        for (const auto [key, count] : objectAt(*value, "/response/body/usage"))
        {
            for (const UsageCount& known : USAGE_COUNTS)
            {
                if (key != known.key || isNull(count))
                {
                    continue;
                }
                if (known.detail.empty())
                {
                    usage.*known.field = countOf(count, known.path, {});
                }
                else if (const auto detail = member(objectAt(count, known.path), known.detail))
                {
                    usage.*known.field = countOf(*detail, known.path, known.detail);
                }
            }
        }
        return usage;
    });
}

simdjson::dom::array BatchResult::embeddingData() const
{
    const auto data = member(bodyOfKind("embeddings"), "data");
    if (!data)
    {
        notOfKind("embeddings", "the body has no data");
    }
    return arrayAt(*data, "/response/body/data");
}

size_t BatchResult::embeddingCount() const
{
    return withLine(lineNumber, [this] { return lengthOf(embeddingData()); });
}

size_t BatchResult::dimensions() const
{
    return withLine(lineNumber, [this] {
        element first;
        if (embeddingData().at(0).get(first) != simdjson::SUCCESS)
        {
            notOfKind("embeddings", "its data is empty");
        }
        return EmbeddingVector(first, 0).size();
    });
}

std::vector<float> BatchResult::embedding(size_t index) const
{
    return withLine(lineNumber, [this, index] {
        const simdjson::dom::array data = embeddingData();
        element item;
        if (data.at(index).get(item) != simdjson::SUCCESS)
        {
            notOfKind("embedding " + std::to_string(index), "the body has " + std::to_string(lengthOf(data)));
        }
        const EmbeddingVector vector(item, index);
        std::vector<float> floats(vector.size());
        vector.copyTo(floats.data());
        return floats;
    });
}

size_t BatchResult::readEmbeddings(float* out, size_t capacity) const
{
    return withLine(lineNumber, [this, out, capacity] {
        // Each vector read once (a base64 one is decoded here), then sized, then copied.
        thread_local std::vector<EmbeddingVector> vectors;
        vectors.clear();
        size_t needed = 0;
        for (const element item : embeddingData())
        {
            vectors.emplace_back(item, vectors.size());
            needed += vectors.back().size();
        }
        if (needed > capacity)
        {
            throw std::invalid_argument("its embeddings need " + std::to_string(needed) + " floats, the buffer holds "
                                        + std::to_string(capacity));
        }
        float* end = out;
        for (const EmbeddingVector& vector : vectors)
        {
            end = vector.copyTo(end);
        }
        return static_cast<size_t>(end - out);
    });
}

ResultFileError::ResultFileError(LineProblem problem)
    : std::runtime_error(problem.toString())
    , m_Problem(std::move(problem))
{
}

template <class Parse> void BatchResult::readLine(std::string_view text, size_t readable, Parse parse)
{
    // Cleared field by field, not replaced, so that the strings keep their memory from line to line.
    id.clear();
    customId.clear();
    statusCode.reset();
    requestId.clear();
    errorCode.reset();
    errorMessage.reset();
    m_HasBody = false;
    line = text;
    m_Readable = readable;
    try
    {
        readEnvelope(parse());
    }
    catch (...)
    {
        m_HasBody = false; // nothing of a refused line may be read later
        throw;
    }
}

void parseResultLine(std::string_view line, BatchResult& result, JsonLineParser& parser, size_t readable)
{
    result.readLine(line, readable, [&] { return parser.parseObject(line, readable); });
}

void parseResultLine(std::string_view line, BatchResult& result, JsonLineParser& parser, simdjson::dom::document& tree,
                     size_t readable)
{
    result.readLine(line, readable, [&] { return parser.parseObject(tree, line, readable); });
}

void BatchResult::readEnvelope(simdjson::dom::object line)
{
    bool hasCustomId = false;
    for (const auto [key, value] : line)
    {
        if (key == "custom_id")
        {
            customId.assign(stringAt(value, "/custom_id"));
            hasCustomId = true;
        }
        else if (key == "id")
        {
            id.assign(isNull(value) ? std::string_view() : stringAt(value, "/id"));
        }
        else if (key == "response" && !isNull(value))
        {
            readResponse(objectAt(value, "/response"), *this, m_Body, m_HasBody);
        }
        else if (key == "error" && !isNull(value))
        {
            readError(objectAt(value, "/error"), *this);
        }
    }
    if (!hasCustomId)
    {
        throw std::invalid_argument("/custom_id: missing required property");
    }
}

void parseResultLine(std::string_view line, BatchResult& result)
{
    thread_local JsonLineParser parser;
    parseResultLine(line, result, parser);
}

} // namespace openai_batch::workflow
