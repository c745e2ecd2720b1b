#include "Cli.h"
#include "TerminalText.h"

#include "api/BatchApi.h"
#include "api/FilesApi.h"
#include "workflow/BatchRunner.h"
#include "workflow/BatchWaiter.h"
#include "workflow/Job.h"
#include "workflow/Pagination.h"
#include "workflow/RequestFileWriter.h"
#include "workflow/WebhookVerifier.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <istream>
#include <map>
#include <ostream>
#include <sstream>

namespace openai_batch::cli {

namespace {

namespace api = org::openapitools::client::api;
namespace model = org::openapitools::client::model;
using namespace openai_batch::workflow;

const char* const OVERVIEW = R"(usage: openai-batch [--base-url URL] [--json] COMMAND [ARGS]

Runs OpenAI batch jobs. Reads OPENAI_API_KEY, and OPENAI_BASE_URL unless --base-url is given.

commands:
  submit FILE --endpoint URL [--wait] [--new] [--metadata K=V]... [--output-expires-after SECONDS] [-o DIR]
                  check, upload and create a batch (exactly once; the same job again finds it instead);
                  with --wait, also wait and fetch results
  status ID       show a batch
  wait ID         wait for a batch to end, showing progress
  list [--limit N]
                  list batches, newest first (default 20)
  cancel ID       cancel a batch
  results ID [-o DIR]
                  download a finished batch's output and error files and summarise them
  run FILE... --endpoint URL --job-dir DIR [--max-batches N] [--max-enqueued-tokens N] [--max-attempts N]
      [--shard-requests N] [--shard-bytes N] [--metadata K=V]...
                  a job of any size: split into batches within the API's limits, submitted a few at a
                  time, retried where worth it; re-runnable after any interruption
  job status DIR [--prices FILE]
                  a job's counts, batches and tokens (and cost, with a price file)
  job results DIR [--order stored]
                  one line per request: its final outcome, in request-file order
  webhook verify [--header 'NAME: VALUE']... [--body FILE]
                  check a webhook delivery's signature (OPENAI_WEBHOOK_SECRET) and print its event
  COMMAND --help  the command's own help

options:
  --base-url URL  the API to talk to (default: OPENAI_BASE_URL, else https://api.openai.com/v1)
  --json          print machine-readable JSON instead of text

exit codes:
  0  success
  1  the batch ended failed, expired or cancelled (run: a request failed or is missing)
  2  bad flags or arguments, or no API key
  3  a missing or invalid request file (the message gives the line), or a refused webhook
  4  the API answered with an error (401, 404, ...)
  5  the server could not be reached (refused, reset, timed out)
  6  anything else (a file that cannot be written, ...)
)";

const std::map<std::string, std::string> COMMAND_HELP = {
    {"submit",
     R"(usage: openai-batch submit FILE --endpoint URL [--wait] [--new] [--metadata K=V]... [--output-expires-after SECONDS] [-o DIR]

Checks FILE and the options as the Batch API would (a problem in the file is reported with its line
number; nothing is uploaded if there is one), uploads it, creates the batch exactly once, and prints
its id. Submitting the same job again (the same file content, endpoint, metadata and expiry) finds the
batch the earlier submit created, and prints and waits on that one instead of creating another.
  --endpoint URL     the endpoint every line calls, e.g. /v1/chat/completions (required)
  --metadata K=V     a metadata pair for the batch (repeatable, at most 15)
  --output-expires-after SECONDS
                     the output and error files expire this long after they are made (3600 to
                     2592000; default: the API's 30 days)
  --new              create a new batch even when an earlier submit of the same job made one
  --wait             wait for the batch to end, download its results to DIR and summarise them; the
                     id is printed first (on standard error with --json), so an interrupted wait can be
                     picked up with `openai-batch wait ID` or by submitting again
  -o, --output DIR   where --wait puts the output and error files (default: .; created if missing)
)"},
    {"status",
     "usage: openai-batch status ID\n\nShows the batch: status, model, request counts, token usage, timestamps and "
     "files.\n"},
    {"wait",
     "usage: openai-batch wait ID\n\nPolls the batch until it ends (1 s, backing off to 60 s), showing progress: a bar "
     "on a\n"
     "terminal, a line per change otherwise. A poll that fails for a passing reason (5xx, 429, a reset, a\n"
     "timeout) is polled through. Exits 1 if the batch ends failed, expired or cancelled.\n"},
    {"list",
     "usage: openai-batch list [--limit N]\n\nLists batches, newest first: N of them (default 20), across pages.\n"},
    {"cancel",
     "usage: openai-batch cancel ID\n\nAsks the API to cancel the batch; it moves to cancelling, then cancelled.\n"},
    {"results",
     "usage: openai-batch results ID [-o DIR]\n\nDownloads the finished batch's output and error files to DIR "
     "(default: .;\ncreated if missing) "
     "and prints how many requests succeeded, failed, or never ran, the tokens the batch says it used, and\n"
     "the tokens per model its output file's responses say they used.\n"},
    {"run", R"(usage: openai-batch run FILE... --endpoint URL --job-dir DIR [options]

Runs one job over as many batches as it needs. The requests of every FILE (custom_ids unique across
all of them; every problem is reported with its file and line, and nothing is uploaded if there is
one) are split into shards within the API's limits, uploaded and submitted a few at a time, waited on,
downloaded into DIR and matched. Requests that failed in a way worth retrying (a 5xx or 429 answer,
batch_expired, no result from an expired or cancelled batch) run again in new shards, up to
--max-attempts. A batch refused with token_limit_exceeded waits and goes again.

Everything is kept in DIR: run the same command again after any interruption (even kill -9) and the job
carries on, uploading nothing twice and creating no second batch for a shard. Without FILE, the job in
DIR carries on as it was planned. One run at a time per DIR.
  --endpoint URL          the endpoint every line calls (required with FILE)
  --job-dir DIR           the job's directory (required; created if missing)
  --max-batches N         batches in flight at once (default 10)
  --max-enqueued-tokens N the enqueued-token budget per model: submit only while the estimated tokens of
                          this job's batches in flight stay within it (see workflow/README.md, "Jobs")
  --max-attempts N        runs of a request at most (default 3, at most 255)
  --shard-requests N      requests per batch at most (default and maximum 50000)
  --shard-bytes N         bytes per batch input file at most (default and maximum 209715200)
  --metadata K=V          a metadata pair for every batch (repeatable, at most 15)
  --poll-ms MS            the first wait between polls (default 1000; backs off to 60 s while nothing changes)
  --token-limit-wait-ms MS
                          how long a token-limited shard waits before it goes again (default 60000)
Progress is one line for the whole job (a redrawn line on a terminal); with --json, progress goes to
standard error as JSON lines and the summary to standard output. Exits 0 when every request succeeded,
1 when some failed or are missing (see `job results`).
)"},
    {"job", R"(usage: openai-batch job status DIR [--prices FILE]
       openai-batch job results DIR [--order stored]

status: the job's counts (succeeded, failed, missing, pending), every batch with its shard and attempt,
the time, and the tokens per model; with a price file ({"MODEL": {"input": USD, "output": USD}} per
million tokens), the estimated cost. Nothing is built in: prices change.
results: one line per request: custom_id, outcome, attempt, status or error code, message (with --json,
one JSON object per line), in request-file order; --order stored reads the result files front to back
instead (faster on a large job), then lists the requests without a result.
Neither needs an API key or the network.
)"},
    {"webhook", R"(usage: openai-batch webhook verify [--header 'NAME: VALUE']... [--body FILE]

Checks a webhook delivery as OpenAI signs it (Standard Webhooks): the webhook-id, webhook-timestamp
and webhook-signature headers, a timestamp within 5 minutes, and an HMAC-SHA256 signature with the
secret in OPENAI_WEBHOOK_SECRET. Prints the event, or why it was refused (exit 3).
  --header 'NAME: VALUE'  a header of the delivery (repeatable)
  --body FILE             the raw body (default: standard input)
)"},
};

/// A failure with its exit code and one-line reason.
struct CliError
{
    ExitCode code;
    std::string message;
};

struct Arguments
{
    std::string command;
    std::vector<std::string> positional;
    std::multimap<std::string, std::string> flags; ///< --flag value (or "" for switches)
    bool help = false;
    bool json = false;
    std::string baseUrl;
};

const std::map<std::string, std::vector<std::string>> VALUE_FLAGS = {
    {"submit", {"--endpoint", "--metadata", "--output", "--output-expires-after"}},
    {"webhook", {"--header", "--body"}},
    {"run",
     {"--endpoint", "--job-dir", "--max-batches", "--max-enqueued-tokens", "--max-attempts", "--shard-requests",
      "--shard-bytes", "--metadata", "--poll-ms", "--token-limit-wait-ms"}},
    {"job", {"--prices", "--order"}},
    {"list", {"--limit"}},
    {"results", {"--output"}},
    {"status", {}},
    {"wait", {}},
    {"cancel", {}}};
const std::map<std::string, std::vector<std::string>> SWITCHES = {{"submit", {"--wait", "--new"}}};

Arguments parse(const std::vector<std::string>& raw)
{
    Arguments arguments;
    for (size_t i = 0; i < raw.size(); ++i)
    {
        std::string word = raw[i] == "-o" ? "--output" : raw[i];
        if (word == "--help" || word == "-h")
        {
            arguments.help = true;
        }
        else if (word == "--json")
        {
            arguments.json = true;
        }
        else if (word == "--base-url")
        {
            if (++i >= raw.size())
            {
                throw CliError{USAGE, "--base-url needs a URL"};
            }
            arguments.baseUrl = raw[i];
        }
        else if (word.rfind('-', 0) == 0)
        {
            if (arguments.command.empty())
            {
                throw CliError{USAGE, "unknown option " + word + " (see openai-batch --help)"};
            }
            const auto& values = VALUE_FLAGS.at(arguments.command);
            const auto switches =
                SWITCHES.count(arguments.command) ? SWITCHES.at(arguments.command) : std::vector<std::string>();
            if (std::find(values.begin(), values.end(), word) != values.end())
            {
                if (++i >= raw.size())
                {
                    throw CliError{USAGE, word + " needs a value"};
                }
                arguments.flags.emplace(word, raw[i]);
            }
            else if (std::find(switches.begin(), switches.end(), word) != switches.end())
            {
                arguments.flags.emplace(word, "");
            }
            else
            {
                throw CliError{USAGE,
                               "unknown option " + word + " for " + arguments.command + " (see openai-batch "
                                   + arguments.command + " --help)"};
            }
        }
        else if (arguments.command.empty())
        {
            if (!VALUE_FLAGS.count(word))
            {
                throw CliError{USAGE, "unknown command '" + word + "' (see openai-batch --help)"};
            }
            arguments.command = word;
        }
        else
        {
            arguments.positional.push_back(word);
        }
    }
    return arguments;
}

std::string flag(const Arguments& arguments, const std::string& name, const std::string& fallback = "")
{
    const auto found = arguments.flags.find(name);
    return found == arguments.flags.end() ? fallback : found->second;
}

void expectPositional(const Arguments& arguments, size_t count, const char* what)
{
    if (arguments.positional.size() != count)
    {
        throw CliError{USAGE,
                       arguments.command + " takes " + what + " (see openai-batch " + arguments.command + " --help)"};
    }
}

/// A value from the server, as it may be printed: control characters escaped (forTerminal).
std::string text(const utility::string_t& value)
{
    return forTerminal(utility::conversions::to_utf8string(value));
}

/// A JSON value as it may be printed.
std::string jsonText(const web::json::value& value)
{
    return jsonForTerminal(utility::conversions::to_utf8string(value.serialize()));
}

/// "1500 input (1024 cached), 500 output (300 reasoning), 2000 total"
/// "N input (C cached), M output (R reasoning), T total"; a detail the API did not give is left out.
std::string tokens(int64_t input, std::optional<int64_t> cached, int64_t output, std::optional<int64_t> reasoning,
                   int64_t total)
{
    std::ostringstream out;
    out << input << " input";
    if (cached)
    {
        out << " (" << *cached << " cached)";
    }
    out << ", " << output << " output";
    if (reasoning)
    {
        out << " (" << *reasoning << " reasoning)";
    }
    out << ", " << total << " total";
    return out.str();
}

std::string tokens(const model::BatchUsage& usage)
{
    const auto& input = usage.getInputTokensDetails();
    const auto& output = usage.getOutputTokensDetails();
    return tokens(usage.getInputTokens(), input ? std::optional<int64_t>(input->getCachedTokens()) : std::nullopt,
                  usage.getOutputTokens(), output ? std::optional<int64_t>(output->getReasoningTokens()) : std::nullopt,
                  usage.getTotalTokens());
}

std::string tokens(const TokenUsage& usage)
{
    return tokens(usage.input, usage.cached, usage.output, usage.reasoning, usage.total);
}

std::string describe(const model::Batch& batch)
{
    std::ostringstream out;
    out << text(batch.getId()) << ": " << text(batch.getStatusString()) << " (" << text(batch.getEndpoint()) << ")\n";
    if (batch.modelIsSet())
    {
        out << "  model: " << text(batch.getModel()) << "\n";
    }
    if (const auto& counts = batch.getRequestCounts())
    {
        out << "  requests: " << counts->getCompleted() << " completed, " << counts->getFailed() << " failed, "
            << counts->getTotal() << " total\n";
    }
    if (const auto& usage = batch.getUsage())
    {
        out << "  tokens: " << tokens(*usage) << "\n";
    }
    out << "  created_at: " << batch.getCreatedAt() << "\n";
    if (batch.outputFileIdIsSet())
    {
        out << "  output file: " << text(batch.getOutputFileId()) << "\n";
    }
    if (batch.errorFileIdIsSet())
    {
        out << "  error file: " << text(batch.getErrorFileId()) << "\n";
    }
    if (const auto& errors = batch.getErrors())
    {
        for (const auto& error : errors->getData())
        {
            out << "  error" << (error->lineIsSet() ? " on line " + std::to_string(error->getLine()) : std::string())
                << ": " << text(error->getCode()) << ": " << text(error->getMessage()) << "\n";
        }
    }
    return out.str();
}

/// Progress while waiting: a redrawn bar on a terminal, one line per change otherwise.
class Progress
{
public:
    Progress(std::ostream& out, bool terminal, bool quiet)
        : m_Out(out)
        , m_Terminal(terminal)
        , m_Quiet(quiet)
        , m_Started(std::chrono::steady_clock::now())
    {
    }

    void show(const model::Batch& batch)
    {
        if (m_Quiet)
        {
            return;
        }
        const auto& counts = batch.getRequestCounts();
        const int64_t total = counts ? counts->getTotal() : 0;
        const int64_t done = counts ? counts->getCompleted() + counts->getFailed() : 0;
        const auto elapsed =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - m_Started).count();
        std::ostringstream line;
        line << text(batch.getStatusString()) << " " << done << "/" << total << " ("
             << (counts ? counts->getFailed() : 0) << " failed) " << elapsed / 60 << "m" << std::setw(2)
             << std::setfill('0') << elapsed % 60 << "s";
        if (m_Terminal)
        {
            const int width = 30;
            const int filled = total > 0 ? static_cast<int>(width * done / total) : 0;
            m_Out << "\r[" << std::string(static_cast<size_t>(filled), '#')
                  << std::string(static_cast<size_t>(width - filled), '.') << "] " << line.str() << "\x1b[K"
                  << std::flush;
        }
        else
        {
            m_Out << line.str() << std::endl;
        }
    }

    void finish()
    {
        if (m_Terminal && !m_Quiet)
        {
            m_Out << std::endl;
        }
    }

private:
    std::ostream& m_Out;
    bool m_Terminal;
    bool m_Quiet;
    std::chrono::steady_clock::time_point m_Started;
};

web::json::value summaryJson(const BatchRun& run)
{
    web::json::value summary = web::json::value::object(true);
    summary[_XPLATSTR("batch_id")] = web::json::value::string(run.batch->getId());
    summary[_XPLATSTR("status")] = web::json::value::string(run.batch->getStatusString());
    summary[_XPLATSTR("succeeded")] = web::json::value::number(static_cast<uint64_t>(run.succeeded.size()));
    summary[_XPLATSTR("failed")] = web::json::value::number(static_cast<uint64_t>(run.failed.size()));
    summary[_XPLATSTR("missing")] = web::json::value::number(static_cast<uint64_t>(run.missing.size()));
    summary[_XPLATSTR("output_file")] = web::json::value::string(run.outputFile);
    summary[_XPLATSTR("error_file")] = web::json::value::string(run.errorFile);
    if (run.batch->modelIsSet())
    {
        summary[_XPLATSTR("model")] = web::json::value::string(run.batch->getModel());
    }
    if (const auto& usage = run.batch->getUsage())
    {
        summary[_XPLATSTR("usage")] = usage->toJson();
    }
    web::json::value byModel = web::json::value::object(true);
    for (const auto& [model, tokens] : run.tokensByModel)
    {
        web::json::value counts = web::json::value::object(true);
        counts[_XPLATSTR("input_tokens")] = web::json::value::number(tokens.input);
        counts[_XPLATSTR("output_tokens")] = web::json::value::number(tokens.output);
        counts[_XPLATSTR("total_tokens")] = web::json::value::number(tokens.total);
        counts[_XPLATSTR("cached_tokens")] = web::json::value::number(tokens.cached);
        counts[_XPLATSTR("reasoning_tokens")] = web::json::value::number(tokens.reasoning);
        byModel[utility::conversions::to_string_t(model)] = counts;
    }
    summary[_XPLATSTR("tokens_by_model")] = byModel;
    return summary;
}

int report(const BatchRun& run, const Arguments& arguments, std::ostream& out)
{
    if (arguments.json)
    {
        out << jsonText(summaryJson(run)) << std::endl;
    }
    else
    {
        out << text(run.batch->getId()) << " " << text(run.batch->getStatusString()) << ": " << run.succeeded.size()
            << " succeeded, " << run.failed.size() << " failed, " << run.missing.size() << " missing";
        if (!run.outputFile.empty())
        {
            out << " (output: " << forTerminal(run.outputFile) << ")";
        }
        out << std::endl;
        if (const auto& usage = run.batch->getUsage())
        {
            out << "tokens" << (run.batch->modelIsSet() ? " (" + text(run.batch->getModel()) + ")" : std::string())
                << ": " << tokens(*usage) << std::endl;
        }
        for (const auto& [model, counts] : run.tokensByModel)
        {
            out << "tokens by the output file, " << forTerminal(model) << ": " << tokens(counts) << std::endl;
        }
    }
    return run.batch->getStatus() == model::Batch::StatusEnum::COMPLETED ? OK : BATCH_UNSUCCESSFUL;
}

/// `webhook verify`: checks one delivery with the secret in OPENAI_WEBHOOK_SECRET. Needs no API key.
int verifyWebhook(const Arguments& arguments, std::ostream& out, const Environment& environment)
{
    if (arguments.positional != std::vector<std::string>{"verify"})
    {
        throw CliError{USAGE, "webhook takes one subcommand, verify (see openai-batch webhook --help)"};
    }
    const auto secret = environment.variable("OPENAI_WEBHOOK_SECRET");
    if (!secret)
    {
        throw CliError{USAGE, "no webhook secret: set OPENAI_WEBHOOK_SECRET"};
    }
    std::map<std::string, std::string> headers;
    for (auto [it, end] = arguments.flags.equal_range("--header"); it != end; ++it)
    {
        const size_t colon = it->second.find(':');
        if (colon == std::string::npos || colon == 0)
        {
            throw CliError{USAGE, "--header takes 'NAME: VALUE', not '" + it->second + "'"};
        }
        const std::string name = it->second.substr(0, colon);
        if (!headers.emplace(name, it->second.substr(colon + 1)).second)
        {
            throw CliError{INVALID_INPUT, "webhook refused: the " + name + " header is given twice"};
        }
    }
    std::ostringstream body;
    const std::string path = flag(arguments, "--body", "-");
    if (path == "-")
    {
        if (!environment.input)
        {
            throw CliError{USAGE, "no body: give --body FILE"};
        }
        body << environment.input->rdbuf();
    }
    else
    {
        std::ifstream file(path, std::ios::binary);
        if (!file)
        {
            throw CliError{INVALID_INPUT, "cannot read the body file '" + path + "'"};
        }
        body << file.rdbuf();
    }
    std::optional<WebhookVerifier> verifier;
    try
    {
        verifier.emplace(*secret);
    }
    catch (const std::invalid_argument& error)
    {
        throw CliError{USAGE, std::string("OPENAI_WEBHOOK_SECRET: ") + error.what()};
    }
    WebhookEvent event;
    try
    {
        event = verifier->verify(headers, body.str());
    }
    catch (const WebhookVerificationError& refused)
    {
        throw CliError{INVALID_INPUT, refused.what()};
    }
    if (arguments.json)
    {
        out << jsonText(event.json) << std::endl;
        return OK;
    }
    out << "verified " << text(event.type.empty() ? _XPLATSTR("event") : event.type) << " " << text(event.webhookId);
    if (!event.batchId().empty())
    {
        out << ": batch " << text(event.batchId());
    }
    out << std::endl;
    return OK;
}

/// The --metadata KEY=VALUE pairs.
std::map<utility::string_t, utility::string_t> metadataPairs(const Arguments& arguments)
{
    std::map<utility::string_t, utility::string_t> pairs;
    for (auto [it, end] = arguments.flags.equal_range("--metadata"); it != end; ++it)
    {
        const size_t equals = it->second.find('=');
        if (equals == std::string::npos || equals == 0)
        {
            throw CliError{USAGE, "--metadata takes KEY=VALUE, not '" + it->second + "'"};
        }
        pairs[utility::conversions::to_string_t(it->second.substr(0, equals))] =
            utility::conversions::to_string_t(it->second.substr(equals + 1));
    }
    return pairs;
}

/// A flag's positive integer value; fallback when it is absent.
uint64_t positive(const Arguments& arguments, const std::string& name, uint64_t fallback)
{
    if (!arguments.flags.count(name))
    {
        return fallback;
    }
    const std::string value = flag(arguments, name);
    if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos
        || std::stoull(value) == 0)
    {
        throw CliError{USAGE, name + " takes a positive integer, not '" + value + "'"};
    }
    return std::stoull(value);
}

/// The job's progress: one redrawn line on a terminal, a line per change otherwise, JSON lines with --json.
std::function<void(const JobProgress&)> jobProgress(std::ostream& out, std::ostream& err, bool terminal, bool json)
{
    return [&out, &err, terminal, json](const JobProgress& progress) {
        if (json)
        {
            err << jsonText(progress.toJson()) << std::endl;
        }
        else if (terminal)
        {
            out << "\r" << progress.line() << "\x1b[K" << std::flush;
        }
        else
        {
            out << progress.line() << std::endl;
        }
    };
}

std::string printableSummary(const JobSummary& summary)
{
    std::ostringstream out;
    out << "job " << summary.jobId.substr(0, 16) << (summary.finished ? " finished" : " not finished") << ": "
        << summary.succeeded << " succeeded, " << summary.failed << " failed, " << summary.missing << " missing";
    if (summary.pending > 0)
    {
        out << ", " << summary.pending << " pending";
    }
    out << " of " << summary.requests << " requests, in " << summary.batches.size() << " batches\n";
    for (const auto& [model, usage] : summary.usage)
    {
        out << "tokens (" << forTerminal(model.empty() ? "no model" : model) << "): " << usage.inputTokens << " input, "
            << usage.outputTokens << " output, " << usage.totalTokens << " total";
        if (usage.estimatedCost)
        {
            out << ", about $" << std::fixed << std::setprecision(4) << *usage.estimatedCost;
        }
        out << "\n";
    }
    if (summary.estimatedCost)
    {
        out << "estimated cost: $" << std::fixed << std::setprecision(4) << *summary.estimatedCost << "\n";
    }
    return out.str();
}

int printSummary(const JobSummary& summary, const Arguments& arguments, std::ostream& out)
{
    out << (arguments.json ? jsonText(summary.toJson()) + "\n" : printableSummary(summary)) << std::flush;
    return summary.finished && summary.failed == 0 && summary.missing == 0 ? OK : BATCH_UNSUCCESSFUL;
}

web::json::value resultJson(const JobResult& result)
{
    web::json::value json = web::json::value::object(true);
    json[_XPLATSTR("custom_id")] = web::json::value::string(result.customId);
    json[_XPLATSTR("outcome")] = web::json::value::string(outcomeName(result.outcome));
    json[_XPLATSTR("attempt")] = web::json::value::number(result.attempt);
    json[_XPLATSTR("status_code")] =
        result.statusCode ? web::json::value::number(*result.statusCode) : web::json::value::null();
    json[_XPLATSTR("code")] = web::json::value::string(result.code);
    json[_XPLATSTR("message")] = web::json::value::string(result.message);
    json[_XPLATSTR("batch_id")] = web::json::value::string(result.batchId);
    json[_XPLATSTR("file")] = web::json::value::string(result.requestFile);
    json[_XPLATSTR("line")] = web::json::value::number(static_cast<uint64_t>(result.lineNumber));
    return json;
}

/// `job status DIR` and `job results DIR`: read the job directory only, no API key needed.
int jobCommand(const Arguments& arguments, std::ostream& out)
{
    if (arguments.positional.size() != 2
        || (arguments.positional[0] != "status" && arguments.positional[0] != "results"))
    {
        throw CliError{USAGE, "job takes status DIR or results DIR (see openai-batch job --help)"};
    }
    const std::string& directory = arguments.positional[1];
    if (arguments.positional[0] == "status")
    {
        std::optional<PriceTable> prices;
        if (arguments.flags.count("--prices"))
        {
            prices = PriceTable::load(flag(arguments, "--prices"));
        }
        return printSummary(readJobSummary(directory, prices ? &*prices : nullptr), arguments, out);
    }
    const std::string order = flag(arguments, "--order", "files");
    if (order != "files" && order != "stored")
    {
        throw CliError{USAGE, "--order takes files or stored, not '" + order + "'"};
    }
    JobResults results(directory, order == "stored" ? JobResults::Order::AsStored : JobResults::Order::RequestFiles);
    JobResult result;
    while (results.next(result))
    {
        if (arguments.json)
        {
            out << jsonText(resultJson(result)) << "\n";
            continue;
        }
        out << forTerminal(result.customId) << "\t" << outcomeName(result.outcome) << "\t" << result.attempt << "\t"
            << (result.statusCode ? std::to_string(*result.statusCode) : forTerminal(result.code)) << "\t"
            << forTerminal(result.message) << "\n";
    }
    out << std::flush;
    return OK;
}

class Commands
{
public:
    Commands(const Arguments& arguments, std::ostream& out, std::ostream& err, const Environment& environment,
             std::shared_ptr<api::ApiClient> client)
        : m_Arguments(arguments)
        , m_Out(out)
        , m_Err(err)
        , m_Environment(environment)
        , m_Client(std::move(client))
    {
    }

