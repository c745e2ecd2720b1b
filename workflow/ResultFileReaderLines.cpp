// ResultFileReader itself: lines read and handed out in order, parsed in next() or ahead of it on other threads.
#include "workflow/ResultFileReader.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

namespace openai_batch::workflow {

/// Lines read and parsed ahead of next(), in chunks, by worker threads, while the reader's thread hands
/// them out in order. Workers read the input in turn (it is a stream) and parse a chunk right after reading
/// it, while it is in their core's cache; every threads-th chunk is left for the reader's thread to parse
/// when it reaches it, so that all cores parse and that chunk's trees are in the cache of the core that reads
/// them. A chunk's memory is reused once its last line has been handed out and next() is called again.
class ResultFileReader::ReadAhead
{
public:
    /// Chunks read and not yet handed out, at most.
    static constexpr size_t CHUNKS = 4;
    /// One worker per chunk in flight and the reader's thread are all that can be busy.
    static constexpr unsigned MOST_THREADS = CHUNKS + 1;

    /// One line of a chunk: where it lies, and what parsing it gave.
    struct ParsedLine
    {
        size_t begin = 0; ///< in the chunk's bytes
        size_t size = 0;
        size_t lineNumber = 0;
        uint64_t offset = 0;
        bool refused = false;
        std::string problem;          ///< why, when refused
        BatchResult result;           ///< when not refused
        simdjson::dom::document tree; ///< result's values
    };

    ReadAhead(LineReader& lines, JsonLineParser& parser, unsigned threads)
        : m_Lines(lines)
        , m_Parser(parser)
        , m_Threads(threads)
        , m_WorkerParsers(threads - 1) // made here, where running out of memory can be thrown to the caller
    {
        try
        {
            for (JsonLineParser& workerParser : m_WorkerParsers)
            {
                m_Workers.emplace_back([this, &workerParser] { work(workerParser); });
            }
        }
        catch (...)
        {
            stop();
            throw;
        }
    }

    ~ReadAhead() { stop(); }
    ReadAhead(const ReadAhead&) = delete;
    ReadAhead& operator=(const ReadAhead&) = delete;

    /// The next line that is not blank, parsed or refused; nullptr at the end. A failure to read the input
    /// (a line too long, a read error) is thrown where it happened, after the lines before it; so is one to
    /// parse a chunk (out of memory), in place of its lines.
    ParsedLine* next()
    {
        while (true)
        {
            if (m_Current == nullptr && !awaitChunk())
            {
                return nullptr;
            }
            Chunk& chunk = *m_Current;
            if (m_Index < chunk.count)
            {
                ParsedLine& line = chunk.lines[m_Index++];
                m_LineCount = line.lineNumber;
                m_LineOffset = line.offset;
                return &line;
            }
            m_LineCount = chunk.linesRead;
            m_LineOffset = chunk.endOffset;
            const std::exception_ptr failure = chunk.failure;
            release(chunk);
            if (failure)
            {
                std::rethrow_exception(failure);
            }
        }
    }

    size_t lineCount() const { return m_LineCount; }
    uint64_t lineOffset() const { return m_LineOffset; }

private:
    static constexpr size_t CHUNK_BYTES = size_t{64} << 10;
    static constexpr size_t CHUNK_LINES = 1024;
    /// No chunk is read while this much is waiting, unless none is: a chunk of huge lines is read alone.
    static constexpr size_t AHEAD_BYTES = size_t{256} << 10;
    /// A chunk's buffer larger than this is given back when the chunk is reused.
    static constexpr size_t GIVE_BACK_BYTES = size_t{16} << 20;

    enum class State
    {
        Free,
        Reading,
        Own,    ///< read, to be parsed by the reader's thread
        Parsed, ///< read and parsed by a worker
    };

    struct Chunk
    {
        std::vector<char> bytes; ///< the lines one after another, and padding after the last
        size_t used = 0;
        std::vector<ParsedLine> lines; ///< the first count are this chunk's; the rest keep their memory
        size_t count = 0;
        size_t linesRead = 0;       ///< the input's lines up to the chunk's end, blank ones included
        uint64_t endOffset = 0;     ///< where the line read after the chunk's last starts
        std::exception_ptr failure; ///< thrown after the chunk's lines
        bool isLast = false;
        State state = State::Free; ///< guarded by m_Mutex
    };

    /// Sets m_Current to the oldest chunk once it is read, parsing it if it is this thread's; false when
    /// the input has ended and every chunk has been handed out.
    bool awaitChunk()
    {
        std::unique_lock<std::mutex> lock(m_Mutex);
        Chunk& chunk = m_Chunks[m_Oldest];
        m_ReaderWaits = true;
        m_ChunkReady.wait(lock, [&] {
            return chunk.state == State::Own || chunk.state == State::Parsed || (m_InFlight == 0 && m_InputEnded);
        });
        m_ReaderWaits = false;
        if (chunk.state != State::Own && chunk.state != State::Parsed)
        {
            return false;
        }
        const bool own = chunk.state == State::Own;
        lock.unlock();
        if (own)
        {
            parse(chunk, m_Parser); // no worker touches an Own chunk
        }
        m_Current = &chunk;
        m_Index = 0;
        return true;
    }

