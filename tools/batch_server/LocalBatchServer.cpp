#include "LocalBatchServer.h"

#include "Responders.h"

#include "model/CreateBatchRequest.h"

#include <cpprest/filestream.h>
#include <cpprest/producerconsumerstream.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace openai_batch::server {

namespace model = org::openapitools::client::model;

namespace {

using web::json::value;
using web::http::http_request;
using web::http::status_code;

const char* const PURPOSES[] = {"assistants", "batch", "fine-tune", "vision", "user_data", "evals", "batch_output"};

/// Set while a request whose reply is to be dropped is being served (replies are sent on the thread
/// that routes the request).
thread_local bool dropThisReply = false;

/// Sends the status line, the headers and half the body, then breaks the connection: what a client
/// sees when a connection drops mid-reply, after the server has done the work.
void cutOff(http_request& request, status_code status, const std::string& body, const std::string& requestId)
{
    concurrency::streams::producer_consumer_buffer<uint8_t> half;
    const std::vector<uint8_t> first(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(body.size() / 2));
    half.putn_nocopy(first.data(), first.size()).wait();
    web::http::http_response response(status);
    response.headers().add("x-request-id", requestId);
    response.set_body(concurrency::streams::istream(half), body.size(), "application/json");
    request.reply(response).then([](pplx::task<void> sent) {
        try
        {
            sent.get();
        }
        catch (const std::exception&)
        {
            // Expected: the reply was meant to break.
        }
    });
    // Break the body only once the headers and the first half are on their way: failing it earlier
    // makes the listener send a clean 500 instead.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    half.close(std::ios_base::out, std::make_exception_ptr(std::runtime_error("connection dropped (injected)"))).wait();
}

void sendJson(http_request& request, status_code status, const value& body, const std::string& requestId)
{
    if (dropThisReply)
    {
        cutOff(request, status, utility::conversions::to_utf8string(body.serialize()), requestId);
        return;
    }
    web::http::http_response response(status);
    response.headers().add("x-request-id", requestId);
    response.set_body(body);
    request.reply(response);
}

void sendError(http_request& request, status_code status, const std::string& message, const std::string& param,
               const std::string& code, const std::string& requestId)
{
    const char* type = status == 401 ? "invalid_request_error" : status >= 500 ? "server_error" : "invalid_request_error";
    sendJson(request, status, errorBody(message, type, param, code), requestId);
}

/// Offsets of every occurrence of needle in the file, read 1 MiB at a time.
std::vector<uint64_t> findAll(const std::string& path, const std::string& needle)
{
    std::vector<uint64_t> found;
    std::ifstream in(path, std::ios::binary);
    std::string window;
    uint64_t windowStart = 0;
    std::vector<char> chunk(1 << 20);
    while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0)
    {
        window.append(chunk.data(), static_cast<size_t>(in.gcount()));
        for (size_t at = window.find(needle); at != std::string::npos; at = window.find(needle, at + 1))
        {
            if (found.empty() || found.back() != windowStart + at)
            {
                found.push_back(windowStart + at);
            }
        }
        // Keep a tail that could hold the start of a needle split across chunks.
        const size_t keep = std::min(window.size(), needle.size() - 1);
        windowStart += window.size() - keep;
        window.erase(0, window.size() - keep);
    }
    return found;
}

std::string readRange(const std::string& path, uint64_t offset, size_t length)
{
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    std::string text(length, '\0');
    in.read(text.data(), static_cast<std::streamsize>(length));
    text.resize(static_cast<size_t>(in.gcount()));
    return text;
}

