#include "workflow/Pagination.h"

namespace openai_batch::workflow {

Pager<model::Batch> batchPages(const api::BatchApi& api, int64_t pageSize, std::optional<size_t> cap)
{
    return Pager<model::Batch>(
        [api, pageSize](boost::optional<utility::string_t> after) {
            return api.listBatches(after, pageSize)
                .then([](const std::shared_ptr<model::ListBatchesResponse>& response) {
                    return Page<model::Batch>{response->getData(), response->isHasMore()};
                });
        },
        cap);
}

Pager<model::OpenAIFile> filePages(const api::FilesApi& api, boost::optional<utility::string_t> purpose,
                                   int64_t pageSize, std::optional<size_t> cap)
{
    return Pager<model::OpenAIFile>(
        [api, purpose, pageSize](boost::optional<utility::string_t> after) {
            return api.listFiles(purpose, pageSize, boost::none, after)
                .then([](const std::shared_ptr<model::ListFilesResponse>& response) {
                    return Page<model::OpenAIFile>{response->getData(), response->isHasMore()};
                });
        },
        cap);
}

} // namespace openai_batch::workflow
