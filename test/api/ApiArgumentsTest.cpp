// Arguments the API refuses before sending: each call's task fails with std::invalid_argument and a
// message naming the operation and the argument, and no request reaches the server.
#include "ApiTestSupport.h"

#include "api/BatchApi.h"
#include "api/FilesApi.h"

#include <functional>

using namespace org::openapitools::client::api;
using namespace testing_support;

namespace {

struct RefusedCall
{
    const char* name;
    std::function<pplx::task<void>(BatchApi&, FilesApi&)> call;
    const char* message;
};

template <typename T> pplx::task<void> ignoreResult(pplx::task<T> task)
{
    return task.then([](T) {});
}

std::shared_ptr<CreateBatchRequest> requestWithoutEndpoint()
{
    auto request = std::make_shared<CreateBatchRequest>();
    request->setInputFileId("file-1");
    request->setCompletionWindow(CreateBatchRequest::CompletionWindowEnum::_24H);
    return request;
}

const RefusedCall REFUSED_CALLS[] = {
    {"EmptyBatchId", [](BatchApi& b, FilesApi&) { return ignoreResult(b.retrieveBatch("")); },
     "retrieveBatch: batch_id must not be empty"},
    {"EmptyCancelId", [](BatchApi& b, FilesApi&) { return ignoreResult(b.cancelBatch("")); },
     "cancelBatch: batch_id must not be empty"},
    {"EmptyFileId", [](BatchApi&, FilesApi& f) { return ignoreResult(f.retrieveFile("")); },
     "retrieveFile: file_id must not be empty"},
    {"EmptyDeleteId", [](BatchApi&, FilesApi& f) { return ignoreResult(f.deleteFile("")); },
     "deleteFile: file_id must not be empty"},
    {"EmptyDownloadId", [](BatchApi&, FilesApi& f) { return ignoreResult(f.downloadFile("")); },
     "downloadFile: file_id must not be empty"},
    {"BatchLimitZero", [](BatchApi& b, FilesApi&) { return ignoreResult(b.listBatches(boost::none, int64_t{0})); },
     "listBatches: limit must be between 1 and 100, not 0"},
    {"BatchLimitTooLarge",
     [](BatchApi& b, FilesApi&) { return ignoreResult(b.listBatches(boost::none, int64_t{101})); },
     "listBatches: limit must be between 1 and 100, not 101"},
    {"FileLimitTooLarge",
     [](BatchApi&, FilesApi& f) {
         return ignoreResult(f.listFiles(boost::none, int64_t{10001}, boost::none, boost::none));
     },
     "listFiles: limit must be between 1 and 10000, not 10001"},
    {"FileLimitNegative",
     [](BatchApi&, FilesApi& f) {
         return ignoreResult(f.listFiles(boost::none, int64_t{-5}, boost::none, boost::none));
     },
     "listFiles: limit must be between 1 and 10000, not -5"},
    {"NullCreateRequest", [](BatchApi& b, FilesApi&) { return ignoreResult(b.createBatch(nullptr)); },
     "createBatch: createBatchRequest must not be null"},
    {"InvalidCreateRequest",
     [](BatchApi& b, FilesApi&) { return ignoreResult(b.createBatch(requestWithoutEndpoint())); },
     "createBatch: CreateBatchRequest is invalid: /endpoint: missing required property"},
    {"MissingFile",
     [](BatchApi&, FilesApi& f) {
         return ignoreResult(f.createFile(HttpContent::fromFile("/no/such/requests.jsonl"), "batch"));
     },
     "createFile: file cannot read '/no/such/requests.jsonl'"},
    {"NullFile", [](BatchApi&, FilesApi& f) { return ignoreResult(f.createFile(nullptr, "batch")); },
     "createFile: file must not be null"},
    {"EmptyPurpose",
     [](BatchApi&, FilesApi& f) {
         auto content = std::make_shared<HttpContent>();
         content->setData(std::make_shared<std::istringstream>("x"));
         return ignoreResult(f.createFile(content, ""));
     },
     "createFile: purpose must not be empty"},
};

class ApiArguments : public LoopbackApiTest, public ::testing::WithParamInterface<RefusedCall>
{
};

TEST_P(ApiArguments, AreRefusedBeforeSending)
{
    BatchApi batches(client);
    FilesApi files(client);
    pplx::task<void> task;
    ASSERT_NO_THROW(task = GetParam().call(batches, files)) << "task-returning calls must not throw";
    try
    {
        task.get();
        FAIL() << "the call succeeded";
    }
    catch (const std::invalid_argument& error)
    {
        EXPECT_STREQ(error.what(), GetParam().message);
    }
    EXPECT_TRUE(server.requests().empty());
}

INSTANTIATE_TEST_SUITE_P(Calls, ApiArguments, ::testing::ValuesIn(REFUSED_CALLS),
                         [](const ::testing::TestParamInfo<RefusedCall>& info) {
                             return std::string(info.param.name);
                         });

TEST_F(LoopbackApiTest, HeaderValuesWithLineBreaksAreRefusedWithoutShowingThem)
{
    configuration->setApiKey(std::string(TEST_API_KEY) + "\r\nX-Injected: 1");
    reconfigure();
    BatchApi api(client);
    try
    {
        api.retrieveBatch("batch_1").get();
        FAIL() << "the call succeeded";
    }
    catch (const std::invalid_argument& error)
    {
        EXPECT_STREQ(error.what(),
                     "ApiConfiguration: header 'Authorization' has an empty name or a line break in its name or value");
    }
    EXPECT_TRUE(server.requests().empty());
}

TEST_F(LoopbackApiTest, PlainHttpToAHostThatIsNotLoopbackIsRefusedBeforeAnythingIsSent)
{
    configuration->setBaseUrl("http://api.example.invalid/v1");
    reconfigure();
    try
    {
        BatchApi(client).retrieveBatch("batch_1").get();
        FAIL() << "the call was sent";
    }
    catch (const std::invalid_argument& error)
    {
        EXPECT_STREQ(error.what(),
                     "ApiConfiguration: base URL 'http://api.example.invalid/v1' is plain http to a host that is "
                     "not loopback, so the API key would cross the network unencrypted; use https, or "
                     "setAllowInsecureHttp(true) to accept that");
        EXPECT_EQ(std::string(error.what()).find(TEST_API_KEY), std::string::npos);
    }
}

TEST(ApiConfigurationValidate, AcceptsHttpsAndLoopbackHttpAndAnExplicitOptIn)
{
    ApiConfiguration configuration;
    for (const char* url :
         {"https://api.openai.com/v1", "http://127.0.0.1:8080/v1", "http://localhost/v1", "http://[::1]:9/v1"})
    {
        configuration.setBaseUrl(url);
        EXPECT_NO_THROW(configuration.validate()) << url;
    }
    configuration.setBaseUrl("http://batch.internal:8080/v1");
    EXPECT_THROW(configuration.validate(), std::invalid_argument);
    configuration.setAllowInsecureHttp(true);
    EXPECT_EQ(configuration.validate().host(), "batch.internal");
}

TEST(ApiConfigurationValidate, CertificateVerificationOffIsRefusedUnlessChosenOutright)
{
    ApiConfiguration configuration;
    configuration.setApiKey(TEST_API_KEY);
    configuration.getHttpConfig().set_validate_certificates(false);
    try
    {
        configuration.validate();
        FAIL() << "unverified TLS to api.openai.com was accepted";
    }
    catch (const std::invalid_argument& error)
    {
        EXPECT_STREQ(error.what(),
                     "ApiConfiguration: certificate verification is off for 'https://api.openai.com/v1', so the "
                     "API key would go to whoever answers; turn it back on, or setAllowInsecureHttp(true) to "
                     "accept that");
    }
    configuration.setBaseUrl("https://127.0.0.1:8443/v1"); // a local test server with its own certificate
    EXPECT_NO_THROW(configuration.validate());
    configuration.setBaseUrl("https://api.openai.com/v1");
    configuration.setAllowInsecureHttp(true);
    EXPECT_NO_THROW(configuration.validate());
}

TEST_F(LoopbackApiTest, ABaseUrlThatIsNotHttpIsRefused)
{
    configuration->setBaseUrl("ftp://127.0.0.1/v1");
    reconfigure();
    BatchApi api(client);
    EXPECT_THROW(api.retrieveBatch("batch_1").get(), std::invalid_argument);
}

} // namespace
