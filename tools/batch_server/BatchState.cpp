#include "BatchState.h"

#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace openai_batch::server {

namespace {

using web::json::value;

value readJson(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    try
    {
        return value::parse(text.str());
    }
    catch (const std::exception& error)
    {
        throw std::runtime_error("cannot load the state file " + path.string() + ": " + error.what());
    }
}

int64_t createdAt(const value& object)
{
    return object.has_number_field("created_at") ? object.at("created_at").as_number().to_int64() : 0;
}

bool hasEnded(const value& batch)
{
    const std::string status = batch.at("status").as_string();
    return status == "completed" || status == "failed" || status == "expired" || status == "cancelled";
}

} // namespace

void BatchState::Collection::put(const value& object)
{
    const std::string id = object.at("id").as_string();
    const auto old = byId.find(id);
    if (old != byId.end())
    {
        byCreation.erase({createdAt(old->second), id});
    }
    byId[id] = object;
    byCreation.insert({createdAt(object), id});
}

bool BatchState::Collection::erase(const std::string& id)
{
    const auto found = byId.find(id);
    if (found == byId.end())
    {
        return false;
    }
    byCreation.erase({createdAt(found->second), id});
    byId.erase(found);
    return true;
}

Page BatchState::Collection::page(const std::string& after, size_t limit, bool newestFirst,
                                  const std::function<bool(const value&)>& wanted) const
{
    Page page;
    const auto collect = [&](auto begin, auto end) {
        for (auto at = begin; at != end; ++at)
        {
            const value& object = byId.at(at->second);
            if (!wanted(object))
            {
                continue;
            }
            if (page.data.size() == limit)
            {
                page.hasMore = true;
                return;
            }
            page.data.push_back(object);
        }
    };
    // An `after` that names nothing starts after everything, as a cursor past the end would.
    const auto cursor = byId.find(after);
    if (newestFirst)
    {
        auto start = byCreation.rbegin();
        if (!after.empty())
        {
            start = cursor == byId.end()
                ? byCreation.rend()
                : std::make_reverse_iterator(byCreation.find({createdAt(cursor->second), after}));
        }
        collect(start, byCreation.rend());
    }
    else
    {
        auto start = byCreation.begin();
        if (!after.empty())
        {
            start = cursor == byId.end() ? byCreation.end()
                                         : std::next(byCreation.find({createdAt(cursor->second), after}));
        }
        collect(start, byCreation.end());
    }
    return page;
}

BatchState::BatchState(std::string directory)
    : m_Directory(std::move(directory))
{
    fs::create_directories(fs::path(m_Directory) / "files");
    fs::create_directories(fs::path(m_Directory) / "batches");
    // Two servers on one directory would both append to the same output files.
    m_Lock = std::make_unique<workflow::DirectoryLock>(m_Directory, "another server");
    load();
}

BatchState::~BatchState() = default;

void BatchState::load()
{
    for (const char* kind : {"files", "batches"})
    {
        for (const auto& entry : fs::directory_iterator(fs::path(m_Directory) / kind))
        {
            if (entry.path().extension() == ".tmp")
            {
                fs::remove(entry.path()); // a write a crash cut short: its old version, if any, stands
            }
        }
    }
    for (const auto& entry : fs::directory_iterator(fs::path(m_Directory) / "files"))
    {
        if (entry.path().extension() == ".json")
        {
            m_Files.put(readJson(entry.path()));
        }
    }
    for (const auto& entry : fs::directory_iterator(fs::path(m_Directory) / "files"))
    {
        const std::string id = entry.path().stem().string();
        if (entry.path().extension() == ".data" && !m_Files.byId.count(id))
        {
            fs::remove(entry.path()); // content stored by an upload a crash cut off before its object
        }
    }
    for (const auto& entry : fs::directory_iterator(fs::path(m_Directory) / "batches"))
    {
        if (entry.path().extension() != ".json")
        {
            continue;
        }
        const value record = readJson(entry.path());
        if (!record.has_object_field("batch") || !record.has_object_field("run"))
        {
            throw std::runtime_error("cannot load the state file " + entry.path().string()
                                     + ": it is not a batch record of this version (a batch and its run)");
        }
        const std::string id = record.at("batch").at("id").as_string();
        m_Batches.put(record.at("batch"));
        m_Progress[id] = progressFrom(id, record.at("run"));
    }
    m_Counter = m_Files.byId.size() + m_Batches.byId.size();
}

