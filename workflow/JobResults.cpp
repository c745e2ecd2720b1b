#include "workflow/Job.h"
#include "workflow/DurableFile.h"
#include "workflow/JobStore.h"

#include "api/ApiException.h"

#include <map>

namespace openai_batch::workflow {

using namespace jobstore;

struct JobResults::State
{
    State(std::string directory, Order order)
        : directory(std::move(directory))
        , manifest(loadManifest(this->directory))
        , order(order)
        , records(recordsPath(this->directory), false)
    {
    }

    std::string directory;
    Manifest manifest;
    Order order;
    RecordFile records;
    uint64_t nextIndex = 0; ///< the next record to hand out (RequestFiles), or to look at (AsStored's last pass)
    static constexpr size_t MAX_OPEN_FILES = 16;
    std::map<std::string, std::ifstream> openFiles; ///< result files read by offset, at most MAX_OPEN_FILES
    std::string line;                               ///< the current result line
    JsonLineParser parser;                          ///< holds the tree of line, for its typed reads

    // Order::AsStored: the result file being read, front to back.
    size_t shard = 0;
    ResultKind kind = ResultKind::Output;
    std::unique_ptr<ResultFileReader> reader;
    ShardRequests requests;
    bool filesDone = false;

    /// The result line at offset in a result file of the job.
    void readLine(const std::string& relative, uint64_t offset)
    {
        auto found = openFiles.find(relative);
        if (found == openFiles.end())
        {
            if (openFiles.size() >= MAX_OPEN_FILES)
            {
                openFiles.clear(); // a job of thousands of shards must not run out of descriptors
            }
            found = openFiles.emplace(relative, std::ifstream(directory + "/" + relative, std::ios::binary)).first;
        }
        std::ifstream& file = found->second;
        file.clear();
        file.seekg(static_cast<std::streamoff>(offset));
        if (!std::getline(file, line))
        {
            throw StorageError("cannot read a result line of " + directory + "/" + relative);
        }
        if (!line.empty() && line.back() == '\r')
        {
            line.pop_back();
        }
    }

    void fill(JobResult& result, uint64_t index, const RequestRecord& record)
    {
        result = JobResult{};
        result.index = index;
        result.requestFile = manifest.files.at(record.file).path;
        result.lineNumber = record.lineNumber;
        const Shard* decider = record.attempt > 0 ? &manifest.shards.at(record.resultShard) : nullptr;
        if (decider == nullptr || decider->state != "settled")
        {
            // Not run yet, or its shard is being settled (the manifest does not say so yet): pending.
            result.customId = readRequestLine(readRequestLineOf(directory, record)).customId;
            return;
        }
        result.outcome = static_cast<RequestOutcome>(record.outcome);
        result.attempt = record.attempt;
        if (record.statusCode != 0)
        {
            result.statusCode = record.statusCode;
        }
        result.batchId = decider->batchId;
        const auto kind = static_cast<ResultKind>(record.resultKind);
        if (kind == ResultKind::Output || kind == ResultKind::Error)
        {
            readLine(kind == ResultKind::Output ? decider->outputFile : decider->errorFile, record.resultOffset);
            parseResultLine(line, result.result, parser);
            result.customId = result.result.customId;
            errorOf(result);
            return;
        }
        result.customId = readRequestLine(readRequestLineOf(directory, record)).customId;
        if (kind == ResultKind::BatchFailure)
        {
            result.code = decider->failureCode;
            result.message = decider->failureMessage;
        }
    }

    static void errorOf(JobResult& result)
    {
        const BatchResult& line = result.result;
        result.code = line.errorCode.value_or("");
        result.message = line.errorMessage.value_or("");
        const std::string_view body = line.errorCode || line.succeeded() ? std::string_view() : line.body();
        if (!body.empty())
        {
            if (const auto error = api::OpenAIError::parse(std::string(body)))
            {
                result.code = utility::conversions::to_utf8string(error->code);
                result.message = utility::conversions::to_utf8string(error->message);
            }
        }
    }

    /// Opens the next result file in shard order; false when there is none.
    bool openNextFile()
    {
        while (shard < manifest.shards.size())
        {
            const Shard& current = manifest.shards[shard];
            const std::string& relative = kind == ResultKind::Output ? current.outputFile : current.errorFile;
            if (current.state == "settled" && !relative.empty())
            {
                if (kind == ResultKind::Output || current.outputFile.empty())
                {
                    requests = loadShardRequests(directory, current);
                }
                reader = std::make_unique<ResultFileReader>(directory + "/" + relative,
                                                            ResultFileReader::OnMalformedLine::Skip);
                return true;
            }
            advanceFile();
        }
        return false;
    }

    void advanceFile()
    {
        reader.reset();
        if (kind == ResultKind::Output)
        {
            kind = ResultKind::Error;
            return;
        }
        kind = ResultKind::Output;
        ++shard;
    }

    bool nextStored(JobResult& result)
    {
        BatchResult line;
        while (!filesDone)
        {
            if (!reader && !openNextFile())
            {
                filesDone = true;
                break;
            }
            while (reader->next(line))
            {
                const auto position = requests.positionOf.find(line.customId);
                if (position == requests.positionOf.end())
                {
                    continue;
                }
                const uint64_t index = requests.jobIndex[position->second];
                const RequestRecord record = records.read(index);
                if (record.resultShard == shard && record.resultKind == static_cast<uint8_t>(kind)
                    && record.resultOffset == reader->lineOffset() && record.attempt > 0)
                {
                    fill(result, index, record);
                    return true;
                }
            }
            advanceFile();
        }
        // Then the requests whose outcome has no result line.
        while (nextIndex < manifest.requests)
        {
            const uint64_t index = nextIndex++;
            const RequestRecord record = records.read(index);
            const auto kindOf = static_cast<ResultKind>(record.resultKind);
            if (kindOf == ResultKind::None || kindOf == ResultKind::BatchFailure)
            {
                fill(result, index, record);
                return true;
            }
        }
        return false;
    }
};

JobResults::JobResults(const std::string& jobDirectory, Order order)
    : m_State(std::make_unique<State>(jobDirectory, order))
{
}

JobResults::~JobResults() = default;

bool JobResults::next(JobResult& result)
{
    State& state = *m_State;
    if (state.order == Order::AsStored)
    {
        return state.nextStored(result);
    }
    if (state.nextIndex >= state.manifest.requests)
    {
        return false;
    }
    const uint64_t index = state.nextIndex++;
    state.fill(result, index, state.records.read(index));
    return true;
}

} // namespace openai_batch::workflow
