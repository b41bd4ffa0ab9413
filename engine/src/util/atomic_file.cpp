#include "mcrisk/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <system_error>

namespace mcrisk::util {

namespace {

// Temporary names are unique within the process (counter) and between
// processes (pid); O_EXCL makes a clash an error rather than a shared file.
std::atomic<unsigned long> temporary_counter{0};

// std::strerror is not thread-safe; the generic category's message is.
std::string reason(int error) { return std::generic_category().message(error); }

int open_exclusive(const std::filesystem::path& temporary) {
  return ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
}

std::filesystem::path directory_of(const std::filesystem::path& path) {
  const std::filesystem::path parent = path.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

// Owns the temporary file until it has been renamed: closes the descriptor and
// removes the file on every way out but success.
class TemporaryFile {
 public:
  TemporaryFile() = default;
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (fd >= 0) ::close(fd);
    if (!path.empty()) ::unlink(path.c_str());
  }
  //! Closes the descriptor; returns 0 or the errno of close.
  int close() {
    const int result = ::close(fd);
    fd = -1;
    return result == 0 ? 0 : errno;
  }
  void release() { path.clear(); }

  std::filesystem::path path;
  int fd = -1;
};

[[noreturn]] void fail(const std::filesystem::path& target, const std::string& what, int error) {
  throw std::runtime_error("cannot write " + target.string() + ": " + what + ": " + reason(error));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  write_file_atomically(path, contents, open_exclusive);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                           const OpenTemporaryFile& open_temporary) {
  TemporaryFile temporary;
  for (int attempt = 0;; ++attempt) {
    const std::filesystem::path name = path.string() + ".tmp." + std::to_string(::getpid()) + "." +
                                       std::to_string(temporary_counter.fetch_add(1));
    temporary.fd = open_temporary(name);
    if (temporary.fd >= 0) {
      temporary.path = name;
      break;
    }
    const int error = errno;
    // A stale file of a killed process with the same pid: try the next name.
    if (error == EEXIST && attempt < 100) continue;
    fail(path, "creating the temporary file " + name.string() + " failed", error);
  }

  const char* data = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t written = ::write(temporary.fd, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail(path, "writing the temporary file " + temporary.path.string() + " failed", errno);
    }
    if (written == 0) fail(path, "writing the temporary file " + temporary.path.string() + " made no progress", EIO);
    data += written;
    left -= static_cast<std::size_t>(written);
  }
  if (::fsync(temporary.fd) != 0) fail(path, "syncing the temporary file " + temporary.path.string() + " failed", errno);
  if (const int error = temporary.close(); error != 0) {
    fail(path, "closing the temporary file " + temporary.path.string() + " failed", error);
  }
  if (::rename(temporary.path.c_str(), path.c_str()) != 0) {
    fail(path, "renaming " + temporary.path.string() + " over it failed", errno);
  }
  temporary.release();

  // The rename is durable only once the directory entry is on disk.
  const std::filesystem::path directory = directory_of(path);
  const int directory_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd < 0) fail(path, "written, but its directory " + directory.string() + " could not be opened to sync it", errno);
  const int synced = ::fsync(directory_fd);
  const int sync_error = errno;
  ::close(directory_fd);
  // Some file systems cannot sync a directory at all (EINVAL): nothing more can be done there.
  if (synced != 0 && sync_error != EINVAL && sync_error != ENOTSUP) {
    fail(path, "written, but syncing its directory " + directory.string() + " failed", sync_error);
  }
}

}  // namespace mcrisk::util
