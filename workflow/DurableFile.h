// DurableFile: writing state that must survive a crash, and holding a directory for one process.
#pragma once

#include "workflow/Namespaces.h"

#include <stdexcept>
#include <string>

namespace openai_batch::workflow {

/// The disk or the system failed (a full disk, no descriptors left), not the data: the message names the
/// operation, the path and the system's reason.
class StorageError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// Writes text to path through a synced temporary file (path + ".tmp") and a rename, then syncs the
/// directory: the old file or the new one survives any crash, never half of one. Throws StorageError.
void writeAtomically(const std::string& path, const std::string& text);

/// Makes what was written to path (a file or a directory) durable (fsync). Throws StorageError.
void syncPath(const std::string& path);

/// A save point: each durable write passes two (before it is durable, and after). For crash tests: with
/// OPENAI_BATCH_CRASH_AT=N in the environment, the process kills itself (SIGKILL) at the Nth save point, as
/// `kill -9` would at that moment.
void savePoint();

/// An exclusive lock (flock) on directory/LOCK, held while the object lives. A second holder, in this
/// process or another, is refused with std::runtime_error: "<directory> is in use by <holder>".
class DirectoryLock
{
public:
    /// holder names what uses the directory, for the refusal ("another server", "another run of this job").
    DirectoryLock(const std::string& directory, const std::string& holder);
    ~DirectoryLock();
    DirectoryLock(const DirectoryLock&) = delete;
    DirectoryLock& operator=(const DirectoryLock&) = delete;

private:
    int m_Descriptor = -1;
};

} // namespace openai_batch::workflow