std::string BatchState::newId(const std::string& prefix)
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    // A counter keeps ids ordered within a run; the random part keeps them unique across restarts.
    static thread_local std::mt19937_64 random{std::random_device{}()};
    std::ostringstream id;
    id << prefix << std::setw(6) << std::setfill('0') << ++m_Counter << std::hex << std::setw(12)
       << (random() & 0xffffffffffffULL);
    return id.str();
}

std::string BatchState::filePath(const std::string& id) const
{
    return (fs::path(m_Directory) / "files" / (id + ".data")).string();
}

void BatchState::putFile(const value& file)
{
    const std::string id = file.at("id").as_string();
    workflow::writeAtomically((fs::path(m_Directory) / "files" / (id + ".json")).string(), file.serialize());
    std::lock_guard<std::mutex> lock(m_Mutex);
    m_Files.put(file);
}

std::optional<value> BatchState::file(const std::string& id) const
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    const auto found = m_Files.byId.find(id);
    return found == m_Files.byId.end() ? std::nullopt : std::optional<value>(found->second);
}

Page BatchState::filePage(const std::string& after, size_t limit, bool newestFirst, const std::string& purpose) const
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    return m_Files.page(after, limit, newestFirst, [&](const value& file) {
        return purpose.empty() || file.at("purpose").as_string() == purpose;
    });
}

bool BatchState::deleteFile(const std::string& id)
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    if (!m_Files.erase(id))
    {
        return false;
    }
    fs::remove(fs::path(m_Directory) / "files" / (id + ".json"));
    fs::remove(fs::path(m_Directory) / "files" / (id + ".data"));
    return true;
}

void BatchState::putBatch(const value& batch, const RunProgress& progress)
{
    const std::string id = batch.at("id").as_string();
    value run = value::object();
    run["stage_started_ms"] = value::number(progress.stageStartedMs);
    run["input_offset"] = value::number(progress.inputOffset);
    run["output_bytes"] = value::number(progress.outputBytes);
    run["error_bytes"] = value::number(progress.errorBytes);
    run["output_expires_after"] = value::number(progress.outputExpiresAfter);
    value tokens = value::object(true);
    for (const auto& [model, count] : progress.enqueuedTokens)
    {
        tokens[model] = value::number(count);
    }
    run["enqueued_tokens"] = tokens;
    value record = value::object(true);
    record["batch"] = batch;
    record["run"] = run;
    workflow::writeAtomically((fs::path(m_Directory) / "batches" / (id + ".json")).string(), record.serialize());
    std::lock_guard<std::mutex> lock(m_Mutex);
    m_Batches.put(batch);
    m_Progress[id] = progress;
}

std::optional<value> BatchState::batch(const std::string& id) const
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    const auto found = m_Batches.byId.find(id);
    return found == m_Batches.byId.end() ? std::nullopt : std::optional<value>(found->second);
}

Page BatchState::batchPage(const std::string& after, size_t limit) const
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    return m_Batches.page(after, limit, true, [](const value&) { return true; });
}

std::vector<std::string> BatchState::unfinishedBatches() const
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    std::vector<std::string> ids;
    for (const auto& [created, id] : m_Batches.byCreation)
    {
        if (!hasEnded(m_Batches.byId.at(id)))
        {
            ids.push_back(id);
        }
    }
    return ids;
}

RunProgress BatchState::progress(const std::string& batchId) const
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    const auto found = m_Progress.find(batchId);
    return found != m_Progress.end() ? found->second : progressFrom(batchId, value::object());
}

RunProgress BatchState::progressFrom(const std::string& batchId, const value& record) const
{
    RunProgress progress;
    progress.outputPath = (fs::path(m_Directory) / "batches" / (batchId + ".output")).string();
    progress.errorPath = (fs::path(m_Directory) / "batches" / (batchId + ".errors")).string();
    const auto number = [&](const char* name) -> uint64_t {
        return record.has_number_field(name) ? record.at(name).as_number().to_uint64() : 0;
    };
    progress.stageStartedMs = static_cast<int64_t>(number("stage_started_ms"));
    progress.inputOffset = number("input_offset");
    progress.outputBytes = number("output_bytes");
    progress.errorBytes = number("error_bytes");
    progress.outputExpiresAfter = static_cast<int64_t>(number("output_expires_after"));
    if (record.has_object_field("enqueued_tokens"))
    {
        for (const auto& [model, count] : record.at("enqueued_tokens").as_object())
        {
            progress.enqueuedTokens[model] = count.as_number().to_uint64();
        }
    }
    return progress;
}

} // namespace openai_batch::server
