#include "Faults.h"

#include <stdexcept>

namespace openai_batch::server {

FaultRule FaultRule::parse(const std::string& text)
{
    const auto bad = [&text](const std::string& why) {
        return std::invalid_argument("fault '" + text + "': " + why
                                     + " (expected e.g. 429:rate=0.2, 500:nth=3, slow=250:rate=0.1, drop:nth=5)");
    };
    const size_t colon = text.find(':');
    if (colon == std::string::npos)
    {
        throw bad("no ':rate=' or ':nth='");
    }
    const std::string kind = text.substr(0, colon);
    const std::string when = text.substr(colon + 1);
    FaultRule rule;
    try
    {
        if (kind == "429" || kind == "500" || kind == "503")
        {
            rule.status = std::stoi(kind);
        }
        else if (kind == "drop")
        {
            rule.drop = true;
        }
        else if (kind.rfind("slow=", 0) == 0)
        {
            rule.delay = std::chrono::milliseconds(std::stoul(kind.substr(5)));
        }
        else
        {
            throw bad("the kind must be 429, 500, 503, drop or slow=MS");
        }
        if (when.rfind("rate=", 0) == 0)
        {
            rule.rate = std::stod(when.substr(5));
            if (!(rule.rate >= 0 && rule.rate <= 1))
            {
                throw bad("rate must be between 0 and 1");
            }
        }
        else if (when.rfind("nth=", 0) == 0)
        {
            rule.everyNth = std::stoull(when.substr(4));
            if (rule.everyNth == 0)
            {
                throw bad("nth must be at least 1");
            }
        }
        else
        {
            throw bad("'" + when + "' is neither rate=R nor nth=N");
        }
    }
    catch (const std::invalid_argument&)
    {
        throw;
    }
    catch (const std::exception&)
    {
        throw bad("a number does not parse");
    }
    return rule;
}

FaultPlan::FaultPlan(std::vector<FaultRule> rules, uint64_t seed)
    : m_Rules(std::move(rules))
    , m_Random(seed)
{
}

Fault FaultPlan::next()
{
    std::lock_guard<std::mutex> lock(m_Mutex);
    ++m_Count;
    Fault fault;
    for (const auto& rule : m_Rules)
    {
        const bool hit = rule.everyNth ? m_Count % rule.everyNth == 0
                                       : std::uniform_real_distribution<double>(0.0, 1.0)(m_Random) < rule.rate;
        if (!hit)
        {
            continue;
        }
        if (rule.status != 0 && fault.status == 0)
        {
            fault.status = rule.status;
        }
        fault.delay += rule.delay;
        fault.drop = fault.drop || rule.drop;
    }
    return fault;
}

} // namespace openai_batch::server
