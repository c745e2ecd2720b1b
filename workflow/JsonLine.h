// JsonLine: one line of a JSONL file, checked completely and read with simdjson.
//
// simdjson's DOM parser checks every value of a line (syntax, UTF-8, escapes and their surrogate pairs,
// numbers, nesting), on whole files in 1.1 to 1.3 times the time its on-demand API takes to read a few
// values and check nothing else (bench/compare.py), and leaves a tree to read any value from without copies. What it
// does not do is say where a line is broken, so a refused line is read once more by a small scanner here that names the
// first problem and its byte (the error path only). Source spans (a body's exact text) come from simdjson's on-demand
// API, on request.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

namespace openai_batch::workflow {

/// A syntax problem, at a byte offset of the document.
class JsonSyntaxError : public std::runtime_error
{
public:
    JsonSyntaxError(size_t offset, const std::string& problem);
    /// A problem without a place: a line too large for memory, or a refusal the scanner cannot place.
    explicit JsonSyntaxError(const std::string& problem);
    /// The byte offset, or std::string::npos when the problem has no place.
    size_t offset() const noexcept { return m_Offset; }

private:
    size_t m_Offset;
};

/// The name of a JSON type, as diagnostics say it: "object", "string", "number", ...
const char* jsonTypeName(simdjson::dom::element_type type);

class JsonLineParser
{
public:
    /// Nesting deeper than this is refused rather than followed (JSON from outside is untrusted).
    static constexpr size_t maxDepth = 256;

    JsonLineParser();

    /// Checks text completely as one JSON document and returns its root, valid until the next parse.
    /// Broken JSON throws JsonSyntaxError naming the first problem and its byte ("expected ':' at byte
    /// 6"). Beyond the JSON grammar it refuses what parsers disagree on: a \u escape that leaves half a
    /// UTF-16 surrogate pair, an integer beyond 64 bits and a number beyond a double's range. text is
    /// copied once into padded memory unless readable says that SIMDJSON_PADDING more bytes may be read
    /// after it. Memory: simdjson reserves about 14 bytes per byte of the line, and touches them in
    /// proportion to the line's values; a huge line's reserve is given back at the next ordinary line.
    simdjson::dom::element parse(std::string_view text, size_t readable = 0);
    /// Like parse, but the document must be an object with no key twice: valid JSON of another kind is
    /// std::invalid_argument("expected a JSON object, got array"), a repeated key 'duplicate key
    /// "custom_id"' (parsers disagree on which one counts).
    simdjson::dom::object parseObject(std::string_view text, size_t readable = 0);
    /// parse and parseObject into a tree of the caller's, valid until tree's next parse: several lines read
    /// at once each need one. The parser can then parse other lines; tree keeps its memory from line to line.
    simdjson::dom::element parse(simdjson::dom::document& tree, std::string_view text, size_t readable = 0);
    simdjson::dom::object parseObject(simdjson::dom::document& tree, std::string_view text, size_t readable = 0);

private:
    static constexpr size_t INITIAL_CAPACITY = size_t{64} << 10;
    static constexpr size_t LARGE_CAPACITY = size_t{64} << 20;

    void reserve(size_t capacity);

    simdjson::dom::parser m_Parser;
    simdjson::dom::document m_Tree; ///< for parse and parseObject without a tree
};

/// Refuses an object with a key given twice ('duplicate key "body" in /response'; at the top level without
/// "in"): parsers disagree on which one counts. where is the object's path, empty for the top level.
void refuseRepeatedKeys(simdjson::dom::object object, const char* where);

/// simdjson's on-demand API over a document: it reads only what is asked for, so the document must already
/// have been checked (JsonLineParser) where skipped values matter.
class OnDemandReader
{
public:
    /// The root of document, an object or an array, valid until the next call; JsonSyntaxError when
    /// simdjson refuses it at once (a scalar document too: on-demand reads those another way). The
    /// document is read where it lies when readable (bytes that may be read from document.data() on) is
    /// SIMDJSON_PADDING more than its size, as for a LineReader's lines and views into them; else it is
    /// copied once into padded memory.
    simdjson::ondemand::value root(std::string_view document, size_t readable = 0);
    /// Where view, a view of what root() read, lies in the document last given to it.
    size_t offsetOf(std::string_view view) const { return static_cast<size_t>(view.data() - m_Read); }
    /// The bytes that may be read from view.data() on, for a view of what root() read (a value's rawText):
    /// the readable to give root() to read that value where it lies.
    size_t readableAt(std::string_view view) const { return m_Readable - offsetOf(view); }

private:
    simdjson::ondemand::parser m_Parser;
    simdjson::ondemand::document m_Document;
    std::string m_Padded;         ///< the copy, for a document without padding
    const char* m_Read = nullptr; ///< the document, or its copy
    size_t m_Readable = 0;        ///< from m_Read on
};

/// The exact text of an on-demand value: objects and arrays whole, scalars without the whitespace after
/// them. Reads the value to its end.
std::string_view rawText(simdjson::ondemand::value value);

/// The exact source text of the value at path (keys from the top-level object down) in document, a
/// view of document; empty when a key is missing or the value is null. document must be valid JSON
/// (checked by JsonLineParser): only the way to the value is read. readable: see OnDemandReader.
std::string_view sourceOf(std::string_view document, std::initializer_list<std::string_view> path, size_t readable = 0);

/// A member of a known type, or std::invalid_argument naming its path ("/custom_id: expected string,
/// got number"). An integer must fit int64_t.
std::string_view stringAt(simdjson::dom::element value, const char* path);
int64_t integerAt(simdjson::dom::element value, const char* path);
simdjson::dom::object objectAt(simdjson::dom::element value, const char* path);
simdjson::dom::array arrayAt(simdjson::dom::element value, const char* path);

} // namespace openai_batch::workflow
