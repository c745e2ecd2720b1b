// JsonCursor: a validating, allocation-free reader of one JSON document held in memory.
//
// It exists for JSONL result files: a line is checked completely (syntax, UTF-8, nesting depth) in one
// pass, the few fields a caller needs are read as they go by, and everything else (a response's body)
// is kept as the exact span of source text, to be parsed only if asked for. cpprestsdk's DOM parser
// builds every value; this reads 80 MB of results several times faster and without the copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

namespace openai_batch::workflow {

enum class JsonKind
{
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null
};

/// A value as it appears in the source: its kind and its exact text (quotes included for strings).
struct JsonSpan
{
    JsonKind kind = JsonKind::Null;
    std::string_view text;
};

/// A syntax problem, at a byte offset of the document.
class JsonSyntaxError : public std::runtime_error
{
public:
    JsonSyntaxError(size_t offset, const std::string& problem);
    size_t offset() const noexcept { return m_Offset; }

private:
    size_t m_Offset;
};

/// The name of a JSON type, as diagnostics say it: "object", "string", ...
const char* jsonKindName(JsonKind kind);

class JsonCursor
{
public:
    /// Nesting deeper than this is refused rather than followed (JSON from outside is untrusted).
    static constexpr int maxDepth = 256;

    explicit JsonCursor(std::string_view text)
        : m_Text(text)
    {
    }

    /// The kind of the next value, without reading it.
    JsonKind peek();
    /// Reads (and validates) any value.
    JsonSpan readValue();
    /// Reads an object. For each member, onMember(key, *this) is called and must read the value with
    /// one of the read functions. Keys are decoded; the view is valid until the next read.
    template <typename OnMember> void readObject(OnMember&& onMember)
    {
        enterObject();
        if (consumeIf('}'))
        {
            leave();
            return;
        }
        do
        {
            const std::string_view key = readKey();
            onMember(key, *this);
        } while (consumeSeparator('}'));
        leave();
    }
    /// Reads an array: onElement(*this) is called for each element and must read it.
    template <typename OnElement> void readArray(OnElement&& onElement)
    {
        enterArray();
        if (consumeIf(']'))
        {
            leave();
            return;
        }
        do
        {
            onElement(*this);
        } while (consumeSeparator(']'));
        leave();
    }

    /// Like readObject, but a document that is valid JSON of another kind is refused with
    /// std::invalid_argument("expected a JSON object, got array"), broken JSON with its syntax error, and
    /// a key that appears twice with 'duplicate key "custom_id"': parsers disagree on which one counts.
    template <typename OnMember> void readTopLevelObject(OnMember&& onMember)
    {
        if (peek() != JsonKind::Object)
        {
            const JsonKind kind = readValue().kind;
            expectEnd();
            throw std::invalid_argument(std::string("expected a JSON object, got ") + jsonKindName(kind));
        }
        std::set<std::string, std::less<>> keys;
        readObject([&](std::string_view key, JsonCursor& cursor) {
            if (!keys.emplace(key).second)
            {
                throw std::invalid_argument("duplicate key \"" + std::string(key) + "\"");
            }
            onMember(key, cursor);
        });
        expectEnd();
    }
    /// A string's decoded value.
    std::string readString();
    /// An integer that fits int64_t; a fraction, exponent or overflow is an error.
    int64_t readInteger();
    /// Checks that nothing but whitespace is left.
    void expectEnd();

    size_t offset() const { return m_Position; }

    /// The decoded value of a string's source text (quotes included), which must be valid.
    static std::string decode(std::string_view quoted);

private:
    [[noreturn]] void fail(const std::string& problem) const;
    void skipWhitespace();
    bool consumeIf(char c);
    bool consumeSeparator(char close);
    void expect(char c);
    void enterObject();
    void enterArray();
    void enter();
    void leave() { --m_Depth; }
    std::string_view readKey();
    std::string_view scanString(bool& hasEscapes);
    void scanNumber();
    void scanLiteral(std::string_view word);
    void scanArray();
    void scanUtf8(const unsigned char*& at, const unsigned char* end);

    std::string_view m_Text;
    size_t m_Position = 0;
    int m_Depth = 0;
    std::string m_KeyScratch;
};

} // namespace openai_batch::workflow
