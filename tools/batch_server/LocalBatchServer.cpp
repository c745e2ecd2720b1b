#include "LocalBatchServer.h"

#include "Responders.h"

#include "api/ApiClient.h"
#include "model/CreateBatchRequest.h"
#include "model/FileExpirationAfter.h"

#include <cpprest/filestream.h>
#include <cpprest/producerconsumerstream.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;

namespace openai_batch::server {

namespace model = org::openapitools::client::model;
namespace api = org::openapitools::client::api;

namespace {

using web::http::http_request;
using web::http::status_code;
using web::json::value;

int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// A JSON Pointer as OpenAI names a parameter: "/output_expires_after/seconds" -> "output_expires_after.seconds".
std::string parameterOf(const std::string& pointer)
{
    std::string name = pointer.empty() ? pointer : pointer.substr(1);
    std::replace(name.begin(), name.end(), '/', '.');
    return name;
}

/// What a request got wrong: the parameter, as OpenAI names it, and why.
struct Refusal
{
    std::string param;
    std::string message;
};

/// What the processor tells the webhook sender, if there is one.
EndListener endListener(WebhookSender* webhooks)
{
    if (!webhooks)
    {
        return {};
    }
    return EndListener{[webhooks](const value& batch) { webhooks->record(batch); },
                       [webhooks](const value& batch) { webhooks->release(batch); }};
}

/// The seconds an upload's expires_after[anchor] and expires_after[seconds] fields ask for; nothing
/// when neither is there, or when they are wrong (then `refusal` says why). The bounds are the spec's,
/// through the generated FileExpirationAfter.
std::optional<int64_t> expiryOf(const std::optional<std::string>& anchor, const std::optional<std::string>& seconds,
                                std::optional<Refusal>& refusal)
{
    if (!anchor && !seconds)
    {
        return std::nullopt;
    }
    model::FileExpirationAfter expiry;
    expiry.setAnchorString(utility::conversions::to_string_t(anchor.value_or("")));
    if (expiry.getAnchor() != model::FileExpirationAfter::AnchorEnum::CREATED_AT)
    {
        refusal = Refusal{"expires_after.anchor",
                          "Invalid 'expires_after[anchor]': '" + anchor.value_or("")
                              + "'. The only supported anchor is 'created_at'."};
        return std::nullopt;
    }
    const std::string text = seconds.value_or("");
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
    {
        refusal = Refusal{"expires_after.seconds",
                          "Invalid 'expires_after[seconds]': '" + text + "' is not a whole number of seconds."};
        return std::nullopt;
    }
    expiry.setSeconds(std::stoll(text));
    try
    {
        expiry.validate();
    }
    catch (const model::ModelValidationException& invalid)
    {
        refusal = Refusal{"expires_after.seconds", std::string("Invalid 'expires_after': ") + invalid.what()};
        return std::nullopt;
    }
    return expiry.getSeconds();
}

/// The purposes an upload may have (batch_output is the server's own, for result files).
const char* const UPLOAD_PURPOSES[] = {"assistants", "batch", "fine-tune", "vision", "user_data", "evals"};

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
        const std::string head = readRange(path, start, size_t{16} << 10);
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
        parts.push_back(Part{dispositionParameter(headers, "name"), dispositionParameter(headers, "filename"),
                             dataOffset, dataEnd - dataOffset});
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
std::optional<int64_t> limitOf(const std::map<std::string, std::string>& query, int64_t fallback, int64_t maximum,
                               std::string& error)
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
value page(std::vector<value> oldestFirst, const std::map<std::string, std::string>& query, int64_t limit,
           bool newestFirst)
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
    std::vector<value> data(
        oldestFirst.begin() + static_cast<std::ptrdiff_t>(begin),
        oldestFirst.begin()
            + static_cast<std::ptrdiff_t>(std::min(oldestFirst.size(), begin + static_cast<size_t>(limit))));
    value list = value::object(true);
    list["object"] = value::string("list");
    list["data"] = value::array(data);
    list["first_id"] = data.empty() ? value::null() : data.front().at("id");
    list["last_id"] = data.empty() ? value::null() : data.back().at("id");
    list["has_more"] = value::boolean(begin + data.size() < oldestFirst.size());
    return list;
}

} // namespace

