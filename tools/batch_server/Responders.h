// What each endpoint of a batch answers, deterministically: the same request always gets the same
// response, in the shape the real endpoint returns.
#pragma once

#include <cpprest/json.h>

#include <string>

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

/// {"error": {"message", "type", "param", "code"}}, as OpenAI writes errors.
web::json::value errorBody(const std::string& message, const std::string& type, const std::string& param,
                           const std::string& code);

} // namespace openai_batch::server
