#include "Responders.h"

#include <functional>
#include <sstream>

namespace openai_batch::server {

namespace {

using web::json::value;

size_t wordCount(const std::string& text)
{
    std::istringstream words(text);
    std::string word;
    size_t count = 0;
    while (words >> word)
    {
        ++count;
    }
    return count;
}

/// A message's text: a string, or the text parts of an array of content parts.
std::string contentText(const value& content)
{
    if (content.is_string())
    {
        return content.as_string();
    }
    std::string text;
    if (content.is_array())
    {
        for (const auto& part : content.as_array())
        {
            if (part.is_object() && part.has_string_field("text"))
            {
                text += (text.empty() ? "" : " ") + part.at("text").as_string();
            }
        }
    }
    return text;
}

EndpointReply invalid(const std::string& message, const std::string& param)
{
    return EndpointReply{400, errorBody(message, "invalid_request_error", param, "invalid_value")};
}

value usage(size_t prompt, size_t completion, const char* inputName, const char* outputName)
{
    value counts = value::object(true);
    counts[inputName] = value::number(static_cast<uint64_t>(prompt));
    counts[outputName] = value::number(static_cast<uint64_t>(completion));
    counts["total_tokens"] = value::number(static_cast<uint64_t>(prompt + completion));
    return counts;
}

EndpointReply chatCompletion(const value& body, const std::string& customId)
{
    if (!body.has_array_field("messages") || body.at("messages").as_array().size() == 0)
    {
        return invalid("'messages' must be a non-empty array.", "messages");
    }
    std::string lastUser;
    size_t promptWords = 0;
    for (const auto& message : body.at("messages").as_array())
    {
        if (!message.is_object() || !message.has_string_field("role") || !message.has_field("content"))
        {
            return invalid("Each message needs a 'role' and 'content'.", "messages");
        }
        const std::string text = contentText(message.at("content"));
        promptWords += wordCount(text);
        if (message.at("role").as_string() == "user")
        {
            lastUser = text;
        }
    }
    const std::string reply = "You said: " + lastUser;
    value answer = value::object(true);
    answer["role"] = value::string("assistant");
    answer["content"] = value::string(reply);
    answer["refusal"] = value::null();
    value choice = value::object(true);
    choice["index"] = value::number(0);
    choice["message"] = answer;
    choice["logprobs"] = value::null();
    choice["finish_reason"] = value::string("stop");
    value completion = value::object(true);
    completion["id"] = value::string("chatcmpl-" + customId);
    completion["object"] = value::string("chat.completion");
    completion["created"] = value::number(1700000000);
    completion["model"] = body.at("model");
    completion["choices"] = value::array({choice});
    completion["usage"] = usage(promptWords, wordCount(reply), "prompt_tokens", "completion_tokens");
    completion["system_fingerprint"] = value::string("fp_local");
    return EndpointReply{200, completion};
}

EndpointReply textCompletion(const value& body, const std::string& customId)
{
    if (!body.has_field("prompt") || !(body.at("prompt").is_string() || body.at("prompt").is_array()))
    {
        return invalid("'prompt' must be a string or an array of strings.", "prompt");
    }
    const value& prompts = body.at("prompt");
    const bool firstIsText = prompts.is_array() && prompts.size() > 0 && prompts.at(0).is_string();
    const std::string prompt = prompts.is_string() ? prompts.as_string() : firstIsText ? prompts.at(0).as_string() : "";
    value choice = value::object(true);
    choice["text"] = value::string(" You said: " + prompt);
    choice["index"] = value::number(0);
    choice["logprobs"] = value::null();
    choice["finish_reason"] = value::string("stop");
    value completion = value::object(true);
    completion["id"] = value::string("cmpl-" + customId);
    completion["object"] = value::string("text_completion");
    completion["created"] = value::number(1700000000);
    completion["model"] = body.at("model");
    completion["choices"] = value::array({choice});
    completion["usage"] = usage(wordCount(prompt), wordCount(prompt) + 2, "prompt_tokens", "completion_tokens");
    return EndpointReply{200, completion};
}

/// A unit-length-ish vector of 8 numbers derived from the text: equal texts, equal vectors.
value embeddingOf(const std::string& text)
{
    std::vector<value> numbers;
    size_t seed = std::hash<std::string>{}(text);
    for (int i = 0; i < 8; ++i)
    {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        numbers.push_back(value::number(static_cast<double>((seed >> 33) % 20001) / 10000.0 - 1.0));
    }
    return value::array(numbers);
}

EndpointReply embeddings(const value& body)
{
    std::vector<std::string> inputs;
    if (body.has_string_field("input"))
    {
        inputs.push_back(body.at("input").as_string());
    }
    else if (body.has_array_field("input"))
    {
        for (const auto& item : body.at("input").as_array())
        {
            if (!item.is_string())
            {
                return invalid("'input' must be a string or an array of strings.", "input");
            }
            inputs.push_back(item.as_string());
        }
    }
    if (inputs.empty())
    {
        return invalid("'input' must be a non-empty string or array of strings.", "input");
    }
    std::vector<value> data;
    size_t words = 0;
    for (size_t i = 0; i < inputs.size(); ++i)
    {
        value item = value::object(true);
        item["object"] = value::string("embedding");
        item["index"] = value::number(static_cast<uint64_t>(i));
        item["embedding"] = embeddingOf(inputs[i]);
        data.push_back(item);
        words += wordCount(inputs[i]);
    }
    value reply = value::object(true);
    reply["object"] = value::string("list");
    reply["data"] = value::array(data);
    reply["model"] = body.at("model");
    value counts = value::object(true);
    counts["prompt_tokens"] = value::number(static_cast<uint64_t>(words));
    counts["total_tokens"] = value::number(static_cast<uint64_t>(words));
    reply["usage"] = counts;
    return EndpointReply{200, reply};
}

EndpointReply response(const value& body, const std::string& customId)
{
    if (!body.has_field("input"))
    {
        return invalid("'input' is required.", "input");
    }
    const value& input = body.at("input");
    std::string text = input.is_string() ? input.as_string() : std::string();
    if (input.is_array())
    {
        for (const auto& item : input.as_array())
        {
            if (item.is_object() && item.has_field("content")
                && (!item.has_string_field("role") || item.at("role").as_string() == "user"))
            {
                text = contentText(item.at("content"));
            }
        }
    }
    const std::string reply = "You said: " + text;
    value part = value::object(true);
    part["type"] = value::string("output_text");
    part["text"] = value::string(reply);
    part["annotations"] = value::array();
    value message = value::object(true);
    message["type"] = value::string("message");
    message["id"] = value::string("msg_" + customId);
    message["status"] = value::string("completed");
    message["role"] = value::string("assistant");
    message["content"] = value::array({part});
    value result = value::object(true);
    result["id"] = value::string("resp_" + customId);
    result["object"] = value::string("response");
    result["created_at"] = value::number(1700000000);
    result["status"] = value::string("completed");
    result["model"] = body.at("model");
    result["output"] = value::array({message});
    result["usage"] = usage(wordCount(text), wordCount(reply), "input_tokens", "output_tokens");
    return EndpointReply{200, result};
}

} // namespace

web::json::value errorBody(const std::string& message, const std::string& type, const std::string& param,
                           const std::string& code)
{
    // Messages and params quote what a client sent (a path segment, a field name): keep the JSON valid.
    value error = value::object(true);
    error["message"] = value::string(validUtf8(message));
    error["type"] = value::string(type);
    error["param"] = param.empty() ? value::null() : value::string(validUtf8(param));
    error["code"] = code.empty() ? value::null() : value::string(code);
    value body = value::object(true);
    body["error"] = error;
    return body;
}

TokenCounts tokensOf(const web::json::value& answer)
{
    TokenCounts counts;
    if (!answer.is_object() || !answer.has_object_field("usage"))
    {
        return counts;
    }
    const value& usage = answer.at("usage");
    // The first of the names that the usage has, as a count (0 when none is there).
    const auto number = [](const value& object, std::initializer_list<const char*> names) -> int64_t {
        for (const char* name : names)
        {
            if (object.is_object() && object.has_number_field(name))
            {
                return object.at(name).as_number().to_int64();
            }
        }
        return 0;
    };
    const auto details = [&usage](const char* responses, const char* chat) {
        return usage.has_object_field(responses) ? usage.at(responses)
                                                 : (usage.has_object_field(chat) ? usage.at(chat) : value());
    };
    counts.reported = true;
    counts.input = number(usage, {"input_tokens", "prompt_tokens"});
    counts.output = number(usage, {"output_tokens", "completion_tokens"});
    counts.cached = number(details("input_tokens_details", "prompt_tokens_details"), {"cached_tokens"});
    counts.reasoning = number(details("output_tokens_details", "completion_tokens_details"), {"reasoning_tokens"});
    return counts;
}

bool isSupportedEndpoint(const std::string& endpoint)
{
    return endpoint == "/v1/chat/completions" || endpoint == "/v1/completions" || endpoint == "/v1/embeddings"
        || endpoint == "/v1/responses";
}

EndpointReply respond(const std::string& endpoint, const web::json::value& body, const std::string& customId)
{
    if (!body.is_object() || !body.has_string_field("model"))
    {
        return invalid("'model' is required.", "model");
    }
    if (endpoint == "/v1/chat/completions")
    {
        return chatCompletion(body, customId);
    }
    if (endpoint == "/v1/completions")
    {
        return textCompletion(body, customId);
    }
    if (endpoint == "/v1/embeddings")
    {
        return embeddings(body);
    }
    if (endpoint == "/v1/responses")
    {
        return response(body, customId);
    }
    return invalid("The local server does not run " + endpoint + ".", "url");
}

std::string validUtf8(std::string_view text)
{
    std::string valid;
    valid.reserve(text.size());
    const auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
    const auto continuation = [&](size_t at) { return at < text.size() && (byte(at) & 0xC0) == 0x80; };
    for (size_t at = 0; at < text.size();)
    {
        const unsigned char lead = byte(at);
        size_t length = lead < 0x80        ? 1
            : lead >= 0xC2 && lead <= 0xDF ? 2
            : lead >= 0xE0 && lead <= 0xEF ? 3
            : lead >= 0xF0 && lead <= 0xF4 ? 4
                                           : 0;
        for (size_t i = 1; i < length; ++i)
        {
            length = continuation(at + i) ? length : 0;
        }
        // Overlong forms, surrogates and code points past U+10FFFF, as RFC 3629 forbids.
        if ((length == 3 && lead == 0xE0 && byte(at + 1) < 0xA0)
            || (length == 3 && lead == 0xED && byte(at + 1) >= 0xA0)
            || (length == 4 && lead == 0xF0 && byte(at + 1) < 0x90)
            || (length == 4 && lead == 0xF4 && byte(at + 1) >= 0x90))
        {
            length = 0;
        }
        if (length == 0)
        {
            valid += "\xEF\xBF\xBD";
            ++at;
            continue;
        }
        valid.append(text.substr(at, length));
        at += length;
    }
    return valid;
}

} // namespace openai_batch::server