void Exchange::send(status_code status, const value& body) const
{
    if (beforeReply)
    {
        beforeReply();
    }
    web::http::http_response response(status);
    addReplyHeaders(response);
    if (!drop)
    {
        response.set_body(body);
        request.reply(response);
        return;
    }
    // The status line, the headers and half the body, then a broken connection: what a client sees
    // when a connection drops mid-reply, after the server has done the work.
    const std::string text = utility::conversions::to_utf8string(body.serialize());
    concurrency::streams::producer_consumer_buffer<uint8_t> half;
    const std::vector<uint8_t> first(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(text.size() / 2));
    half.putn_nocopy(first.data(), first.size()).wait();
    response.set_body(concurrency::streams::istream(half), text.size(), "application/json");
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
    // Break the body once the headers and the first half are on their way: failing it before the
    // reply starts makes the listener send a clean 500 instead.
    api::RetryHooks::real().sleep(std::chrono::milliseconds(50)).then([half]() mutable {
        half.close(std::ios_base::out, std::make_exception_ptr(std::runtime_error("connection dropped (injected)")));
    });
}

void Exchange::addReplyHeaders(web::http::http_response& response) const
{
    response.headers().add("x-request-id", requestId);
    const auto& headers = request.headers();
    const bool declaresBody =
        headers.has("Transfer-Encoding") || (headers.has("Content-Length") && headers.content_length() != 0);
    if (response.status_code() >= 400 || (declaresBody && !bodyRead))
    {
        // Part of the request may still be on the wire, so the next bytes are not a request. Closing
        // also matters to cpprestsdk's listener: after a short body and a half-close from the client
        // it would otherwise keep the connection, and its socket, open indefinitely.
        response.headers().add("Connection", "close");
    }
}

void Exchange::fail(status_code status, const std::string& message, const std::string& param,
                    const std::string& code) const
{
    send(status, errorBody(message, status >= 500 ? "server_error" : "invalid_request_error", param, code));
}

LocalBatchServer::LocalBatchServer(ServerOptions options)
    : m_Options(std::move(options))
    , m_State(m_Options.stateDirectory)
    , m_Webhooks(m_Options.webhooks.url.empty()
                     ? nullptr
                     : std::make_unique<WebhookSender>(m_State, m_Options.webhooks, [] { return nowMs() / 1000; }))
    , m_Processor(m_State, m_Options.pacing, nowMs, endListener(m_Webhooks.get()))
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
            web::uri("http://127.0.0.1:" + std::to_string(port))); // every path, so every reply is ours
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
    try
    {
        m_Ticker.join();
        m_Listener->close().wait();
    }
    catch (const std::exception& error)
    {
        // A destructor must not throw; the server is going away whatever went wrong in stopping it.
        std::cerr << "openai-batch-server: stopping: " << error.what() << "\n";
    }
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
    Exchange exchange{request, id.str(), false, false, {}};
    const auto authorization = request.headers().find("Authorization");
    const std::string bearer = "Bearer ";
    if (authorization == request.headers().end() || authorization->second.rfind(bearer, 0) != 0
        || authorization->second.size() == bearer.size()
        || (!m_Options.apiKey.empty() && authorization->second.substr(bearer.size()) != m_Options.apiKey))
    {
        // Never echo the key that was sent.
        return exchange.fail(401,
                             "Incorrect API key provided. You can find your API key in your local server's settings.",
                             "", "invalid_api_key");
    }
    const Fault fault = m_Faults.next();
    if (fault.delay.count() > 0)
    {
        std::this_thread::sleep_for(fault.delay);
    }
    if (fault.status == 429)
    {
        web::http::http_response response(429);
        exchange.addReplyHeaders(response);
        response.headers().add("retry-after-ms", "20");
        response.headers().add("Retry-After", "1");
        response.set_body(
            errorBody("Rate limit reached (injected by the local server).", "requests", "", "rate_limit_exceeded"));
        request.reply(response);
        return;
    }
    if (fault.status != 0)
    {
        return exchange.fail(fault.status, "The server had an error (injected by the local server).");
    }
    exchange.drop = fault.drop;
    try
    {
        route(exchange);
    }
    catch (const std::exception& error)
    {
        exchange.fail(500, std::string("The local server failed: ") + error.what());
    }
}

