// WebhookVerifier: checks that a webhook delivery comes from OpenAI, and reads its event.
//
// OpenAI signs webhooks with the Standard Webhooks scheme. Each delivery carries three headers:
//   webhook-id         the delivery's id (a retried delivery repeats it: deduplicate on it)
//   webhook-timestamp  Unix seconds when it was sent
//   webhook-signature  one or more space-separated "v1,<base64>" entries
// and the signature is base64(HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<raw body>")). The key
// is the secret's bytes, or for a secret that starts with "whsec_", the base64 the rest decodes to.
//
// verify() does every check, in this order, and throws WebhookVerificationError naming the first that
// fails: the body's size, the three headers (present, not empty, once each, at most 4 KiB; spaces around
// a value are ignored), the timestamp's age (default: 300 s either way), the signature (any v1 entry may
// match; compared in constant time), then the body's JSON and, for the four batch events, its shape.
#pragma once

#include "workflow/Namespaces.h"

#include "model/WebhookBatchCancelled.h"
#include "model/WebhookBatchCompleted.h"
#include "model/WebhookBatchExpired.h"
#include "model/WebhookBatchFailed.h"

#include <cpprest/json.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace openai_batch::workflow {

/// A delivery refused; check() says which check failed, what() says why in words.
class WebhookVerificationError : public std::runtime_error
{
public:
    enum class Check
    {
        BodyTooLarge,      ///< the body is over WebhookOptions::maxBodyBytes
        MissingHeader,     ///< webhook-id, webhook-timestamp or webhook-signature is absent or empty
        MalformedHeader,   ///< given twice, over 4 KiB, a timestamp that is not digits, no v1 signature entry
        StaleTimestamp,    ///< sent longer ago than the tolerance allows (a replay, or a clock far off)
        FutureTimestamp,   ///< sent further ahead than the tolerance allows
        SignatureMismatch, ///< no v1 signature matches: a wrong secret, or a body or header changed
        InvalidBody,       ///< signed, but not a JSON object, or a batch event of the wrong shape
    };

    WebhookVerificationError(Check check, const std::string& message);
    Check check() const noexcept { return m_Check; }

private:
    Check m_Check;
};

/// A verified delivery.
struct WebhookEvent
{
    /// The body as one of the four batch events, or (any other event type) nothing.
    using BatchEvent =
        std::variant<std::monostate, std::shared_ptr<model::WebhookBatchCompleted>,
                     std::shared_ptr<model::WebhookBatchFailed>, std::shared_ptr<model::WebhookBatchCancelled>,
                     std::shared_ptr<model::WebhookBatchExpired>>;

    utility::string_t webhookId; ///< the webhook-id header
    utility::string_t type;      ///< the body's "type": "batch.completed", ...
    web::json::value json;       ///< the whole body
    BatchEvent batchEvent;

    /// The batch the event is about (data.id of a batch event), or empty.
    utility::string_t batchId() const;
};

struct WebhookOptions
{
    /// How far the webhook-timestamp may be from now, either way.
    std::chrono::seconds tolerance{300};
    /// Larger bodies are refused before any hashing (batch events are a few hundred bytes).
    size_t maxBodyBytes = size_t{256} * 1024;
    /// Unix seconds now; tests pass their own clock.
    std::function<int64_t()> now;
};

class WebhookVerifier
{
public:
    /// Throws std::invalid_argument for an empty secret, or a "whsec_" secret that is not base64.
    explicit WebhookVerifier(const std::string& secret, WebhookOptions options = {});
    /// The secret in OPENAI_WEBHOOK_SECRET; throws std::invalid_argument if it is unset or empty.
    static WebhookVerifier fromEnvironment(WebhookOptions options = {});

    /// Checks a delivery and reads its event; throws WebhookVerificationError (or std::runtime_error if
    /// OpenSSL cannot compute the HMAC). Header names are matched without regard to case; body is the
    /// raw bytes as received, before any JSON parsing.
    WebhookEvent verify(const std::map<std::string, std::string>& headers, const std::string& body) const;

    /// The webhook-signature value for a delivery ("v1,<base64>"), as OpenAI computes it.
    std::string sign(const std::string& webhookId, int64_t timestamp, const std::string& body) const;

private:
    std::vector<unsigned char> digest(const std::string& webhookId, const std::string& timestamp,
                                      const std::string& body) const;
    void checkSignature(const std::string& webhookId, const std::string& timestamp, const std::string& signatures,
                        const std::string& body) const;

    std::vector<unsigned char> m_Key;
    WebhookOptions m_Options;
};

} // namespace openai_batch::workflow
