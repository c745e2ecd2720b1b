#include "api/BatchApi.h"

#include <iostream>

using namespace org::openapitools::client::api;

int main()
{
    try
    {
        BatchApi batches(std::make_shared<ApiClient>(ApiConfiguration::fromEnvironment())); // OPENAI_API_KEY, ...
        auto request = std::make_shared<CreateBatchRequest>();
        request->setInputFileId(_XPLATSTR("file-abc123")); // from FilesApi::createFile(..., "batch")
        request->setEndpoint(CreateBatchRequest::EndpointEnum::V1_CHAT_COMPLETIONS);
        request->setCompletionWindow(CreateBatchRequest::CompletionWindowEnum::_24H);
        const auto created = batches.createBatch(request).get(); // failures throw here
        const auto batch = batches.retrieveBatch(created->getId()).get();
        std::cout << "batch " << batch->getId() << ": " << batch->getStatusString() << std::endl;
        return 0;
    }
    catch (const ApiException& error) // the API answered with an error status: getStatus(), getError()
    {
        std::cerr << error.what() << std::endl;
    }
    catch (const std::exception& error) // no answer (ApiConnectionException), a bad configuration, ...
    {
        std::cerr << error.what() << std::endl;
    }
    return 1;
}