void LocalBatchServer::route(const Exchange& exchange)
{
    std::vector<std::string> segments;
    for (const auto& segment : web::uri::split_path(exchange.request.relative_uri().path()))
    {
        segments.push_back(web::uri::decode(segment));
    }
    if (segments.empty() || segments.front() != "v1")
    {
        return unknownUrl(exchange);
    }
    segments.erase(segments.begin());
    const std::string method = exchange.request.method();
    const size_t depth = segments.size();
    const std::string collection = depth > 0 ? segments[0] : std::string();
    if (collection == "files" && depth == 1)
    {
        return method == "POST" ? createFile(exchange) : method == "GET" ? listFiles(exchange) : unknownUrl(exchange);
    }
    if (collection == "batches" && depth == 1)
    {
        return method == "POST" ? createBatch(exchange)
            : method == "GET"   ? listBatches(exchange)
                                : unknownUrl(exchange);
    }
    if (collection == "files" && (depth == 2 || depth == 3))
    {
        const auto file = m_State.file(segments[1]);
        if (!file)
        {
            return exchange.fail(404, "No such File object: " + segments[1], "id");
        }
        if (depth == 2 && method == "GET")
        {
            return exchange.send(200, *file);
        }
        if (depth == 2 && method == "DELETE")
        {
            m_State.deleteFile(segments[1]);
            value deleted = value::object(true);
            deleted["id"] = value::string(segments[1]);
            deleted["object"] = value::string("file");
            deleted["deleted"] = value::boolean(true);
            return exchange.send(200, deleted);
        }
        if (depth == 3 && segments[2] == "content" && method == "GET")
        {
            return downloadFile(exchange, segments[1]);
        }
    }
    if (collection == "batches" && (depth == 2 || depth == 3))
    {
        const auto batch = m_State.batch(segments[1]);
        if (!batch)
        {
            return exchange.fail(404, "No batch found with id '" + segments[1] + "'.", "batch_id");
        }
        if (depth == 2 && method == "GET")
        {
            return exchange.send(200, *batch);
        }
        if (depth == 3 && segments[2] == "cancel" && method == "POST")
        {
            const auto cancelling = m_Processor.cancel(segments[1]);
            if (!cancelling)
            {
                return exchange.fail(400, "Batch " + segments[1] + " cannot be cancelled: it has already ended.");
            }
            m_TickWake.notify_all();
            return exchange.send(200, *cancelling);
        }
    }
    unknownUrl(exchange);
}

void LocalBatchServer::unknownUrl(const Exchange& exchange)
{
    exchange.fail(404, "Invalid URL (" + exchange.request.method() + " " + exchange.request.relative_uri().path() + ")",
                  "", "unknown_url");
}

void LocalBatchServer::createFile(const Exchange& exchange)
{
    const std::string contentType = exchange.request.headers().content_type();
    const std::string marker = "boundary=";
    const size_t at = contentType.find(marker);
    if (contentType.rfind("multipart/form-data", 0) != 0 || at == std::string::npos)
    {
        return exchange.fail(400, "Uploads must be multipart/form-data with a boundary.");
    }
    std::string boundary = contentType.substr(at + marker.size());
    boundary = boundary.substr(0, boundary.find(';'));
    if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"')
    {
        boundary = boundary.substr(1, boundary.size() - 2);
    }
    // The body goes to disk as it arrives; the parts are found there, never in memory.
    const std::string upload = m_State.directory() + "/upload-" + exchange.requestId + ".tmp";
    auto request = exchange.request;
    concurrency::streams::fstream::open_ostream(upload)
        .then([request](concurrency::streams::ostream body) mutable {
            return request.body().read_to_end(body.streambuf()).then([body](size_t) mutable { return body.close(); });
        })
        .then([this, exchange, upload, boundary](pplx::task<void> received) {
            // The temporary file goes before the client hears back: nothing of the upload outlives the answer.
            Exchange answering = exchange;
            answering.beforeReply = [upload] {
                std::error_code ignored;
                fs::remove(upload, ignored);
            };
            try
            {
                received.get();
                answering.bodyRead = true;
                storeUpload(answering, upload, boundary);
            }
            catch (const std::exception& error)
            {
                answering.fail(400, std::string("The upload could not be read: ") + error.what());
            }
        });
}

