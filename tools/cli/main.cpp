#include "Cli.h"

#include <cstdlib>
#include <iostream>
#include <unistd.h>

int main(int argc, char** argv)
{
    openai_batch::cli::Environment environment;
    environment.variable = [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        return value && *value ? std::optional<std::string>(value) : std::nullopt;
    };
    environment.stdoutIsTerminal = ::isatty(STDOUT_FILENO) == 1;
    environment.input = &std::cin;
    return openai_batch::cli::runCli(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr,
                                     environment);
}
