#include "workflow/DurableFile.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace openai_batch::workflow {

namespace {

StorageError systemError(const std::string& what, const std::string& path)
{
    return StorageError(what + " " + path + ": " + std::strerror(errno));
}

void writeAll(int fd, const std::string& text, const std::string& path)
{
    size_t written = 0;
    while (written < text.size())
    {
        const ssize_t step = ::write(fd, text.data() + written, text.size() - written);
        if (step < 0 && errno != EINTR)
        {
            throw systemError("cannot write", path);
        }
        written += step > 0 ? static_cast<size_t>(step) : 0;
    }
}

void syncDescriptor(int fd, const std::string& path)
{
    if (::fsync(fd) != 0)
    {
        const auto error = systemError("cannot sync", path);
        ::close(fd);
        throw error;
    }
}

} // namespace

void writeAtomically(const std::string& path, const std::string& text)
{
    const std::string temporary = path + ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
    {
        throw systemError("cannot create", temporary);
    }
    try
    {
        writeAll(fd, text, temporary);
        savePoint(); // written, not yet durable
    }
    catch (...)
    {
        ::close(fd);
        throw;
    }
    syncDescriptor(fd, temporary);
    ::close(fd);
    if (::rename(temporary.c_str(), path.c_str()) != 0)
    {
        throw systemError("cannot rename " + temporary + " to", path);
    }
    const std::string directory = std::filesystem::path(path).parent_path().string();
    syncPath(directory.empty() ? "." : directory); // the rename itself
    savePoint();
}

void syncPath(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
    {
        throw systemError("cannot open", path);
    }
    syncDescriptor(fd, path);
    ::close(fd);
}

void savePoint()
{
    static const uint64_t crashAt = [] {
        const char* text = std::getenv("OPENAI_BATCH_CRASH_AT");
        return text ? std::strtoull(text, nullptr, 10) : 0;
    }();
    static std::atomic<uint64_t> passed{0};
    if (crashAt != 0 && ++passed == crashAt)
    {
        ::kill(::getpid(), SIGKILL);
    }
}

DirectoryLock::DirectoryLock(const std::string& directory, const std::string& holder)
{
    const std::string path = (std::filesystem::path(directory) / "LOCK").string();
    m_Descriptor = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_Descriptor < 0 || ::flock(m_Descriptor, LOCK_EX | LOCK_NB) != 0)
    {
        const std::string reason = std::strerror(errno);
        if (m_Descriptor >= 0)
        {
            ::close(m_Descriptor);
        }
        throw std::runtime_error(directory + " is in use by " + holder + " (" + path + ": " + reason + ")");
    }
}

DirectoryLock::~DirectoryLock()
{
    ::close(m_Descriptor); // releases the lock
}

} // namespace openai_batch::workflow
