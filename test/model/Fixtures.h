// Valid JSON fixtures from shared/reference/batch-api-facts.md, and helpers to compare JSON.
#ifndef OPENAI_BATCH_TEST_FIXTURES_H_
#define OPENAI_BATCH_TEST_FIXTURES_H_

#include "model/ModelBase.h"

#include <cpprest/json.h>

#include <string>
#include <vector>

namespace fixtures {

inline const char* const kCompletedBatch =
    R"({"id": "batch_abc123", "object": "batch", "endpoint": "/v1/completions", "errors": null,
 "input_file_id": "file-abc123", "completion_window": "24h", "status": "completed",
 "output_file_id": "file-cvaTdG", "error_file_id": "file-HOWS94", "created_at": 1711471533,
 "in_progress_at": 1711471538, "expires_at": 1711557933, "finalizing_at": 1711493133,
 "completed_at": 1711493163, "failed_at": null, "expired_at": null, "cancelling_at": null,
 "cancelled_at": null, "request_counts": {"total": 100, "completed": 95, "failed": 5},
 "metadata": {"customer_id": "user_123456789", "batch_description": "Nightly eval job"}})";

inline const char* const kNewBatch =
    R"({"id": "batch_abc123", "object": "batch", "endpoint": "/v1/chat/completions", "errors": null,
 "input_file_id": "file-abc123", "completion_window": "24h", "status": "validating",
 "output_file_id": null, "error_file_id": null, "created_at": 1714508499, "in_progress_at": null,
 "expires_at": 1714536634, "completed_at": null, "failed_at": null, "expired_at": null,
 "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": null})";

inline const char* const kFailedBatch = R"({"id": "batch_def456", "object": "batch", "endpoint": "/v1/chat/completions",
 "errors": {"object": "list", "data": [
   {"code": "invalid_json_line", "message": "This line is not parseable as valid JSON.", "param": null, "line": 3},
   {"code": "mismatched_url", "message": "The url does not match the batch endpoint.", "param": "url", "line": 7}]},
 "input_file_id": "file-def456", "completion_window": "24h", "status": "failed",
 "created_at": 1711471533, "failed_at": 1711471540,
 "request_counts": {"total": 0, "completed": 0, "failed": 0}})";

// The 2026-08 additions on a batch (model, usage), as the fixtures of batch-api-facts.md show them.
inline const char* const kBatchWithModelAndUsage =
    R"({"id": "batch_abc123", "object": "batch", "endpoint": "/v1/responses",
 "model": "gpt-5-2025-08-07", "input_file_id": "file-abc123", "completion_window": "24h", "status": "completed",
 "created_at": 1711471533,
 "usage": {"input_tokens": 1500, "input_tokens_details": {"cached_tokens": 1024},
           "output_tokens": 500, "output_tokens_details": {"reasoning_tokens": 300}, "total_tokens": 2000}})";

inline const char* const kListPage =
    R"({"object": "list", "data": [{"id": "batch_abc123", "object": "batch", "endpoint": "/v1/completions",
 "input_file_id": "file-abc123", "completion_window": "24h", "status": "completed", "created_at": 1711471533,
 "request_counts": {"total": 100, "completed": 95, "failed": 5}}, {"id": "batch_abc456", "object": "batch",
 "endpoint": "/v1/chat/completions", "input_file_id": "file-abc456", "completion_window": "24h",
 "status": "in_progress", "created_at": 1711471540}],
 "first_id": "batch_abc123", "last_id": "batch_abc456", "has_more": true})";

inline const char* const kFile =
    R"({"id": "file-abc123", "object": "file", "bytes": 120000, "created_at": 1677610602, "expires_at": 1680202602, "filename": "batchinput.jsonl", "purpose": "batch"})";

inline const char* const kDeletedFile = R"({"id": "file-abc123", "object": "file", "deleted": true})";

inline const char* const kFileList =
    R"({"object": "list", "data": [{"id": "file-abc123", "object": "file", "bytes": 120000, "created_at": 1677610602, "expires_at": 1680202602, "filename": "batchinput.jsonl", "purpose": "batch"}], "first_id": "file-abc123", "last_id": "file-abc123", "has_more": false})";

inline const char* const kInputLine1 =
    R"({"custom_id": "request-1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "Hello world!"}], "max_tokens": 1000}})";

inline const char* const kInputLine2 =
    R"({"custom_id": "request-2", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "What is 2+2?"}]}})";

inline const char* const kOutputLine =
    R"({"id": "batch_req_123", "custom_id": "request-2", "response": {"status_code": 200, "request_id": "req_123", "body": {"id": "chatcmpl-123", "object": "chat.completion", "created": 1711652795, "model": "gpt-4o-mini", "choices": [{"index": 0, "message": {"role": "assistant", "content": "2 + 2 equals 4."}, "logprobs": null, "finish_reason": "stop"}], "usage": {"prompt_tokens": 22, "completion_tokens": 8, "total_tokens": 30}, "system_fingerprint": "fp_123"}}, "error": null})";

inline const char* const kErrorLine =
    R"({"id": "batch_req_456", "custom_id": "request-3", "response": null, "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}})";

inline web::json::value parse(const std::string& text)
{
    return web::json::value::parse(utility::conversions::to_string_t(text));
}

/// The JSON a model is expected to write back for `json`: the same document with every object key
/// whose value is null removed (null reads as absent), except inside free-form `body` objects,
/// which are kept exactly.
inline web::json::value withoutNullProperties(const web::json::value& json, bool freeForm = false)
{
    if (json.is_array())
    {
        auto copy = web::json::value::array(json.size());
        for (size_t i = 0; i < json.size(); ++i)
        {
            copy[i] = withoutNullProperties(json.at(i), freeForm);
        }
        return copy;
    }
    if (!json.is_object())
    {
        return json;
    }
    auto copy = web::json::value::object();
    for (const auto& field : json.as_object())
    {
        if (field.second.is_null() && !freeForm)
        {
            continue;
        }
        copy[field.first] = withoutNullProperties(field.second, freeForm || field.first == _XPLATSTR("body"));
    }
    return copy;
}

/// Compares JSON documents by content, whatever the order of object keys.
inline std::string canonical(const web::json::value& json)
{
    if (json.is_array())
    {
        std::string text = "[";
        for (size_t i = 0; i < json.size(); ++i)
        {
            text += (i ? "," : "") + canonical(json.at(i));
        }
        return text + "]";
    }
    if (json.is_object())
    {
        auto sorted = web::json::value::object(); // keeps keys sorted
        for (const auto& field : json.as_object())
        {
            sorted[field.first] = field.second;
        }
        std::string text = "{";
        bool first = true;
        for (const auto& field : sorted.as_object())
        {
            text += (first ? "\"" : ",\"") + utility::conversions::to_utf8string(field.first)
                + "\":" + canonical(field.second);
            first = false;
        }
        return text + "}";
    }
    return utility::conversions::to_utf8string(json.serialize());
}

/// Each diagnostic of the model's last read, as "path: message".
inline std::vector<std::string> messagesOf(const org::openapitools::client::model::ModelBase& model)
{
    std::vector<std::string> messages;
    for (const auto& diagnostic : model.getDiagnostics())
    {
        messages.push_back(utility::conversions::to_utf8string(diagnostic.toString()));
    }
    return messages;
}

} // namespace fixtures

#endif // OPENAI_BATCH_TEST_FIXTURES_H_
