// Reads a Batch object (a file, or standard input) and prints its state.
//   parse_batch examples/batch.json
//   curl -s https://api.openai.com/v1/batches/$ID -H "Authorization: Bearer $OPENAI_API_KEY" | parse_batch
#include "model/Batch.h"

#include <cpprest/json.h>

#include <fstream>
#include <iostream>
#include <sstream>

using org::openapitools::client::model::Batch;

namespace {

std::string readAll(std::istream& in)
{
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void printTimestamp(const char* label, bool isSet, int64_t seconds)
{
    if (isSet)
    {
        std::cout << "  " << label << ": " << seconds << "\n";
    }
}

} // namespace

int main(int argc, char** argv)
{
    std::string text;
    if (argc > 1)
    {
        std::ifstream file(argv[1], std::ios::binary);
        if (!file)
        {
            std::cerr << "parse_batch: cannot open " << argv[1] << "\n";
            return 2;
        }
        text = readAll(file);
    }
    else
    {
        text = readAll(std::cin);
    }

    std::error_code error;
    const auto json = web::json::value::parse(utility::conversions::to_string_t(text), error);
    if (error)
    {
        std::cerr << "parse_batch: not JSON: " << error.message() << "\n";
        return 2;
    }

    Batch batch;
    const bool clean = batch.fromJson(json);
    std::cout << "batch " << batch.getId() << ": " << batch.getStatusString() << " (" << batch.getEndpoint() << ")\n";
    if (batch.getRequestCounts())
    {
        const auto& counts = *batch.getRequestCounts();
        std::cout << "  requests: " << counts.getCompleted() << " completed, " << counts.getFailed() << " failed, "
                  << counts.getTotal() << " total\n";
    }
    printTimestamp("created_at", batch.createdAtIsSet(), batch.getCreatedAt());
    printTimestamp("completed_at", batch.completedAtIsSet(), batch.getCompletedAt());
    printTimestamp("expires_at", batch.expiresAtIsSet(), batch.getExpiresAt());
    if (batch.outputFileIdIsSet())
    {
        std::cout << "  output file: " << batch.getOutputFileId() << "\n";
    }
    if (batch.getErrors())
    {
        for (const auto& line : batch.getErrors()->getData())
        {
            std::cout << "  error " << line->getCode() << " at line " << line->getLine() << ": " << line->getMessage()
                      << "\n";
        }
    }
    for (const auto& diagnostic : batch.getDiagnostics())
    {
        std::cerr << "parse_batch: " << diagnostic << "\n";
    }
    return clean ? 0 : 1;
}
