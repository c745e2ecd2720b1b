#include "model/Batch.h"
#include "model/CreateBatchRequest.h"

#include <iostream>

using namespace org::openapitools::client::model;

int main()
{
    // A request body for POST /batches, checked before it is sent.
    CreateBatchRequest request;
    request.setInputFileId(_XPLATSTR("file-abc123"));
    request.setEndpoint(CreateBatchRequest::EndpointEnum::V1_CHAT_COMPLETIONS);
    request.setCompletionWindow(CreateBatchRequest::CompletionWindowEnum::_24H);
    request.setMetadata({{_XPLATSTR("job"), _XPLATSTR("nightly-eval")}});
    request.validate(); // throws ModelValidationException naming each problem
    std::cout << request.toJson().serialize() << "\n";

    // A response: wrong types and missing fields are reported with their JSON path.
    Batch batch;
    auto json = web::json::value::parse(_XPLATSTR(R"({"id": "batch_1", "status": "in_progress",
        "request_counts": {"total": "100", "completed": 3, "failed": 0}})"));
    if (!batch.fromJson(json))
    {
        for (const auto& problem : batch.getDiagnostics())
        {
            std::cout << problem << "\n"; // e.g. /request_counts/total: expected integer, got string
        }
    }
    std::cout << batch.getId() << " is " << batch.getStatusString() << "\n";
    return batch.getStatus() == Batch::StatusEnum::IN_PROGRESS ? 0 : 1;
}
