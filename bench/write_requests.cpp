// Writes N chat-completion requests with RequestFileWriter (every line checked as the API would).
// Prints one line of figures.
#include "workflow/RequestFileWriter.h"

#include "PeakRss.h"

#include <chrono>
#include <cstdio>
#include <string>

int main(int argc, char** argv)
{
    if (argc != 3)
    {
        std::fprintf(stderr, "usage: write_requests OUT.jsonl COUNT\n");
        return 2;
    }
    const size_t count = std::stoul(argv[2]);
    const auto started = std::chrono::steady_clock::now();
    openai_batch::workflow::RequestFileWriter writer(argv[1], "/v1/chat/completions");
    for (size_t i = 0; i < count; ++i)
    {
        web::json::value message = web::json::value::object();
        message[_XPLATSTR("role")] = web::json::value::string(_XPLATSTR("user"));
        message[_XPLATSTR("content")] =
            web::json::value::string(_XPLATSTR("Summarise document number ") + std::to_string(i)
                                     + _XPLATSTR(" in three sentences, keeping every figure it gives."));
        web::json::value body = web::json::value::object();
        body[_XPLATSTR("model")] = web::json::value::string(_XPLATSTR("gpt-4o-mini"));
        body[_XPLATSTR("messages")] = web::json::value::array({message});
        body[_XPLATSTR("max_tokens")] = web::json::value::number(1000);
        writer.add("request-" + std::to_string(i), body);
    }
    writer.finish();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // Fields: lines, bytes, seconds, peak RSS (KiB) -- bench/compare.py reads them.
    std::printf("%zu %llu %.6f %ld\n", writer.requestCount(), static_cast<unsigned long long>(writer.byteCount()),
                seconds, openai_batch::bench::peakRssKiB());
    return 0;
}
