// Reads a batch output file the way most applications do: each answer's text and why it stopped, and the
// tokens per model, one line in memory at a time. Usage: read_answers OUTPUT.jsonl
#include "workflow/ResultFileReader.h"

#include <iostream>
#include <map>

using namespace openai_batch::workflow;

int main(int argc, char** argv)
{
    if (argc != 2)
    {
        std::cerr << "usage: read_answers OUTPUT.jsonl\n";
        return 2;
    }
    try
    {
        ResultFileReader reader(argv[1]); // every line checked whole; a broken one names its line and byte
        std::map<std::string, TokenUsage> tokens;
        for (BatchResult result; reader.next(result);)
        {
            if (!result.succeeded())
            {
                std::cout << result.customId << " failed: " << result.statusCode.value_or(0) << " "
                          << result.errorCode.value_or("") << "\n";
                continue;
            }
            // Typed reads: nothing is parsed again, and what is not asked for costs nothing.
            std::cout << result.customId << ": " << result.answerText() << " (" << result.finishReason() << ")\n";
            tokens[std::string(result.model())] += result.usage();
        }
        for (const auto& [model, usage] : tokens)
        {
            std::cout << model << ": " << usage.input << " input (" << usage.cached << " cached), " << usage.output
                      << " output, " << usage.total << " total tokens\n";
        }
        return 0;
    }
    catch (const std::exception& error) // ResultFileError, or a line that is not a chat completion
    {
        std::cerr << "read_answers: " << error.what() << "\n";
        return 1;
    }
}
