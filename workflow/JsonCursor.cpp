#include "workflow/JsonCursor.h"

#include <charconv>
#include <cstring>

namespace openai_batch::workflow {

namespace {

bool isWhitespace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int hexValue(unsigned char c)
{
    if (c >= '0' && c <= '9')
    {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f')
    {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F')
    {
        return c - 'A' + 10;
    }
    return -1;
}

void appendUtf8(std::string& out, uint32_t codePoint)
{
    if (codePoint < 0x80)
    {
        out += static_cast<char>(codePoint);
    }
    else if (codePoint < 0x800)
    {
        out += static_cast<char>(0xC0 | (codePoint >> 6));
        out += static_cast<char>(0x80 | (codePoint & 0x3F));
    }
    else if (codePoint < 0x10000)
    {
        out += static_cast<char>(0xE0 | (codePoint >> 12));
        out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (codePoint & 0x3F));
    }
    else
    {
        out += static_cast<char>(0xF0 | (codePoint >> 18));
        out += static_cast<char>(0x80 | ((codePoint >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (codePoint & 0x3F));
    }
}

} // namespace

JsonSyntaxError::JsonSyntaxError(size_t offset, const std::string& problem)
    : std::runtime_error(problem + " at byte " + std::to_string(offset + 1))
    , m_Offset(offset)
{
}

const char* jsonKindName(JsonKind kind)
{
    switch (kind)
    {
    case JsonKind::Object: return "object";
    case JsonKind::Array: return "array";
    case JsonKind::String: return "string";
    case JsonKind::Number: return "number";
    case JsonKind::Boolean: return "boolean";
    case JsonKind::Null: return "null";
    }
    return "value";
}

void JsonCursor::fail(const std::string& problem) const
{
    throw JsonSyntaxError(m_Position, problem);
}

void JsonCursor::skipWhitespace()
{
    while (m_Position < m_Text.size() && isWhitespace(m_Text[m_Position]))
    {
        ++m_Position;
    }
}

bool JsonCursor::consumeIf(char c)
{
    skipWhitespace();
    if (m_Position < m_Text.size() && m_Text[m_Position] == c)
    {
        ++m_Position;
        return true;
    }
    return false;
}

void JsonCursor::expect(char c)
{
    if (!consumeIf(c))
    {
        fail(m_Position < m_Text.size() ? std::string("expected '") + c + "'" : std::string("unexpected end of JSON"));
    }
}

/// After a member or element: true for a comma (another one follows), false for the closing bracket.
bool JsonCursor::consumeSeparator(char close)
{
    if (consumeIf(','))
    {
        return true;
    }
    expect(close);
    return false;
}

void JsonCursor::enter()
{
    if (++m_Depth > maxDepth)
    {
        // At the bracket that went one level too deep.
        throw JsonSyntaxError(m_Position - 1, "nesting deeper than " + std::to_string(maxDepth) + " levels");
    }
}

void JsonCursor::enterObject()
{
    skipWhitespace();
    if (m_Position >= m_Text.size() || m_Text[m_Position] != '{')
    {
        fail(m_Position < m_Text.size() ? std::string("expected an object, got ") + jsonKindName(peek())
                                        : std::string("unexpected end of JSON"));
    }
    ++m_Position;
    enter();
}

void JsonCursor::enterArray()
{
    skipWhitespace();
    if (m_Position >= m_Text.size() || m_Text[m_Position] != '[')
    {
        fail(m_Position < m_Text.size() ? std::string("expected an array, got ") + jsonKindName(peek())
                                        : std::string("unexpected end of JSON"));
    }
    ++m_Position;
    enter();
}

JsonKind JsonCursor::peek()
{
    skipWhitespace();
    if (m_Position >= m_Text.size())
    {
        fail("unexpected end of JSON");
    }
    switch (m_Text[m_Position])
    {
    case '{': return JsonKind::Object;
    case '[': return JsonKind::Array;
    case '"': return JsonKind::String;
    case 't':
    case 'f': return JsonKind::Boolean;
    case 'n': return JsonKind::Null;
    default:
        if (m_Text[m_Position] == '-' || (m_Text[m_Position] >= '0' && m_Text[m_Position] <= '9'))
        {
            return JsonKind::Number;
        }
        fail(std::string("unexpected character '") + m_Text[m_Position] + "'");
    }
}

JsonSpan JsonCursor::readValue()
{
    const JsonKind kind = peek();
    const size_t start = m_Position;
    bool hasEscapes = false;
    switch (kind)
    {
    case JsonKind::Object: readObject([](std::string_view, JsonCursor& cursor) { cursor.readValue(); }); break;
    case JsonKind::Array: scanArray(); break;
    case JsonKind::String: scanString(hasEscapes); break;
    case JsonKind::Number: scanNumber(); break;
    case JsonKind::Boolean: scanLiteral(m_Text[m_Position] == 't' ? "true" : "false"); break;
    case JsonKind::Null: scanLiteral("null"); break;
    }
    return JsonSpan{kind, m_Text.substr(start, m_Position - start)};
}

void JsonCursor::scanArray()
{
    ++m_Position;
    enter();
    if (!consumeIf(']'))
    {
        do
        {
            readValue();
        } while (consumeSeparator(']'));
    }
    leave();
}

std::string_view JsonCursor::readKey()
{
    skipWhitespace();
    if (m_Position >= m_Text.size() || m_Text[m_Position] != '"')
    {
        fail(m_Position < m_Text.size() ? "expected a member name" : "unexpected end of JSON");
    }
    bool hasEscapes = false;
    const std::string_view quoted = scanString(hasEscapes);
    expect(':');
    if (!hasEscapes)
    {
        return quoted.substr(1, quoted.size() - 2);
    }
    m_KeyScratch = decode(quoted);
    return m_KeyScratch;
}

std::string JsonCursor::readString()
{
    if (peek() != JsonKind::String)
    {
        fail(std::string("expected string, got ") + jsonKindName(peek()));
    }
    bool hasEscapes = false;
    const std::string_view quoted = scanString(hasEscapes);
    return hasEscapes ? decode(quoted) : std::string(quoted.substr(1, quoted.size() - 2));
}

int64_t JsonCursor::readInteger()
{
    if (peek() != JsonKind::Number)
    {
        fail(std::string("expected integer, got ") + jsonKindName(peek()));
    }
    const size_t start = m_Position;
    scanNumber();
    int64_t value = 0;
    const char* first = m_Text.data() + start;
    const char* last = m_Text.data() + m_Position;
    const auto [end, error] = std::from_chars(first, last, value);
    if (error != std::errc() || end != last)
    {
        m_Position = start;
        fail("expected integer, got " + std::string(first, last));
    }
    return value;
}

void JsonCursor::expectEnd()
{
    skipWhitespace();
    if (m_Position != m_Text.size())
    {
        fail("unexpected text after the JSON value");
    }
}

std::string_view JsonCursor::scanString(bool& hasEscapes)
{
    const size_t start = m_Position++;
    const auto* at = reinterpret_cast<const unsigned char*>(m_Text.data()) + m_Position;
    const auto* end = reinterpret_cast<const unsigned char*>(m_Text.data()) + m_Text.size();
    while (true)
    {
        // The common case: plain ASCII up to the closing quote.
        while (at < end && *at >= 0x20 && *at < 0x80 && *at != '"' && *at != '\\')
        {
            ++at;
        }
        m_Position = static_cast<size_t>(at - reinterpret_cast<const unsigned char*>(m_Text.data()));
        if (at == end)
        {
            fail("unterminated string");
        }
        if (*at == '"')
        {
            ++m_Position;
            return m_Text.substr(start, m_Position - start);
        }
        if (*at < 0x20)
        {
            fail("control character in a string");
        }
        if (*at >= 0x80)
        {
            scanUtf8(at, end);
            continue;
        }
        hasEscapes = true;
        if (end - at < 2)
        {
            fail("unterminated string");
        }
        const char escaped = static_cast<char>(at[1]);
        if (escaped == 'u')
        {
            if (end - at < 6 || hexValue(at[2]) < 0 || hexValue(at[3]) < 0 || hexValue(at[4]) < 0
                || hexValue(at[5]) < 0)
            {
                fail("invalid \\u escape");
            }
            at += 6;
        }
        else if (std::strchr("\"\\/bfnrt", escaped) != nullptr && escaped != '\0')
        {
            at += 2;
        }
        else
        {
            fail("invalid escape in a string");
        }
    }
}

void JsonCursor::scanUtf8(const unsigned char*& at, const unsigned char* end)
{
    const unsigned char lead = *at;
    int length = 0;
    uint32_t minimum = 0;
    if (lead >= 0xC2 && lead <= 0xDF)
    {
        length = 2;
        minimum = 0x80;
    }
    else if (lead >= 0xE0 && lead <= 0xEF)
    {
        length = 3;
        minimum = 0x800;
    }
    else if (lead >= 0xF0 && lead <= 0xF4)
    {
        length = 4;
        minimum = 0x10000;
    }
    else
    {
        fail("invalid UTF-8 in a string");
    }
    if (end - at < length)
    {
        fail("invalid UTF-8 in a string");
    }
    uint32_t codePoint = lead & (0xFF >> (length + 1));
    for (int i = 1; i < length; ++i)
    {
        if ((at[i] & 0xC0) != 0x80)
        {
            fail("invalid UTF-8 in a string");
        }
        codePoint = (codePoint << 6) | (at[i] & 0x3F);
    }
    if (codePoint < minimum || codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF))
    {
        fail("invalid UTF-8 in a string");
    }
    at += length;
}

void JsonCursor::scanNumber()
{
    const auto at = [this](size_t i, const char* set) {
        return i < m_Text.size() && m_Text[i] != '\0' && std::strchr(set, m_Text[i]) != nullptr;
    };
    // One or more digits from i; where the number went wrong otherwise.
    const auto digits = [this, &at](size_t i) {
        if (!at(i, "0123456789"))
        {
            m_Position = i;
            fail("invalid number");
        }
        while (at(i, "0123456789"))
        {
            ++i;
        }
        return i;
    };
    size_t i = m_Position + (at(m_Position, "-") ? 1 : 0);
    i = at(i, "0") ? i + 1 : digits(i); // no leading zeros: "01" ends after the 0
    if (at(i, "."))
    {
        i = digits(i + 1);
    }
    if (at(i, "eE"))
    {
        i = digits(i + 1 + (at(i + 1, "+-") ? 1 : 0));
    }
    m_Position = i;
}

void JsonCursor::scanLiteral(std::string_view word)
{
    if (m_Text.substr(m_Position, word.size()) != word)
    {
        fail("invalid literal");
    }
    m_Position += word.size();
}

std::string JsonCursor::decode(std::string_view quoted)
{
    std::string out;
    out.reserve(quoted.size());
    for (size_t i = 1; i + 1 < quoted.size(); ++i)
    {
        const char c = quoted[i];
        if (c != '\\')
        {
            out += c;
            continue;
        }
        const char escaped = quoted[++i];
        switch (escaped)
        {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u':
        {
            uint32_t unit = 0;
            for (int k = 1; k <= 4; ++k)
            {
                unit = unit * 16 + static_cast<uint32_t>(hexValue(quoted[i + k]));
            }
            i += 4;
            // A high surrogate followed by a low one is one code point; a lone half becomes U+FFFD.
            if (unit >= 0xD800 && unit <= 0xDBFF && i + 6 < quoted.size() && quoted[i + 1] == '\\'
                && quoted[i + 2] == 'u')
            {
                uint32_t low = 0;
                for (int k = 3; k <= 6; ++k)
                {
                    low = low * 16 + static_cast<uint32_t>(hexValue(quoted[i + k]));
                }
                if (low >= 0xDC00 && low <= 0xDFFF)
                {
                    appendUtf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
                    i += 6;
                    break;
                }
            }
            appendUtf8(out, unit >= 0xD800 && unit <= 0xDFFF ? 0xFFFD : unit);
            break;
        }
        default: out += escaped; break; // " \ /
        }
    }
    return out;
}

} // namespace openai_batch::workflow
