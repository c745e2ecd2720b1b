// The limit for reading a batch output file: simdjson alone on the raw lines, without our library or its
// models. bench/compare.py runs it next to build/bench/read_results, Python and Node:
//
//     read_raw_simdjson ondemand|dom a|b|c FILE.jsonl
//
// ondemand: simdjson's on-demand API, which visits only the values the task asks for and skips the rest.
// dom: simdjson's DOM API, which parses and validates every value of every line before the task looks.
// Both run the same task code (templates over the two APIs' shared vocabulary), so they do the same work.
//
// Tasks, and the one line each prints (the last field is the peak RSS in KiB, from VmHWM):
//   a  outcomes by custom_id          lines succeeded failed id_bytes hwm
//   b  tokens and answer texts        lines answers tokens text_bytes hwm
//   c  embedding vectors as float32   lines vectors floats checksum hwm
// A line simdjson refuses ends the run: the error and the line number on stderr, exit status 1.
#include "PeakRss.h"

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace {

constexpr size_t kChunkBytes = size_t{1} << 20;

[[noreturn]] void failWith(const char* what, const char* path)
{
    std::fprintf(stderr, "read_raw_simdjson: %s: %s: %s\n", path, what, std::strerror(errno));
    std::exit(1);
}

// One line of the file where it lies in the reader's buffer, without its "\n" or "\r\n". `readable` bytes
// from data may be read (at least size + SIMDJSON_PADDING), which lets simdjson parse it without a copy.
struct Line
{
    const char* data = nullptr;
    size_t size = 0;
    size_t readable = 0;
};

// Reads a file in chunks of up to 1 MiB into one buffer and hands out its lines in place, in constant
// memory: the buffer grows only when one line leaves less than half a chunk free. It always keeps
// SIMDJSON_PADDING spare bytes after the data, so the last line read is padded like any other.
class LineReader
{
public:
    explicit LineReader(const char* path)
        : path_(path)
        , fd_(::open(path, O_RDONLY | O_CLOEXEC))
        , buffer_(kChunkBytes + simdjson::SIMDJSON_PADDING)
    {
        if (fd_ < 0)
        {
            failWith("cannot open", path);
        }
    }
    ~LineReader() { ::close(fd_); }
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    // The next line; false at the end of the file.
    bool next(Line& line)
    {
        size_t end = 0;
        while (!findNewline(end))
        {
            if (atEnd_)
            {
                if (begin_ == end_)
                {
                    return false;
                }
                end = end_; // the last line, without a "\n"
                break;
            }
            fill();
        }
        const size_t start = begin_;
        begin_ = scanned_ = std::min(end + 1, end_);
        ++lineNumber_;
        const size_t size = end > start && buffer_[end - 1] == '\r' ? end - start - 1 : end - start;
        line = Line{buffer_.data() + start, size, buffer_.size() - start};
        return true;
    }

    // The number of the line next() handed out last, counting from 1.
    size_t lineNumber() const { return lineNumber_; }

private:
    size_t capacity() const { return buffer_.size() - simdjson::SIMDJSON_PADDING; }

    // Finds the "\n" after begin_, scanning each byte once even when a line spans many chunks.
    bool findNewline(size_t& at)
    {
        const void* found = std::memchr(buffer_.data() + scanned_, '\n', end_ - scanned_);
        if (found == nullptr)
        {
            scanned_ = end_;
            return false;
        }
        at = static_cast<size_t>(static_cast<const char*>(found) - buffer_.data());
        return true;
    }

    // Moves the unfinished line to the front and reads after it; a line that leaves less than half a chunk
    // free doubles the buffer, so that reads stay large and a line of any length fits.
    void fill()
    {
        const size_t unfinished = end_ - begin_;
        std::memmove(buffer_.data(), buffer_.data() + begin_, unfinished);
        scanned_ -= begin_;
        begin_ = 0;
        end_ = unfinished;
        if (capacity() - end_ < kChunkBytes / 2)
        {
            buffer_.resize(2 * capacity() + simdjson::SIMDJSON_PADDING);
        }
        const ssize_t count = readSome(buffer_.data() + end_, std::min(kChunkBytes, capacity() - end_));
        atEnd_ = count == 0;
        end_ += static_cast<size_t>(count);
    }

    ssize_t readSome(char* into, size_t size)
    {
        ssize_t count = 0;
        do
        {
            count = ::read(fd_, into, size);
        } while (count < 0 && errno == EINTR);
        if (count < 0)
        {
            failWith("cannot read", path_);
        }
        return count;
    }

    const char* path_;
    int fd_;
    std::vector<char> buffer_;
    size_t begin_ = 0;   // the first byte not handed out yet
    size_t scanned_ = 0; // no "\n" in [begin_, scanned_)
    size_t end_ = 0;     // the end of the bytes read
    bool atEnd_ = false;
    size_t lineNumber_ = 0;
};

// Blank lines carry no result; every reader skips them.
bool isBlank(const Line& line)
{
    return std::all_of(line.data, line.data + line.size, [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

// Whether a lookup found its value. An absent field, or a value of another type than asked (a null
// response, a number where an object was), is an answer the task counts around; any other error means
// simdjson refused the line, and on-demand reports some of those only when a value is visited.
bool found(simdjson::error_code error)
{
    if (error == simdjson::SUCCESS)
    {
        return true;
    }
    if (error == simdjson::NO_SUCH_FIELD || error == simdjson::INCORRECT_TYPE || error == simdjson::INDEX_OUT_OF_BOUNDS)
    {
        return false;
    }
    throw simdjson::simdjson_error(error);
}

// The one test the two APIs spell differently: a field that is null or absent.
bool isNullOrAbsent(simdjson::simdjson_result<simdjson::ondemand::value> value)
{
    bool null = false;
    return !found(value.is_null().get(null)) || null;
}

bool isNullOrAbsent(simdjson::simdjson_result<simdjson::dom::element> value)
{
    return !found(value.error()) || value.value_unsafe().is_null();
}

// Makes the compiler assume the text's bytes are read, so that it cannot drop the copy task b asks for.
void keep(const std::string& text)
{
    asm volatile("" : : "r"(text.data()) : "memory");
}

// Task a: each line's custom_id, and its outcome. Succeeded: "error" is null (or absent) and "response" is
// an object whose status_code is 2xx; failed otherwise.
struct OutcomeCounts
{
    size_t lines = 0;
    size_t succeeded = 0;
    size_t failed = 0;
    size_t idBytes = 0;

    template <class Object> void read(Object& line)
    {
        ++lines;
        idBytes += line["custom_id"].get_string().value().size();
        // In the order the API writes the fields (custom_id, response, error): on-demand reads forward.
        const bool answered = hasSuccessStatus(line["response"]);
        const bool errorFree = isNullOrAbsent(line["error"]);
        ++(answered && errorFree ? succeeded : failed);
    }

    template <class Value> static bool hasSuccessStatus(Value response)
    {
        int64_t status = 0;
        return found(response["status_code"].get_int64().get(status)) && status >= 200 && status < 300;
    }

    void print(long hwm) const { std::printf("%zu %zu %zu %zu %ld\n", lines, succeeded, failed, idBytes, hwm); }
};

// Task b: response.body.usage.total_tokens summed over the lines that have it, and each answer's text
// (response.body.choices[0].message.content, when a non-empty string) copied into a string of its own, as an
// application would keep it; one at a time, so memory stays flat.
struct AnswerTotals
{
    size_t lines = 0;
    size_t answers = 0;
    int64_t tokens = 0;
    size_t textBytes = 0;

    template <class Object> void read(Object& line)
    {
        ++lines;
        auto body = line["response"]["body"];
        std::string_view content;
        if (found(body["choices"].at(0)["message"]["content"].get_string().get(content)) && !content.empty())
        {
            const std::string text(content);
            keep(text);
            ++answers;
            textBytes += text.size();
        }
        int64_t total = 0;
        if (found(body["usage"]["total_tokens"].get_int64().get(total)))
        {
            tokens += total;
        }
    }

    void print(long hwm) const
    {
        std::printf("%zu %zu %lld %zu %ld\n", lines, answers, static_cast<long long>(tokens), textBytes, hwm);
    }
};

// Task c: every vector of response.body.data[i].embedding read into 32-bit floats, in one reused buffer.
// The checksum adds each vector's first float, so that the readers can show they read the same numbers.
struct VectorTotals
{
    size_t lines = 0;
    size_t vectors = 0;
    size_t floats = 0;
    double checksum = 0;
    std::vector<float> vector;

    template <class Object> void read(Object& line)
    {
        ++lines;
        auto data = line["response"]["body"]["data"].get_array();
        if (!found(data.error()))
        {
            return;
        }
        for (auto item : data.value_unsafe())
        {
            readVector(item["embedding"].get_array().value());
        }
    }

    template <class Array> void readVector(Array numbers)
    {
        vector.clear();
        for (auto number : numbers)
        {
            vector.push_back(static_cast<float>(number.get_double().value()));
        }
        ++vectors;
        floats += vector.size();
        if (!vector.empty())
        {
            checksum += vector.front();
        }
    }

    void print(long hwm) const { std::printf("%zu %zu %zu %.6f %ld\n", lines, vectors, floats, checksum, hwm); }
};

// Each API keeps one parser for all lines and parses each line where it lies in the reader's buffer (its
// padding is the bytes after it). On-demand indexes the line, then parses only the values the task visits.
class OnDemandApi
{
public:
    template <class Task> void read(const Line& line, Task& task)
    {
        simdjson::ondemand::document document =
            parser_.iterate(simdjson::padded_string_view(line.data, line.size, line.readable));
        simdjson::ondemand::object object = document.get_object();
        task.read(object);
    }

private:
    simdjson::ondemand::parser parser_;
};

// DOM parses and validates the whole line into a tree before the task reads from it.
class DomApi
{
public:
    template <class Task> void read(const Line& line, Task& task)
    {
        simdjson::dom::object object =
            parser_.parse(simdjson::padded_string_view(line.data, line.size, line.readable)).get_object();
        task.read(object);
    }

private:
    simdjson::dom::parser parser_;
};

template <class Api, class Task> int readFile(const char* path)
{
    LineReader reader(path);
    Api api;
    Task task;
    Line line;
    try
    {
        while (reader.next(line))
        {
            if (!isBlank(line))
            {
                api.read(line, task);
            }
        }
    }
    catch (const simdjson::simdjson_error& error)
    {
        std::fprintf(stderr, "read_raw_simdjson: %s: line %zu: %s\n", path, reader.lineNumber(), error.what());
        return 1;
    }
    task.print(openai_batch::bench::peakRssKiB());
    return 0;
}

int usage()
{
    std::fprintf(stderr, "usage: read_raw_simdjson ondemand|dom a|b|c FILE.jsonl\n");
    return 2;
}

template <class Api> int readTask(std::string_view task, const char* path)
{
    if (task == "a")
    {
        return readFile<Api, OutcomeCounts>(path);
    }
    if (task == "b")
    {
        return readFile<Api, AnswerTotals>(path);
    }
    if (task == "c")
    {
        return readFile<Api, VectorTotals>(path);
    }
    return usage();
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 4)
    {
        return usage();
    }
    const std::string_view api = argv[1];
    if (api == "ondemand")
    {
        return readTask<OnDemandApi>(argv[2], argv[3]);
    }
    if (api == "dom")
    {
        return readTask<DomApi>(argv[2], argv[3]);
    }
    return usage();
}
