// libFuzzer harness: any bytes as a batch output or error file. The reader reports malformed lines
// and never crashes; bodyJson(), toModel() and every typed read either give a value or throw their
// documented std::invalid_argument (cpprestsdk refuses some nesting the reader accepts; a line of
// another kind has no answer, usage or embeddings). Read ahead on two threads, the same bytes give the same
// lines and problems.
#include "workflow/ResultFileReader.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// Each typed read on its own: one that throws must not keep the others from running.
void readTyped(const openai_batch::workflow::BatchResult& result)
{
    const auto attempt = [](auto read) {
        try
        {
            read();
        }
        catch (const std::invalid_argument&)
        {
        }
    };
    attempt([&] { (void)result.answerText(); });
    attempt([&] { (void)result.model(); });
    attempt([&] { (void)result.finishReason(); });
    attempt([&] { (void)result.usage(); });
    attempt([&] {
        std::vector<float> floats(result.embeddingCount() * result.dimensions());
        (void)result.readEmbeddings(floats.data(), floats.size());
        (void)result.embedding(0);
    });
}

/// What a reader hands out, as text: each line's number and custom_id, the problems, the lines and where
/// the last ends; every read of each line is tried on the way.
std::string everythingRead(const std::string& bytes, unsigned parseThreads)
{
    using openai_batch::workflow::ResultFileReader;
    std::istringstream file(bytes);
    ResultFileReader reader(file, ResultFileReader::OnMalformedLine::Skip, parseThreads);
    openai_batch::workflow::BatchResult result;
    std::string seen;
    while (reader.next(result))
    {
        seen += std::to_string(result.lineNumber) + " " + result.customId + "\n";
        (void)result.succeeded();
        try
        {
            (void)result.bodyJson();
            (void)result.toModel();
        }
        catch (const std::invalid_argument&)
        {
        }
        readTyped(result);
    }
    for (const auto& problem : reader.problems())
    {
        seen += problem.toString() + "\n";
    }
    return seen + std::to_string(reader.lineCount()) + " lines, ending at " + std::to_string(reader.lineOffset());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    if (everythingRead(bytes, 1) != everythingRead(bytes, 2))
    {
        std::abort(); // reading ahead changed what the reader hands out
    }
    return 0;
}
