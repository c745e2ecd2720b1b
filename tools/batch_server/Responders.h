// What each endpoint of a batch answers, deterministically: the same request always gets the same
// response, in the shape the real endpoint returns.
#pragma once

#include <cpprest/json.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace openai_batch::server {

struct EndpointReply
{
    int status = 200;
    web::json::value body;
};

/// The endpoints a local batch can run.
bool isSupportedEndpoint(const std::string& endpoint);

/// The response of endpoint to request body (an OpenAI error body with status 400 when the body is not
/// a valid request). customId seeds the ids in the reply.
EndpointReply respond(const std::string& endpoint, const web::json::value& body, const std::string& customId);

/// The tokens an answer used, read from its usage in either shape the endpoints report:
/// prompt_tokens/completion_tokens (chat, completions, embeddings) or input_tokens/output_tokens
/// (responses), each with its details (cached_tokens, reasoning_tokens) when present.
struct TokenCounts
{
    bool reported = false; ///< the answer has a usage object
    int64_t input = 0;
    int64_t cached = 0;
    int64_t output = 0;
    int64_t reasoning = 0;
};
TokenCounts tokensOf(const web::json::value& answer);

/// text with every byte that is not part of well-formed UTF-8 replaced by U+FFFD, so that text from a
/// client (a file name, a quoted line) never makes the server's JSON invalid.
std::string validUtf8(std::string_view text);

/// {"error": {"message", "type", "param", "code"}}, as OpenAI writes errors.
web::json::value errorBody(const std::string& message, const std::string& type, const std::string& param,
                           const std::string& code);

} // namespace openai_batch::server
