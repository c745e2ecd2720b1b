// Every fixture of batch-api-facts.md read by its model and written back: nothing lost, null dropped.
#include "Fixtures.h"

#include "model/Batch.h"
#include "model/BatchRequestInput.h"
#include "model/BatchRequestOutput.h"
#include "model/DeleteFileResponse.h"
#include "model/ListBatchesResponse.h"
#include "model/ListFilesResponse.h"
#include "model/OpenAIFile.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>

using namespace org::openapitools::client::model;

namespace {

struct Fixture
{
    const char* name;
    const char* json;
    std::function<std::unique_ptr<ModelBase>()> make;
};

void PrintTo(const Fixture& value, std::ostream* os)
{
    *os << value.name;
}

template <typename T> std::function<std::unique_ptr<ModelBase>()> model()
{
    return [] { return std::make_unique<T>(); };
}

class FixtureRoundTrip : public testing::TestWithParam<Fixture>
{
};

TEST_P(FixtureRoundTrip, ReadsWithoutDiagnosticsAndWritesBackEverythingButNulls)
{
    const auto input = fixtures::parse(GetParam().json);
    auto model = GetParam().make();

    ASSERT_TRUE(model->fromJson(input)) << testing::PrintToString(model->getDiagnostics());
    EXPECT_TRUE(model->getDiagnostics().empty());
    EXPECT_EQ(fixtures::canonical(fixtures::withoutNullProperties(input)), fixtures::canonical(model->toJson()));
}

TEST_P(FixtureRoundTrip, ReadsItsOwnOutputIntoAnEqualModel)
{
    auto first = GetParam().make();
    ASSERT_TRUE(first->fromJson(fixtures::parse(GetParam().json)));
    auto second = GetParam().make();
    ASSERT_TRUE(second->fromJson(first->toJson()));
    EXPECT_EQ(utility::conversions::to_utf8string(first->toJson().serialize()),
              utility::conversions::to_utf8string(second->toJson().serialize()));
}

INSTANTIATE_TEST_SUITE_P(BatchApiFacts, FixtureRoundTrip,
                         testing::Values(Fixture{"CompletedBatch", fixtures::kCompletedBatch, model<Batch>()},
                                         Fixture{"NewBatchWithNulls", fixtures::kNewBatch, model<Batch>()},
                                         Fixture{"FailedBatch", fixtures::kFailedBatch, model<Batch>()},
                                         Fixture{"BatchWith2026Fields", fixtures::kBatchWithModelAndUsage,
                                                 model<Batch>()},
                                         Fixture{"ListPage", fixtures::kListPage, model<ListBatchesResponse>()},
                                         Fixture{"File", fixtures::kFile, model<OpenAIFile>()},
                                         Fixture{"DeletedFile", fixtures::kDeletedFile, model<DeleteFileResponse>()},
                                         Fixture{"FileList", fixtures::kFileList, model<ListFilesResponse>()},
                                         Fixture{"InputLine1", fixtures::kInputLine1, model<BatchRequestInput>()},
                                         Fixture{"InputLine2", fixtures::kInputLine2, model<BatchRequestInput>()},
                                         Fixture{"OutputLine", fixtures::kOutputLine, model<BatchRequestOutput>()},
                                         Fixture{"ErrorLine", fixtures::kErrorLine, model<BatchRequestOutput>()}),
                         [](const testing::TestParamInfo<Fixture>& info) { return std::string(info.param.name); });

TEST(FixtureTypedAccess, CompletedBatchExposesEveryField)
{
    Batch batch;
    ASSERT_TRUE(batch.fromJson(fixtures::parse(fixtures::kCompletedBatch)));
    EXPECT_EQ("batch_abc123", batch.getId());
    EXPECT_EQ(Batch::ObjectEnum::BATCH, batch.getObject());
    EXPECT_EQ(Batch::StatusEnum::COMPLETED, batch.getStatus());
    EXPECT_EQ(1711493163, batch.getCompletedAt());
    EXPECT_FALSE(batch.errorsIsSet());
    EXPECT_FALSE(batch.failedAtIsSet());
    ASSERT_TRUE(batch.getRequestCounts());
    EXPECT_EQ(95, batch.getRequestCounts()->getCompleted());
    EXPECT_EQ("Nightly eval job", batch.getMetadata().at("batch_description"));
}

TEST(FixtureTypedAccess, FailedBatchExposesErrorLines)
{
    Batch batch;
    ASSERT_TRUE(batch.fromJson(fixtures::parse(fixtures::kFailedBatch)));
    const auto& errors = batch.getErrors()->getData();
    ASSERT_EQ(2u, errors.size());
    EXPECT_EQ("invalid_json_line", errors[0]->getCode());
    EXPECT_EQ(3, errors[0]->getLine());
    EXPECT_FALSE(errors[0]->paramIsSet());
    EXPECT_EQ("url", errors[1]->getParam());
}

TEST(FixtureTypedAccess, OutputAndErrorLinesExposeResponseAndError)
{
    BatchRequestOutput output;
    ASSERT_TRUE(output.fromJson(fixtures::parse(fixtures::kOutputLine)));
    EXPECT_EQ(200, output.getResponse()->getStatusCode());
    EXPECT_EQ("2 + 2 equals 4.",
              output.getResponse()
                  ->getBody()
                  ->getJson()
                  .at(_XPLATSTR("choices"))
                  .at(0)
                  .at(_XPLATSTR("message"))
                  .at(_XPLATSTR("content"))
                  .as_string());
    EXPECT_FALSE(output.errorIsSet());

    BatchRequestOutput error;
    ASSERT_TRUE(error.fromJson(fixtures::parse(fixtures::kErrorLine)));
    EXPECT_FALSE(error.responseIsSet());
    EXPECT_EQ("batch_expired", error.getError()->getCode());
}

TEST(FixtureTypedAccess, InputLineKeepsItsBody)
{
    BatchRequestInput input;
    ASSERT_TRUE(input.fromJson(fixtures::parse(fixtures::kInputLine1)));
    EXPECT_EQ(BatchRequestInput::MethodEnum::POST, input.getMethod());
    EXPECT_EQ(1000, input.getBody()->getValue(_XPLATSTR("max_tokens")).as_integer());
}

} // namespace
