#include "BatchState.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace openai_batch::server {

namespace {

web::json::value readJson(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return web::json::value::parse(text.str());
}

int64_t createdAt(const web::json::value& object)
{
    return object.has_number_field("created_at") ? object.at("created_at").as_number().to_int64() : 0;
}

std::vector<web::json::value> byCreation(const std::map<std::string, web::json::value>& objects)
{
    std::vector<web::json::value> list;
    list.reserve(objects.size());
    for (const auto& entry : objects)
    {
        list.push_back(entry.second);
    }
    std::stable_sort(list.begin(), list.end(), [](const web::json::value& a, const web::json::value& b) {
        return createdAt(a) != createdAt(b) ? createdAt(a) < createdAt(b)
                                            : a.at("id").as_string() < b.at("id").as_string();
    });
    return list;
}

} // namespace

BatchState::BatchState(std::string directory)
    : m_Directory(std::move(directory))
{
    fs::create_directories(fs::path(m_Directory) / "files");
    fs::create_directories(fs::path(m_Directory) / "batches");
    load();
}

void BatchState::load()
{
    for (const auto& entry : fs::directory_iterator(fs::path(m_Directory) / "files"))
    {
        if (entry.path().extension() == ".json")
        {
            m_Files[entry.path().stem().string()] = readJson(entry.path());
        }
    }
    for (const auto& entry : fs::directory_iterator(fs::path(m_Directory) / "batches"))
    {
        if (entry.path().extension() == ".json")
        {
            m_Batches[entry.path().stem().string()] = readJson(entry.path());
        }
    }
    m_Counter = m_Files.size() + m_Batches.size();
}

void BatchState::writeAtomically(const std::string& path, const std::string& text)
{
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush())
        {
            throw std::runtime_error("cannot write " + temporary);
        }
    }
    fs::rename(temporary, path);
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

void BatchState::putFile(const web::json::value& file)
{
    const std::string id = file.at("id").as_string();
    writeAtomically((fs::path(m_Directory) / "files" / (id + ".json")).string(), file.serialize());
    std::lock_guard<std::mutex> lock(m_Mutex);
    m_Files[id] = file;
}

std::optional<web::json::value> BatchState::file(const std::string& id) const
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    const auto found = m_Files.find(id);
    return found == m_Files.end() ? std::nullopt : std::optional<web::json::value>(found->second);
}

std::vector<web::json::value> BatchState::files() const
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    return byCreation(m_Files);
}

bool BatchState::deleteFile(const std::string& id)
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    if (m_Files.erase(id) == 0)
    {
        return false;
    }
    fs::remove(fs::path(m_Directory) / "files" / (id + ".json"));
    fs::remove(fs::path(m_Directory) / "files" / (id + ".data"));
    return true;
}

void BatchState::putBatch(const web::json::value& batch)
{
    const std::string id = batch.at("id").as_string();
    writeAtomically((fs::path(m_Directory) / "batches" / (id + ".json")).string(), batch.serialize());
    std::lock_guard<std::mutex> lock(m_Mutex);
    m_Batches[id] = batch;
}

std::optional<web::json::value> BatchState::batch(const std::string& id) const
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    const auto found = m_Batches.find(id);
    return found == m_Batches.end() ? std::nullopt : std::optional<web::json::value>(found->second);
}

std::vector<web::json::value> BatchState::batches() const
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    return byCreation(m_Batches);
}

RunProgress BatchState::progress(const std::string& batchId) const
{
    const fs::path path = fs::path(m_Directory) / "batches" / (batchId + ".run");
    RunProgress progress;
    progress.outputPath = (fs::path(m_Directory) / "batches" / (batchId + ".output")).string();
    progress.errorPath = (fs::path(m_Directory) / "batches" / (batchId + ".errors")).string();
    if (fs::exists(path))
    {
        const web::json::value record = readJson(path);
        progress.stageStartedMs = record.at("stage_started_ms").as_number().to_int64();
        progress.inputOffset = record.at("input_offset").as_number().to_uint64();
        progress.outputBytes = record.at("output_bytes").as_number().to_uint64();
        progress.errorBytes = record.at("error_bytes").as_number().to_uint64();
        if (record.has_number_field("output_expires_after"))
        {
            progress.outputExpiresAfter = record.at("output_expires_after").as_number().to_int64();
        }
    }
    return progress;
}

void BatchState::putProgress(const std::string& batchId, const RunProgress& progress)
{
    web::json::value record = web::json::value::object();
    record["stage_started_ms"] = web::json::value::number(progress.stageStartedMs);
    record["input_offset"] = web::json::value::number(progress.inputOffset);
    record["output_bytes"] = web::json::value::number(progress.outputBytes);
    record["error_bytes"] = web::json::value::number(progress.errorBytes);
    record["output_expires_after"] = web::json::value::number(progress.outputExpiresAfter);
    writeAtomically((fs::path(m_Directory) / "batches" / (batchId + ".run")).string(), record.serialize());
}

} // namespace openai_batch::server
