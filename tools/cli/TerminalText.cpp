#include "TerminalText.h"

#include "api/ApiException.h"

#include <cstdio>

namespace openai_batch::cli {

namespace {

namespace api = org::openapitools::client::api;

constexpr size_t maxHeldBytes = size_t(1) << 20;

/// The length of the well-formed UTF-8 sequence at text[at] (1 to 4), or 0 when the bytes there are not
/// one (a stray continuation byte, an overlong form, a surrogate, a value past U+10FFFF, a cut sequence).
size_t utf8Length(const std::string& text, size_t at)
{
    const auto byte = [&text](size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u; };
    const unsigned lead = byte(at);
    const auto continuation = [&byte](size_t i, unsigned low = 0x80, unsigned high = 0xBF) {
        return byte(i) >= low && byte(i) <= high;
    };
    if (lead < 0x80)
    {
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF)
    {
        return continuation(at + 1) ? 2 : 0;
    }
    if (lead >= 0xE0 && lead <= 0xEF)
    {
        const unsigned low = lead == 0xE0 ? 0xA0 : 0x80;  // no overlong forms
        const unsigned high = lead == 0xED ? 0x9F : 0xBF; // no surrogates
        return continuation(at + 1, low, high) && continuation(at + 2) ? 3 : 0;
    }
    if (lead >= 0xF0 && lead <= 0xF4)
    {
        const unsigned low = lead == 0xF0 ? 0x90 : 0x80;
        const unsigned high = lead == 0xF4 ? 0x8F : 0xBF; // nothing past U+10FFFF
        return continuation(at + 1, low, high) && continuation(at + 2) && continuation(at + 3) ? 4 : 0;
    }
    return 0;
}

std::string hexEscape(const char* format, unsigned value)
{
    char escaped[8];
    std::snprintf(escaped, sizeof escaped, format, value);
    return escaped;
}

/// The C1 control character U+0080..U+009F that text[at], two bytes long, encodes; -1 for another.
int c1At(const std::string& text, size_t at)
{
    const auto second = static_cast<unsigned char>(text[at + 1]);
    return static_cast<unsigned char>(text[at]) == 0xC2 && second <= 0x9F ? static_cast<int>(second) : -1;
}

} // namespace

std::string forTerminal(const std::string& text)
{
    std::string shown;
    shown.reserve(text.size());
    for (size_t at = 0; at < text.size();)
    {
        const auto c = static_cast<unsigned char>(text[at]);
        const size_t length = utf8Length(text, at);
        if (length != 0 && (c == '\n' || c == '\r' || c == '\t'))
        {
            shown += c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
            at += 1;
        }
        else if (length == 0 || c < 0x20 || c == 0x7F) // a byte that is not UTF-8, or a control character
        {
            shown += hexEscape("\\x%02x", c);
            at += 1;
        }
        else if (length == 2 && c1At(text, at) >= 0)
        {
            shown += hexEscape("\\u%04x", static_cast<unsigned>(c1At(text, at)));
            at += 2;
        }
        else
        {
            shown.append(text, at, length);
            at += length;
        }
    }
    return shown;
}

std::string jsonForTerminal(const std::string& json)
{
    std::string shown;
    shown.reserve(json.size());
    for (size_t at = 0; at < json.size();)
    {
        const auto c = static_cast<unsigned char>(json[at]);
        const size_t length = utf8Length(json, at);
        if (length == 0)
        {
            shown += "\\ufffd";
            at += 1;
        }
        else if (c < 0x20 || c == 0x7F)
        {
            // Raw control characters only occur inside strings (between tokens JSON allows just space,
            // tab, CR and LF, and a writer of one line uses none of them).
            shown += hexEscape("\\u%04x", c);
            at += 1;
        }
        else if (length == 2 && c1At(json, at) >= 0)
        {
            shown += hexEscape("\\u%04x", static_cast<unsigned>(c1At(json, at)));
            at += 2;
        }
        else
        {
            shown.append(json, at, length);
            at += length;
        }
    }
    return shown;
}

RedactingBuffer::RedactingBuffer(std::streambuf* target, std::string secret)
    : m_Target(target)
    , m_Secret(std::move(secret))
{
}

RedactingBuffer::~RedactingBuffer()
{
    try
    {
        passOn(m_Held.size());
    }
    catch (...) // out of memory while redacting: drop the text rather than print it unredacted
    {
    }
}

RedactingBuffer::int_type RedactingBuffer::overflow(int_type c)
{
    if (traits_type::eq_int_type(c, traits_type::eof()))
    {
        return traits_type::not_eof(c);
    }
    const char character = traits_type::to_char_type(c);
    return xsputn(&character, 1) == 1 ? c : traits_type::eof();
}

std::streamsize RedactingBuffer::xsputn(const char* text, std::streamsize count)
{
    m_Held.append(text, static_cast<size_t>(count));
    if (m_Held.size() > maxHeldBytes)
    {
        return passOn(m_Held.size()) ? count : 0;
    }
    // Whole lines go on; the start of the next one waits for the rest of it.
    const size_t lineEnd = m_Held.rfind('\n');
    return lineEnd == std::string::npos || passOn(lineEnd + 1) ? count : 0;
}

int RedactingBuffer::sync()
{
    return passOn(m_Held.size()) && m_Target->pubsync() == 0 ? 0 : -1;
}

bool RedactingBuffer::passOn(size_t length)
{
    if (length == 0)
    {
        return true;
    }
    const std::string redacted = api::redactSecret(m_Held.substr(0, length), m_Secret);
    m_Held.erase(0, length);
    return m_Target->sputn(redacted.data(), static_cast<std::streamsize>(redacted.size()))
        == static_cast<std::streamsize>(redacted.size());
}

} // namespace openai_batch::cli
