// libFuzzer harness: any bytes as a webhook delivery to WebhookVerifier. Input: a mode byte, then header
// lines ("name: value") up to an empty line, then the body. With an even mode byte the harness signs the
// body itself (with the delivery's own id and timestamp) and replaces the signature header, so the body
// checks past the signature are reached too. verify() must return an event or throw
// WebhookVerificationError; anything else escaping is a finding.
#include "workflow/WebhookVerifier.h"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

using namespace openai_batch::workflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 1)
    {
        return 0;
    }
    const bool signHere = data[0] % 2 == 0;
    const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    const size_t split = rest.find("\n\n");
    const std::string head = rest.substr(0, split);
    const std::string body = split == std::string::npos ? std::string() : rest.substr(split + 2);
    std::map<std::string, std::string> headers;
    std::istringstream lines(head);
    for (std::string line; std::getline(lines, line);)
    {
        const size_t colon = line.find(':');
        if (colon != std::string::npos)
        {
            headers[line.substr(0, colon)] = line.substr(std::min(line.size(), colon + 2));
        }
    }
    WebhookOptions options;
    options.now = [] { return int64_t{1750000000}; };
    options.maxBodyBytes = 4096;
    const WebhookVerifier verifier("whsec_jzoMXit9kfSmyOCz1fcZKkxuiw0vSmyOGz1fcJKkxug=", options);
    if (signHere)
    {
        const std::string timestamp = headers.count("webhook-timestamp") ? headers["webhook-timestamp"] : "";
        if (!timestamp.empty() && timestamp.size() < 18
            && timestamp.find_first_not_of("0123456789") == std::string::npos)
        {
            headers["webhook-signature"] = verifier.sign(headers["webhook-id"], std::stoll(timestamp), body);
        }
    }
    try
    {
        const WebhookEvent event = verifier.verify(headers, body);
        (void)event.batchId();
    }
    catch (const WebhookVerificationError& refused)
    {
        (void)refused.check();
    }
    return 0;
}
