#include "workflow/RequestEstimate.h"

#include "workflow/JsonCursor.h"

#include <algorithm>

namespace openai_batch::workflow {

namespace {

constexpr uint64_t BYTES_PER_TOKEN = 3;

/// The number of inputs body.input holds: each element of an array of strings or of token arrays, else
/// one (a string, or one array of token numbers).
uint64_t countInputs(std::string_view input)
{
    JsonCursor cursor(input);
    if (cursor.peek() != JsonKind::Array)
    {
        return 1;
    }
    uint64_t elements = 0;
    bool tokenNumbers = false;
    cursor.readArray([&](JsonCursor& element) {
        tokenNumbers = tokenNumbers || element.peek() == JsonKind::Number;
        element.readValue();
        ++elements;
    });
    return tokenNumbers ? 1 : elements;
}

} // namespace

RequestEstimate estimateRequest(std::string_view body)
{
    RequestEstimate estimate;
    uint64_t inputBytes = 0;
    JsonCursor cursor(body);
    cursor.readObject([&](std::string_view key, JsonCursor& member) {
        if (key == "model" && member.peek() == JsonKind::String)
        {
            estimate.model = member.readString();
        }
        else if ((key == "max_tokens" || key == "max_completion_tokens" || key == "max_output_tokens")
                 && member.peek() == JsonKind::Number)
        {
            const JsonSpan cap = member.readValue();
            const bool whole = cap.text.find_first_of(".eE-") == std::string_view::npos;
            // A cap too large for 64 bits, or not a whole number, says nothing about tokens: the API refuses it.
            const uint64_t tokens = whole && cap.text.size() <= 18 ? std::stoull(std::string(cap.text)) : 0;
            estimate.outputTokens = std::max(estimate.outputTokens, tokens);
        }
        else if (key == "messages" || key == "input" || key == "prompt" || key == "instructions" || key == "tools"
                 || key == "functions" || key == "response_format" || key == "text")
        {
            const JsonSpan text = member.readValue();
            inputBytes += text.text.size();
            if (key == "input")
            {
                estimate.embeddingInputs = countInputs(text.text);
            }
        }
        else
        {
            member.readValue();
        }
    });
    cursor.expectEnd();
    estimate.inputTokens = (inputBytes + BYTES_PER_TOKEN - 1) / BYTES_PER_TOKEN;
    return estimate;
}

} // namespace openai_batch::workflow
