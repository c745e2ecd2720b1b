// Reads a batch output file with ResultFileReader the way an application would, for one of the tasks of
// bench/compare.py (each line is checked whole, as the reader always does):
//
//     read_results a|b|c FILE.jsonl [THREADS]
//
//   a  outcomes by custom_id: the envelope of each line          lines succeeded failed id_bytes hwm
//   b  usage.total_tokens summed, each answer's text taken       lines answers tokens text_bytes hwm
//   c  every embedding vector read into 32-bit floats             lines vectors floats checksum hwm
// THREADS: the reader's parseThreads (default 1: each line parsed in next(); 0: one per core).
// The last field is the peak RSS in KiB (VmHWM). The same protocol as read_raw_simdjson and the Python and
// Node readers in compare.py, which checks that all of them agree.
#include "workflow/ResultFileReader.h"

#include "PeakRss.h"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

using openai_batch::workflow::BatchResult;
using openai_batch::workflow::ResultFileReader;

/// Makes the compiler assume the text's bytes are read, so that it cannot drop the copy task b asks for.
void keep(const std::string& text)
{
    asm volatile("" : : "r"(text.data()) : "memory");
}

void countOutcomes(ResultFileReader& reader)
{
    size_t lines = 0;
    size_t succeeded = 0;
    size_t idBytes = 0;
    for (BatchResult result; reader.next(result);)
    {
        ++lines;
        succeeded += result.succeeded() ? 1 : 0;
        idBytes += result.customId.size();
    }
    std::printf("%zu %zu %zu %zu", lines, succeeded, lines - succeeded, idBytes);
}

void sumTokensAndTakeAnswers(ResultFileReader& reader)
{
    size_t lines = 0;
    size_t answers = 0;
    int64_t tokens = 0;
    size_t textBytes = 0;
    for (BatchResult result; reader.next(result);)
    {
        ++lines;
        if (!result.succeeded())
        {
            continue; // a failed request has no usage or answer
        }
        tokens += result.usage().total;
        const std::string text = result.answerText();
        if (!text.empty())
        {
            keep(text);
            ++answers;
            textBytes += text.size();
        }
    }
    std::printf("%zu %zu %lld %zu", lines, answers, static_cast<long long>(tokens), textBytes);
}

void readEmbeddings(ResultFileReader& reader)
{
    size_t lines = 0;
    size_t vectors = 0;
    size_t floats = 0;
    double checksum = 0;
    std::vector<float> buffer;
    for (BatchResult result; reader.next(result);)
    {
        ++lines;
        if (!result.succeeded())
        {
            continue;
        }
        // The vectors of one line have one length: the request's model and dimensions decide it.
        const size_t count = result.embeddingCount();
        buffer.resize(count * result.dimensions());
        const size_t read = result.readEmbeddings(buffer.data(), buffer.size());
        for (size_t i = 0; i < count; ++i)
        {
            checksum += buffer[i * (read / count)];
        }
        vectors += count;
        floats += read;
    }
    std::printf("%zu %zu %zu %.6f", lines, vectors, floats, checksum);
}

} // namespace

int main(int argc, char** argv)
{
    const std::string task = argc == 3 || argc == 4 ? argv[1] : "";
    if (task != "a" && task != "b" && task != "c")
    {
        std::fprintf(stderr, "usage: read_results a|b|c FILE.jsonl [THREADS]\n");
        return 2;
    }
    try
    {
        const unsigned threads = argc == 4 ? static_cast<unsigned>(std::stoul(argv[3])) : 1;
        ResultFileReader reader(argv[2], ResultFileReader::OnMalformedLine::Stop, threads);
        if (task == "a")
        {
            countOutcomes(reader);
        }
        else if (task == "b")
        {
            sumTokensAndTakeAnswers(reader);
        }
        else
        {
            readEmbeddings(reader);
        }
    }
    catch (const std::exception& error)
    {
        std::fprintf(stderr, "read_results: %s\n", error.what());
        return 1;
    }
    std::printf(" %ld\n", openai_batch::bench::peakRssKiB());
    return 0;
}
