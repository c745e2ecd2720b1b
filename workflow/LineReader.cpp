#include "workflow/LineReader.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace openai_batch::workflow {

namespace {

constexpr size_t BUFFER_BYTES = 1 << 20;

} // namespace

LineReader::LineReader(const std::string& path)
    : m_File(std::make_unique<std::ifstream>(path, std::ios::binary))
    , m_Stream(*m_File)
    , m_Buffer(BUFFER_BYTES + padding)
{
    if (!*m_File)
    {
        throw std::runtime_error("cannot open '" + path + "': " + std::strerror(errno));
    }
}

LineReader::LineReader(std::istream& stream)
    : m_Stream(stream)
    , m_Buffer(BUFFER_BYTES + padding)
{
}

bool LineReader::fillBuffer()
{
    m_Consumed += m_End; // the whole buffer was read: fillBuffer runs only when m_Begin == m_End
    m_Stream.read(m_Buffer.data(), static_cast<std::streamsize>(BUFFER_BYTES));
    m_Begin = 0;
    m_End = static_cast<size_t>(m_Stream.gcount());
    if (m_Stream.bad())
    {
        throw std::runtime_error("reading failed after line " + std::to_string(m_LineNumber));
    }
    return m_End > 0;
}

bool LineReader::next(std::string_view& line)
{
    // A line inside the buffer is returned as a view of it; one that crosses the buffer's end is
    // assembled in m_Line.
    m_Line.clear();
    bool assembling = false;
    m_LineOffset = m_Consumed + m_Begin;
    while (true)
    {
        if (m_Begin == m_End && !fillBuffer())
        {
            if (!assembling)
            {
                return false;
            }
            line = m_Line;
            break;
        }
        const char* start = m_Buffer.data() + m_Begin;
        const auto* newline = static_cast<const char*>(std::memchr(start, '\n', m_End - m_Begin));
        const size_t length = newline ? static_cast<size_t>(newline - start) : m_End - m_Begin;
        m_Begin += length + (newline ? 1 : 0);
        if (!assembling && newline)
        {
            line = std::string_view(start, length);
            break;
        }
        if (m_Line.size() + length > maxLineBytes)
        {
            throw std::runtime_error("line " + std::to_string(m_LineNumber + 1) + ": longer than "
                                     + std::to_string(maxLineBytes) + " bytes");
        }
        m_Line.append(start, length);
        assembling = true;
        if (newline)
        {
            line = m_Line;
            break;
        }
    }
    if (assembling)
    {
        // The padding after an assembled line: spaces held in the string, so nothing read ahead is undefined.
        const size_t length = m_Line.size();
        m_Line.append(padding, ' ');
        line = std::string_view(m_Line.data(), length);
    }
    ++m_LineNumber;
    if (!line.empty() && line.back() == '\r')
    {
        line.remove_suffix(1);
    }
    return true;
}

bool isBlank(std::string_view line)
{
    return line.find_first_not_of(" \t") == std::string_view::npos;
}

} // namespace openai_batch::workflow