    void release(Chunk& chunk)
    {
        m_Current = nullptr;
        bool wake = false;
        {
            const std::lock_guard<std::mutex> lock(m_Mutex);
            chunk.state = State::Free;
            m_BytesInFlight -= chunk.used;
            --m_InFlight;
            m_Oldest = (m_Oldest + 1) % CHUNKS;
            wake = m_IdleWorkers > 0; // waking is a system call, a costly one in a virtual machine
        }
        if (wake)
        {
            m_WorkToDo.notify_one();
        }
    }

    void work(JsonLineParser& parser)
    {
        std::unique_lock<std::mutex> lock(m_Mutex);
        while (!m_Stopping)
        {
            if (!mayRead())
            {
                ++m_IdleWorkers;
                m_WorkToDo.wait(lock);
                --m_IdleWorkers;
                continue;
            }
            Chunk& chunk = m_Chunks[(m_Oldest + m_InFlight) % CHUNKS];
            const bool readersOwn = ++m_ChunksRead % m_Threads == 0; // the first chunk is a worker's
            chunk.state = State::Reading;
            m_Reading = true;
            lock.unlock();
            fill(chunk);
            lock.lock();
            m_Reading = false;
            m_InputEnded = chunk.isLast;
            m_BytesInFlight += chunk.used;
            ++m_InFlight;
            if (m_IdleWorkers > 0 && mayRead())
            {
                m_WorkToDo.notify_one(); // another worker reads the next chunk while this one parses
            }
            if (!readersOwn)
            {
                lock.unlock();
                parse(chunk, parser);
                lock.lock();
            }
            chunk.state = readersOwn ? State::Own : State::Parsed;
            if (m_ReaderWaits)
            {
                m_ChunkReady.notify_one();
            }
        }
    }

    /// Whether a worker may read the next chunk: no other is reading, a chunk is free and not too much
    /// is waiting.
    bool mayRead() const
    {
        return !m_Reading && !m_InputEnded && m_InFlight < CHUNKS && (m_InFlight == 0 || m_BytesInFlight < AHEAD_BYTES);
    }

    /// The next lines of the input into chunk, without their blank ones, up to about CHUNK_BYTES.
    void fill(Chunk& chunk)
    {
        if (chunk.bytes.size() > GIVE_BACK_BYTES)
        {
            std::vector<char>().swap(chunk.bytes);
        }
        chunk.used = 0;
        chunk.count = 0;
        chunk.failure = nullptr;
        chunk.isLast = false;
        try
        {
            std::string_view line;
            while (chunk.used < CHUNK_BYTES && chunk.count < CHUNK_LINES)
            {
                if (!m_Lines.next(line))
                {
                    chunk.isLast = true;
                    break;
                }
                if (!isBlank(line))
                {
                    append(chunk, line);
                }
            }
        }
        catch (...) // a line too long, a read error: thrown by next() after the lines before it
        {
            chunk.failure = std::current_exception();
            chunk.isLast = true;
        }
        chunk.linesRead = m_Lines.lineNumber();
        chunk.endOffset = m_Lines.lineOffset();
        for (size_t i = chunk.count; i < chunk.lines.size(); ++i)
        {
            giveBackLargeTree(chunk.lines[i], 0); // a tree no line of this chunk reuses
        }
    }

    void append(Chunk& chunk, std::string_view line)
    {
        // Lines lie one after another: simdjson may read LineReader::padding bytes past a line's end.
        const size_t needed = chunk.used + line.size() + LineReader::padding;
        if (chunk.bytes.size() < needed)
        {
            chunk.bytes.resize(std::max(needed, CHUNK_BYTES + LineReader::padding));
        }
        std::memcpy(chunk.bytes.data() + chunk.used, line.data(), line.size());
        if (chunk.count == chunk.lines.size())
        {
            chunk.lines.emplace_back();
        }
        ParsedLine& parsed = chunk.lines[chunk.count++];
        parsed.begin = chunk.used;
        parsed.size = line.size();
        parsed.lineNumber = m_Lines.lineNumber();
        parsed.offset = m_Lines.lineOffset();
        chunk.used += line.size();
    }

    /// Parses the chunk's lines. A failure that is not a line's own (memory running out while a line's
    /// problem is recorded) is thrown in place of the lines.
    static void parse(Chunk& chunk, JsonLineParser& parser) noexcept
    {
        try
        {
            for (size_t i = 0; i < chunk.count; ++i)
            {
                parseLine(chunk, chunk.lines[i], parser);
            }
        }
        catch (...)
        {
            chunk.count = 0;
            if (!chunk.failure) // a read failure after these lines stays the one to report
            {
                chunk.failure = std::current_exception();
            }
        }
    }

    /// Frees a tree that a long line left much larger than the line that is to use it, so that a few long
    /// lines do not leave every slot of every chunk holding memory for them.
    static void giveBackLargeTree(ParsedLine& line, size_t nextSize)
    {
        constexpr size_t TREE_GROWTH = 8; // a tree holds about 10 bytes for each byte of its line
        if (line.tree.capacity() > std::max(CHUNK_BYTES, TREE_GROWTH * nextSize))
        {
            line.tree = simdjson::dom::document();
        }
    }

