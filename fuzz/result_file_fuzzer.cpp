// libFuzzer harness: any bytes as a batch output or error file. The reader reports malformed lines
// and never crashes; bodyJson() and toModel() either parse or throw their documented
// std::invalid_argument (cpprestsdk refuses some escapes the reader accepts).
#include "workflow/ResultFileReader.h"

#include <cstddef>
#include <cstdint>
#include <sstream>

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
    }
    return 0;
}