void LocalBatchServer::storeUpload(const Exchange& exchange, const std::string& upload, const std::string& boundary)
{
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
    const auto field = [&](const char* name) -> std::optional<std::string> {
        const Part* found = part(name);
        // Form fields are short; 64 bytes is more than any valid value and keeps a hostile one small.
        return found ? std::optional<std::string>(
                   readRange(upload, found->dataOffset, static_cast<size_t>(std::min<uint64_t>(found->dataLength, 64))))
                     : std::nullopt;
    };
    const std::string purposeText = field("purpose").value_or("");
    const bool knownPurpose =
        std::find(std::begin(UPLOAD_PURPOSES), std::end(UPLOAD_PURPOSES), purposeText) != std::end(UPLOAD_PURPOSES);
    if (parts.empty())
    {
        return exchange.fail(400, "The multipart body is malformed.");
    }
    if (!file)
    {
        return exchange.fail(400, "Missing 'file'.", "file");
    }
    if (!knownPurpose)
    {
        return exchange.fail(400, "Invalid 'purpose': '" + purposeText + "'.", "purpose");
    }
    std::optional<Refusal> refusal;
    const auto expiresAfter = expiryOf(field("expires_after[anchor]"), field("expires_after[seconds]"), refusal);
    if (refusal)
    {
        return exchange.fail(400, refusal->message, refusal->param, "invalid_value");
    }
    const std::string id = m_State.newId("file-");
    copyRange(upload, file->dataOffset, file->dataLength, m_State.filePath(id));
    const int64_t now = m_Processor.now() / 1000;
    value object = value::object(true);
    object["id"] = value::string(id);
    object["object"] = value::string("file");
    object["bytes"] = value::number(file->dataLength);
    object["created_at"] = value::number(now);
    // Batch input files expire after 30 days unless the upload says otherwise; other files never do.
    const int64_t lifetime = expiresAfter.value_or(purposeText == "batch" ? int64_t{30} * 24 * 3600 : 0);
    object["expires_at"] = lifetime > 0 ? value::number(now + lifetime) : value::null();
    object["filename"] = value::string(file->filename.empty() ? "upload" : file->filename);
    object["purpose"] = value::string(purposeText);
    // Deprecated in the spec, but the official SDKs type it as required.
    object["status"] = value::string("processed");
    m_State.putFile(object);
    exchange.send(200, object);
}

void LocalBatchServer::createBatch(const Exchange& exchange)
{
    auto request = exchange.request;
    request.extract_utf8string(true).then([this, exchange](pplx::task<std::string> body) {
        std::string text;
        try
        {
            text = body.get();
        }
        catch (const std::exception&)
        {
            return exchange.fail(400, "The request body could not be read.");
        }
        Exchange read = exchange;
        read.bodyRead = true;
        // Depth-bounded and exception-safe: a hostile body must not bring the server down.
        std::string problem;
        const auto input = api::tryParseJson(text, problem);
        if (!input)
        {
            return read.fail(400, "The request body is " + problem + ".");
        }
        createBatchFrom(read, *input);
    });
}