    static void parseLine(const Chunk& chunk, ParsedLine& line, JsonLineParser& parser)
    {
        giveBackLargeTree(line, line.size);
        line.result.lineNumber = line.lineNumber;
        try
        {
            parseResultLine(std::string_view(chunk.bytes.data() + line.begin, line.size), line.result, parser,
                            line.tree, chunk.bytes.size() - line.begin);
            line.refused = false;
        }
        catch (const std::exception& error) // JsonSyntaxError or a wrong field type
        {
            line.refused = true;
            line.problem = error.what();
        }
    }

    void stop()
    {
        {
            const std::lock_guard<std::mutex> lock(m_Mutex);
            m_Stopping = true;
        }
        m_WorkToDo.notify_all();
        for (std::thread& worker : m_Workers)
        {
            worker.join();
        }
    }

    LineReader& m_Lines;      ///< read by one worker at a time (m_Reading)
    JsonLineParser& m_Parser; ///< the reader's thread's
    const unsigned m_Threads;
    std::vector<JsonLineParser> m_WorkerParsers;
    std::array<Chunk, CHUNKS> m_Chunks;
    Chunk* m_Current = nullptr; ///< the chunk being handed out, by the reader's thread
    size_t m_Index = 0;         ///< of the next line of m_Current
    size_t m_LineCount = 0;
    uint64_t m_LineOffset = 0;

    std::mutex m_Mutex; ///< guards what follows
    std::condition_variable m_WorkToDo;
    std::condition_variable m_ChunkReady;
    size_t m_Oldest = 0;   ///< the chunk handed out now, or next
    size_t m_InFlight = 0; ///< chunks read and not yet released
    size_t m_BytesInFlight = 0;
    size_t m_ChunksRead = 0;
    bool m_Reading = false;
    bool m_InputEnded = false;
    size_t m_IdleWorkers = 0;
    bool m_ReaderWaits = false;
    bool m_Stopping = false;
    std::vector<std::thread> m_Workers; ///< last: stopped before the rest goes
};

ResultFileReader::ResultFileReader(const std::string& path, OnMalformedLine onMalformed, unsigned parseThreads)
    : m_Lines(path)
    , m_OnMalformed(onMalformed)
{
    readAheadOn(parseThreads);
}

ResultFileReader::ResultFileReader(std::istream& stream, OnMalformedLine onMalformed, unsigned parseThreads)
    : m_Lines(stream)
    , m_OnMalformed(onMalformed)
{
    readAheadOn(parseThreads);
}

void ResultFileReader::readAheadOn(unsigned parseThreads)
{
    const unsigned asked = parseThreads != 0 ? parseThreads : std::max(1U, std::thread::hardware_concurrency());
    const unsigned threads = std::min(asked, ReadAhead::MOST_THREADS);
    if (threads > 1)
    {
        m_ReadAhead = std::make_unique<ReadAhead>(m_Lines, m_Parser, threads);
    }
}

ResultFileReader::~ResultFileReader() = default;

size_t ResultFileReader::lineCount() const
{
    return m_ReadAhead ? m_ReadAhead->lineCount() : m_Lines.lineNumber();
}

uint64_t ResultFileReader::lineOffset() const
{
    return m_ReadAhead ? m_ReadAhead->lineOffset() : m_Lines.lineOffset();
}

bool ResultFileReader::next(BatchResult& result)
{
    if (m_InputFailed)
    {
        return false;
    }
    try
    {
        return m_ReadAhead ? nextReadAhead(result) : nextInLine(result);
    }
    catch (const ResultFileError&) // a malformed line: reading goes on after it
    {
        throw;
    }
    catch (...) // the input failed (a line too long, a read error): nothing after it is read
    {
        m_InputFailed = true;
        throw;
    }
}

bool ResultFileReader::nextReadAhead(BatchResult& result)
{
    while (ReadAhead::ParsedLine* line = m_ReadAhead->next())
    {
        std::swap(result, line->result); // the strings' memory goes round
        if (!line->refused)
        {
            return true;
        }
        refuse(LineProblem{line->lineNumber, line->problem});
    }
    return false;
}

bool ResultFileReader::nextInLine(BatchResult& result)
{
    std::string_view line;
    while (m_Lines.next(line))
    {
        if (isBlank(line))
        {
            continue;
        }
        result.lineNumber = m_Lines.lineNumber();
        try
        {
            parseResultLine(line, result, m_Parser, LineReader::readable(line));
            return true;
        }
        catch (const std::exception& error) // JsonSyntaxError or a wrong field type
        {
            refuse(LineProblem{result.lineNumber, error.what()});
        }
    }
    return false;
}

void ResultFileReader::refuse(LineProblem problem)
{
    if (m_OnMalformed == OnMalformedLine::Stop)
    {
        throw ResultFileError(std::move(problem));
    }
    m_Problems.push_back(std::move(problem));
}

} // namespace openai_batch::workflow