    int run()
    {
        const std::string& command = m_Arguments.command;
        if (command == "submit")
        {
            return submit();
        }
        if (command == "status")
        {
            expectPositional(m_Arguments, 1, "one batch ID");
            return printBatch(*api::BatchApi(m_Client).retrieveBatch(id()).get());
        }
        if (command == "cancel")
        {
            expectPositional(m_Arguments, 1, "one batch ID");
            return printBatch(*api::BatchApi(m_Client).cancelBatch(id()).get());
        }
        if (command == "wait")
        {
            expectPositional(m_Arguments, 1, "one batch ID");
            const auto batch = wait(id());
            printBatch(*batch);
            return batch->getStatus() == model::Batch::StatusEnum::COMPLETED ? OK : BATCH_UNSUCCESSFUL;
        }
        if (command == "list")
        {
            return list();
        }
        if (command == "run")
        {
            return runJob();
        }
        expectPositional(m_Arguments, 1, "one batch ID");
        return results();
    }

private:
    utility::string_t id() const { return utility::conversions::to_string_t(m_Arguments.positional.at(0)); }

    int printBatch(const model::Batch& batch)
    {
        m_Out << (m_Arguments.json ? jsonText(batch.toJson()) + "\n" : describe(batch)) << std::flush;
        return OK;
    }

