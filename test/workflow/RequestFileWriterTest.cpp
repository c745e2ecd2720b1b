// RequestFileWriter and checkRequestFile: what the API would reject is refused with its line number.
#include "workflow/RequestFileWriter.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace openai_batch::workflow;

namespace {

const char* const ENDPOINT = "/v1/chat/completions";

web::json::value chatBody(const std::string& question)
{
    return web::json::value::parse(R"({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": ")" + question
                                   + R"("}]})");
}

std::string refusal(const std::function<void()>& write)
{
    try
    {
        write();
        return "accepted";
    }
    catch (const RequestFileError& error)
    {
        return error.what();
    }
}

TEST(RequestFileWriter, WritesOneRequestPerLine)
{
    std::ostringstream out;
    RequestFileWriter writer(out, ENDPOINT);
    writer.add("request-1", chatBody("What is 2+2?"));
    writer.add("quote \" and \\ and \n", chatBody("x"));
    writer.finish();
    EXPECT_EQ(
        out.str(),
        "{\"custom_id\":\"request-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
        "{\"messages\":[{\"content\":\"What is 2+2?\",\"role\":\"user\"}],\"model\":\"gpt-4o-mini\"}}\n"
        "{\"custom_id\":\"quote \\\" and \\\\ and \\n\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
        "{\"messages\":[{\"content\":\"x\",\"role\":\"user\"}],\"model\":\"gpt-4o-mini\"}}\n");
    EXPECT_EQ(writer.requestCount(), 2u);
    EXPECT_EQ(writer.byteCount(), out.str().size());
    // What it writes, its own checker accepts.
    std::istringstream in(out.str());
    std::string line;
    std::ostringstream copy;
    RequestFileWriter again(copy, ENDPOINT);
    while (std::getline(in, line))
    {
        EXPECT_NO_THROW(again.addLine(line));
    }
}

TEST(RequestFileWriter, RefusesADuplicateCustomIdNamingBothLines)
{
    std::ostringstream out;
    RequestFileWriter writer(out, ENDPOINT);
    writer.add("a", chatBody("1"));
    writer.add("b", chatBody("2"));
    EXPECT_EQ(refusal([&] { writer.add("a", chatBody("3")); }), "line 3: custom_id 'a' is already used on line 1");
    writer.add("c", chatBody("3"));
    EXPECT_EQ(writer.requestCount(), 3u);
}

TEST(RequestFileWriter, RefusesWhatTheBatchEndpointWouldNot)
{
    std::ostringstream out;
    RequestFileWriter writer(out, ENDPOINT);
    writer.add("ok", chatBody("1"));
    EXPECT_EQ(refusal([&] {
                  writer.addLine(R"({"custom_id": "g", "method": "GET", "url": "/v1/chat/completions", "body": {}})");
              }),
              "line 2: method must be POST, not 'GET'");
    EXPECT_EQ(refusal([&] {
                  writer.addLine(R"({"custom_id": "e", "method": "POST", "url": "/v1/embeddings", "body": {}})");
              }),
              "line 2: url '/v1/embeddings' is not the batch's endpoint '/v1/chat/completions'");
    EXPECT_EQ(refusal([&] { writer.addLine("[1, 2]"); }), "line 2: expected a JSON object, got array");
    EXPECT_EQ(
        refusal([&] { writer.addLine(R"({"custom_id": "x", "method": "POST", "url": "/v1/chat/completions"})"); }),
        "line 2: /body: missing required property");
    EXPECT_EQ(refusal([&] {
                  writer.addLine(R"({"custom_id": "x", "method": "POST", "url": "/v1/chat/completions", "body": []})");
              }),
              "line 2: /body: expected object, got array");
    EXPECT_EQ(refusal([&] { writer.addLine("{\"custom_id\": \"x\"}\n{\"custom_id\": \"y\"}"); }),
              "line 2: a request must be one line");
    EXPECT_EQ(refusal([&] { writer.addLine("{\"custom_id\": \"x\", "); }), "line 2: unexpected end of JSON at byte 20");
    EXPECT_EQ(
        refusal([&] {
            writer.addLine(
                R"({"custom_id": "x", "method": "POST", "url": "/v1/chat/completions", "custom_id": "y", "body": {}})");
        }),
        R"(line 2: duplicate key "custom_id")");
    EXPECT_EQ(refusal([&] { writer.add("", chatBody("1")); }), "line 2: custom_id must not be empty");
    EXPECT_EQ(refusal([&] { writer.add("s", web::json::value::string("text")); }),
              "line 2: body: expected a JSON object");
    EXPECT_EQ(writer.requestCount(), 1u);
    const std::string written = out.str();
    EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 1);
}

