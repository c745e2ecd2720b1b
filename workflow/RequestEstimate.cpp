#include "workflow/RequestEstimate.h"

#include "workflow/JsonLine.h"

#include <algorithm>

namespace openai_batch::workflow {

namespace {

using simdjson::ondemand::json_type;

constexpr uint64_t BYTES_PER_TOKEN = 3;

/// The number of inputs body.input holds: each element of an array of strings or of token arrays, else
/// one (a string, or one array of token numbers).
uint64_t countInputs(std::string_view input, size_t readable)
{
    if (input.empty() || input.front() != '[')
    {
        return 1;
    }
    thread_local OnDemandReader reader;
    simdjson::ondemand::array elements;
    if (reader.root(input, readable).get_array().get(elements) != simdjson::SUCCESS)
    {
        return 1;
    }
    uint64_t count = 0;
    bool tokenNumbers = false;
    for (auto element : elements)
    {
        json_type type{};
        tokenNumbers = tokenNumbers || (element.type().get(type) == simdjson::SUCCESS && type == json_type::number);
        ++count;
    }
    return tokenNumbers ? 1 : count;
}

/// A cap given as a whole number of tokens; 0 for anything else (a fraction, an exponent, a number
/// too large for 64 bits): the API refuses those, so they say nothing about tokens.
uint64_t capOf(std::string_view number)
{
    const bool whole = !number.empty() && number.find_first_not_of("0123456789") == std::string_view::npos;
    return whole && number.size() <= 18 ? std::stoull(std::string(number)) : 0;
}

} // namespace

RequestEstimate estimateRequest(std::string_view body, size_t readable)
{
    thread_local OnDemandReader reader;
    simdjson::ondemand::object members;
    if (const auto code = reader.root(body, readable).get_object().get(members))
    {
        throw JsonSyntaxError(std::string("not a JSON object: ") + simdjson::error_message(code));
    }
    RequestEstimate estimate;
    uint64_t inputBytes = 0;
    for (auto member : members)
    {
        std::string_view key;
        simdjson::ondemand::value value;
        json_type type{};
        if (member.unescaped_key().get(key) != simdjson::SUCCESS || member.value().get(value) != simdjson::SUCCESS
            || value.type().get(type) != simdjson::SUCCESS)
        {
            throw JsonSyntaxError("not valid JSON: a member of the body cannot be read");
        }
        std::string_view model;
        if (key == "model" && type == json_type::string && value.get_string().get(model) == simdjson::SUCCESS)
        {
            estimate.model = std::string(model);
        }
        else if ((key == "max_tokens" || key == "max_completion_tokens" || key == "max_output_tokens")
                 && type == json_type::number)
        {
            estimate.outputTokens = std::max(estimate.outputTokens, capOf(rawText(value)));
        }
        else if (key == "messages" || key == "input" || key == "prompt" || key == "instructions" || key == "tools"
                 || key == "functions" || key == "response_format" || key == "text")
        {
            const std::string_view text = rawText(value);
            inputBytes += text.size();
            if (key == "input")
            {
                estimate.embeddingInputs = countInputs(text, reader.readableAt(text));
            }
        }
    }
    estimate.inputTokens = (inputBytes + BYTES_PER_TOKEN - 1) / BYTES_PER_TOKEN;
    return estimate;
}

RequestEstimate estimateRequestLine(std::string_view line, size_t readable)
{
    const std::string_view body = sourceOf(line, {"body"}, readable);
    // What may be read past the line may be read past the body, a view of it.
    const auto bodyOffset = static_cast<size_t>(body.data() - line.data());
    return estimateRequest(body, readable > bodyOffset ? readable - bodyOffset : 0);
}

} // namespace openai_batch::workflow