void copyRange(const std::string& from, uint64_t offset, uint64_t length, const std::string& to)
{
    std::ifstream in(from, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    std::ofstream out(to, std::ios::binary | std::ios::trunc);
    std::vector<char> chunk(1 << 20);
    while (length > 0 && in)
    {
        in.read(chunk.data(), static_cast<std::streamsize>(std::min<uint64_t>(length, chunk.size())));
        out.write(chunk.data(), in.gcount());
        length -= static_cast<uint64_t>(in.gcount());
    }
}

/// A Content-Disposition parameter: name="file" -> file.
std::string dispositionParameter(const std::string& headers, const std::string& name)
{
    const std::string key = "; " + name + "=\"";
    const size_t at = headers.find(key);
    if (at == std::string::npos)
    {
        return std::string();
    }
    const size_t start = at + key.size();
    return headers.substr(start, headers.find('"', start) - start);
}

struct Part
{
    std::string name;
    std::string filename;
    uint64_t dataOffset = 0;
    uint64_t dataLength = 0;
};

/// The parts of the multipart body stored at path; empty when it is not well formed.
std::vector<Part> parseMultipart(const std::string& path, const std::string& boundary)
{
    std::vector<Part> parts;
    if (readRange(path, 0, boundary.size() + 2) != "--" + boundary)
    {
        return parts;
    }
    std::vector<uint64_t> delimiters{0};
    for (uint64_t at : findAll(path, "\r\n--" + boundary))
    {
        delimiters.push_back(at + 2);
    }
    for (size_t i = 0; i + 1 < delimiters.size(); ++i)
    {
        const uint64_t start = delimiters[i] + boundary.size() + 4; // "--" boundary "\r\n"
        const std::string head = readRange(path, start, 16 * 1024);
        const size_t headEnd = head.find("\r\n\r\n");
        if (headEnd == std::string::npos)
        {
            return {};
        }
        const std::string headers = head.substr(0, headEnd);
        const uint64_t dataOffset = start + headEnd + 4;
        const uint64_t dataEnd = delimiters[i + 1] - 2;
        if (dataEnd < dataOffset)
        {
            return {};
        }
        parts.push_back(Part{dispositionParameter(headers, "name"), dispositionParameter(headers, "filename"), dataOffset,
                             dataEnd - dataOffset});
    }
    // The body must end with the closing delimiter "--boundary--".
    if (delimiters.size() < 2 || readRange(path, delimiters.back() + 2 + boundary.size(), 2) != "--")
    {
        return {};
    }
    return parts;
}

std::map<std::string, std::string> queryOf(const http_request& request)
{
    std::map<std::string, std::string> query;
    for (const auto& [key, text] : web::uri::split_query(request.relative_uri().query()))
    {
        query[web::uri::decode(key)] = web::uri::decode(text);
    }
    return query;
}

/// A limit parameter within [1, maximum], or an error message.
std::optional<int64_t> limitOf(const std::map<std::string, std::string>& query, int64_t fallback, int64_t maximum, std::string& error)
{
    const auto found = query.find("limit");
    if (found == query.end())
    {
        return fallback;
    }
    try
    {
        size_t used = 0;
        const int64_t limit = std::stoll(found->second, &used);
        if (used == found->second.size() && limit >= 1 && limit <= maximum)
        {
            return limit;
        }
    }
    catch (const std::exception&)
    {
    }
    error = "Invalid 'limit': must be an integer between 1 and " + std::to_string(maximum) + ".";
    return std::nullopt;
}

/// Newest first, the page after `after`, at most limit items, as a list object.
value page(std::vector<value> oldestFirst, const std::map<std::string, std::string>& query, int64_t limit, bool newestFirst)
{
    if (newestFirst)
    {
        std::reverse(oldestFirst.begin(), oldestFirst.end());
    }
    size_t begin = 0;
    const auto after = query.find("after");
    if (after != query.end())
    {
        while (begin < oldestFirst.size() && oldestFirst[begin].at("id").as_string() != after->second)
        {
            ++begin;
        }
        begin = std::min(begin + 1, oldestFirst.size());
    }
    std::vector<value> data(oldestFirst.begin() + static_cast<std::ptrdiff_t>(begin),
                            oldestFirst.begin() + static_cast<std::ptrdiff_t>(std::min(oldestFirst.size(), begin + static_cast<size_t>(limit))));
    value list = value::object(true);
    list["object"] = value::string("list");
    list["data"] = value::array(data);
    list["first_id"] = data.empty() ? value::null() : data.front().at("id");
    list["last_id"] = data.empty() ? value::null() : data.back().at("id");
    list["has_more"] = value::boolean(begin + data.size() < oldestFirst.size());
    return list;
}

} // namespace

