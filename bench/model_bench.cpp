// Google Benchmark: what the generated models cost over cpprestsdk's own JSON, on three documents a
// batch job handles: one Batch, a full page of ListBatchesResponse (100 batches, the API's maximum), and
// one BatchRequestOutput line. For each: parse alone, then parse + fromJson; parse alone again, then
// what the API layer does with a response (tryParseJson's checks + fromJson); serialize alone, then
// toJson + serialize, and then a copy of the parsed tree + serialize (the floor for any toJson that
// returns a cpprestsdk value); and the whole round trip both ways. bench/compare.py prints the ratios.
//   build/bench/model_bench --benchmark_format=json
#include "api/ApiException.h"
#include "model/Batch.h"
#include "model/BatchRequestOutput.h"
#include "model/ListBatchesResponse.h"

#include "Fixtures.h"

#include <benchmark/benchmark.h>

#include <string>

namespace {

namespace model = org::openapitools::client::model;

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

struct Document
{
    const char* name;
    std::string text;
};

const Document& document(int which)
{
    static const Document documents[] = {
        {"Batch", fixtures::kCompletedBatch},
        {"ListBatchesResponse", listPage(100)},
        {"BatchRequestOutput", fixtures::kOutputLine},
    };
    return documents[which];
}

void rawParse(benchmark::State& state, int which)
{
    const auto text = utility::conversions::to_string_t(document(which).text);
    for (auto _ : state)
    {
        benchmark::DoNotOptimize(web::json::value::parse(text));
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

template <typename Model>
void modelFromJson(benchmark::State& state, int which)
{
    const auto text = utility::conversions::to_string_t(document(which).text);
    for (auto _ : state)
    {
        Model model;
        if (!model.fromJson(web::json::value::parse(text)))
        {
            state.SkipWithError("the fixture did not read");
        }
        benchmark::DoNotOptimize(model);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

/// What the API layer does with a response body: tryParseJson (cpprestsdk's parse, plus the nesting
/// and duplicate-key checks), then fromJson.
template <typename Model>
void apiRead(benchmark::State& state, int which)
{
    const std::string& text = document(which).text;
    std::string problem;
    for (auto _ : state)
    {
        const auto json = org::openapitools::client::api::tryParseJson(text, problem);
        Model model;
        if (!json || !model.fromJson(*json))
        {
            state.SkipWithError("the fixture did not read");
        }
        benchmark::DoNotOptimize(model);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void rawSerialize(benchmark::State& state, int which)
{
    const auto json = web::json::value::parse(utility::conversions::to_string_t(document(which).text));
    for (auto _ : state)
    {
        benchmark::DoNotOptimize(json.serialize());
    }
}

/// The least any toJson() that returns a web::json::value can cost before serializing: building a tree
/// of the same document, here by copying the parsed one (cpprestsdk's copies are deep).
void copySerialize(benchmark::State& state, int which)
{
    const auto json = web::json::value::parse(utility::conversions::to_string_t(document(which).text));
    for (auto _ : state)
    {
        web::json::value copy = json;
        benchmark::DoNotOptimize(copy); // the copy is the point: it stands for building the tree
        benchmark::DoNotOptimize(copy.serialize());
    }
}

template <typename Model>
void modelToJson(benchmark::State& state, int which)
{
    Model model;
    model.fromJson(web::json::value::parse(utility::conversions::to_string_t(document(which).text)));
    for (auto _ : state)
    {
        benchmark::DoNotOptimize(model.toJson().serialize());
    }
}

void rawRoundTrip(benchmark::State& state, int which)
{
    const auto text = utility::conversions::to_string_t(document(which).text);
    for (auto _ : state)
    {
        benchmark::DoNotOptimize(web::json::value::parse(text).serialize());
    }
}

template <typename Model>
void modelRoundTrip(benchmark::State& state, int which)
{
    const auto text = utility::conversions::to_string_t(document(which).text);
    for (auto _ : state)
    {
        Model model;
        model.fromJson(web::json::value::parse(text));
        benchmark::DoNotOptimize(model.toJson().serialize());
    }
}

/// Registers the benchmarks of one document as "<Model>/<step>/<raw|model>".
template <typename Model>
void registerDocument(int which)
{
    const std::string name = document(which).name;
    benchmark::RegisterBenchmark((name + "/read/raw").c_str(), rawParse, which);
    benchmark::RegisterBenchmark((name + "/read/model").c_str(), modelFromJson<Model>, which);
    benchmark::RegisterBenchmark((name + "/api_read/raw").c_str(), rawParse, which);
    benchmark::RegisterBenchmark((name + "/api_read/model").c_str(), apiRead<Model>, which);
    benchmark::RegisterBenchmark((name + "/write/raw").c_str(), rawSerialize, which);
    benchmark::RegisterBenchmark((name + "/write/model").c_str(), modelToJson<Model>, which);
    benchmark::RegisterBenchmark((name + "/tree_write/raw").c_str(), rawSerialize, which);
    benchmark::RegisterBenchmark((name + "/tree_write/model").c_str(), copySerialize, which);
    benchmark::RegisterBenchmark((name + "/round_trip/raw").c_str(), rawRoundTrip, which);
    benchmark::RegisterBenchmark((name + "/round_trip/model").c_str(), modelRoundTrip<Model>, which);
}

} // namespace

int main(int argc, char** argv)
{
    registerDocument<model::Batch>(0);
    registerDocument<model::ListBatchesResponse>(1);
    registerDocument<model::BatchRequestOutput>(2);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
    {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
