// Checks one webhook delivery the way a receiving server would, then acts on the batch event.
// Usage: verify_webhook BODY_FILE WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE (reads OPENAI_WEBHOOK_SECRET)
#include "workflow/WebhookVerifier.h"

#include <fstream>
#include <iostream>
#include <sstream>

using namespace openai_batch::workflow;

int main(int argc, char** argv)
{
    if (argc != 5)
    {
        std::cerr << "usage: verify_webhook BODY_FILE WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE\n";
        return 2;
    }
    std::ifstream file(argv[1], std::ios::binary);
    std::stringstream body; // the raw bytes as they arrived: parse nothing before verifying
    body << file.rdbuf();
    const std::map<std::string, std::string> headers = {
        {"webhook-id", argv[2]}, {"webhook-timestamp", argv[3]}, {"webhook-signature", argv[4]}};
    try
    {
        const WebhookEvent event = WebhookVerifier::fromEnvironment().verify(headers, body.str());
        // Deliveries are retried: remember event.webhookId and skip one seen before.
        if (const auto* completed = std::get_if<std::shared_ptr<model::WebhookBatchCompleted>>(&event.batchEvent))
        {
            std::cout << "batch " << (*completed)->getData()->getId() << " completed: fetch its results\n";
        }
        else
        {
            std::cout << event.type << " for batch " << event.batchId() << "\n";
        }
        return 0; // answer 2xx
    }
    catch (const WebhookVerificationError& refused) // answer 400: not from OpenAI, or replayed
    {
        std::cerr << refused.what() << "\n";
    }
    catch (const std::invalid_argument& badSecret) // OPENAI_WEBHOOK_SECRET unset or malformed
    {
        std::cerr << badSecret.what() << "\n";
    }
    return 1;
}
