// Faults the local server injects on purpose, so that clients can be tested against them:
// an HTTP error status (429 with Retry-After, 500, 503), a slow answer, or a connection dropped in the
// middle of the reply (after the request was carried out), at a rate or on every Nth request.
// Deterministic for a given seed.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace openai_batch::server {

struct FaultRule
{
    int status = 0;                     ///< 429, 500 or 503; 0 for a slow answer or a drop
    std::chrono::milliseconds delay{0}; ///< for a slow answer
    bool drop = false;                  ///< serve the request, then cut the connection mid-reply
    double rate = 0;                    ///< probability per request
    uint64_t everyNth = 0;              ///< or: every Nth request (1-based)

    /// "429:rate=0.2", "500:nth=3", "503:rate=1", "slow=250:rate=0.1", "drop:nth=5"; throws std::invalid_argument.
    static FaultRule parse(const std::string& text);
};

/// What to do to one request.
struct Fault
{
    int status = 0; ///< answer with this error status instead of serving the request
    std::chrono::milliseconds delay{0};
    bool drop = false; ///< serve the request, but break the connection halfway through the reply
};

class FaultPlan
{
public:
    FaultPlan(std::vector<FaultRule> rules, uint64_t seed);
    /// The faults for the next request (counting every request).
    Fault next();
    bool empty() const { return m_Rules.empty(); }

private:
    std::vector<FaultRule> m_Rules;
    std::mutex m_Mutex;
    std::mt19937_64 m_Random;
    uint64_t m_Count = 0;
};

} // namespace openai_batch::server