TEST(RequestFileWriter, RefusesTheRequestPastTheCountLimit)
{
    std::ostringstream out;
    RequestFileWriter writer(out, ENDPOINT, RequestFileLimits{3, 1u << 20});
    for (const char* id : {"1", "2", "3"})
    {
        writer.add(id, chatBody(id));
    }
    EXPECT_EQ(refusal([&] { writer.add("4", chatBody("4")); }), "line 4: a batch takes at most 3 requests");
}

TEST(RequestFileWriter, RefusesTheRequestPastTheSizeLimit)
{
    std::ostringstream out;
    RequestFileWriter writer(out, ENDPOINT, RequestFileLimits{50000, 300});
    writer.add("1", chatBody(std::string(100, 'a')));
    EXPECT_EQ(refusal([&] { writer.add("2", chatBody(std::string(100, 'b'))); }),
              "line 2: the file would exceed 300 bytes");
}

TEST(RequestFileWriter, TheDefaultLimitsAreTheApis)
{
    const RequestFileLimits limits;
    EXPECT_EQ(limits.maxRequests, 50000u);
    EXPECT_EQ(limits.maxBytes, 200u * 1024 * 1024);
}

TEST(RequestFileWriter, ChecksAPreparedModel)
{
    std::ostringstream out;
    RequestFileWriter writer(out, ENDPOINT);
    auto request = std::make_shared<org::openapitools::client::model::BatchRequestInput>();
    request->setCustomId("m1");
    request->setMethod(org::openapitools::client::model::BatchRequestInput::MethodEnum::POST);
    request->setUrl(ENDPOINT);
    auto body = std::make_shared<org::openapitools::client::model::Object>();
    body->setJson(chatBody("hi"));
    request->setBody(body);
    writer.add(*request);
    request->setUrl("/v1/completions");
    EXPECT_EQ(refusal([&] { writer.add(*request); }),
              "line 2: url '/v1/completions' is not the batch's endpoint '/v1/chat/completions'");
    request->unsetBody();
    EXPECT_EQ(refusal([&] { writer.add(*request); }), "line 2: /body: missing required property");
}

TEST(CheckRequestFile, ListsEveryProblemWithItsLineAndCollectsTheIds)
{
    const std::string path =
        (std::filesystem::temp_directory_path() / ("requests-" + std::to_string(::getpid()) + ".jsonl")).string();
    {
        std::ofstream file(path);
        file << R"({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}})"
                "\n"
             << "\n"
             << R"({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}})"
                "\r\n"
             << "not json\n"
             << R"({"custom_id": "b", "method": "POST", "url": "/v1/chat/completions", "body": {}})";
    }
    const RequestFileCheck check = checkRequestFile(path, ENDPOINT);
    std::filesystem::remove(path);
    ASSERT_EQ(check.problems.size(), 3u);
    EXPECT_EQ(check.problems[0].toString(), "line 2: blank line");
    EXPECT_EQ(check.problems[1].toString(), "line 3: custom_id 'a' is already used on line 1");
    EXPECT_EQ(check.problems[2].toString(), "line 4: invalid literal at byte 1");
    EXPECT_EQ(check.customIds, (std::vector<std::string>{"a", "b"}));
}

TEST(RequestFileWriter, RefusesWhatParsersDisagreeOnWithItsPlace)
{
    // A lone surrogate: cpprestsdk throws on it, Python substitutes; the API's parser may do either.
    std::ostringstream out;
    RequestFileWriter writer(out, ENDPOINT);
    EXPECT_EQ(refusal([&] {
                  writer.addLine(R"({"custom_id": "s", "method": "POST", "url": "/v1/chat/completions", )"
                                 R"("body": {"model": "m", "messages": [{"role": "user", "content": "x\ud800"}]}})");
              }),
              "line 1: unpaired UTF-16 surrogate in a \\u escape at byte 135");
    // A malformed value deep in a body nobody reads is still found.
    EXPECT_EQ(refusal([&] {
                  writer.addLine(R"({"custom_id": "d", "method": "POST", "url": "/v1/chat/completions", )"
                                 R"("body": {"model": "m", "x": {"y": [1, 2 3]}}})");
              }),
              "line 1: expected ']' at byte 109");
}

} // namespace