    WaitOptions waitOptions(Progress& progress) const
    {
        WaitOptions options;
        options.onProgress = [&progress](const model::Batch& batch) { progress.show(batch); };
        return options;
    }

    std::shared_ptr<model::Batch> wait(const utility::string_t& batchId)
    {
        Progress progress(m_Out, m_Environment.stdoutIsTerminal, m_Arguments.json);
        auto batch = waitForBatch(api::BatchApi(m_Client), batchId, waitOptions(progress)).get();
        progress.finish();
        return batch;
    }

    int list()
    {
        expectPositional(m_Arguments, 0, "no arguments");
        const std::string limitText = flag(m_Arguments, "--limit", "20");
        if (limitText.empty() || limitText.size() > 9 || limitText.find_first_not_of("0123456789") != std::string::npos
            || std::stol(limitText) < 1)
        {
            throw CliError{USAGE, "--limit must be a positive integer, not '" + limitText + "'"};
        }
        const size_t limit = std::stoul(limitText);
        const auto batches =
            collectAll(batchPages(api::BatchApi(m_Client), static_cast<int64_t>(std::min<size_t>(limit, 100)), limit))
                .get();
        if (m_Arguments.json)
        {
            std::vector<web::json::value> data;
            data.reserve(batches.size());
            for (const auto& batch : batches)
            {
                data.push_back(batch->toJson());
            }
            m_Out << jsonText(web::json::value::array(data)) << std::endl;
            return OK;
        }
        for (const auto& batch : batches)
        {
            const auto& counts = batch->getRequestCounts();
            m_Out << text(batch->getId()) << "  " << std::left << std::setw(11) << text(batch->getStatusString())
                  << "  " << text(batch->getEndpoint()) << "  " << (counts ? counts->getCompleted() : 0) << "/"
                  << (counts ? counts->getTotal() : 0) << "\n";
        }
        m_Out << std::flush;
        return OK;
    }

