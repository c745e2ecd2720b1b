// Google Benchmark: what the generated models cost over cpprestsdk's own JSON, on three documents a
// batch job handles: one Batch, a full page of ListBatchesResponse (100 batches, the API's maximum), and
// one BatchRequestOutput line. Each benchmark is one step done both ways, cpprestsdk alone ("raw") and
// through the model, in alternating order within the same loop, timed separately (counters raw_ns and
// model_ns, per document). Pairing them this closely is what makes the ratio steady on a noisy machine:
// a slow spell slows both sides alike. The steps:
//   read        parse                      / parse + fromJson
//   api_read    parse                      / what the API layer does: tryParseJson's checks + fromJson
//   write       serialize                  / toJson + serialize
//   tree_write  serialize                  / copy of the parsed tree + serialize: no model at all, the
//                                            floor for any toJson that returns a cpprestsdk value
//   round_trip  parse + serialize          / parse + fromJson + toJson + serialize
// bench/compare.py runs it and prints the ratios:
//   build/bench/model_bench --benchmark_format=json
#include "api/ApiException.h"
#include "model/Batch.h"
#include "model/BatchRequestOutput.h"
#include "model/ListBatchesResponse.h"

#include "Fixtures.h"

#include <benchmark/benchmark.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace {

namespace model = org::openapitools::client::model;
namespace api = org::openapitools::client::api;

/// A page of `count` batches, each a copy of the completed-batch fixture with its own id.
std::string listPage(int count)
{
    std::string page = R"({"object": "list", "data": [)";
    for (int i = 0; i < count; ++i)
    {
        std::string batch = fixtures::kCompletedBatch;
        batch.replace(batch.find("batch_abc123"), 12, "batch_" + std::to_string(100000 + i));
        page += (i ? ", " : "") + batch;
    }
    return page + R"(], "first_id": "batch_100000", "last_id": "batch_100099", "has_more": true})";
}

/// One document: its text (as cpprestsdk parses it, and as the API layer receives a body), and the same
/// already parsed (what the write steps start from).
struct Document
{
    Document(std::string name, std::string json)
        : name(std::move(name))
        , body(std::move(json))
        , text(utility::conversions::to_string_t(body))
        , parsed(web::json::value::parse(text))
    {
    }

    std::string name;
    std::string body;
    utility::string_t text;
    web::json::value parsed;
};

template <typename Model> Model readModel(const web::json::value& json)
{
    Model model;
    if (!model.fromJson(json))
    {
        throw std::logic_error("the fixture did not read");
    }
    return model;
}

/// Runs `raw` and `model` once each per iteration, alternating which goes first so that neither always
/// finds the caches the other left, and reports each one's mean time per document.
template <typename Raw, typename Through> void paired(benchmark::State& state, Raw raw, Through throughModel)
{
    using Clock = std::chrono::steady_clock;
    Clock::duration rawTime{};
    Clock::duration modelTime{};
    bool rawFirst = true;
    for (auto _ : state)
    {
        const auto start = Clock::now();
        rawFirst ? raw() : throughModel();
        const auto middle = Clock::now();
        rawFirst ? throughModel() : raw();
        const auto end = Clock::now();
        rawTime += rawFirst ? middle - start : end - middle;
        modelTime += rawFirst ? end - middle : middle - start;
        rawFirst = !rawFirst;
    }
    const auto nanoseconds = [](Clock::duration d) {
        return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
    };
    state.counters["raw_ns"] = benchmark::Counter(nanoseconds(rawTime), benchmark::Counter::kAvgIterations);
    state.counters["model_ns"] = benchmark::Counter(nanoseconds(modelTime), benchmark::Counter::kAvgIterations);
}

/// Registers the five steps of one document as "<document>/<step>".
template <typename Model> void registerDocument(const Document& document)
{
    const auto add = [&](const char* step, auto raw, auto throughModel) {
        benchmark::RegisterBenchmark(
            (document.name + "/" + step).c_str(),
            [raw, throughModel](benchmark::State& state) { paired(state, raw, throughModel); });
    };
    const Document* doc = &document;
    const auto parse = [doc] { benchmark::DoNotOptimize(web::json::value::parse(doc->text)); };
    const auto serialize = [doc] { benchmark::DoNotOptimize(doc->parsed.serialize()); };
    const auto model = std::make_shared<const Model>(readModel<Model>(document.parsed));
    add("read", parse, [doc] { benchmark::DoNotOptimize(readModel<Model>(web::json::value::parse(doc->text))); });
    add("api_read", parse, [doc] {
        std::string problem;
        const auto json = api::tryParseJson(doc->body, problem);
        benchmark::DoNotOptimize(readModel<Model>(json.value()));
    });
    add("write", serialize, [model] { benchmark::DoNotOptimize(model->toJson().serialize()); });
    add("tree_write", serialize, [doc] {
        web::json::value copy = doc->parsed;
        benchmark::DoNotOptimize(copy); // the copy is the point: it stands for building the tree
        benchmark::DoNotOptimize(copy.serialize());
    });
    add(
        "round_trip", [doc] { benchmark::DoNotOptimize(web::json::value::parse(doc->text).serialize()); },
        [doc] { benchmark::DoNotOptimize(readModel<Model>(web::json::value::parse(doc->text)).toJson().serialize()); });
}

} // namespace

int main(int argc, char** argv)
{
    static const Document batch("Batch", fixtures::kCompletedBatch);
    static const Document page("ListBatchesResponse", listPage(100));
    static const Document output("BatchRequestOutput", fixtures::kOutputLine);
    registerDocument<model::Batch>(batch);
    registerDocument<model::ListBatchesResponse>(page);
    registerDocument<model::BatchRequestOutput>(output);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
    {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
