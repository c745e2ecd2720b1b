// The model contract (README, "The model contract") on Batch, the model users meet first.
#include "Fixtures.h"

#include "model/Batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace org::openapitools::client::model;

namespace {

std::vector<std::string> keysOf(const web::json::value& json)
{
    std::vector<std::string> keys;
    for (const auto& field : json.as_object())
    {
        keys.push_back(utility::conversions::to_utf8string(field.first));
    }
    return keys;
}

TEST(BatchPresence, NewModelWritesAnEmptyObject)
{
    Batch batch;
    EXPECT_EQ("{}", utility::conversions::to_utf8string(batch.toJson().serialize()));
    EXPECT_FALSE(batch.isSet());
    EXPECT_FALSE(batch.idIsSet());
    EXPECT_EQ("", batch.getId());
    EXPECT_EQ(0, batch.getCreatedAt());
    EXPECT_FALSE(batch.getRequestCounts());
    EXPECT_TRUE(batch.getMetadata().empty());
}

TEST(BatchPresence, SetEmptyStringZeroAndEmptyMapAreWritten)
{
    Batch batch;
    batch.setOutputFileId(_XPLATSTR(""));
    batch.setCreatedAt(0);
    batch.setMetadata({});
    EXPECT_TRUE(batch.isSet());
    EXPECT_EQ(R"({"output_file_id":"","created_at":0,"metadata":{}})",
              utility::conversions::to_utf8string(batch.toJson().serialize()));
}

TEST(BatchPresence, UnsetClearsValueAndFlag)
{
    Batch batch;
    batch.setInputFileId(_XPLATSTR("file-1"));
    batch.setCreatedAt(42);
    batch.setMetadata({{_XPLATSTR("k"), _XPLATSTR("v")}});
    batch.unsetInputFileId();
    batch.unsetCreatedAt();
    batch.unsetMetadata();
    EXPECT_FALSE(batch.inputFileIdIsSet());
    EXPECT_EQ("", batch.getInputFileId());
    EXPECT_FALSE(batch.createdAtIsSet());
    EXPECT_EQ(0, batch.getCreatedAt());
    EXPECT_TRUE(batch.getMetadata().empty());
    EXPECT_EQ("{}", utility::conversions::to_utf8string(batch.toJson().serialize()));
}

TEST(BatchPresence, CppRestSdkUnsetSpellingIsAnAlias)
{
    Batch batch;
    batch.setInputFileId(_XPLATSTR("file-1"));
    batch.unsetInput_file_id();
    EXPECT_FALSE(batch.inputFileIdIsSet());
    EXPECT_EQ("", batch.getInputFileId());
}

TEST(BatchJson, WritesPropertiesInSpecOrderThenUnknownKeys)
{
    Batch batch;
    batch.setMetadata({{_XPLATSTR("k"), _XPLATSTR("v")}});
    batch.setStatus(Batch::StatusEnum::IN_PROGRESS);
    batch.setId(_XPLATSTR("batch_1"));
    batch.addAdditionalProperty(_XPLATSTR("zeta"), web::json::value::number(1));
    batch.setCreatedAt(1);
    EXPECT_EQ((std::vector<std::string>{"id", "status", "created_at", "metadata", "zeta"}), keysOf(batch.toJson()));
}

TEST(BatchJson, NullReadsAsAbsent)
{
    Batch batch;
    ASSERT_TRUE(batch.fromJson(fixtures::parse(fixtures::kNewBatch)));
    EXPECT_FALSE(batch.errorsIsSet());
    EXPECT_FALSE(batch.outputFileIdIsSet());
    EXPECT_FALSE(batch.inProgressAtIsSet());
    EXPECT_FALSE(batch.metadataIsSet());
    const auto written = batch.toJson();
    EXPECT_FALSE(written.has_field(_XPLATSTR("errors")));
    EXPECT_FALSE(written.has_field(_XPLATSTR("metadata")));
}

TEST(BatchJson, NullForARequiredPropertyIsReportedMissing)
{
    auto json = fixtures::parse(fixtures::kCompletedBatch);
    json[_XPLATSTR("status")] = web::json::value::null();
    Batch batch;
    EXPECT_FALSE(batch.fromJson(json));
    EXPECT_EQ((std::vector<std::string>{"/status: missing required property"}), fixtures::messagesOf(batch));
}

TEST(BatchJson, MissingRequiredPropertyIsReportedAndTheRestIsRead)
{
    auto json = fixtures::parse(fixtures::kCompletedBatch);
    json.erase(_XPLATSTR("id"));
    json.erase(_XPLATSTR("created_at"));
    Batch batch;
    EXPECT_FALSE(batch.fromJson(json));
    EXPECT_EQ((std::vector<std::string>{"/id: missing required property", "/created_at: missing required property"}),
              fixtures::messagesOf(batch));
    EXPECT_EQ(Batch::StatusEnum::COMPLETED, batch.getStatus());
    EXPECT_EQ(1711493163, batch.getCompletedAt());
}

TEST(BatchJson, TimestampAfter2038Survives)
{
    auto json = fixtures::parse(fixtures::kCompletedBatch);
    json[_XPLATSTR("expires_at")] = web::json::value::number(int64_t{4102444800});
    Batch batch;
    ASSERT_TRUE(batch.fromJson(json));
    EXPECT_EQ(int64_t{4102444800}, batch.getExpiresAt());
    EXPECT_EQ("4102444800",
              utility::conversions::to_utf8string(batch.toJson().at(_XPLATSTR("expires_at")).serialize()));
}

TEST(BatchJson, UnknownStatusIsKeptAndWrittenBack)
{
    auto json = fixtures::parse(fixtures::kCompletedBatch);
    json[_XPLATSTR("status")] = web::json::value::string(_XPLATSTR("paused_for_review"));
    Batch batch;
    ASSERT_TRUE(batch.fromJson(json));
    EXPECT_EQ(Batch::StatusEnum::UNKNOWN_DEFAULT_OPEN_API, batch.getStatus());
    EXPECT_EQ("paused_for_review", batch.getStatusString());
    EXPECT_EQ("paused_for_review", batch.toJson().at(_XPLATSTR("status")).as_string());
}

TEST(BatchJson, UnknownKeysAreKeptAndWrittenBack)
{
    // Fields a later API adds (these two are made up) survive a round trip, values and nesting intact.
    auto json = fixtures::parse(fixtures::kCompletedBatch);
    json[_XPLATSTR("service_tier")] = web::json::value::string(_XPLATSTR("flex"));
    json[_XPLATSTR("region")] = web::json::value::parse(_XPLATSTR(R"({"name": "eu", "zones": [1, 2]})"));
    Batch batch;
    ASSERT_TRUE(batch.fromJson(json));
    ASSERT_EQ(2u, batch.getAdditionalProperties().size());
    EXPECT_EQ("flex", batch.getAdditionalProperties().at(_XPLATSTR("service_tier")).as_string());
    const auto written = batch.toJson();
    EXPECT_EQ(2, written.at(_XPLATSTR("region")).at(_XPLATSTR("zones")).at(1).as_integer());
    EXPECT_EQ("flex", written.at(_XPLATSTR("service_tier")).as_string());
}

TEST(BatchJson, ReadingReplacesEveryPreviousValue)
{
    Batch batch;
    batch.setOutputFileId(_XPLATSTR("stale"));
    batch.addAdditionalProperty(_XPLATSTR("stale"), web::json::value::boolean(true));
    ASSERT_TRUE(batch.fromJson(fixtures::parse(fixtures::kNewBatch)));
    EXPECT_FALSE(batch.outputFileIdIsSet());
    EXPECT_TRUE(batch.getAdditionalProperties().empty());
}

TEST(BatchEnum, ConvertsBothWays)
{
    EXPECT_EQ(Batch::StatusEnum::CANCELLING, Batch::toStatusEnum(_XPLATSTR("cancelling")));
    EXPECT_EQ("in_progress", Batch::fromStatusEnum(Batch::StatusEnum::IN_PROGRESS));
    EXPECT_EQ(Batch::StatusEnum::UNKNOWN_DEFAULT_OPEN_API, Batch::toStatusEnum(_XPLATSTR("COMPLETED")));
    EXPECT_EQ("", Batch::fromStatusEnum(Batch::StatusEnum::UNKNOWN_DEFAULT_OPEN_API));
    EXPECT_EQ(Batch::StatusEnum::UNKNOWN_DEFAULT_OPEN_API, Batch().getStatus());
}

TEST(BatchEnum, SettingTheUnknownEnumeratorIsRefused)
{
    Batch batch;
    EXPECT_THROW(batch.setStatus(Batch::StatusEnum::UNKNOWN_DEFAULT_OPEN_API), std::invalid_argument);
    EXPECT_FALSE(batch.statusIsSet());
    batch.setStatusString(_XPLATSTR("new_status"));
    EXPECT_EQ("new_status", batch.toJson().at(_XPLATSTR("status")).as_string());
}

TEST(BatchEquality, EqualModelsCompareEqualAndPrintReadably)
{
    Batch a;
    Batch b;
    ASSERT_TRUE(a.fromJson(fixtures::parse(fixtures::kCompletedBatch)));
    ASSERT_TRUE(b.fromJson(fixtures::parse(fixtures::kCompletedBatch)));
    EXPECT_EQ(a, b);
    b.getRequestCounts()->setFailed(6);
    EXPECT_NE(a, b);
    b.getRequestCounts()->setFailed(5);
    b.setCreatedAt(0);
    b.unsetCreatedAt();
    EXPECT_NE(a, b);
    const std::string printed = testing::PrintToString(a);
    EXPECT_EQ(0u, printed.find("Batch {\"id\":\"batch_abc123\""));
}

// One wrong-typed value per property: fromJson returns false, reports exactly that path, and still
// reads every other property.
struct WrongType
{
    const char* property;
    const char* value;
    const char* message;
};

void PrintTo(const WrongType& value, std::ostream* os)
{
    *os << value.property;
}

class BatchWrongType : public testing::TestWithParam<WrongType>
{
};

// "request_counts/total" names a nested property; returns the object holding it and its key.
std::pair<web::json::value*, utility::string_t> locate(web::json::value& root, const std::string& property)
{
    const auto slash = property.find('/');
    if (slash == std::string::npos)
    {
        return {&root, utility::conversions::to_string_t(property)};
    }
    return {&root[utility::conversions::to_string_t(property.substr(0, slash))],
            utility::conversions::to_string_t(property.substr(slash + 1))};
}

TEST_P(BatchWrongType, ReportsThePathAndReadsTheRest)
{
    auto json = fixtures::parse(fixtures::kCompletedBatch);
    auto target = locate(json, GetParam().property);
    (*target.first)[target.second] = fixtures::parse(GetParam().value);
    Batch batch;
    EXPECT_FALSE(batch.fromJson(json));
    EXPECT_EQ((std::vector<std::string>{GetParam().message}), fixtures::messagesOf(batch));

    auto expected = fixtures::withoutNullProperties(fixtures::parse(fixtures::kCompletedBatch));
    auto dropped = locate(expected, GetParam().property);
    if (dropped.first->has_field(dropped.second))
    {
        dropped.first->erase(dropped.second);
    }
    EXPECT_EQ(fixtures::canonical(expected), fixtures::canonical(batch.toJson()));
}

INSTANTIATE_TEST_SUITE_P(
    EveryProperty, BatchWrongType,
    testing::Values(WrongType{"id", "7", "/id: expected string, got integer"},
                    WrongType{"object", "true", "/object: expected string, got boolean"},
                    WrongType{"endpoint", "[]", "/endpoint: expected string, got array"},
                    WrongType{"errors", "\"none\"", "/errors: expected object, got string"},
                    WrongType{"input_file_id", "{}", "/input_file_id: expected string, got object"},
                    WrongType{"completion_window", "24", "/completion_window: expected string, got integer"},
                    WrongType{"status", "1.5", "/status: expected string, got number"},
                    WrongType{"output_file_id", "false", "/output_file_id: expected string, got boolean"},
                    WrongType{"error_file_id", "[1]", "/error_file_id: expected string, got array"},
                    WrongType{"created_at", "\"1711471533\"", "/created_at: expected integer, got string"},
                    WrongType{"in_progress_at", "1711471538.5", "/in_progress_at: expected integer, got number"},
                    WrongType{"expires_at", "true", "/expires_at: expected integer, got boolean"},
                    WrongType{"finalizing_at", "{}", "/finalizing_at: expected integer, got object"},
                    WrongType{"completed_at", "[]", "/completed_at: expected integer, got array"},
                    WrongType{"failed_at", "\"x\"", "/failed_at: expected integer, got string"},
                    WrongType{"expired_at", "9223372036854775808",
                              "/expired_at: integer 9223372036854775808 is out of range for int64"},
                    WrongType{"cancelling_at", "1e400", "/cancelling_at: expected integer, got number"},
                    WrongType{"cancelled_at", "\"\"", "/cancelled_at: expected integer, got string"},
                    WrongType{"request_counts", "[]", "/request_counts: expected object, got array"},
                    WrongType{"request_counts/total", "\"100\"", "/request_counts/total: expected integer, got string"},
                    WrongType{"metadata", "\"k=v\"", "/metadata: expected object, got string"},
                    WrongType{"metadata/customer_id", "5", "/metadata/customer_id: expected string, got integer"}),
    [](const testing::TestParamInfo<WrongType>& info) {
        std::string name = info.param.property;
        for (auto& c : name)
        {
            c = (c == '/') ? '_' : c;
        }
        return name;
    });

} // namespace
