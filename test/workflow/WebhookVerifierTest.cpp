// WebhookVerifier against vectors computed independently of this code, with OpenSSL's command line:
//   printf '%s' "msg_2zXk7qYtT9.1750000000.$BODY" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY -binary | base64
// where KEY is 8f3a0c5e2b7d91f4a6c8e0b3d5f7192a4c6e8b0d2f4a6c8e1b3d5f7092a4c6e8 and the secret below is
// "whsec_" + the base64 of those bytes (echo -n $KEY | xxd -r -p | base64).
#include "workflow/WebhookVerifier.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace openai_batch::workflow;
using Check = WebhookVerificationError::Check;

namespace {

const std::string SECRET = "whsec_jzoMXit9kfSmyOCz1fcZKkxuiw0vSmyOGz1fcJKkxug=";
const std::string BODY = R"({"id":"evt_685c59a3c1a08190a7b1c0d2e3f4a5b6","object":"event","created_at":1750000000,)"
                         R"("type":"batch.completed","data":{"id":"batch_abc123"}})";
const std::string ID = "msg_2zXk7qYtT9";
const int64_t SENT = 1750000000;
const std::string SIGNATURE = "v1,CvtZjr68tVHqTYcuWcMuJsOj1XAyQ9U2SLaN4D9dQKQ=";
// The same delivery signed with the plain secret "plain-secret-text" (openssl dgst -sha256 -hmac ...).
const std::string PLAIN_SIGNATURE = "v1,4Kv3VWgV/4DEK3dRTksFnGT/PRpk5IkrpIJO/rRC9IA=";
const std::string FAILED_BODY =
    R"({"id":"evt_failed01","object":"event","created_at":1750000100,"type":"batch.failed","data":{"id":"batch_def456"}})";
const std::string FAILED_SIGNATURE = "v1,SMxZnYFfDyc/RbnvGojPe3KMbcP3ebn1Rp6oGMLmsdY=";

WebhookOptions at(int64_t now)
{
    WebhookOptions options;
    options.now = [now] { return now; };
    return options;
}

std::map<std::string, std::string> headers(const std::string& signature = SIGNATURE,
                                           const std::string& timestamp = std::to_string(SENT),
                                           const std::string& id = ID)
{
    return {{"webhook-id", id}, {"webhook-timestamp", timestamp}, {"webhook-signature", signature}};
}

/// The check a delivery fails, and its message.
std::pair<Check, std::string> refusal(const WebhookVerifier& verifier, const std::map<std::string, std::string>& sent,
                                      const std::string& body)
{
    try
    {
        verifier.verify(sent, body);
    }
    catch (const WebhookVerificationError& error)
    {
        return {error.check(), error.what()};
    }
    ADD_FAILURE() << "the delivery was accepted";
    return {Check::InvalidBody, ""};
}

} // namespace

TEST(WebhookVerifier, AcceptsTheIndependentVectorAndReturnsTheTypedEvent)
{
    const WebhookEvent event = WebhookVerifier(SECRET, at(SENT + 10)).verify(headers(), BODY);
    EXPECT_EQ("batch.completed", event.type);
    EXPECT_EQ(ID, event.webhookId);
    EXPECT_EQ("batch_abc123", event.batchId());
    const auto& completed = std::get<std::shared_ptr<model::WebhookBatchCompleted>>(event.batchEvent);
    EXPECT_EQ("evt_685c59a3c1a08190a7b1c0d2e3f4a5b6", completed->getId());
    EXPECT_EQ(SENT, completed->getCreatedAt());
    EXPECT_EQ(model::WebhookBatchCompleted::TypeEnum::BATCH_COMPLETED, completed->getType());
    EXPECT_EQ("event", event.json.at("object").as_string());
}

TEST(WebhookVerifier, SignsAsOpensslDoes)
{
    EXPECT_EQ(SIGNATURE, WebhookVerifier(SECRET).sign(ID, SENT, BODY));
    EXPECT_EQ(FAILED_SIGNATURE, WebhookVerifier(SECRET).sign("msg_failed", 1750000100, FAILED_BODY));
}