LocalBatchServer::LocalBatchServer(ServerOptions options)
    : m_Options(std::move(options))
    , m_State(m_Options.stateDirectory)
    , m_Processor(m_State, m_Options.pacing, [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    })
    , m_Faults(m_Options.faults, m_Options.faultSeed)
{
    // Port 0 means "any free one": try free ports until one opens (another process may take one first).
    for (int attempt = 0; attempt < 20 && !m_Listener; ++attempt)
    {
        uint16_t port = m_Options.port;
        if (port == 0)
        {
            port = static_cast<uint16_t>(20000 + (std::random_device{}() % 40000));
        }
        auto listener = std::make_unique<web::http::experimental::listener::http_listener>(
            web::uri("http://127.0.0.1:" + std::to_string(port) + "/v1"));
        listener->support([this](http_request request) { handle(request); });
        try
        {
            listener->open().wait();
            m_Listener = std::move(listener);
            m_Port = port;
        }
        catch (const std::exception& error)
        {
            if (m_Options.port != 0)
            {
                throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + error.what());
            }
        }
    }
    if (!m_Listener)
    {
        throw std::runtime_error("cannot find a free port on 127.0.0.1");
    }
    m_Ticker = std::thread([this] { tick(); });
}

LocalBatchServer::~LocalBatchServer()
{
    m_Stopping = true;
    m_TickWake.notify_all();
    m_Ticker.join();
    m_Listener->close().wait();
}

std::string LocalBatchServer::baseUrl() const
{
    return "http://127.0.0.1:" + std::to_string(m_Port) + "/v1";
}

void LocalBatchServer::tick()
{
    std::unique_lock<std::mutex> lock(m_TickMutex);
    while (!m_Stopping)
    {
        lock.unlock();
        try
        {
            m_Processor.advance();
        }
        catch (const std::exception& error)
        {
            std::fprintf(stderr, "batch server: processing failed: %s\n", error.what());
        }
        lock.lock();
        m_TickWake.wait_for(lock, std::chrono::milliseconds(20));
    }
}

void LocalBatchServer::handle(http_request request)
{
    std::ostringstream id;
    id << "req_local_" << std::hex << ++m_RequestCount;
    const std::string requestId = id.str();
    const auto authorization = request.headers().find("Authorization");
    const std::string bearer = "Bearer ";
    if (authorization == request.headers().end() || authorization->second.rfind(bearer, 0) != 0
        || authorization->second.size() == bearer.size()
        || (!m_Options.apiKey.empty() && authorization->second.substr(bearer.size()) != m_Options.apiKey))
    {
        // Never echo the key that was sent.
        sendError(request, 401, "Incorrect API key provided. You can find your API key in your local server's settings.", "",
                  "invalid_api_key", requestId);
        return;
    }
    const Fault fault = m_Faults.next();
    if (fault.delay.count() > 0)
    {
        std::this_thread::sleep_for(fault.delay);
    }
    if (fault.status == 429)
    {
        web::http::http_response response(429);
        response.headers().add("x-request-id", requestId);
        response.headers().add("retry-after-ms", "20");
        response.headers().add("Retry-After", "1");
        response.set_body(errorBody("Rate limit reached (injected by the local server).", "requests", "", "rate_limit_exceeded"));
        request.reply(response);
        return;
    }
    if (fault.status != 0)
    {
        sendError(request, fault.status, "The server had an error (injected by the local server).", "", "", requestId);
        return;
    }
    dropThisReply = fault.drop;
    try
    {
        route(request, request.relative_uri().path(), requestId);
    }
    catch (const std::exception& error)
    {
        sendError(request, 500, std::string("The local server failed: ") + error.what(), "", "", requestId);
    }
    dropThisReply = false;
}

