// libFuzzer harness: any bytes as a batch output or error file. The reader reports malformed lines
// and never crashes; bodyJson(), toModel() and every typed read either give a value or throw their
// documented std::invalid_argument (cpprestsdk refuses some nesting the reader accepts; a line of
// another kind has no answer, usage or embeddings).
#include "workflow/ResultFileReader.h"

#include <cstddef>
#include <cstdint>
#include <sstream>
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

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::istringstream file(std::string(reinterpret_cast<const char*>(data), size));
    openai_batch::workflow::ResultFileReader reader(file,
                                                    openai_batch::workflow::ResultFileReader::OnMalformedLine::Skip);
    openai_batch::workflow::BatchResult result;
    while (reader.next(result))
    {
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
    return 0;
}
