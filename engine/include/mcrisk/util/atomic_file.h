#pragma once
// Results are never left half-written: text goes to a uniquely named temporary
// file beside the target (created with O_EXCL), is written and fsynced, is
// renamed over the target in one step, and the directory is fsynced so that
// the rename itself survives a crash. After a kill -9 at any moment the target
// is either the old file or the complete new one; on any error the temporary
// file is removed and the target is untouched.

#include <filesystem>
#include <functional>
#include <string_view>

namespace mcrisk::util {

//! Writes contents to path atomically (temporary file + fsync + rename + fsync
//! of the directory). Throws std::runtime_error naming the path and the system's
//! reason (e.g. "No space left on device"); leaves no temporary file behind.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

//! How the temporary file is opened: returns a file descriptor open for writing,
//! or -1 with errno set. The default creates `temporary` with
//! O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC. A test hook, for injecting faults.
using OpenTemporaryFile = std::function<int(const std::filesystem::path& temporary)>;

//! Same as above, opening the temporary file with `open_temporary`.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                           const OpenTemporaryFile& open_temporary);

}  // namespace mcrisk::util
