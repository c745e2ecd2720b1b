// LineReader: the lines of a JSONL file or stream, one at a time, through one fixed buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace openai_batch::workflow {

class LineReader
{
public:
    /// A line longer than this is refused: the reader holds one line at a time.
    static constexpr size_t maxLineBytes = size_t{512} << 20;
    /// At least this many bytes may be read after the end of every line next() gives: simdjson reads
    /// ahead of a document's end (SIMDJSON_PADDING), so lines are parsed where they lie, not copied.
    static constexpr size_t padding = 64;
    /// The bytes that may be read from the first byte of a line next() gave: the `readable` that lets
    /// JsonLineParser, OnDemandReader and readRequestLine read it where it lies.
    static size_t readable(std::string_view line) { return line.size() + padding; }

    /// A file that cannot be opened throws std::runtime_error naming it and the reason.
    explicit LineReader(const std::string& path);
    /// Reads from stream, which must outlive the reader.
    explicit LineReader(std::istream& stream);

    /// The next line without its "\n" or "\r\n" (the last line may lack them); false at the end. The
    /// view is valid until the next call; padding readable bytes follow it.
    bool next(std::string_view& line);
    /// Lines read so far.
    size_t lineNumber() const { return m_LineNumber; }
    /// Where the last line read starts, in bytes from the start of the input.
    uint64_t lineOffset() const { return m_LineOffset; }

private:
    bool fillBuffer();

    std::unique_ptr<std::ifstream> m_File;
    std::istream& m_Stream;
    std::vector<char> m_Buffer;
    size_t m_Begin = 0;
    size_t m_End = 0;
    std::string m_Line;
    size_t m_LineNumber = 0;
    uint64_t m_LineOffset = 0;
    uint64_t m_Consumed = 0; ///< bytes of the input before m_Buffer[m_Begin]
};

/// Whether a line holds nothing but spaces and tabs.
bool isBlank(std::string_view line);

} // namespace openai_batch::workflow