TEST(WebhookVerifier, ReadsEachBatchEventAsItsOwnClass)
{
    const auto event = WebhookVerifier(SECRET, at(1750000100))
                           .verify(headers(FAILED_SIGNATURE, "1750000100", "msg_failed"), FAILED_BODY);
    EXPECT_EQ("batch_def456", event.batchId());
    EXPECT_TRUE(std::holds_alternative<std::shared_ptr<model::WebhookBatchFailed>>(event.batchEvent));
}

TEST(WebhookVerifier, SecretWithoutPrefixIsItsOwnBytes)
{
    EXPECT_EQ("batch_abc123",
              WebhookVerifier("plain-secret-text", at(SENT)).verify(headers(PLAIN_SIGNATURE), BODY).batchId());
    EXPECT_EQ(Check::SignatureMismatch, refusal(WebhookVerifier("plain-secret-text", at(SENT)), headers(), BODY).first);
}

TEST(WebhookVerifier, HeaderNamesAreMatchedWithoutCase)
{
    const std::map<std::string, std::string> sent = {
        {"Webhook-Id", ID}, {"WEBHOOK-TIMESTAMP", std::to_string(SENT)}, {"webhook-Signature", SIGNATURE}};
    EXPECT_EQ("batch.completed", WebhookVerifier(SECRET, at(SENT)).verify(sent, BODY).type);
}

TEST(WebhookVerifier, SpacesAroundHeaderValuesAreIgnored)
{
    // As a value pasted from a raw HTTP dump comes: a space after the colon, a CR at the end.
    const auto sent = headers(" " + SIGNATURE + "\r", "\t" + std::to_string(SENT) + " ", ID + "\r");
    EXPECT_EQ("batch_abc123", WebhookVerifier(SECRET, at(SENT)).verify(sent, BODY).batchId());
}

TEST(WebhookVerifier, AnyOfSeveralSignaturesMayMatch)
{
    const WebhookVerifier verifier(SECRET, at(SENT));
    const std::string wrong = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    EXPECT_NO_THROW(verifier.verify(headers(wrong + " v1a,c29tZXRoaW5n " + SIGNATURE), BODY));
    EXPECT_NO_THROW(verifier.verify(headers(SIGNATURE + " " + wrong), BODY));
    EXPECT_NO_THROW(verifier.verify(headers("v1,not-base64!! " + SIGNATURE), BODY));
    EXPECT_EQ(Check::SignatureMismatch, refusal(verifier, headers(wrong + " " + wrong), BODY).first);
}

TEST(WebhookVerifier, TamperingWithAnySignedPartIsRefused)
{
    const WebhookVerifier verifier(SECRET, at(SENT));
    std::string tampered = BODY;
    tampered.replace(tampered.find("batch_abc123"), 12, "batch_abc124");
    const auto [check, message] = refusal(verifier, headers(), tampered);
    EXPECT_EQ(Check::SignatureMismatch, check);
    EXPECT_EQ("webhook refused: no signature matches (a wrong secret, or the body or headers were changed)", message);
    EXPECT_EQ(Check::SignatureMismatch, refusal(verifier, headers(), BODY + "\n").first);
    EXPECT_EQ(Check::SignatureMismatch,
              refusal(verifier, headers(SIGNATURE, std::to_string(SENT), "msg_other"), BODY).first);
    EXPECT_EQ(Check::SignatureMismatch, refusal(verifier, headers(SIGNATURE, std::to_string(SENT + 1)), BODY).first);
    // The timestamp's text is what was signed: the same number written differently is not.
    EXPECT_EQ(Check::SignatureMismatch, refusal(verifier, headers(SIGNATURE, "0" + std::to_string(SENT)), BODY).first);
}

TEST(WebhookVerifier, WrongSecretIsRefused)
{
    const WebhookVerifier other("whsec_" + std::string("c2VjcmV0LXRoYXQtaXMtbm90LXRoZS1yaWdodC1vbmU="), at(SENT));
    EXPECT_EQ(Check::SignatureMismatch, refusal(other, headers(), BODY).first);
}

