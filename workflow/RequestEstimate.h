// RequestEstimate: what one request may count against OpenAI's enqueued-token limit, read from its body
// without running a tokenizer.
#pragma once

#include "workflow/Namespaces.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace openai_batch::workflow {

/// A conservative estimate of a request's tokens:
/// - input: the bytes of the JSON text of body.messages, input, prompt and instructions, and of the tools,
///   functions and output formats the model also reads (tools, functions, response_format, text), keys,
///   quotes and escapes included, divided by 3 and rounded up. English runs at about 4 characters a
///   token, and CJK text at about 3 UTF-8 bytes a token, so this counts high for text;
/// - output: body.max_tokens, max_completion_tokens or max_output_tokens (the largest given), 0 when none.
/// It can count low where tokens are not text: an image costs a fixed number of tokens however short its
/// URL, and an array of small token ids ("[5,7]") takes fewer bytes than tokens. The API counts with its
/// own tokenizer: set a budget a margin below the real limit.
struct RequestEstimate
{
    std::string model;            ///< body.model; empty when absent or not a string
    uint64_t inputTokens = 0;     ///< from the input's text, as above
    uint64_t outputTokens = 0;    ///< the largest output cap the body sets
    uint64_t embeddingInputs = 0; ///< body.input's count of inputs (array elements, or 1), for /v1/embeddings

    uint64_t tokens() const { return inputTokens + outputTokens; }
};

/// Reads body, a request body object's JSON text, checked already (readRequestLine): only the members
/// named above are read, where they lie when readable (bytes that may be read from body.data() on) is
/// SIMDJSON_PADDING more than its size, else from a copy. Throws JsonSyntaxError when it is not an object.
RequestEstimate estimateRequest(std::string_view body, size_t readable = 0);
/// The same for the body of line, a request line readRequestLine accepted (readable: from line.data()
/// on, LineReader::readable for a LineReader's lines).
RequestEstimate estimateRequestLine(std::string_view line, size_t readable = 0);

} // namespace openai_batch::workflow