    /// -o DIR (default .), created with its parents when it does not exist.
    std::string outputDirectory() const
    {
        std::string directory = flag(m_Arguments, "--output", ".");
        std::error_code error;
        std::filesystem::create_directories(directory, error);
        if (error || !std::filesystem::is_directory(directory))
        {
            throw CliError{FAILURE,
                           "cannot create the output directory '" + directory
                               + "': " + (error ? error.message() : "a file of that name is in the way")};
        }
        return directory;
    }

    /// The job submit's flags describe; refuses a flag the API would refuse (USAGE), before any upload.
    RunOptions runOptions() const
    {
        RunOptions options;
        options.requestFile = m_Arguments.positional[0];
        options.endpoint = flag(m_Arguments, "--endpoint");
        if (options.endpoint.empty())
        {
            throw CliError{USAGE, "submit needs --endpoint (e.g. --endpoint /v1/chat/completions)"};
        }
        options.metadata = metadataPairs(m_Arguments);
        const std::string expiry = flag(m_Arguments, "--output-expires-after");
        if (m_Arguments.flags.count("--output-expires-after"))
        {
            if (expiry.empty() || expiry.size() > 18 || expiry.find_first_not_of("0123456789") != std::string::npos)
            {
                throw CliError{USAGE, "--output-expires-after takes a number of seconds, not '" + expiry + "'"};
            }
            options.outputExpiresAfter = std::make_shared<model::BatchFileExpirationAfter>();
            options.outputExpiresAfter->setAnchor(model::BatchFileExpirationAfter::AnchorEnum::CREATED_AT);
            options.outputExpiresAfter->setSeconds(std::stoll(expiry));
        }
        try
        {
            BatchRunner::checkOptions(options); // the spec's limits: metadata, expiry
        }
        catch (const std::invalid_argument& invalid)
        {
            throw CliError{USAGE, invalid.what()};
        }
        return options;
    }

