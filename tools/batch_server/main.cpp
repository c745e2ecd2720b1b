// openai-batch-server: the local Batch API server.
//
//   openai-batch-server [--port N] [--api-key KEY] [--state-dir DIR] [--step-ms MS] [--request-ms MS]
//                       [--completion-window-ms MS]
//
// Prints "listening on http://127.0.0.1:<port>/v1" and serves until SIGINT or SIGTERM.
#include "LocalBatchServer.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

volatile std::sig_atomic_t stopRequested = 0;

void onSignal(int)
{
    stopRequested = 1;
}

const char* const USAGE =
    "usage: openai-batch-server [--port N] [--api-key KEY] [--state-dir DIR] [--step-ms MS] [--request-ms MS]\n"
    "                           [--completion-window-ms MS]\n"
    "  --port N                  port on 127.0.0.1 (default 0: a free port, printed)\n"
    "  --api-key KEY             the only bearer key accepted (default: any non-empty key)\n"
    "  --state-dir DIR           where files and batches are kept (default ./batch-server-state)\n"
    "  --step-ms MS              how long validating, finalizing and cancelling last (default 0)\n"
    "  --request-ms MS           how long each request takes in_progress (default 0)\n"
    "  --completion-window-ms MS when a batch expires (default 24 h)\n";

} // namespace

int main(int argc, char** argv)
{
    openai_batch::server::ServerOptions options;
    options.stateDirectory = "batch-server-state";
    for (int i = 1; i < argc; ++i)
    {
        const std::string flag = argv[i];
        if (flag == "--help" || flag == "-h")
        {
            std::fputs(USAGE, stdout);
            return 0;
        }
        if (i + 1 >= argc)
        {
            std::fprintf(stderr, "openai-batch-server: %s needs a value\n%s", flag.c_str(), USAGE);
            return 2;
        }
        const std::string value = argv[++i];
        try
        {
            if (flag == "--port")
            {
                const unsigned long port = std::stoul(value);
                if (port > 65535)
                {
                    throw std::out_of_range("port");
                }
                options.port = static_cast<uint16_t>(port);
            }
            else if (flag == "--api-key")
            {
                options.apiKey = value;
            }
            else if (flag == "--state-dir")
            {
                options.stateDirectory = value;
            }
            else if (flag == "--step-ms")
            {
                options.pacing.stepTime = std::chrono::milliseconds(std::stoul(value));
            }
            else if (flag == "--request-ms")
            {
                options.pacing.requestTime = std::chrono::milliseconds(std::stoul(value));
            }
            else if (flag == "--completion-window-ms")
            {
                options.pacing.completionWindow = std::chrono::milliseconds(std::stoul(value));
            }
            else
            {
                std::fprintf(stderr, "openai-batch-server: unknown flag %s\n%s", flag.c_str(), USAGE);
                return 2;
            }
        }
        catch (const std::exception&)
        {
            std::fprintf(stderr, "openai-batch-server: %s: '%s' is not a valid value\n", flag.c_str(), value.c_str());
            return 2;
        }
    }
    try
    {
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
        openai_batch::server::LocalBatchServer server(options);
        std::printf("listening on %s\n", server.baseUrl().c_str());
        std::fflush(stdout);
        while (!stopRequested)
        {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return 0;
    }
    catch (const std::exception& error)
    {
        std::fprintf(stderr, "openai-batch-server: %s\n", error.what());
        return 1;
    }
}
