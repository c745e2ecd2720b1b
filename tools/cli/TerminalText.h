// What the command prints comes partly from the server (ids, statuses, error messages) and passes through
// a terminal, which obeys escape sequences: a server could clear the screen, move the cursor, retitle the
// window or hide text behind a carriage return. And a server or proxy may echo the API key. These are
// the two filters every printed text goes through.
#pragma once

#include <streambuf>
#include <string>

namespace openai_batch::cli {

/// text with every control character made visible: LF, CR and TAB as \n, \r and \t, the other C0
/// characters (ESC, ...) and DEL as \xNN, the C1 characters (U+0080 to U+009F, which some terminals take
/// as ESC [ and the like) as \u00NN, and bytes that are not UTF-8 as \xNN. Printable text, UTF-8 included,
/// is kept as it is.
std::string forTerminal(const std::string& text);

/// json (serialized JSON) with the control characters a JSON writer may leave raw inside strings (DEL,
/// C1, any C0) written as \u00NN escapes, and bytes that are not UTF-8 as \ufffd: the same JSON, safe on a
/// terminal.
std::string jsonForTerminal(const std::string& json);

/// A stream buffer that passes everything on to target with the API key redacted
/// (api::redactSecret: whole, escaped, or cut short). It holds a line until its end or a flush, so a key
/// is never split between two checks (a line longer than 1 MiB is passed on in pieces).
class RedactingBuffer : public std::streambuf
{
public:
    RedactingBuffer(std::streambuf* target, std::string secret);
    ~RedactingBuffer() override;
    RedactingBuffer(const RedactingBuffer&) = delete;
    RedactingBuffer& operator=(const RedactingBuffer&) = delete;

protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* text, std::streamsize count) override;
    int sync() override;

private:
    /// Passes the first length bytes held on, redacted; false when the target refuses them.
    bool passOn(size_t length);

    std::streambuf* m_Target;
    std::string m_Secret;
    std::string m_Held;
};

} // namespace openai_batch::cli