    /// Every check runs before the upload (BatchRunner::submit checks the file: its lines, and that it has
    /// some), so a refused submit leaves nothing on the server.
    int submit()
    {
        expectPositional(m_Arguments, 1, "one request FILE");
        RunOptions options = runOptions();
        if (!std::filesystem::is_regular_file(options.requestFile))
        {
            throw CliError{INVALID_INPUT, "cannot read the request file '" + options.requestFile + "'"};
        }
        const bool waiting = m_Arguments.flags.count("--wait") > 0;
        if (waiting)
        {
            options.outputDirectory = outputDirectory();
        }
        // The same job gets the same tag, so running this again after an interruption finds the batch
        // instead of uploading and creating a second one; --new still tags it, so a later rerun finds the
        // newest.
        options.runTag = BatchRunner::jobTag(options);
        options.resumeTagged = m_Arguments.flags.count("--new") == 0;
        const BatchRunner runner(m_Client);
        const Submission submission = runner.submit(options).get();
        if (!waiting)
        {
            return m_Arguments.json ? printBatch(*submission.batch) : (announce(submission, m_Out), OK);
        }
        // The id before the first wait, flushed: a wait interrupted by Ctrl-C leaves it on the screen.
        // With --json, standard output stays one JSON document.
        announce(submission, m_Arguments.json ? m_Err : m_Out);
        Progress progress(m_Out, m_Environment.stdoutIsTerminal, m_Arguments.json);
        options.wait = waitOptions(progress);
        const BatchRun run = runner.finish(submission, options).get();
        progress.finish();
        return report(run, m_Arguments, m_Out);
    }

