// Sha256: OpenSSL's SHA-256, fed in pieces, for the tags that name a job.
#pragma once

#include "workflow/Namespaces.h"

#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace openai_batch::workflow {

class Sha256
{
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(std::string_view bytes);
    /// bytes preceded by their length, so that no two different sequences of fields hash alike.
    void updateField(std::string_view bytes);
    /// A file's bytes; throws std::runtime_error naming it when it cannot be read.
    void updateFile(const std::string& path);
    /// The digest's first `bytes` bytes as lowercase hex; the object is used up.
    std::string hex(size_t bytes = 32);

private:
    evp_md_ctx_st* m_Context;
};

} // namespace openai_batch::workflow
