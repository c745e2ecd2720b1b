#include "workflow/JsonLine.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace openai_batch::workflow {

namespace {

using simdjson::dom::element_type;

/// Reads a document simdjson refused, to name the first problem and where it is: the JSON grammar
/// (RFC 8259), UTF-8 in strings, \u escapes that pair their surrogates, and the nesting limit. Speed
/// does not matter here: it runs only for lines that are already known to be broken.
class SyntaxScanner
{
public:
    explicit SyntaxScanner(std::string_view text)
        : m_Text(text)
    {
    }

    /// Throws JsonSyntaxError at the first problem; returns when the scanner finds none.
    void scanDocument()
    {
        scanValue();
        skipWhitespace();
        if (m_Position != m_Text.size())
        {
            fail("unexpected text after the JSON value");
        }
    }

private:
    [[noreturn]] void fail(const std::string& problem) const { throw JsonSyntaxError(m_Position, problem); }
    [[noreturn]] void failAt(size_t position, const std::string& problem) const
    {
        throw JsonSyntaxError(position, problem);
    }

    bool atEnd() const { return m_Position >= m_Text.size(); }
    char current() const { return m_Text[m_Position]; }

    void skipWhitespace()
    {
        while (!atEnd() && std::strchr(" \t\n\r", current()) != nullptr && current() != '\0')
        {
            ++m_Position;
        }
    }

    void expect(char c)
    {
        skipWhitespace();
        if (atEnd())
        {
            fail("unexpected end of JSON");
        }
        if (current() != c)
        {
            fail(std::string("expected '") + c + "'");
        }
        ++m_Position;
    }

    bool consumeIf(char c)
    {
        skipWhitespace();
        if (!atEnd() && current() == c)
        {
            ++m_Position;
            return true;
        }
        return false;
    }

    void scanValue()
    {
        skipWhitespace();
        if (atEnd())
        {
            fail("unexpected end of JSON");
        }
        const char c = current();
        if (c == '{' || c == '[')
        {
            scanContainer(c == '{');
        }
        else if (c == '"')
        {
            scanString();
        }
        else if (c == '-' || (c >= '0' && c <= '9'))
        {
            scanNumber();
        }
        else if (c == 't' || c == 'f' || c == 'n')
        {
            scanLiteral(c == 't' ? "true" : c == 'f' ? "false" : "null");
        }
        else
        {
            fail(std::string("unexpected character '") + c + "'");
        }
    }

    void scanContainer(bool isObject)
    {
        ++m_Position;
        if (++m_Depth > JsonLineParser::maxDepth)
        {
            failAt(m_Position - 1, "nesting deeper than " + std::to_string(JsonLineParser::maxDepth) + " levels");
        }
        const char close = isObject ? '}' : ']';
        if (!consumeIf(close))
        {
            do
            {
                if (isObject)
                {
                    skipWhitespace();
                    if (atEnd())
                    {
                        fail("unexpected end of JSON");
                    }
                    if (current() != '"')
                    {
                        fail("expected a member name");
                    }
                    scanString();
                    expect(':');
                }
                scanValue();
            } while (consumeIf(','));
            expect(close);
        }
        --m_Depth;
    }

    void scanString()
    {
        ++m_Position;
        while (true)
        {
            if (atEnd())
            {
                fail("unterminated string");
            }
            const auto c = static_cast<unsigned char>(current());
            if (c == '"')
            {
                ++m_Position;
                return;
            }
            if (c < 0x20)
            {
                fail("control character in a string");
            }
            if (c == '\\')
            {
                scanEscape();
            }
            else if (c >= 0x80)
            {
                scanUtf8();
            }
            else
            {
                ++m_Position;
            }
        }
    }

    /// The four hex digits of a \u escape at m_Position, or -1.
    long hexUnitAt(size_t at) const
    {
        if (m_Text.size() - at < 6 || m_Text[at] != '\\' || m_Text[at + 1] != 'u')
        {
            return -1;
        }
        long unit = 0;
        for (size_t i = at + 2; i < at + 6; ++i)
        {
            const char h = m_Text[i];
            const int digit = h >= '0' && h <= '9' ? h - '0'
                : h >= 'a' && h <= 'f'             ? h - 'a' + 10
                : h >= 'A' && h <= 'F'             ? h - 'A' + 10
                                                   : -1;
            if (digit < 0)
            {
                return -1;
            }
            unit = unit * 16 + digit;
        }
        return unit;
    }

