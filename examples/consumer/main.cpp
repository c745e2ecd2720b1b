// A program that uses the package's headers and library, however its project took them (see
// CMakeLists.txt and build_with_pkg_config.sh beside it): it reads a batch, checks a request, has the API
// layer refuse an empty id before sending, and writes a request line with the workflow layer. Given a
// version as its argument, it also checks OPENAI_BATCH_VERSION against it (the consumer ctests pass
// CMake's). Prints "consumer: ok" and exits 0 when everything behaves.
#include "openai_batch_version.h"

#include "api/BatchApi.h"
#include "workflow/RequestFileWriter.h"
#include "model/Batch.h"
#include "model/CreateBatchRequest.h"

#include <iostream>
#include <sstream>
#include <string>

using namespace org::openapitools::client::model;

static_assert(OPENAI_BATCH_VERSION_NUMBER
                  == OPENAI_BATCH_VERSION_MAJOR * 10000 + OPENAI_BATCH_VERSION_MINOR * 100 + OPENAI_BATCH_VERSION_PATCH,
              "the version macros agree");

int main(int argc, char** argv)
{
    Batch batch;
    const bool read = batch.fromJson(web::json::value::parse(
        _XPLATSTR(R"({"id": "batch_1", "object": "batch", "endpoint": "/v1/embeddings", "input_file_id": "file-1",
                      "completion_window": "24h", "status": "finalizing", "created_at": 4102444800})")));
    CreateBatchRequest request;
    bool refused = false;
    try
    {
        request.validate();
    }
    catch (const ModelValidationException&)
    {
        refused = true;
    }
    bool emptyIdRefused = false;
    try
    {
        org::openapitools::client::api::BatchApi(nullptr).retrieveBatch(_XPLATSTR("")).get();
    }
    catch (const std::invalid_argument&)
    {
        emptyIdRefused = true;
    }
    std::ostringstream requests;
    openai_batch::workflow::RequestFileWriter writer(requests, "/v1/embeddings");
    writer.add("r1", web::json::value::parse(_XPLATSTR(R"({"model": "m", "input": "x"})")));
    const bool wrote = requests.str()
        == R"({"custom_id":"r1","method":"POST","url":"/v1/embeddings","body":{"input":"x","model":"m"}})"
           "\n";
    const bool versionMatches = argc < 2 || std::string(argv[1]) == OPENAI_BATCH_VERSION;
    const bool ok = read && batch.getStatus() == Batch::StatusEnum::FINALIZING && batch.getCreatedAt() == 4102444800
        && refused && emptyIdRefused && wrote && versionMatches;
    std::cout << (ok ? "consumer: ok" : "consumer: FAILED") << " (" << OPENAI_BATCH_VERSION << ")\n";
    return ok ? 0 : 1;
}