TEST(WebhookVerifier, TimestampsOutsideTheToleranceAreRefused)
{
    EXPECT_NO_THROW(WebhookVerifier(SECRET, at(SENT + 300)).verify(headers(), BODY));
    EXPECT_NO_THROW(WebhookVerifier(SECRET, at(SENT - 300)).verify(headers(), BODY));
    const auto stale = refusal(WebhookVerifier(SECRET, at(SENT + 301)), headers(), BODY);
    EXPECT_EQ(Check::StaleTimestamp, stale.first);
    EXPECT_EQ("webhook refused: the webhook-timestamp is 301 s old, more than the tolerance of 300 s", stale.second);
    const auto future = refusal(WebhookVerifier(SECRET, at(SENT - 301)), headers(), BODY);
    EXPECT_EQ(Check::FutureTimestamp, future.first);
    EXPECT_EQ("webhook refused: the webhook-timestamp is 301 s ahead, more than the tolerance of 300 s", future.second);
    WebhookOptions strict = at(SENT + 11);
    strict.tolerance = std::chrono::seconds(10);
    EXPECT_EQ(Check::StaleTimestamp, refusal(WebhookVerifier(SECRET, strict), headers(), BODY).first);
}

TEST(WebhookVerifier, ClockDefaultsToNow)
{
    // A delivery signed now verifies with the default clock; one from 2025 is stale.
    const WebhookVerifier verifier(SECRET);
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_NO_THROW(verifier.verify(headers(verifier.sign(ID, now, BODY), std::to_string(now)), BODY));
    EXPECT_EQ(Check::StaleTimestamp, refusal(verifier, headers(), BODY).first);
}

struct MalformedCase
{
    const char* name;
    std::map<std::string, std::string> headers;
    Check check;
    const char* message;
};

// So that a failure and ctest's test names show the case's name, not its bytes.
void PrintTo(const MalformedCase& test, std::ostream* out)
{
    *out << test.name;
}

class WebhookVerifierMalformed : public testing::TestWithParam<MalformedCase>
{
};

TEST_P(WebhookVerifierMalformed, NamesTheCheck)
{
    const auto [check, message] = refusal(WebhookVerifier(SECRET, at(SENT)), GetParam().headers, BODY);
    EXPECT_EQ(GetParam().check, check);
    EXPECT_EQ(std::string("webhook refused: ") + GetParam().message, message);
}

