// Pagination: every batch (or file) across pages, fetched lazily, one page per call.
#pragma once

#include "workflow/Namespaces.h"

#include "api/BatchApi.h"
#include "api/FilesApi.h"

#include <boost/optional.hpp>
#include <pplx/pplxtasks.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

namespace openai_batch::workflow {

/// One page as the pager needs it.
template <typename Item> struct Page
{
    std::vector<std::shared_ptr<Item>> items;
    bool hasMore = false;
};

/// Walks a list endpoint page by page, passing `after` = the last id seen while the server says
/// has_more. Nothing is fetched until next() is called; copies share their position.
template <typename Item> class Pager
{
public:
    using Fetch = std::function<pplx::task<Page<Item>>(boost::optional<utility::string_t> after)>;

    /// cap: stop after this many items in all (the last page is cut to fit).
    Pager(Fetch fetch, std::optional<size_t> cap)
        : m_State(std::make_shared<State>(std::move(fetch), cap))
    {
    }

    /// Whether every item (or cap of them) has been handed out.
    bool done() const { return m_State->done; }

    /// The next page's items; an empty vector once done().
    pplx::task<std::vector<std::shared_ptr<Item>>> next() const
    {
        auto state = m_State;
        if (state->done)
        {
            return pplx::task_from_result(std::vector<std::shared_ptr<Item>>());
        }
        return state->fetch(state->after).then([state](Page<Item> page) {
            state->take(page);
            return std::move(page.items);
        });
    }

private:
    struct State
    {
        State(Fetch f, std::optional<size_t> c)
            : fetch(std::move(f))
            , cap(c)
        {
        }

        Fetch fetch;
        std::optional<size_t> cap;
        boost::optional<utility::string_t> after;
        size_t handedOut = 0;
        bool done = false;

        void take(Page<Item>& page)
        {
            if (cap && handedOut + page.items.size() >= *cap)
            {
                page.items.resize(*cap - handedOut);
                done = true;
            }
            handedOut += page.items.size();
            if (page.items.empty() || !page.hasMore)
            {
                done = true;
                return;
            }
            const utility::string_t last = page.items.back()->getId();
            if (after && *after == last)
            {
                // The server answered the same page again: stop rather than loop forever.
                throw std::runtime_error("pagination did not advance past '" + utility::conversions::to_utf8string(last)
                                         + "'");
            }
            after = last;
        }
    };
    std::shared_ptr<State> m_State;
};

/// Batches, newest first, pageSize (1..100) per request.
Pager<model::Batch> batchPages(const api::BatchApi& api, int64_t pageSize = 100,
                               std::optional<size_t> cap = std::nullopt);
/// Files, optionally of one purpose, pageSize (1..10000) per request.
Pager<model::OpenAIFile> filePages(const api::FilesApi& api, boost::optional<utility::string_t> purpose = boost::none,
                                   int64_t pageSize = 10000, std::optional<size_t> cap = std::nullopt);

namespace detail {

template <typename Item>
pplx::task<void> drain(Pager<Item> pager, std::shared_ptr<std::vector<std::shared_ptr<Item>>> all)
{
    return pager.next().then([pager, all](std::vector<std::shared_ptr<Item>> page) {
        all->insert(all->end(), page.begin(), page.end());
        return pager.done() ? pplx::task_from_result() : drain(pager, all);
    });
}

} // namespace detail

/// Every item the pager hands out, page after page.
template <typename Item> pplx::task<std::vector<std::shared_ptr<Item>>> collectAll(Pager<Item> pager)
{
    auto all = std::make_shared<std::vector<std::shared_ptr<Item>>>();
    return detail::drain(pager, all).then([all] { return std::move(*all); });
}

} // namespace openai_batch::workflow
