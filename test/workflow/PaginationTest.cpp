// Pagination: every item across pages, lazily, with `after` = the last id, and an optional cap.
#include "ApiTestSupport.h"

#include "workflow/Pagination.h"

using namespace openai_batch::workflow;
using namespace testing_support;

namespace {

std::string page(std::initializer_list<const char*> ids, bool hasMore)
{
    std::string data;
    for (const char* id : ids)
    {
        data += (data.empty() ? "" : ",") + batchJson(id);
    }
    return R"({"object": "list", "data": [)" + data + R"(], "has_more": )" + (hasMore ? "true" : "false") + "}";
}

class PaginationTest : public LoopbackApiTest
{
protected:
    api::BatchApi batches{client};

    std::vector<std::string> targets() const
    {
        std::vector<std::string> seen;
        for (const auto& request : server.requests())
        {
            seen.push_back(request.target);
        }
        return seen;
    }
};

TEST_F(PaginationTest, WalksThreePagesPassingTheLastIdAsAfter)
{
    server.enqueueJson(200, page({"b1", "b2"}, true));
    server.enqueueJson(200, page({"b3", "b4"}, true));
    server.enqueueJson(200, page({"b5"}, false));

    const auto all = collectAll(batchPages(batches, 2)).get();

    ASSERT_EQ(all.size(), 5u);
    EXPECT_EQ(all[4]->getId(), "b5");
    EXPECT_EQ(targets(),
              (std::vector<std::string>{"/v1/batches?limit=2", "/v1/batches?after=b2&limit=2",
                                        "/v1/batches?after=b4&limit=2"}));
}

TEST_F(PaginationTest, FetchesNothingUntilAskedAndOnePagePerCall)
{
    server.enqueueJson(200, page({"b1", "b2"}, true));
    server.enqueueJson(200, page({"b3"}, false));
    auto pages = batchPages(batches, 2);
    EXPECT_TRUE(server.requests().empty());

    EXPECT_EQ(pages.next().get().size(), 2u);
    EXPECT_EQ(server.requests().size(), 1u);
    EXPECT_FALSE(pages.done());
    EXPECT_EQ(pages.next().get().size(), 1u);
    EXPECT_TRUE(pages.done());
    EXPECT_TRUE(pages.next().get().empty());
    EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(PaginationTest, StopsAtTheCap)
{
    server.enqueueJson(200, page({"b1", "b2"}, true));
    server.enqueueJson(200, page({"b3", "b4"}, true));
    server.enqueueJson(200, page({"b5"}, false));

    const auto some = collectAll(batchPages(batches, 2, 3)).get();

    ASSERT_EQ(some.size(), 3u);
    EXPECT_EQ(some[2]->getId(), "b3");
    EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(PaginationTest, StopsOnAnEmptyPageEvenIfTheServerSaysMore)
{
    server.enqueueJson(200, page({}, true));
    EXPECT_TRUE(collectAll(batchPages(batches, 2)).get().empty());
    EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(PaginationTest, RefusesToLoopOnAPageThatDoesNotAdvance)
{
    server.enqueueJson(200, page({"b1", "b2"}, true));
    server.enqueueJson(200, page({"b1", "b2"}, true));
    EXPECT_THROW(collectAll(batchPages(batches, 2)).get(), std::runtime_error);
    EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(PaginationTest, WalksFilesOfOnePurpose)
{
    server.enqueueJson(200, R"({"object": "list", "data": [)" + fileJson("file-1") + R"(], "has_more": true})");
    server.enqueueJson(200, R"({"object": "list", "data": [)" + fileJson("file-2") + R"(], "has_more": false})");

    const auto files = collectAll(filePages(api::FilesApi(client), utility::string_t("batch"), 1)).get();

    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(
        targets(),
        (std::vector<std::string>{"/v1/files?purpose=batch&limit=1", "/v1/files?purpose=batch&limit=1&after=file-1"}));
}

} // namespace
