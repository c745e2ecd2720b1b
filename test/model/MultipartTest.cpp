// The cpp-restsdk multipart interface: toMultipart and fromMultiPart round-trip a model.
#include "Fixtures.h"

#include "model/Batch.h"
#include "model/MultipartFormData.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace org::openapitools::client::model;

namespace {

TEST(Multipart, ModelRoundTripsThroughParts)
{
    Batch batch;
    ASSERT_TRUE(batch.fromJson(fixtures::parse(fixtures::kCompletedBatch)));
    auto form = std::make_shared<MultipartFormData>();
    batch.toMultipart(form, _XPLATSTR("batch"));
    ASSERT_TRUE(form->hasContent(_XPLATSTR("batch.id")));
    EXPECT_EQ("", form->getContent(_XPLATSTR("batch.id"))->getContentType());
    EXPECT_EQ("application/json", form->getContent(_XPLATSTR("batch.request_counts"))->getContentType());

    Batch copy;
    ASSERT_TRUE(copy.fromMultiPart(form, _XPLATSTR("batch"))) << testing::PrintToString(copy.getDiagnostics());
    EXPECT_EQ(batch, copy);
}

TEST(Multipart, BadJsonPartIsReported)
{
    auto form = std::make_shared<MultipartFormData>();
    auto part = std::make_shared<HttpContent>();
    part->setName(_XPLATSTR("request_counts"));
    part->setContentType(_XPLATSTR("application/json"));
    part->setData(std::make_shared<std::stringstream>("{not json"));
    form->add(part);
    Batch batch;
    EXPECT_FALSE(batch.fromMultiPart(form, _XPLATSTR("")));
    EXPECT_EQ("/request_counts: multipart part is not valid JSON",
              utility::conversions::to_utf8string(batch.getDiagnostics()[0].toString()));
}

TEST(Multipart, WritesPartsWithQuotedNamesAndTheClosingBoundary)
{
    MultipartFormData form(_XPLATSTR("XyZ"));
    auto file = std::make_shared<HttpContent>();
    file->setName(_XPLATSTR("file"));
    file->setFileName(_XPLATSTR("in\"put.jsonl"));
    file->setContentType(_XPLATSTR("application/jsonl"));
    file->setData(std::make_shared<std::stringstream>("{\"a\":1}\n"));
    form.add(file);
    std::ostringstream body;
    form.writeTo(body);
    EXPECT_EQ("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in%22put.jsonl\"\r\n"
              "Content-Type: application/jsonl\r\n\r\n{\"a\":1}\n\r\n--XyZ--\r\n",
              body.str());
}

TEST(Multipart, RandomBoundariesDiffer)
{
    EXPECT_NE(MultipartFormData().getBoundary(), MultipartFormData().getBoundary());
    EXPECT_THROW(MultipartFormData(_XPLATSTR("")), std::invalid_argument);
}

} // namespace
