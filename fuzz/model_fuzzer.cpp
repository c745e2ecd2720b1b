// libFuzzer harness: any JSON given to any generated model, through the registry the generator writes.
// Input: a model name, a newline, then the JSON text (a name the spec lacks picks a model by its hash).
// fromJson must never throw and must say why when it returns false. What it read must write back to
// JSON that reads again to the same JSON: nothing lost or invented on the way through the model. (A
// value refused for its type is dropped, so only a complete read must read back complete.)
#include "api/ApiException.h"
#include "model/ModelRegistry.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>

namespace {

namespace model = org::openapitools::client::model;

const model::ModelType& chooseModel(const std::string& name)
{
    if (const auto* type = model::findModelType(name))
    {
        return *type;
    }
    const auto& types = model::allModelTypes();
    return types[std::hash<std::string>{}(name) % types.size()];
}

[[noreturn]] void fail(const char* what, const model::ModelType& type, const std::string& detail)
{
    std::fprintf(stderr, "%s: %s\n%s\n", type.name, what, detail.c_str());
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string input(reinterpret_cast<const char*>(data), size);
    const size_t newline = input.find('\n');
    if (newline == std::string::npos)
    {
        return 0;
    }
    const model::ModelType& type = chooseModel(input.substr(0, newline));
    std::string problem;
    const auto json = org::openapitools::client::api::tryParseJson(input.substr(newline + 1), problem);
    if (!json)
    {
        return 0;
    }

    const auto read = type.create();
    const bool complete = read->fromJson(*json);
    if (!complete && read->getDiagnostics().empty())
    {
        fail("fromJson returned false without a diagnostic", type, json->serialize());
    }
    const web::json::value written = read->toJson();
    const auto reread = type.create();
    if (!reread->fromJson(written) && complete)
    {
        fail("toJson's output of a complete model does not read back complete", type, written.serialize());
    }
    if (reread->toJson().serialize() != written.serialize())
    {
        fail("toJson -> fromJson -> toJson changed the JSON", type,
             written.serialize() + "\n" + reread->toJson().serialize());
    }

    try
    {
        read->validate();
    }
    catch (const model::ModelValidationException&)
    {
    }
    std::ostringstream printed;
    printed << *read;
    auto multipart = std::make_shared<model::MultipartFormData>();
    read->toMultipart(multipart, "part");
    (void)type.create()->fromMultiPart(multipart, "part");
    return 0;
}