void LocalBatchServer::route(http_request& request, const std::string& path, const std::string& requestId)
{
    std::vector<std::string> segments;
    for (const auto& segment : web::uri::split_path(path))
    {
        segments.push_back(web::uri::decode(segment));
    }
    const std::string method = request.method();
    if (segments.size() == 1 && segments[0] == "files")
    {
        if (method == "POST")
        {
            return createFile(request, requestId);
        }
        if (method == "GET")
        {
            return listFiles(request, requestId);
        }
    }
    if (segments.size() >= 2 && segments[0] == "files")
    {
        const auto file = m_State.file(segments[1]);
        if (!file)
        {
            return sendError(request, 404, "No such File object: " + segments[1], "id", "", requestId);
        }
        if (segments.size() == 2 && method == "GET")
        {
            return sendJson(request, 200, *file, requestId);
        }
        if (segments.size() == 2 && method == "DELETE")
        {
            m_State.deleteFile(segments[1]);
            value deleted = value::object(true);
            deleted["id"] = value::string(segments[1]);
            deleted["object"] = value::string("file");
            deleted["deleted"] = value::boolean(true);
            return sendJson(request, 200, deleted, requestId);
        }
        if (segments.size() == 3 && segments[2] == "content" && method == "GET")
        {
            return downloadFile(request, segments[1], requestId);
        }
    }
    if (segments.size() == 1 && segments[0] == "batches")
    {
        if (method == "POST")
        {
            return createBatch(request, requestId);
        }
        if (method == "GET")
        {
            return listBatches(request, requestId);
        }
    }
    if (segments.size() >= 2 && segments[0] == "batches")
    {
        if (!m_State.batch(segments[1]))
        {
            return sendError(request, 404, "No batch found with id '" + segments[1] + "'.", "batch_id", "", requestId);
        }
        if (segments.size() == 2 && method == "GET")
        {
            return sendJson(request, 200, *m_State.batch(segments[1]), requestId);
        }
        if (segments.size() == 3 && segments[2] == "cancel" && method == "POST")
        {
            if (!m_Processor.cancel(segments[1]))
            {
                return sendError(request, 400, "Batch " + segments[1] + " cannot be cancelled: it has already ended.", "", "",
                                 requestId);
            }
            m_TickWake.notify_all();
            return sendJson(request, 200, *m_State.batch(segments[1]), requestId);
        }
    }
    sendError(request, 404, "Invalid URL (" + method + " /v1" + path + ")", "", "unknown_url", requestId);
}

void LocalBatchServer::createFile(http_request& request, const std::string& requestId)
{
    const std::string contentType = request.headers().content_type();
    const std::string marker = "boundary=";
    const size_t at = contentType.find(marker);
    if (contentType.rfind("multipart/form-data", 0) != 0 || at == std::string::npos)
    {
        return sendError(request, 400, "Uploads must be multipart/form-data with a boundary.", "", "", requestId);
    }
    std::string boundary = contentType.substr(at + marker.size());
    boundary = boundary.substr(0, boundary.find(';'));
    if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"')
    {
        boundary = boundary.substr(1, boundary.size() - 2);
    }
    // The body goes to disk as it arrives; the parts are found there, never in memory.
    const std::string upload = m_State.directory() + "/upload-" + requestId + ".tmp";
    auto body = concurrency::streams::fstream::open_ostream(upload).get();
    request.body().read_to_end(body.streambuf()).get();
    body.close().get();
    const std::vector<Part> parts = parseMultipart(upload, boundary);
    const auto part = [&](const std::string& name) -> const Part* {
        for (const auto& candidate : parts)
        {
            if (candidate.name == name)
            {
                return &candidate;
            }
        }
        return nullptr;
    };
    const Part* file = part("file");
    const Part* purpose = part("purpose");
    const std::string purposeText = purpose ? readRange(upload, purpose->dataOffset, static_cast<size_t>(std::min<uint64_t>(purpose->dataLength, 64))) : "";
    const bool knownPurpose = std::find(std::begin(PURPOSES), std::end(PURPOSES) - 1, purposeText) != std::end(PURPOSES) - 1;
    if (parts.empty() || !file || !purpose || !knownPurpose)
    {
        fs::remove(upload);
        return sendError(request, 400, parts.empty() ? "The multipart body is malformed." : !file ? "Missing 'file'."
                                                      : "Invalid 'purpose': '" + purposeText + "'.",
                         parts.empty() ? "" : !file ? "file" : "purpose", "", requestId);
    }
    const std::string id = m_State.newId("file-");
    copyRange(upload, file->dataOffset, file->dataLength, m_State.filePath(id));
    fs::remove(upload);
    const int64_t now = m_Processor.now() / 1000;
    value object = value::object(true);
    object["id"] = value::string(id);
    object["object"] = value::string("file");
    object["bytes"] = value::number(file->dataLength);
    object["created_at"] = value::number(now);
    object["expires_at"] = purposeText == "batch" ? value::number(now + 30 * 24 * 3600) : value::null();
    object["filename"] = value::string(file->filename.empty() ? "upload" : file->filename);
    object["purpose"] = value::string(purposeText);
    m_State.putFile(object);
    sendJson(request, 200, object, requestId);
}

