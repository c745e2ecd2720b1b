#include "FakeBatchService.h"

#include <sstream>

namespace testing_support {

namespace {

using web::json::value;

RawReply json(int status, const value& body)
{
    return RawReply{status, utility::conversions::to_utf8string(body.serialize()), "application/json", std::nullopt};
}

RawReply notFound(const std::string& what)
{
    return json(404,
                value::parse(R"({"error": {"message": "No such object: )" + what
                             + R"(", "type": "invalid_request_error", "param": null, "code": null}})"));
}

/// The custom_ids of a JSONL request file, in order.
std::vector<std::string> customIds(const std::string& jsonl)
{
    std::vector<std::string> ids;
    std::istringstream lines(jsonl);
    std::string line;
    while (std::getline(lines, line))
    {
        if (!line.empty())
        {
            ids.push_back(value::parse(line).at("custom_id").as_string());
        }
    }
    return ids;
}

std::string outputLine(const std::string& id, int status)
{
    value body = status == 200
        ? value::parse(
            R"({"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "echo )"
            + id
            + R"("}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}})")
        : value::parse(R"({"error": {"message": "Invalid request )" + id
                       + R"(", "type": "invalid_request_error", "param": null, "code": "invalid_value"}})");
    value line = value::object(true);
    line["id"] = value::string("batch_req_" + id);
    line["custom_id"] = value::string(id);
    line["response"] = value::object(true);
    line["response"]["status_code"] = value::number(status);
    line["response"]["request_id"] = value::string("req_" + id);
    line["response"]["body"] = body;
    line["error"] = value::null();
    return line.serialize() + "\n";
}

std::string expiredLine(const std::string& id)
{
    return R"({"id": "batch_req_)" + id + R"(", "custom_id": ")" + id
        + R"(", "response": null, "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}})"
          "\n";
}

} // namespace

FakeBatchService::FakeBatchService()
    : m_Server([this](const RawRequest& request) { return handle(request); })
{
}

size_t FakeBatchService::batchCount() const
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    return m_Batches.size();
}

std::vector<std::string> FakeBatchService::requestTargets() const
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    return m_Targets;
}

std::optional<RawReply> FakeBatchService::handle(const RawRequest& request)
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    m_Targets.push_back(request.method + " " + request.target);
    const std::string path = request.target.substr(0, request.target.find('?'));
    const std::string query =
        request.target.find('?') == std::string::npos ? "" : request.target.substr(request.target.find('?') + 1);
    if (request.method == "POST" && path == "/files")
    {
        return createFile(request);
    }
    if (request.method == "POST" && path == "/batches")
    {
        return createBatch(request);
    }
    if (request.method == "GET" && path == "/batches")
    {
        return listBatches(query);
    }
    if (request.method == "GET" && path.rfind("/batches/", 0) == 0)
    {
        return retrieveBatch(path.substr(9));
    }
    const std::string contentSuffix = "/content";
    if (request.method == "GET" && path.rfind("/files/", 0) == 0 && path.size() > contentSuffix.size()
        && path.compare(path.size() - contentSuffix.size(), contentSuffix.size(), contentSuffix) == 0)
    {
        const auto file = m_Files.find(path.substr(7, path.size() - 7 - contentSuffix.size()));
        return file == m_Files.end() ? notFound(path)
                                     : RawReply{200, file->second, "application/octet-stream", std::nullopt};
    }
    return notFound(path);
}

RawReply FakeBatchService::createFile(const RawRequest& request)
{
    // The file part's data: after its headers, up to the next boundary line.
    const std::string& body = request.body;
    const size_t part = body.find("name=\"file\"");
    const size_t start = body.find("\r\n\r\n", part) + 4;
    const std::string boundary = "\r\n" + body.substr(0, body.find("\r\n"));
    const size_t end = body.find(boundary, start);
    const std::string id = "file-" + std::to_string(m_NextId++);
    m_Files[id] = body.substr(start, end - start);
    return json(200,
                value::parse(R"({"id": ")" + id + R"(", "object": "file", "bytes": )" + std::to_string(end - start)
                             + R"(, "created_at": 1, "filename": "requests.jsonl", "purpose": "batch"})"));
}