    void scanEscape()
    {
        if (m_Text.size() - m_Position < 2)
        {
            fail("unterminated string");
        }
        const char escaped = m_Text[m_Position + 1];
        if (escaped != 'u')
        {
            if (escaped == '\0' || std::strchr("\"\\/bfnrt", escaped) == nullptr)
            {
                fail("invalid escape in a string");
            }
            m_Position += 2;
            return;
        }
        const long unit = hexUnitAt(m_Position);
        if (unit < 0)
        {
            fail("invalid \\u escape");
        }
        if (unit >= 0xDC00 && unit <= 0xDFFF)
        {
            fail("unpaired UTF-16 surrogate in a \\u escape");
        }
        if (unit >= 0xD800 && unit <= 0xDBFF)
        {
            const long low = hexUnitAt(m_Position + 6);
            if (low < 0xDC00 || low > 0xDFFF)
            {
                fail("unpaired UTF-16 surrogate in a \\u escape");
            }
            m_Position += 6;
        }
        m_Position += 6;
    }

    void scanUtf8()
    {
        const auto* at = reinterpret_cast<const unsigned char*>(m_Text.data()) + m_Position;
        const unsigned char lead = *at;
        const int length = lead >= 0xC2 && lead <= 0xDF ? 2
            : lead >= 0xE0 && lead <= 0xEF              ? 3
            : lead >= 0xF0 && lead <= 0xF4              ? 4
                                                        : 0;
        if (length == 0 || m_Text.size() - m_Position < static_cast<size_t>(length))
        {
            fail("invalid UTF-8 in a string");
        }
        uint32_t codePoint = lead & (0xFFu >> (length + 1));
        for (int i = 1; i < length; ++i)
        {
            if ((at[i] & 0xC0) != 0x80)
            {
                fail("invalid UTF-8 in a string");
            }
            codePoint = (codePoint << 6) | (at[i] & 0x3Fu);
        }
        const uint32_t smallest = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
        if (codePoint < smallest || codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF))
        {
            fail("invalid UTF-8 in a string");
        }
        m_Position += static_cast<size_t>(length);
    }

    bool isDigit(size_t at) const { return at < m_Text.size() && m_Text[at] >= '0' && m_Text[at] <= '9'; }

    /// One or more digits from at; fails at at when there are none.
    size_t digitsFrom(size_t at)
    {
        if (!isDigit(at))
        {
            m_Position = at;
            fail("invalid number");
        }
        while (isDigit(at))
        {
            ++at;
        }
        return at;
    }

    void scanNumber()
    {
        size_t at = m_Position + (current() == '-' ? 1 : 0);
        at = at < m_Text.size() && m_Text[at] == '0' ? at + 1 : digitsFrom(at); // "01" ends after the 0
        if (at < m_Text.size() && m_Text[at] == '.')
        {
            at = digitsFrom(at + 1);
        }
        if (at < m_Text.size() && (m_Text[at] == 'e' || m_Text[at] == 'E'))
        {
            ++at;
            at += at < m_Text.size() && (m_Text[at] == '+' || m_Text[at] == '-') ? 1 : 0;
            at = digitsFrom(at);
        }
        checkRange(m_Text.substr(m_Position, at - m_Position));
        m_Position = at;
    }

    /// What the grammar allows but no 64-bit integer or double holds: simdjson refuses it, and so do we.
    void checkRange(std::string_view number) const
    {
        const char* first = number.data();
        const char* last = first + number.size();
        if (number.find_first_of(".eE") == std::string_view::npos)
        {
            int64_t negative = 0;
            uint64_t positive = 0;
            const bool fits = number.front() == '-' ? std::from_chars(first, last, negative).ec == std::errc()
                                                    : std::from_chars(first, last, positive).ec == std::errc();
            if (!fits)
            {
                fail("an integer beyond 64 bits");
            }
        }
        else if (std::isinf(std::strtod(std::string(number).c_str(), nullptr)))
        {
            fail("a number beyond a double's range");
        }
    }

    void scanLiteral(std::string_view word)
    {
        if (m_Text.substr(m_Position, word.size()) != word)
        {
            fail("invalid literal");
        }
        m_Position += word.size();
    }

    std::string_view m_Text;
    size_t m_Position = 0;
    size_t m_Depth = 0;
};

/// simdjson's refusal in its own words, for what the scanner cannot place.
JsonSyntaxError notValid(simdjson::error_code code)
{
    return JsonSyntaxError(std::string("not valid JSON: ") + simdjson::error_message(code));
}

