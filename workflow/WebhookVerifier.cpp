#include "workflow/WebhookVerifier.h"

#include "api/ApiException.h"

#include <cpprest/asyncrt_utils.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <sstream>

namespace openai_batch::workflow {

namespace {

using Check = WebhookVerificationError::Check;

const std::string SECRET_PREFIX = "whsec_";
const std::string SIGNATURE_PREFIX = "v1,";
/// Longer header values are refused before any work: OpenAI's are a few dozen bytes (a few signatures).
constexpr size_t MAX_HEADER_BYTES = 4096;
constexpr unsigned int SHA256_BYTES = 32;

/// The bytes of a base64 text, or nothing when it is not base64.
std::optional<std::vector<unsigned char>> decodeBase64(const std::string& text)
{
    try
    {
        return utility::conversions::from_base64(utility::conversions::to_string_t(text));
    }
    catch (const std::exception&)
    {
        return std::nullopt;
    }
}

std::vector<unsigned char> keyOf(const std::string& secret)
{
    if (secret.empty())
    {
        throw std::invalid_argument("the webhook secret is empty");
    }
    if (secret.rfind(SECRET_PREFIX, 0) != 0)
    {
        return {secret.begin(), secret.end()};
    }
    auto key = decodeBase64(secret.substr(SECRET_PREFIX.size()));
    if (!key || key->empty())
    {
        // Never echo the secret: it is the one thing that must not reach a log.
        throw std::invalid_argument("the webhook secret starts with whsec_ but the rest is not base64");
    }
    return *key;
}

bool sameName(const std::string& a, const std::string& b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

/// A header's value without the spaces, tabs and CRs around it (a value pasted from a raw HTTP dump has
/// them); refused when absent, empty, given twice (names differing only in case) or over the limit.
std::string header(const std::map<std::string, std::string>& headers, const std::string& name)
{
    const std::string* found = nullptr;
    for (const auto& [key, value] : headers)
    {
        if (!sameName(key, name))
        {
            continue;
        }
        if (found)
        {
            throw WebhookVerificationError(Check::MalformedHeader, "the " + name + " header is given twice");
        }
        found = &value;
    }
    const char* const blank = " \t\r";
    const size_t first = found ? found->find_first_not_of(blank) : std::string::npos;
    if (first == std::string::npos)
    {
        throw WebhookVerificationError(Check::MissingHeader, "the " + name + " header is missing");
    }
    if (found->size() > MAX_HEADER_BYTES)
    {
        throw WebhookVerificationError(Check::MalformedHeader,
                                       "the " + name + " header is longer than " + std::to_string(MAX_HEADER_BYTES)
                                           + " bytes");
    }
    return found->substr(first, found->find_last_not_of(blank) - first + 1);
}

/// Unix seconds, as the header writes them: digits only.
int64_t timestampOf(const std::string& text)
{
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
    {
        throw WebhookVerificationError(Check::MalformedHeader,
                                       "the webhook-timestamp header is not a number of seconds");
    }
    return std::stoll(text);
}

template <class Model> std::shared_ptr<Model> typedBody(const web::json::value& json, const utility::string_t& type)
{
    auto event = std::make_shared<Model>();
    if (!event->fromJson(json))
    {
        std::ostringstream problems;
        for (const auto& problem : event->getDiagnostics())
        {
            problems << "; " << problem;
        }
        throw WebhookVerificationError(Check::InvalidBody,
                                       "the " + utility::conversions::to_utf8string(type)
                                           + " event does not have its documented shape" + problems.str());
    }
    return event;
}

WebhookEvent::BatchEvent batchEventOf(const web::json::value& json, const utility::string_t& type)
{
    if (type == _XPLATSTR("batch.completed"))
    {
        return typedBody<model::WebhookBatchCompleted>(json, type);
    }
    if (type == _XPLATSTR("batch.failed"))
    {
        return typedBody<model::WebhookBatchFailed>(json, type);
    }
    if (type == _XPLATSTR("batch.cancelled"))
    {
        return typedBody<model::WebhookBatchCancelled>(json, type);
    }
    if (type == _XPLATSTR("batch.expired"))
    {
        return typedBody<model::WebhookBatchExpired>(json, type);
    }
    return std::monostate{};
}

} // namespace

WebhookVerificationError::WebhookVerificationError(Check check, const std::string& message)
    : std::runtime_error("webhook refused: " + message)
    , m_Check(check)
{
}

utility::string_t WebhookEvent::batchId() const
{
    return std::visit(
        [](const auto& event) -> utility::string_t {
            if constexpr (std::is_same_v<std::decay_t<decltype(event)>, std::monostate>)
            {
                return {};
            }
            else
            {
                return event->getData() ? event->getData()->getId() : utility::string_t();
            }
        },
        batchEvent);
}

WebhookVerifier::WebhookVerifier(const std::string& secret, WebhookOptions options)
    : m_Key(keyOf(secret))
    , m_Options(std::move(options))
{
    if (!m_Options.now)
    {
        m_Options.now = [] {
            return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
    }
}

WebhookVerifier WebhookVerifier::fromEnvironment(WebhookOptions options)
{
    const char* secret = std::getenv("OPENAI_WEBHOOK_SECRET");
    if (!secret || !*secret)
    {
        throw std::invalid_argument("OPENAI_WEBHOOK_SECRET is not set");
    }
    return WebhookVerifier(secret, std::move(options));
}

std::vector<unsigned char> WebhookVerifier::digest(const std::string& webhookId, const std::string& timestamp,
                                                   const std::string& body) const
{
    // The header's timestamp text as it came, not a number re-printed: that is what was signed.
    const std::string content = webhookId + "." + timestamp + "." + body;
    std::vector<unsigned char> digest(EVP_MAX_MD_SIZE);
    unsigned int length = 0;
    // An HMAC that failed (a FIPS provider refusing a short key, no memory) must never become an empty
    // signature that an empty "v1," entry would match.
    if (!HMAC(EVP_sha256(), m_Key.data(), static_cast<int>(m_Key.size()),
              reinterpret_cast<const unsigned char*>(content.data()), content.size(), digest.data(), &length)
        || length != SHA256_BYTES)
    {
        throw std::runtime_error("webhook: OpenSSL could not compute HMAC-SHA256");
    }
    digest.resize(length);
    return digest;
}

std::string WebhookVerifier::sign(const std::string& webhookId, int64_t timestamp, const std::string& body) const
{
    const auto signature = digest(webhookId, std::to_string(timestamp), body);
    return SIGNATURE_PREFIX + utility::conversions::to_utf8string(utility::conversions::to_base64(signature));
}

void WebhookVerifier::checkSignature(const std::string& webhookId, const std::string& timestamp,
                                     const std::string& signatures, const std::string& body) const
{
    const auto expected = digest(webhookId, timestamp, body);
    bool anyVersion1 = false;
    std::istringstream entries(signatures);
    for (std::string entry; entries >> entry;)
    {
        if (entry.rfind(SIGNATURE_PREFIX, 0) != 0)
        {
            continue; // another scheme's entry (v1a, ...): not ours to check
        }
        anyVersion1 = true;
        const auto given = decodeBase64(entry.substr(SIGNATURE_PREFIX.size()));
        if (given && given->size() == expected.size()
            && CRYPTO_memcmp(given->data(), expected.data(), expected.size()) == 0)
        {
            return;
        }
    }
    if (!anyVersion1)
    {
        throw WebhookVerificationError(Check::MalformedHeader,
                                       "the webhook-signature header has no v1,<signature> entry");
    }
    throw WebhookVerificationError(Check::SignatureMismatch,
                                   "no signature matches (a wrong secret, or the body or headers were changed)");
}

WebhookEvent WebhookVerifier::verify(const std::map<std::string, std::string>& headers, const std::string& body) const
{
    if (body.size() > m_Options.maxBodyBytes)
    {
        throw WebhookVerificationError(Check::BodyTooLarge,
                                       "the body has " + std::to_string(body.size()) + " bytes, more than the limit of "
                                           + std::to_string(m_Options.maxBodyBytes));
    }
    const std::string webhookId = header(headers, "webhook-id");
    const std::string timestamp = header(headers, "webhook-timestamp");
    const std::string signatures = header(headers, "webhook-signature");
    const int64_t sent = timestampOf(timestamp);
    const int64_t now = m_Options.now();
    const int64_t tolerance = m_Options.tolerance.count();
    if (now - sent > tolerance)
    {
        throw WebhookVerificationError(Check::StaleTimestamp,
                                       "the webhook-timestamp is " + std::to_string(now - sent)
                                           + " s old, more than the tolerance of " + std::to_string(tolerance) + " s");
    }
    if (sent - now > tolerance)
    {
        throw WebhookVerificationError(Check::FutureTimestamp,
                                       "the webhook-timestamp is " + std::to_string(sent - now)
                                           + " s ahead, more than the tolerance of " + std::to_string(tolerance)
                                           + " s");
    }
    checkSignature(webhookId, timestamp, signatures, body);

    std::string problem;
    auto json = api::tryParseJson(body, problem);
    if (!json || !json->is_object())
    {
        throw WebhookVerificationError(Check::InvalidBody,
                                       "the body is " + (json ? std::string("not a JSON object") : problem));
    }
    WebhookEvent event;
    event.webhookId = utility::conversions::to_string_t(webhookId);
    if (json->has_string_field(_XPLATSTR("type")))
    {
        event.type = json->at(_XPLATSTR("type")).as_string();
    }
    event.batchEvent = batchEventOf(*json, event.type);
    event.json = std::move(*json);
    return event;
}

} // namespace openai_batch::workflow