    JobOptions jobOptions() const
    {
        JobOptions options;
        options.requestFiles = m_Arguments.positional;
        options.endpoint = flag(m_Arguments, "--endpoint");
        options.jobDirectory = flag(m_Arguments, "--job-dir");
        if (options.jobDirectory.empty())
        {
            throw CliError{USAGE, "run needs --job-dir DIR, where the job is kept"};
        }
        if (!options.requestFiles.empty() && options.endpoint.empty())
        {
            throw CliError{USAGE, "run needs --endpoint (e.g. --endpoint /v1/chat/completions)"};
        }
        options.metadata = metadataPairs(m_Arguments);
        options.maxBatches = positive(m_Arguments, "--max-batches", options.maxBatches);
        if (m_Arguments.flags.count("--max-enqueued-tokens"))
        {
            options.maxEnqueuedTokens = positive(m_Arguments, "--max-enqueued-tokens", 0);
        }
        const uint64_t attempts = positive(m_Arguments, "--max-attempts", 3);
        if (attempts > 255)
        {
            throw CliError{USAGE, "--max-attempts takes 1 to 255, not " + std::to_string(attempts)};
        }
        options.maxAttempts = static_cast<int>(attempts);
        options.shardLimits.maxRequests = positive(m_Arguments, "--shard-requests", options.shardLimits.maxRequests);
        options.shardLimits.maxBytes = positive(m_Arguments, "--shard-bytes", options.shardLimits.maxBytes);
        const RequestFileLimits api;
        if (options.shardLimits.maxRequests > api.maxRequests || options.shardLimits.maxBytes > api.maxBytes)
        {
            throw CliError{USAGE,
                           "--shard-requests takes at most " + std::to_string(api.maxRequests)
                               + " and --shard-bytes at most " + std::to_string(api.maxBytes) + " (the API's limits)"};
        }
        options.polling.firstInterval = std::chrono::milliseconds(positive(m_Arguments, "--poll-ms", 1000));
        options.polling.maxInterval = std::max(options.polling.firstInterval, std::chrono::milliseconds(60000));
        options.tokenLimitBackoff = std::chrono::milliseconds(positive(m_Arguments, "--token-limit-wait-ms", 60000));
        return options;
    }

