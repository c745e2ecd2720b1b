#include "workflow/Sha256.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace openai_batch::workflow {

Sha256::Sha256()
    : m_Context(EVP_MD_CTX_new())
{
    if (m_Context == nullptr || EVP_DigestInit_ex(m_Context, EVP_sha256(), nullptr) != 1)
    {
        EVP_MD_CTX_free(m_Context);
        throw std::runtime_error("OpenSSL could not start a SHA-256 digest");
    }
}

Sha256::~Sha256()
{
    EVP_MD_CTX_free(m_Context);
}

void Sha256::update(std::string_view bytes)
{
    EVP_DigestUpdate(m_Context, bytes.data(), bytes.size());
}

void Sha256::updateField(std::string_view bytes)
{
    update(std::to_string(bytes.size()) + ":");
    update(bytes);
}

void Sha256::updateFile(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    if (!file)
    {
        throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
    }
    std::vector<char> buffer(1 << 16);
    while (file.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || file.gcount() > 0)
    {
        update(std::string_view(buffer.data(), static_cast<size_t>(file.gcount())));
    }
    if (file.bad())
    {
        throw std::runtime_error("reading '" + path + "' failed");
    }
}

std::string Sha256::hex(size_t bytes)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(m_Context, digest, &size);
    static const char digits[] = "0123456789abcdef";
    std::string text;
    for (size_t i = 0; i < std::min<size_t>(bytes, size); ++i)
    {
        text += digits[digest[i] >> 4];
        text += digits[digest[i] & 0xF];
    }
    return text;
}

} // namespace openai_batch::workflow
