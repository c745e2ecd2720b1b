#include "WebhookSender.h"

#include "api/ApiException.h"

#include <cpprest/http_client.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;

namespace openai_batch::server {

namespace {

using web::json::value;

/// Event ids, and the names of their files: evt_<batch id without "batch_">_<status>.
const std::string EVENT_PREFIX = "evt_";

/// The event type OpenAI sends when a batch ends with status, or "" for a status that is not an end.
std::string eventType(const std::string& status)
{
    for (const char* ended : {"completed", "failed", "cancelled", "expired"})
    {
        if (status == ended)
        {
            return std::string("batch.") + ended;
        }
    }
    return "";
}

std::string readAll(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

void checkLoopbackUrl(const std::string& url)
{
    const std::string problem = "the webhook URL must be http:// to 127.0.0.1, [::1] or localhost";
    try
    {
        const web::uri uri(utility::conversions::to_string_t(url));
        const std::string host = utility::conversions::to_utf8string(uri.host());
        const bool loopback = host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]";
        if (uri.scheme() != _XPLATSTR("http") || !loopback)
        {
            throw std::invalid_argument(problem + ", not '" + url + "'");
        }
    }
    catch (const web::uri_exception&)
    {
        throw std::invalid_argument(problem + ", not '" + url + "'");
    }
}

WebhookSender::WebhookSender(const BatchState& state, WebhookDelivery options, std::function<int64_t()> nowSeconds)
    : m_Directory((fs::path(state.directory()) / "webhooks").string())
    , m_Options(std::move(options))
    , m_Signer(m_Options.secret)
    , m_Now(std::move(nowSeconds))
{
    checkLoopbackUrl(m_Options.url);
    fs::create_directories(m_Directory);
    queueWhatAnEarlierRunLeft(state);
    m_Worker = std::thread([this] { run(); });
}

void WebhookSender::queueWhatAnEarlierRunLeft(const BatchState& state)
{
    std::vector<fs::path> left;
    for (const auto& entry : fs::directory_iterator(m_Directory))
    {
        const std::string name = entry.path().filename().string();
        if (name.rfind(EVENT_PREFIX, 0) == 0 && entry.path().extension() == ".json")
        {
            left.push_back(entry.path());
        }
        else if (entry.path().extension() == ".tmp")
        {
            fs::remove(entry.path()); // a write a crash cut short: the batch's end was not saved either
        }
    }
    std::sort(left.begin(), left.end());
    for (const auto& path : left)
    {
        std::string problem;
        const auto event = org::openapitools::client::api::tryParseJson(readAll(path.string()), problem);
        const bool readable = event && event->has_string_field("type") && event->has_object_field("data")
            && event->at("data").has_string_field("id");
        const auto batch = readable ? state.batch(event->at("data").at("id").as_string()) : std::nullopt;
        const std::string saved = batch ? eventType(batch->at("status").as_string()) : std::string();
        if (batch && saved == event->at("type").as_string())
        {
            m_Pending.push_back(path.string());
        }
        else if (!batch || !saved.empty())
        {
            fs::remove(path); // unreadable, of no batch, or the batch ended otherwise: a stale record
        }
        // else: the batch's end was not saved; it will end again and record this file anew.
    }
}

WebhookSender::~WebhookSender()
{
    {
        std::lock_guard<std::mutex> lock(m_Mutex);
        m_Stopping = true;
    }
    m_Wake.notify_all();
    m_Worker.join();
}

std::string WebhookSender::eventPath(const value& batch) const
{
    const std::string batchId = batch.at("id").as_string();
    const std::string status = batch.at("status").as_string();
    return (fs::path(m_Directory) / (EVENT_PREFIX + batchId.substr(batchId.find('_') + 1) + "_" + status + ".json"))
        .string();
}

void WebhookSender::record(const value& batch)
{
    const std::string type = eventType(batch.at("status").as_string());
    if (type.empty())
    {
        return;
    }
    const std::string path = eventPath(batch);
    value event = value::object(true);
    event["id"] = value::string(fs::path(path).stem().string());
    event["object"] = value::string("event");
    event["created_at"] = value::number(m_Now());
    event["type"] = value::string(type);
    value data = value::object(true);
    data["id"] = batch.at("id");
    event["data"] = data;
    workflow::writeAtomically(path, event.serialize());
}

void WebhookSender::release(const value& batch)
{
    if (eventType(batch.at("status").as_string()).empty())
    {
        return;
    }
    {
        std::lock_guard<std::mutex> lock(m_Mutex);
        m_Pending.push_back(eventPath(batch));
    }
    m_Wake.notify_all();
}

void WebhookSender::run()
{
    while (true)
    {
        std::string path;
        {
            std::unique_lock<std::mutex> lock(m_Mutex);
            m_Wake.wait(lock, [this] { return m_Stopping || !m_Pending.empty(); });
            if (m_Stopping)
            {
                return; // what is left stays on disk for the next run
            }
            path = m_Pending.front();
            m_Pending.pop_front();
        }
        try
        {
            send(path);
        }
        catch (const std::exception& error)
        {
            // One event's trouble (a file gone, a full disk) must not end the thread, or the server.
            std::cerr << "openai-batch-server: webhook " << path << ": " << error.what() << std::endl;
        }
    }
}

void WebhookSender::send(const std::string& path)
{
    if (!fs::exists(path))
    {
        return; // queued twice (the same event again): already delivered
    }
    const std::string body = readAll(path);
    const std::string eventId = fs::path(path).stem().string();
    auto wait = m_Options.firstRetry;
    for (int attempt = 1; attempt <= m_Options.attempts; ++attempt)
    {
        if (deliver(eventId, body))
        {
            fs::remove(path);
            return;
        }
        if (attempt == m_Options.attempts || !sleepUnlessStopping(wait))
        {
            break;
        }
        wait *= 4;
    }
    bool stopping = false;
    {
        std::lock_guard<std::mutex> lock(m_Mutex);
        stopping = m_Stopping;
    }
    if (!stopping)
    {
        std::cerr << "openai-batch-server: webhook " << eventId << " not delivered to " << m_Options.url << " after "
                  << m_Options.attempts << " attempts; dropped" << std::endl;
        fs::remove(path);
    }
}

bool WebhookSender::deliver(const std::string& eventId, const std::string& body)
{
    const std::string webhookId = "msg_" + eventId.substr(EVENT_PREFIX.size());
    const int64_t timestamp = m_Now();
    web::http::client::http_client_config config;
    config.set_timeout(std::chrono::seconds(5));
    web::http::http_request request(web::http::methods::POST);
    request.headers().add(_XPLATSTR("webhook-id"), utility::conversions::to_string_t(webhookId));
    request.headers().add(_XPLATSTR("webhook-timestamp"), timestamp);
    request.headers().add(_XPLATSTR("webhook-signature"),
                          utility::conversions::to_string_t(m_Signer.sign(webhookId, timestamp, body)));
    request.set_body(body, "application/json");
    try
    {
        web::http::client::http_client client(utility::conversions::to_string_t(m_Options.url), config);
        const auto response = client.request(request).get();
        return response.status_code() >= 200 && response.status_code() < 300;
    }
    catch (const std::exception&)
    {
        return false; // refused, reset or timed out: retried like an error status
    }
}

bool WebhookSender::sleepUnlessStopping(std::chrono::milliseconds duration)
{
    std::unique_lock<std::mutex> lock(m_Mutex);
    return !m_Wake.wait_for(lock, duration, [this] { return m_Stopping; });
}

} // namespace openai_batch::server
