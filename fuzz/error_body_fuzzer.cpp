// libFuzzer harness: any bytes as the body of an HTTP error response. Input: two bytes choosing the
// status (100-599), then the body. ApiException keeps the body, parses OpenAI's error object out of it
// when there is one, and builds its message; none of that may throw or crash.
#include "api/ApiException.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace api = org::openapitools::client::api;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 2)
    {
        return 0;
    }
    const auto status = static_cast<web::http::status_code>(100 + (data[0] << 8 | data[1]) % 500);
    const std::string body(reinterpret_cast<const char*>(data) + 2, size - 2);
    web::http::http_headers headers;
    headers.add("x-request-id", "req_fuzz");
    const api::ApiException error(status, "retrieveBatch", headers, body);
    (void)error.what();
    (void)error.getError();
    (void)api::OpenAIError::parse(body);
    return 0;
}