    /// `run`: the whole job, to its end; a JobError (a request the API would refuse, another job's
    /// directory, a vanished file) is INVALID_INPUT.
    int runJob()
    {
        JobOptions options = jobOptions();
        options.onProgress = jobProgress(m_Out, m_Err, m_Environment.stdoutIsTerminal, m_Arguments.json);
        try
        {
            const JobSummary summary = JobRunner(m_Client, options).run();
            if (m_Environment.stdoutIsTerminal && !m_Arguments.json)
            {
                m_Out << "\n";
            }
            return printSummary(summary, m_Arguments, m_Out);
        }
        catch (const JobError& refused)
        {
            throw CliError{INVALID_INPUT, refused.what()};
        }
    }

    /// "<id> submitted: N requests, validating", or the batch an earlier submit of the same job made.
    void announce(const Submission& submission, std::ostream& to) const
    {
        const model::Batch& batch = *submission.batch;
        to << (&to == &m_Err ? "openai-batch: " : "") << text(batch.getId());
        if (submission.resumed)
        {
            to << " found: submitted earlier with the same file and options, now " << text(batch.getStatusString())
               << " (--new creates another)" << std::endl;
        }
        else
        {
            to << " submitted: " << submission.requestIds.size() << " requests, " << text(batch.getStatusString())
               << std::endl;
        }
    }

