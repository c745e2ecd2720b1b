// The process's peak resident set since exec (VmHWM), which getrusage() would overstate: it also
// counts the pages of the process that forked us.
#pragma once

#include <fstream>
#include <string>

namespace openai_batch::bench {

inline long peakRssKiB()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
    {
        if (line.rfind("VmHWM:", 0) == 0)
        {
            return std::stol(line.substr(6));
        }
    }
    return -1;
}

} // namespace openai_batch::bench