void LocalBatchServer::createBatchFrom(const Exchange& exchange, const value& input)
{
    model::CreateBatchRequest create;
    const bool read = create.fromJson(input);
    // As OpenAI does: a field the API does not have is an error, not something to ignore.
    if (!create.getAdditionalProperties().empty())
    {
        const std::string unknown = create.getAdditionalProperties().begin()->first;
        return exchange.fail(400, "Unknown parameter: '" + unknown + "'.", unknown, "unknown_parameter");
    }
    if (!read)
    {
        const auto& problem = create.getDiagnostics().front();
        return exchange.fail(400, "Invalid request body: " + utility::conversions::to_utf8string(problem.toString()),
                             parameterOf(problem.path), "invalid_value");
    }
    try
    {
        create.validate();
    }
    catch (const model::ModelValidationException& invalid)
    {
        return exchange.fail(400, invalid.what(), parameterOf(invalid.problems().front().path), "invalid_value");
    }
    int64_t outputExpiresAfter = 0;
    if (const auto& expiry = create.getOutputExpiresAfter())
    {
        if (!expiry->getAdditionalProperties().empty())
        {
            const std::string unknown = "output_expires_after." + expiry->getAdditionalProperties().begin()->first;
            return exchange.fail(400, "Unknown parameter: '" + unknown + "'.", unknown, "unknown_parameter");
        }
        if (expiry->getAnchor() != model::BatchFileExpirationAfter::AnchorEnum::CREATED_AT)
        {
            return exchange.fail(400,
                                 "Invalid 'output_expires_after.anchor': '" + expiry->getAnchorString()
                                     + "'. The only supported anchor is 'created_at'.",
                                 "output_expires_after.anchor", "invalid_value");
        }
        outputExpiresAfter = expiry->getSeconds();
    }
    const std::string endpoint = create.getEndpointString();
    if (!isSupportedEndpoint(endpoint))
    {
        return exchange.fail(400, "Invalid 'endpoint': '" + endpoint + "'.", "endpoint");
    }
    if (create.getCompletionWindowString() != "24h")
    {
        return exchange.fail(400, "Invalid 'completion_window': only '24h' is supported.", "completion_window");
    }
    const auto file = m_State.file(create.getInputFileId());
    if (!file)
    {
        return exchange.fail(404, "No such File object: " + create.getInputFileId(), "input_file_id");
    }
    if (file->at("purpose").as_string() != "batch")
    {
        return exchange.fail(400, "The input file must have purpose 'batch'.", "input_file_id");
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
    // The progress record first: once the batch is saved, the processor may pick it up.
    m_Processor.started(batch.at("id").as_string(), outputExpiresAfter);
    m_State.putBatch(batch);
    m_TickWake.notify_all();
    exchange.send(200, batch);
}

void LocalBatchServer::listBatches(const Exchange& exchange)
{
    const auto query = queryOf(exchange.request);
    std::string error;
    const auto limit = limitOf(query, 20, 100, error);
    if (!limit)
    {
        return exchange.fail(400, error, "limit");
    }
    exchange.send(200, page(m_State.batches(), query, *limit, true));
}

void LocalBatchServer::listFiles(const Exchange& exchange)
{
    const auto query = queryOf(exchange.request);
    std::string error;
    const auto limit = limitOf(query, 10000, 10000, error);
    if (!limit)
    {
        return exchange.fail(400, error, "limit");
    }
    const auto order = query.count("order") ? query.at("order") : std::string("desc");
    if (order != "asc" && order != "desc")
    {
        return exchange.fail(400, "Invalid 'order': must be 'asc' or 'desc'.", "order");
    }
    std::vector<value> files;
    for (const auto& file : m_State.files())
    {
        if (!query.count("purpose") || file.at("purpose").as_string() == query.at("purpose"))
        {
            files.push_back(file);
        }
    }
    exchange.send(200, page(files, query, *limit, order == "desc"));
}

void LocalBatchServer::downloadFile(const Exchange& exchange, const std::string& id)
{
    // Streamed from disk as the client reads it.
    const std::string path = m_State.filePath(id);
    const auto size = fs::file_size(path);
    concurrency::streams::fstream::open_istream(path).then(
        [exchange, size](pplx::task<concurrency::streams::istream> opened) {
            try
            {
                auto content = opened.get();
                web::http::http_response response(200);
                response.headers().add("x-request-id", exchange.requestId);
                response.set_body(content, size, "application/octet-stream");
                exchange.request.reply(response).then([content](pplx::task<void> sent) mutable {
                    content.close();
                    try
                    {
                        sent.get();
                    }
                    catch (const std::exception&)
                    {
                        // The client went away mid-download; nothing to answer.
                    }
                });
            }
            catch (const std::exception& error)
            {
                exchange.fail(500, std::string("The file could not be read: ") + error.what());
            }
        });
}

} // namespace openai_batch::server
