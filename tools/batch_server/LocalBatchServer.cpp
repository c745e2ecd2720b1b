#include "LocalBatchServer.h"

#include "Responders.h"

#include "api/ApiClient.h"
#include "model/CreateBatchRequest.h"
#include "model/FileExpirationAfter.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace openai_batch::server {

namespace model = org::openapitools::client::model;
namespace api = org::openapitools::client::api;

namespace {

namespace http = boost::beast::http;
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

/// The parts an upload may have: the file and a few form fields. More is not an upload of this API, and
/// bounds the work a hostile body can ask for.
constexpr size_t MAX_PARTS = 16;

/// Offsets of the occurrences of needle in the file (at most `most` of them), read 1 MiB at a time.
std::vector<uint64_t> findAll(const std::string& path, const std::string& needle, size_t most)
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
            if (found.size() == most)
            {
                return found;
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

/// Copies length bytes at offset of `from` to a new file `to`; throws std::runtime_error if any is missing.
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
    if (length > 0 || !out.flush())
    {
        out.close();
        fs::remove(to);
        throw std::runtime_error("cannot store the upload (is the disk full?)");
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
    // One more than a valid body can have: finding it marks the body as malformed.
    const auto found = findAll(path, "\r\n--" + boundary, MAX_PARTS + 1);
    if (found.size() > MAX_PARTS)
    {
        return parts;
    }
    for (uint64_t at : found)
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

/// A request target without its query: "/v1/files?purpose=batch" -> "/v1/files".
std::string pathOf(boost::beast::string_view target)
{
    return std::string(target.substr(0, target.find('?')));
}

std::map<std::string, std::string> queryOf(const std::string& target)
{
    std::map<std::string, std::string> query;
    const size_t mark = target.find('?');
    if (mark == std::string::npos)
    {
        return query;
    }
    for (const auto& [key, text] : web::uri::split_query(target.substr(mark + 1)))
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

/// A page as a list object.
value listOf(const Page& page)
{
    value list = value::object(true);
    list["object"] = value::string("list");
    list["data"] = value::array(page.data);
    list["first_id"] = page.data.empty() ? value::null() : page.data.front().at("id");
    list["last_id"] = page.data.empty() ? value::null() : page.data.back().at("id");
    list["has_more"] = value::boolean(page.hasMore);
    return list;
}

std::string parameter(const std::map<std::string, std::string>& query, const char* name)
{
    const auto found = query.find(name);
    return found == query.end() ? std::string() : found->second;
}

} // namespace

std::string Exchange::path() const
{
    return pathOf(request->head.target());
}

void Exchange::reply(HttpReply reply) const
{
    if (beforeReply)
    {
        beforeReply();
    }
    reply.headers.emplace_back("x-request-id", requestId);
    reply.drop = reply.drop || (drop && reply.file.empty()); // downloads are streamed whole, as before
    respond(std::move(reply));
}

void Exchange::send(unsigned status, const value& body) const
{
    HttpReply reply;
    reply.status = status;
    reply.body = body.serialize();
    this->reply(std::move(reply));
}

void Exchange::fail(unsigned status, const std::string& message, const std::string& param,
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
    , m_Processor(m_State, m_Options.pacing, nowMs, endListener(m_Webhooks.get()), m_Options.batchFaults)
    , m_Faults(m_Options.faults, m_Options.faultSeed)
{
    m_Http = std::make_unique<HttpServer>(
        m_Options.port, (fs::path(m_Options.stateDirectory) / "uploads").string(), m_Options.http,
        HttpHandlers{[this](const HttpHead& head) { return admit(head); },
                     [this](std::shared_ptr<const HttpRequest> request, Respond respond) {
                         serve(std::move(request), std::move(respond));
                     }});
    // Only once the port is ours: a server that cannot listen must not touch the batches.
    m_Processor.start();
}

LocalBatchServer::~LocalBatchServer() = default;

std::string LocalBatchServer::baseUrl() const
{
    return "http://127.0.0.1:" + std::to_string(port()) + "/v1";
}

std::string LocalBatchServer::nextRequestId()
{
    std::ostringstream id;
    id << "req_local_" << std::hex << ++m_RequestCount;
    return id.str();
}

Admission LocalBatchServer::admit(const HttpHead& head)
{
    Admission admission;
    const std::string authorization(head[http::field::authorization]);
    const std::string bearer = "Bearer ";
    if (authorization.rfind(bearer, 0) != 0 || authorization.size() == bearer.size()
        || (!m_Options.apiKey.empty() && authorization.substr(bearer.size()) != m_Options.apiKey))
    {
        // Never echo the key that was sent.
        HttpReply refusal;
        refusal.status = 401;
        refusal.headers.emplace_back("x-request-id", nextRequestId());
        refusal.body =
            errorBody("Incorrect API key provided. You can find your API key in your local server's settings.",
                      "invalid_request_error", "", "invalid_api_key")
                .serialize();
        admission.refusal = std::move(refusal);
        return admission;
    }
    const bool upload = head.method() == http::verb::post && pathOf(head.target()) == "/v1/files";
    admission.bodyToFile = upload;
    // The multipart framing around the file and the form fields is small; 1 MiB covers it.
    admission.bodyLimit = upload ? m_Options.maxFileBytes + (1 << 20) : m_Options.maxJsonBodyBytes;
    return admission;
}

void LocalBatchServer::serve(std::shared_ptr<const HttpRequest> request, Respond respond)
{
    Exchange exchange{std::move(request), nextRequestId(), std::move(respond), false, {}};
    const Fault fault = m_Faults.next();
    if (fault.status == 429)
    {
        HttpReply reply;
        reply.status = 429;
        reply.headers = {{"retry-after-ms", "20"}, {"Retry-After", "1"}};
        reply.body =
            errorBody("Rate limit reached (injected by the local server).", "requests", "", "rate_limit_exceeded")
                .serialize();
        return exchange.reply(std::move(reply));
    }
    if (fault.status != 0)
    {
        return exchange.fail(fault.status, "The server had an error (injected by the local server).");
    }
    exchange.drop = fault.drop;
    const auto routeSafely = [this](const Exchange& exchange) {
        try
        {
            route(exchange);
        }
        catch (const std::exception& error)
        {
            exchange.fail(500, std::string("The local server failed: ") + error.what());
        }
    };
    if (fault.delay.count() > 0)
    {
        // A timer, not a sleep: a slow answer holds no thread while it waits.
        return m_Http->after(fault.delay, [routeSafely, exchange] { routeSafely(exchange); });
    }
    routeSafely(exchange);
}

void LocalBatchServer::route(const Exchange& exchange)
{
    std::vector<std::string> segments;
    for (const auto& segment : web::uri::split_path(exchange.path()))
    {
        segments.push_back(web::uri::decode(segment));
    }
    if (segments.empty() || segments.front() != "v1")
    {
        return unknownUrl(exchange);
    }
    segments.erase(segments.begin());
    const std::string method(exchange.request->head.method_string());
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
            return exchange.send(200, *cancelling);
        }
    }
    unknownUrl(exchange);
}

void LocalBatchServer::unknownUrl(const Exchange& exchange)
{
    exchange.fail(404,
                  "Invalid URL (" + std::string(exchange.request->head.method_string()) + " " + exchange.path() + ")",
                  "", "unknown_url");
}

void LocalBatchServer::createFile(const Exchange& exchange)
{
    const std::string contentType(exchange.request->head[http::field::content_type]);
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
    // The body went to disk as it arrived; the parts are found there, never in memory. The temporary
    // file goes before the client hears back: nothing of the upload outlives the answer.
    const std::string upload = exchange.request->bodyFile;
    Exchange answering = exchange;
    answering.beforeReply = [upload] {
        std::error_code ignored;
        fs::remove(upload, ignored);
    };
    storeUpload(answering, upload, boundary);
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
    if (file->dataLength > m_Options.maxFileBytes)
    {
        return exchange.fail(413,
                             "The file is " + std::to_string(file->dataLength) + " bytes; the largest allowed is "
                                 + std::to_string(m_Options.maxFileBytes) + ".",
                             "file", "file_too_large");
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
    workflow::syncPath(m_State.filePath(id)); // the content is durable before the object that names it
    const int64_t now = m_Processor.now() / 1000;
    value object = value::object(true);
    object["id"] = value::string(id);
    object["object"] = value::string("file");
    object["bytes"] = value::number(file->dataLength);
    object["created_at"] = value::number(now);
    // Batch input files expire after 30 days unless the upload says otherwise; other files never do.
    const int64_t lifetime = expiresAfter.value_or(purposeText == "batch" ? int64_t{30} * 24 * 3600 : 0);
    object["expires_at"] = lifetime > 0 ? value::number(now + lifetime) : value::null();
    object["filename"] = value::string(file->filename.empty() ? "upload" : validUtf8(file->filename));
    object["purpose"] = value::string(purposeText);
    // Deprecated in the spec, but the official SDKs type it as required.
    object["status"] = value::string("processed");
    m_State.putFile(object);
    exchange.send(200, object);
}

void LocalBatchServer::createBatch(const Exchange& exchange)
{
    // Depth-bounded and exception-safe: a hostile body must not bring the server down.
    std::string problem;
    const auto input = api::tryParseJson(exchange.request->body, problem);
    if (!input)
    {
        return exchange.fail(400, "The request body is " + problem + ".");
    }
    // What is stored (the metadata) is served to every later reader: it must be valid UTF-8, and a lone
    // surrogate escape (\ud800) would not be once decoded.
    const std::string decoded = input->serialize();
    if (validUtf8(decoded) != decoded)
    {
        return exchange.fail(400, "The request body is not valid UTF-8 (or escapes a lone surrogate).");
    }
    createBatchFrom(exchange, *input);
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
    m_Processor.created(batch, outputExpiresAfter);
    exchange.send(200, batch);
}

void LocalBatchServer::listBatches(const Exchange& exchange)
{
    const auto query = queryOf(std::string(exchange.request->head.target()));
    std::string error;
    const auto limit = limitOf(query, 20, 100, error);
    if (!limit)
    {
        return exchange.fail(400, error, "limit");
    }
    exchange.send(200, listOf(m_State.batchPage(parameter(query, "after"), static_cast<size_t>(*limit))));
}

void LocalBatchServer::listFiles(const Exchange& exchange)
{
    const auto query = queryOf(std::string(exchange.request->head.target()));
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
    exchange.send(200,
                  listOf(m_State.filePage(parameter(query, "after"), static_cast<size_t>(*limit), order == "desc",
                                          parameter(query, "purpose"))));
}

void LocalBatchServer::downloadFile(const Exchange& exchange, const std::string& id)
{
    // Streamed from disk as the client reads it.
    HttpReply reply;
    reply.contentType = "application/octet-stream";
    reply.file = m_State.filePath(id);
    exchange.reply(std::move(reply));
}

} // namespace openai_batch::server