    int results()
    {
        const std::string directory = outputDirectory();
        const api::FilesApi files(m_Client);
        const auto batch = api::BatchApi(m_Client).retrieveBatch(id()).get();
        if (!isTerminal(*batch))
        {
            throw CliError{
                FAILURE, text(batch->getId()) + " is still " + text(batch->getStatusString()) + ": wait for it first"};
        }
        // Named by the id the server sent, which resultFilePath refuses unless it is a plain file name.
        const std::string input = resultFilePath(directory, batch->getId(), "_input.jsonl");
        const std::string output =
            batch->outputFileIdIsSet() ? resultFilePath(directory, batch->getId(), "_output.jsonl") : "";
        const std::string errors =
            batch->errorFileIdIsSet() ? resultFilePath(directory, batch->getId(), "_error.jsonl") : "";
        files.downloadFileTo(batch->getInputFileId(), input).get();
        if (!output.empty())
        {
            files.downloadFileTo(batch->getOutputFileId(), output).get();
        }
        if (!errors.empty())
        {
            files.downloadFileTo(batch->getErrorFileId(), errors).get();
        }
        const RequestFileCheck requests =
            checkRequestFile(input, utility::conversions::to_utf8string(batch->getEndpoint()));
        BatchRun run = matchResults(requests.customIds, output, errors);
        run.batch = batch;
        return report(run, m_Arguments, m_Out);
    }

    const Arguments& m_Arguments;
    std::ostream& m_Out;
    std::ostream& m_Err;
    const Environment& m_Environment;
    std::shared_ptr<api::ApiClient> m_Client;
};

} // namespace

namespace {

/// The command with its streams already filtered; returns the exit code.
int runFiltered(const std::vector<std::string>& words, std::ostream& out, std::ostream& err,
                const Environment& environment, const std::optional<std::string>& key)
{
    std::string baseUrl;
    try
    {
        const Arguments arguments = parse(words);
        if (arguments.command.empty())
        {
            (arguments.help ? out : err) << OVERVIEW;
            return arguments.help ? OK : USAGE;
        }
        if (arguments.help)
        {
            out << COMMAND_HELP.at(arguments.command);
            return OK;
        }
        if (arguments.command == "webhook")
        {
            return verifyWebhook(arguments, out, environment);
        }
        if (arguments.command == "job")
        {
            try
            {
                return jobCommand(arguments, out);
            }
            catch (const JobError& error)
            {
                throw CliError{INVALID_INPUT, error.what()};
            }
        }
        auto configuration = std::make_shared<api::ApiConfiguration>();
        if (!key)
        {
            throw CliError{USAGE, "no API key: set OPENAI_API_KEY"};
        }
        configuration->setApiKey(utility::conversions::to_string_t(*key));
        baseUrl = !arguments.baseUrl.empty()
            ? arguments.baseUrl
            : environment.variable("OPENAI_BASE_URL")
                  .value_or(utility::conversions::to_utf8string(configuration->getBaseUrl()));
        configuration->setBaseUrl(utility::conversions::to_string_t(baseUrl));
        if (const auto organization = environment.variable("OPENAI_ORG_ID"))
        {
            configuration->setOrganization(utility::conversions::to_string_t(*organization));
        }
        if (const auto project = environment.variable("OPENAI_PROJECT_ID"))
        {
            configuration->setProject(utility::conversions::to_string_t(*project));
        }
        try
        {
            configuration->validate();
        }
        catch (const std::invalid_argument& invalid)
        {
            throw CliError{USAGE, invalid.what()};
        }
        return Commands(arguments, out, err, environment, std::make_shared<api::ApiClient>(configuration)).run();
    }
    // Each failure is one line: whatever a message carries from the server or a file is escaped.
    catch (const CliError& error)
    {
        err << "openai-batch: " << forTerminal(error.message) << std::endl;
        return error.code;
    }
    catch (const api::ApiConnectionException& error)
    {
        err << "openai-batch: cannot reach " << forTerminal(baseUrl) << ": " << forTerminal(error.what()) << std::endl;
        return UNREACHABLE;
    }
    catch (const api::ApiException& error)
    {
        err << "openai-batch: " << forTerminal(error.what()) << std::endl;
        return API_ERROR;
    }
    catch (const std::invalid_argument& error) // a request file or argument the API would refuse
    {
        err << "openai-batch: " << forTerminal(error.what()) << std::endl;
        return INVALID_INPUT;
    }
    catch (const std::exception& error)
    {
        err << "openai-batch: " << forTerminal(error.what()) << std::endl;
        return FAILURE;
    }
}

} // namespace

int runCli(const std::vector<std::string>& words, std::ostream& out, std::ostream& err, const Environment& environment)
{
    // Everything printed passes the key filter, whatever its source: the server may echo the key anywhere.
    const auto key = environment.variable("OPENAI_API_KEY");
    RedactingBuffer outFilter(out.rdbuf(), key.value_or(""));
    RedactingBuffer errFilter(err.rdbuf(), key.value_or(""));
    std::ostream filteredOut(&outFilter);
    std::ostream filteredErr(&errFilter);
    const int code = runFiltered(words, filteredOut, filteredErr, environment, key);
    filteredOut.flush();
    filteredErr.flush();
    return code;
}

} // namespace openai_batch::cli