INSTANTIATE_TEST_SUITE_P(
    Headers, WebhookVerifierMalformed,
    testing::Values(MalformedCase{"NoId",
                                  {{"webhook-timestamp", "1750000000"}, {"webhook-signature", SIGNATURE}},
                                  Check::MissingHeader,
                                  "the webhook-id header is missing"},
                    MalformedCase{"NoTimestamp",
                                  {{"webhook-id", ID}, {"webhook-signature", SIGNATURE}},
                                  Check::MissingHeader,
                                  "the webhook-timestamp header is missing"},
                    MalformedCase{"NoSignature",
                                  {{"webhook-id", ID}, {"webhook-timestamp", "1750000000"}},
                                  Check::MissingHeader,
                                  "the webhook-signature header is missing"},
                    MalformedCase{"Twice",
                                  {{"webhook-id", ID},
                                   {"Webhook-Id", "msg_x"},
                                   {"webhook-timestamp", "1750000000"},
                                   {"webhook-signature", SIGNATURE}},
                                  Check::MalformedHeader,
                                  "the webhook-id header is given twice"},
                    MalformedCase{"TimestampNotDigits", headers(SIGNATURE, "1750000000.5"), Check::MalformedHeader,
                                  "the webhook-timestamp header is not a number of seconds"},
                    MalformedCase{"TimestampNegative", headers(SIGNATURE, "-1"), Check::MalformedHeader,
                                  "the webhook-timestamp header is not a number of seconds"},
                    MalformedCase{"TimestampSpaced", headers(SIGNATURE, "1750 000000"), Check::MalformedHeader,
                                  "the webhook-timestamp header is not a number of seconds"},
                    MalformedCase{"TimestampHuge", headers(SIGNATURE, "99999999999999999999999"),
                                  Check::MalformedHeader, "the webhook-timestamp header is not a number of seconds"},
                    MalformedCase{"TimestampEmpty", headers(SIGNATURE, ""), Check::MissingHeader,
                                  "the webhook-timestamp header is missing"},
                    MalformedCase{"NoVersion1Entry", headers("v2,CvtZjr68tVHqTYcuWcMuJsOj1XAyQ9U2SLaN4D9dQKQ="),
                                  Check::MalformedHeader, "the webhook-signature header has no v1,<signature> entry"},
                    MalformedCase{"EmptySignature", headers(""), Check::MissingHeader,
                                  "the webhook-signature header is missing"},
                    MalformedCase{"BareSignature", headers("CvtZjr68tVHqTYcuWcMuJsOj1XAyQ9U2SLaN4D9dQKQ="),
                                  Check::MalformedHeader, "the webhook-signature header has no v1,<signature> entry"},
                    MalformedCase{"EmptyId", headers(SIGNATURE, "1750000000", " \r"), Check::MissingHeader,
                                  "the webhook-id header is missing"},
                    MalformedCase{"HugeSignatureHeader", headers(SIGNATURE + std::string(5000, ' ') + "v1,x"),
                                  Check::MalformedHeader, "the webhook-signature header is longer than 4096 bytes"},
                    MalformedCase{"EmptyVersion1Entry", headers("v1,"), Check::SignatureMismatch,
                                  "no signature matches (a wrong secret, or the body or headers were changed)"},
                    MalformedCase{"TruncatedSignature", headers("v1,CvtZjr68tVHqTYcuWcMuJsOj1XAyQ9U2SLaN4D9d"),
                                  Check::SignatureMismatch,
                                  "no signature matches (a wrong secret, or the body or headers were changed)"}),
    [](const testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

TEST(WebhookVerifier, OversizedBodyIsRefusedBeforeAnythingElse)
{
    WebhookOptions small = at(SENT);
    small.maxBodyBytes = 64;
    const auto [check, message] = refusal(WebhookVerifier(SECRET, small), {}, BODY);
    EXPECT_EQ(Check::BodyTooLarge, check);
    EXPECT_EQ("webhook refused: the body has " + std::to_string(BODY.size()) + " bytes, more than the limit of 64",
              message);
}

TEST(WebhookVerifier, SignedBodiesThatAreNotEventsAreRefused)
{
    const WebhookVerifier verifier(SECRET, at(SENT));
    const auto deliver = [&](const std::string& body) {
        return refusal(verifier, headers(verifier.sign(ID, SENT, body)), body);
    };
    EXPECT_EQ(
        std::make_pair(Check::InvalidBody, std::string("webhook refused: the body is not valid JSON: Malformed token")),
        deliver("{\"id\": "));
    EXPECT_EQ(Check::InvalidBody, deliver("[1, 2]").first);
    const auto shapeless = deliver(R"({"id":"evt_1","created_at":1,"type":"batch.completed"})");
    EXPECT_EQ(Check::InvalidBody, shapeless.first);
    EXPECT_EQ("webhook refused: the batch.completed event does not have its documented shape; /data: missing "
              "required property",
              shapeless.second);
}

TEST(WebhookVerifier, OtherEventTypesAreVerifiedButUntyped)
{
    const WebhookVerifier verifier(SECRET, at(SENT));
    const std::string body = R"({"id":"evt_2","object":"event","created_at":1750000000,"type":"response.completed",)"
                             R"("data":{"id":"resp_1"}})";
    const auto event = verifier.verify(headers(verifier.sign(ID, SENT, body)), body);
    EXPECT_EQ("response.completed", event.type);
    EXPECT_TRUE(std::holds_alternative<std::monostate>(event.batchEvent));
    EXPECT_EQ("", event.batchId());
    EXPECT_EQ("resp_1", event.json.at("data").at("id").as_string());
}

TEST(WebhookVerifier, BadSecretsAreRefusedWithoutEchoingThem)
{
    EXPECT_THROW(WebhookVerifier(""), std::invalid_argument);
    try
    {
        const WebhookVerifier accepted("whsec_%%%%-not-base64");
        FAIL() << "accepted a secret that is not base64";
    }
    catch (const std::invalid_argument& error)
    {
        EXPECT_EQ(std::string::npos, std::string(error.what()).find("not-base64"));
        EXPECT_EQ(std::string("the webhook secret starts with whsec_ but the rest is not base64"), error.what());
    }
}

TEST(WebhookVerifier, ReadsTheSecretFromTheEnvironment)
{
    unsetenv("OPENAI_WEBHOOK_SECRET");
    EXPECT_THROW(WebhookVerifier::fromEnvironment(), std::invalid_argument);
    setenv("OPENAI_WEBHOOK_SECRET", SECRET.c_str(), 1);
    EXPECT_EQ("batch_abc123", WebhookVerifier::fromEnvironment(at(SENT)).verify(headers(), BODY).batchId());
    unsetenv("OPENAI_WEBHOOK_SECRET");
}