/// What simdjson's refusal means for text: the scanner's first problem, else simdjson's own words.
[[noreturn]] void refuse(std::string_view text, simdjson::error_code code)
{
    if (code == simdjson::MEMALLOC || code == simdjson::CAPACITY)
    {
        throw JsonSyntaxError("too large to check (" + std::to_string(text.size())
                              + " bytes): " + simdjson::error_message(code));
    }
    SyntaxScanner(text).scanDocument();
    throw notValid(code);
}

[[noreturn]] void wrongType(const char* path, const char* expected, simdjson::dom::element value)
{
    throw std::invalid_argument(std::string(path) + ": expected " + expected + ", got " + jsonTypeName(value.type()));
}

} // namespace

JsonSyntaxError::JsonSyntaxError(size_t offset, const std::string& problem)
    : std::runtime_error(problem + " at byte " + std::to_string(offset + 1))
    , m_Offset(offset)
{
}

JsonSyntaxError::JsonSyntaxError(const std::string& problem)
    : std::runtime_error(problem)
    , m_Offset(std::string::npos)
{
}

const char* jsonTypeName(element_type type)
{
    switch (type)
    {
    case element_type::OBJECT: return "object";
    case element_type::ARRAY: return "array";
    case element_type::STRING: return "string";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return "number";
    case element_type::BOOL: return "boolean";
    case element_type::NULL_VALUE: return "null";
    }
    return "value";
}

JsonLineParser::JsonLineParser()
{
    reserve(INITIAL_CAPACITY);
}

void JsonLineParser::reserve(size_t capacity)
{
    // simdjson counts the levels that hold a value: 256 of ours, with a value at the bottom, are 257 of its.
    // (An empty array or object at the bottom is no level to it, so 257 of those pass.) The limit is set
    // with each allocation; simdjson keeps it as the capacity grows.
    if (m_Parser.allocate(capacity, maxDepth + 1) != simdjson::SUCCESS)
    {
        throw std::bad_alloc();
    }
}

simdjson::dom::element JsonLineParser::parse(std::string_view text, size_t readable)
{
    return parse(m_Tree, text, readable);
}

simdjson::dom::element JsonLineParser::parse(simdjson::dom::document& tree, std::string_view text, size_t readable)
{
    // simdjson reserves about 14 bytes per byte of the largest document so far, in the parser and in the
    // tree, and keeps them: after a huge line, the next ordinary one gives that memory back.
    const auto isOversized = [&text](size_t capacity) {
        return capacity > LARGE_CAPACITY && text.size() < capacity / 8;
    };
    if (isOversized(m_Parser.capacity()))
    {
        reserve(std::max(INITIAL_CAPACITY, text.size()));
    }
    if (isOversized(tree.capacity()) && tree.allocate(std::max(INITIAL_CAPACITY, text.size())) != simdjson::SUCCESS)
    {
        throw std::bad_alloc();
    }
    const bool padded = readable >= text.size() + simdjson::SIMDJSON_PADDING;
    simdjson::dom::element root;
    if (const auto code = m_Parser.parse_into_document(tree, text.data(), text.size(), !padded).get(root))
    {
        refuse(text, code);
    }
    return root;
}

simdjson::dom::object JsonLineParser::parseObject(std::string_view text, size_t readable)
{
    return parseObject(m_Tree, text, readable);
}

simdjson::dom::object JsonLineParser::parseObject(simdjson::dom::document& tree, std::string_view text, size_t readable)
{
    const simdjson::dom::element root = parse(tree, text, readable);
    simdjson::dom::object object;
    if (root.get(object) != simdjson::SUCCESS)
    {
        throw std::invalid_argument(std::string("expected a JSON object, got ") + jsonTypeName(root.type()));
    }
    refuseRepeatedKeys(object, "");
    return object;
}

void refuseRepeatedKeys(simdjson::dom::object object, const char* where)
{
    // Lines hold a handful of keys: compared pairwise in place; a hostile object of thousands, sorted.
    constexpr size_t PAIRWISE = 16;
    thread_local std::vector<std::string_view> keys;
    keys.clear();
    for (const auto member : object)
    {
        keys.push_back(member.key);
    }
    const std::string_view* repeated = nullptr;
    if (keys.size() <= PAIRWISE)
    {
        for (size_t i = 0; i < keys.size() && repeated == nullptr; ++i)
        {
            for (size_t j = i + 1; j < keys.size(); ++j)
            {
                if (keys[i] == keys[j])
                {
                    repeated = &keys[i];
                    break;
                }
            }
        }
    }
    else
    {
        std::sort(keys.begin(), keys.end());
        const auto found = std::adjacent_find(keys.begin(), keys.end());
        repeated = found == keys.end() ? nullptr : &*found;
    }
    if (repeated != nullptr)
    {
        throw std::invalid_argument("duplicate key \"" + std::string(*repeated) + "\""
                                    + (*where != '\0' ? std::string(" in ") + where : std::string()));
    }
}

