// libFuzzer harness: any bytes as request lines given to RequestFileWriter::addLine. Each line is
// written or refused with RequestFileError; nothing else may happen.
#include "workflow/RequestFileWriter.h"

#include <cstddef>
#include <cstdint>
#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::ostringstream out;
    openai_batch::workflow::RequestFileWriter writer(out, "/v1/chat/completions",
                                                     openai_batch::workflow::RequestFileLimits{5, 4096});
    std::string_view text(reinterpret_cast<const char*>(data), size);
    while (!text.empty())
    {
        const size_t end = text.find('\n');
        try
        {
            writer.addLine(text.substr(0, end));
        }
        catch (const openai_batch::workflow::RequestFileError&)
        {
        }
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    }
    return 0;
}
