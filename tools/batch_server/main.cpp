// openai-batch-server: the local Batch API server.
//
//   openai-batch-server [--port N] [--api-key KEY] [--state-dir DIR] [--step-ms MS] [--request-ms MS]
//                       [--completion-window-ms MS] [--fault RULE]... [--fault-seed N]
//                       [--webhook-url URL --webhook-secret SECRET] [--enqueued-token-limit N]
//                       [--fail-requests SHARE] [--expire-batches SHARE]
//
// Prints "listening on http://127.0.0.1:<port>/v1" and serves until SIGINT or SIGTERM.
#include "LocalBatchServer.h"

#include <pthread.h>
#include <signal.h>

#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace {

/// SIGINT and SIGTERM, blocked in every thread so that only sigwait() receives them: the main thread
/// sleeps until one comes, with no timer waking it.
sigset_t stopSignals()
{
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    return signals;
}

/// A flag's non-negative integer value; anything else is refused with a message that says so.
uint64_t number(const std::string& value)
{
    if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos)
    {
        throw std::invalid_argument("'" + value + "' is not a non-negative integer");
    }
    return std::stoull(value);
}

/// A share from 0 to 1 ("0.05"); anything else is refused.
double share(const std::string& value)
{
    size_t used = 0;
    double parsed = -1;
    try
    {
        parsed = std::stod(value, &used);
    }
    catch (const std::exception&)
    {
        used = 0;
    }
    if (used != value.size() || !(parsed >= 0 && parsed <= 1))
    {
        throw std::invalid_argument("'" + value + "' is not a share from 0 to 1");
    }
    return parsed;
}

const char* const USAGE =
    "usage: openai-batch-server [--port N] [--api-key KEY] [--state-dir DIR] [--step-ms MS] [--request-ms MS]\n"
    "                           [--completion-window-ms MS] [--fault RULE]... [--fault-seed N]\n"
    "                           [--webhook-url URL --webhook-secret SECRET] [--enqueued-token-limit N]\n"
    "                           [--fail-requests SHARE] [--expire-batches SHARE]\n"
    "  --port N                  port on 127.0.0.1 (default 0: a free port, printed)\n"
    "  --api-key KEY             the only bearer key accepted (default: any non-empty key)\n"
    "  --state-dir DIR           where files and batches are kept (default ./batch-server-state)\n"
    "  --step-ms MS              how long validating, finalizing and cancelling last (default 0)\n"
    "  --request-ms MS           how long each request takes in_progress (default 0)\n"
    "  --completion-window-ms MS when a batch expires (default 24 h)\n"
    "  --fault RULE              inject a fault: 429:rate=0.2, 500:nth=3, 503:rate=0.1, slow=250:rate=0.5,\n"
    "                            drop:nth=5 (the request is carried out, then the reply is cut off)\n"
    "                            (repeatable; 429 carries retry-after-ms: 20 and Retry-After: 1)\n"
    "  --fault-seed N            seed for rate faults (default 1), so a run can be repeated\n"
    "  --webhook-url URL         POST batch.completed, batch.failed, batch.cancelled and batch.expired events\n"
    "                            here when a batch ends (http:// on 127.0.0.1, [::1] or localhost only);\n"
    "                            a non-2xx answer is retried 3 times\n"
    "  --webhook-secret SECRET   sign them with this secret (whsec_<base64>; default: OPENAI_WEBHOOK_SECRET)\n"
    "  --enqueued-token-limit N  per model: a batch whose estimated tokens, with those of the batches in progress,\n"
    "                            exceed N fails with token_limit_exceeded (estimated as workflow/RequestEstimate.h)\n"
    "  --fail-requests SHARE     answer this share (0 to 1) of requests with a 500 status line, chosen by batch and\n"
    "                            custom_id (the same request in a later batch may succeed)\n"
    "  --expire-batches SHARE    this share (0 to 1) of batches expire when half their requests are done\n"
    "                            (the rest go to the error file as batch_expired); --fault-seed picks them\n";

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
                const uint64_t port = number(value);
                if (port > 65535)
                {
                    throw std::invalid_argument("'" + value + "' is not a port (0 to 65535)");
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
                options.pacing.stepTime = std::chrono::milliseconds(number(value));
            }
            else if (flag == "--request-ms")
            {
                options.pacing.requestTime = std::chrono::milliseconds(number(value));
            }
            else if (flag == "--fault")
            {
                options.faults.push_back(openai_batch::server::FaultRule::parse(value));
            }
            else if (flag == "--fault-seed")
            {
                options.faultSeed = number(value);
                options.batchFaults.seed = options.faultSeed;
            }
            else if (flag == "--enqueued-token-limit")
            {
                options.batchFaults.enqueuedTokenLimit = number(value);
            }
            else if (flag == "--fail-requests")
            {
                options.batchFaults.requestFailureShare = share(value);
            }
            else if (flag == "--expire-batches")
            {
                options.batchFaults.expiryShare = share(value);
            }
            else if (flag == "--completion-window-ms")
            {
                options.pacing.completionWindow = std::chrono::milliseconds(number(value));
            }
            else if (flag == "--webhook-url")
            {
                openai_batch::server::checkLoopbackUrl(value);
                options.webhooks.url = value;
            }
            else if (flag == "--webhook-secret")
            {
                options.webhooks.secret = value;
            }
            else
            {
                std::fprintf(stderr, "openai-batch-server: unknown flag %s\n%s", flag.c_str(), USAGE);
                return 2;
            }
        }
        catch (const std::invalid_argument& error)
        {
            std::fprintf(stderr, "openai-batch-server: %s: %s\n", flag.c_str(), error.what());
            return 2;
        }
    }
    if (!options.webhooks.url.empty() && options.webhooks.secret.empty())
    {
        // The secret from the environment keeps it out of the process list.
        const char* secret = std::getenv("OPENAI_WEBHOOK_SECRET");
        options.webhooks.secret = secret ? secret : "";
    }
    if (options.webhooks.url.empty() != options.webhooks.secret.empty())
    {
        std::fprintf(stderr,
                     "openai-batch-server: --webhook-url needs a secret (--webhook-secret or OPENAI_WEBHOOK_SECRET), "
                     "and --webhook-secret a URL\n%s",
                     USAGE);
        return 2;
    }

    try
    {
        // Blocked before the server starts its threads, which inherit the mask.
        const sigset_t signals = stopSignals();
        pthread_sigmask(SIG_BLOCK, &signals, nullptr);
        openai_batch::server::LocalBatchServer server(options);
        std::printf("listening on %s\n", server.baseUrl().c_str());
        std::fflush(stdout);
        int received = 0;
        sigwait(&signals, &received);
        return 0;
    }
    catch (const std::invalid_argument& error) // an option the server cannot use (a malformed webhook secret)
    {
        std::fprintf(stderr, "openai-batch-server: %s\n", error.what());
        return 2;
    }
    catch (const std::exception& error)
    {
        std::fprintf(stderr, "openai-batch-server: %s\n", error.what());
        return 1;
    }
}
