// Reads a batch output file with ResultFileReader, the way an application would: every line typed
// (custom_id, status, error), the body left unparsed unless needed. Prints one line of figures.
#include "workflow/ResultFileReader.h"

#include "PeakRss.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

int main(int argc, char** argv)
{
    if (argc != 2)
    {
        std::fprintf(stderr, "usage: read_results FILE.jsonl\n");
        return 2;
    }
    const auto started = std::chrono::steady_clock::now();
    openai_batch::workflow::ResultFileReader reader(argv[1]);
    openai_batch::workflow::BatchResult result;
    size_t lines = 0;
    size_t succeeded = 0;
    size_t idBytes = 0;
    while (reader.next(result))
    {
        ++lines;
        succeeded += result.succeeded() ? 1 : 0;
        idBytes += result.customId.size();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // Fields: lines, succeeded, custom_id bytes, seconds, peak RSS (KiB) -- bench/compare.py reads them.
    std::printf("%zu %zu %zu %.6f %ld\n", lines, succeeded, idBytes, seconds, openai_batch::bench::peakRssKiB());
    return 0;
}
