// openai-batch: the command-line tool over the workflow layer. runCli is the whole program, so tests can
// run it in process; main.cpp only wires it to the real streams and environment.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace openai_batch::cli {

/// Exit codes, also listed by `openai-batch --help`.
enum ExitCode
{
    OK = 0,
    BATCH_UNSUCCESSFUL = 1, ///< the batch ended failed, expired or cancelled
    USAGE = 2,              ///< bad flags or arguments
    INVALID_INPUT = 3,      ///< a missing or invalid request file
    API_ERROR = 4,          ///< the API answered with an error status (401, 404, ...)
    UNREACHABLE = 5,        ///< no answer: connection refused, reset, or timed out
    FAILURE = 6             ///< anything else (a file that cannot be written, ...)
};

struct Environment
{
    std::function<std::optional<std::string>(const std::string&)> variable; ///< getenv
    bool stdoutIsTerminal = false;
    std::istream* input = nullptr; ///< standard input (`webhook verify` reads a body from it)
};

int runCli(const std::vector<std::string>& words, std::ostream& out, std::ostream& err, const Environment& environment);

} // namespace openai_batch::cli