void LocalBatchServer::createBatch(http_request& request, const std::string& requestId)
{
    const value input = request.extract_json(true).get();
    model::CreateBatchRequest create;
    if (!create.fromJson(input))
    {
        return sendError(request, 400, "Invalid request body: " + utility::conversions::to_utf8string(create.getDiagnostics().front().toString()),
                         "", "", requestId);
    }
    try
    {
        create.validate();
    }
    catch (const model::ModelValidationException& invalid)
    {
        return sendError(request, 400, invalid.what(), "", "", requestId);
    }
    const std::string endpoint = create.getEndpointString();
    if (!isSupportedEndpoint(endpoint))
    {
        return sendError(request, 400, "Invalid 'endpoint': '" + endpoint + "'.", "endpoint", "", requestId);
    }
    if (create.getCompletionWindowString() != "24h")
    {
        return sendError(request, 400, "Invalid 'completion_window': only '24h' is supported.", "completion_window", "", requestId);
    }
    const auto file = m_State.file(create.getInputFileId());
    if (!file)
    {
        return sendError(request, 404, "No such File object: " + create.getInputFileId(), "input_file_id", "", requestId);
    }
    if (file->at("purpose").as_string() != "batch")
    {
        return sendError(request, 400, "The input file must have purpose 'batch'.", "input_file_id", "", requestId);
    }
    const int64_t nowMs = m_Processor.now();
    value batch = value::parse(R"({"object": "batch", "errors": null, "status": "validating", "output_file_id": null,
        "error_file_id": null, "in_progress_at": null, "finalizing_at": null, "completed_at": null, "failed_at": null,
        "expired_at": null, "cancelling_at": null, "cancelled_at": null,
        "request_counts": {"total": 0, "completed": 0, "failed": 0}})");
    batch["id"] = value::string(m_State.newId("batch_"));
    batch["endpoint"] = value::string(endpoint);
    batch["input_file_id"] = value::string(create.getInputFileId());
    batch["completion_window"] = value::string("24h");
    batch["created_at"] = value::number(nowMs / 1000);
    batch["expires_at"] = value::number((nowMs + m_Options.pacing.completionWindow.count()) / 1000);
    batch["metadata"] = create.metadataIsSet() ? input.at("metadata") : value::null();
    m_State.putBatch(batch);
    m_Processor.started(batch.at("id").as_string());
    m_TickWake.notify_all();
    sendJson(request, 200, batch, requestId);
}

void LocalBatchServer::listBatches(http_request& request, const std::string& requestId)
{
    const auto query = queryOf(request);
    std::string error;
    const auto limit = limitOf(query, 20, 100, error);
    if (!limit)
    {
        return sendError(request, 400, error, "limit", "", requestId);
    }
    sendJson(request, 200, page(m_State.batches(), query, *limit, true), requestId);
}

void LocalBatchServer::listFiles(http_request& request, const std::string& requestId)
{
    const auto query = queryOf(request);
    std::string error;
    const auto limit = limitOf(query, 10000, 10000, error);
    if (!limit)
    {
        return sendError(request, 400, error, "limit", "", requestId);
    }
    const auto order = query.count("order") ? query.at("order") : std::string("desc");
    if (order != "asc" && order != "desc")
    {
        return sendError(request, 400, "Invalid 'order': must be 'asc' or 'desc'.", "order", "", requestId);
    }
    std::vector<value> files;
    for (const auto& file : m_State.files())
    {
        if (!query.count("purpose") || file.at("purpose").as_string() == query.at("purpose"))
        {
            files.push_back(file);
        }
    }
    sendJson(request, 200, page(files, query, *limit, order == "desc"), requestId);
}

void LocalBatchServer::downloadFile(http_request& request, const std::string& id, const std::string& requestId)
{
    const std::string path = m_State.filePath(id);
    const auto size = fs::file_size(path);
    auto content = concurrency::streams::fstream::open_istream(path).get();
    web::http::http_response response(200);
    response.headers().add("x-request-id", requestId);
    response.set_body(content, size, "application/octet-stream");
    request.reply(response).get();
    content.close();
}

} // namespace openai_batch::server