simdjson::ondemand::value OnDemandReader::root(std::string_view document, size_t readable)
{
    m_Read = document.data();
    if (readable < document.size() + simdjson::SIMDJSON_PADDING)
    {
        m_Padded.assign(document);
        m_Padded.append(simdjson::SIMDJSON_PADDING, ' ');
        m_Read = m_Padded.data();
        readable = m_Padded.size();
    }
    m_Readable = readable;
    simdjson::ondemand::value value;
    auto code = m_Parser.iterate(m_Read, document.size(), m_Readable).get(m_Document);
    if (code == simdjson::SUCCESS)
    {
        code = m_Document.get_value().get(value);
    }
    if (code != simdjson::SUCCESS)
    {
        throw notValid(code);
    }
    return value;
}

std::string_view rawText(simdjson::ondemand::value value)
{
    std::string_view text;
    simdjson::ondemand::json_type type{};
    auto code = value.type().get(type);
    if (code == simdjson::SUCCESS && type == simdjson::ondemand::json_type::object)
    {
        simdjson::ondemand::object object;
        code = value.get_object().get(object);
        code = code == simdjson::SUCCESS ? object.raw_json().get(text) : code;
    }
    else if (code == simdjson::SUCCESS && type == simdjson::ondemand::json_type::array)
    {
        simdjson::ondemand::array array;
        code = value.get_array().get(array);
        code = code == simdjson::SUCCESS ? array.raw_json().get(text) : code;
    }
    else if (code == simdjson::SUCCESS)
    {
        text = value.raw_json_token();
    }
    if (code != simdjson::SUCCESS)
    {
        throw notValid(code);
    }
    while (!text.empty() && std::strchr(" \t\n\r", text.back()) != nullptr)
    {
        text.remove_suffix(1);
    }
    return text;
}

std::string_view sourceOf(std::string_view document, std::initializer_list<std::string_view> path, size_t readable)
{
    thread_local OnDemandReader reader;
    simdjson::ondemand::value value = reader.root(document, readable);
    for (const std::string_view key : path)
    {
        // Keys compared decoded ("b\u006fdy" is "body"), the first of a name taken, as the tree's look-up does.
        simdjson::ondemand::object object;
        if (value.get_object().get(object) != simdjson::SUCCESS)
        {
            return {};
        }
        bool found = false;
        for (auto field : object)
        {
            std::string_view name;
            if (field.unescaped_key().get(name) == simdjson::SUCCESS && name == key)
            {
                value = field.value();
                found = true;
                break;
            }
        }
        if (!found)
        {
            return {};
        }
    }
    bool isNull = false;
    if (value.is_null().get(isNull) == simdjson::SUCCESS && isNull)
    {
        return {};
    }
    const std::string_view text = rawText(value);
    return document.substr(reader.offsetOf(text), text.size());
}

std::string_view stringAt(simdjson::dom::element value, const char* path)
{
    std::string_view text;
    if (value.get(text) != simdjson::SUCCESS)
    {
        wrongType(path, "string", value);
    }
    return text;
}

int64_t integerAt(simdjson::dom::element value, const char* path)
{
    int64_t number = 0;
    if (value.get(number) == simdjson::SUCCESS)
    {
        return number;
    }
    if (value.is_number())
    {
        throw std::invalid_argument(std::string(path)
                                    + ": expected integer, got a number that is not a 64-bit integer");
    }
    wrongType(path, "integer", value);
}

simdjson::dom::object objectAt(simdjson::dom::element value, const char* path)
{
    simdjson::dom::object object;
    if (value.get(object) != simdjson::SUCCESS)
    {
        wrongType(path, "object", value);
    }
    return object;
}

simdjson::dom::array arrayAt(simdjson::dom::element value, const char* path)
{
    simdjson::dom::array array;
    if (value.get(array) != simdjson::SUCCESS)
    {
        wrongType(path, "array", value);
    }
    return array;
}

} // namespace openai_batch::workflow