std::optional<RawReply> FakeBatchService::createBatch(const RawRequest& request)
{
    const value input = value::parse(request.body);
    value batch =
        value::parse(R"({"object": "batch", "errors": null, "completion_window": "24h", "status": "validating",
        "output_file_id": null, "error_file_id": null, "created_at": 1714508499, "expires_at": 1714594899,
        "request_counts": {"total": 0, "completed": 0, "failed": 0}})");
    batch["id"] = value::string("batch_" + std::to_string(m_NextId++));
    batch["endpoint"] = input.at("endpoint");
    batch["input_file_id"] = input.at("input_file_id");
    batch["metadata"] = input.has_field("metadata") ? input.at("metadata") : value::null();
    m_Batches.push_back(batch);
    if (dropCreateReplies > 0)
    {
        --dropCreateReplies;
        return std::nullopt;
    }
    return json(200, batch);
}

RawReply FakeBatchService::listBatches(const std::string& query)
{
    size_t limit = 20;
    std::string after;
    std::istringstream parts(query);
    std::string pair;
    while (std::getline(parts, pair, '&'))
    {
        const size_t equals = pair.find('=');
        if (pair.substr(0, equals) == "limit")
        {
            limit = std::stoul(pair.substr(equals + 1));
        }
        else if (pair.substr(0, equals) == "after")
        {
            after = pair.substr(equals + 1);
        }
    }
    std::vector<value> newestFirst(m_Batches.rbegin(), m_Batches.rend());
    size_t begin = 0;
    if (!after.empty())
    {
        while (begin < newestFirst.size() && newestFirst[begin].at("id").as_string() != after)
        {
            ++begin;
        }
        ++begin;
    }
    value page = value::object(true);
    page["object"] = value::string("list");
    std::vector<value> data;
    for (size_t i = begin; i < newestFirst.size() && data.size() < limit; ++i)
    {
        data.push_back(newestFirst[i]);
    }
    page["has_more"] = value::boolean(begin + data.size() < newestFirst.size());
    page["data"] = value::array(data);
    return json(200, page);
}

RawReply FakeBatchService::retrieveBatch(const std::string& id)
{
    for (auto& batch : m_Batches)
    {
        if (batch.at("id").as_string() != id)
        {
            continue;
        }
        const size_t poll = m_Polls[id]++;
        const std::string status = batch.at("status").as_string();
        if (poll < lifecycle.size())
        {
            batch["status"] = value::string(lifecycle[poll]);
        }
        else if (status != "completed" && status != "expired")
        {
            finish(batch);
        }
        return json(200, batch);
    }
    return notFound(id);
}

void FakeBatchService::finish(value& batch)
{
    const auto ids = customIds(m_Files.at(batch.at("input_file_id").as_string()));
    std::string output;
    std::string errors;
    size_t completed = 0;
    size_t failed = 0;
    for (size_t i = 0; i < ids.size(); ++i)
    {
        const bool ran = ending == Ending::Completed || i < finishedBeforeExpiry;
        if (ran)
        {
            const bool bad = ids[i].rfind("bad", 0) == 0;
            output += outputLine(ids[i], bad ? 400 : 200);
            (bad ? failed : completed) += 1;
        }
        else if (i < finishedBeforeExpiry + expiredInErrorFile)
        {
            errors += expiredLine(ids[i]);
            ++failed;
        }
    }
    batch["status"] = value::string(ending == Ending::Completed ? "completed" : "expired");
    batch["request_counts"]["total"] = value::number(static_cast<int64_t>(ids.size()));
    batch["request_counts"]["completed"] = value::number(static_cast<int64_t>(completed));
    batch["request_counts"]["failed"] = value::number(static_cast<int64_t>(failed));
    if (!output.empty())
    {
        const std::string id = "file-" + std::to_string(m_NextId++);
        m_Files[id] = output;
        batch["output_file_id"] = value::string(id);
    }
    if (!errors.empty())
    {
        const std::string id = "file-" + std::to_string(m_NextId++);
        m_Files[id] = errors;
        batch["error_file_id"] = value::string(id);
    }
}

} // namespace testing_support
