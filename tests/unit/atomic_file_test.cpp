// util::write_file_atomically: a result file is either the old one or the
// complete new one, whatever happens: an unwritable directory, a full disk
// (a tiny tmpfs, and /dev/full through the test hook), or kill -9 at a random
// moment of the write.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mcrisk/util/atomic_file.h"

namespace mcrisk::util {
namespace {

namespace fs = std::filesystem;

//! A fresh empty directory, removed (after unmounting anything on it) at the end.
class ScratchDirectory {
 public:
  explicit ScratchDirectory(const std::string& name) {
    path_ = fs::temp_directory_path() / ("mcrisk_atomic_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDirectory() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    std::error_code ignored;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(path_, ignored);
  }
  //! Mounts a tmpfs of `size` (e.g. "64k") with `options` on the directory; false if not allowed.
  bool mount_tmpfs(const std::string& size, unsigned long flags = 0) {
    const std::string data = "size=" + size + ",mode=0755";
    if (::mount("tmpfs", path_.c_str(), "tmpfs", flags, data.c_str()) != 0) return false;
    mounted_ = true;
    return true;
  }
  const fs::path& path() const { return path_; }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_)) names.push_back(entry.path().filename().string());
    return names;
  }

 private:
  fs::path path_;
  bool mounted_ = false;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

//! FNV-1a, to name contents in failure messages.
std::uint64_t content_hash(const std::string& bytes) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (const unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ULL;
  return hash;
}

//! The message of the runtime_error that `write` throws ("" if none).
template <typename Write>
std::string error_of(Write write) {
  try {
    write();
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

TEST(AtomicFile, WritesAndReplacesLeavingOnlyTheTarget) {
  ScratchDirectory directory("replace");
  const fs::path target = directory.path() / "summary.json";
  write_file_atomically(target, "first");
  EXPECT_EQ(read_file(target), "first");
  write_file_atomically(target, "second, longer");
  EXPECT_EQ(read_file(target), "second, longer");
  write_file_atomically(target, "");
  EXPECT_EQ(read_file(target), "");
  EXPECT_EQ(directory.entries(), std::vector<std::string>{"summary.json"});
}

TEST(AtomicFile, MissingDirectoryIsAClearErrorNamingThePath) {
  ScratchDirectory directory("missing");
  const fs::path target = directory.path() / "no_such_dir" / "summary.json";
  const std::string error = error_of([&] { write_file_atomically(target, "x"); });
  EXPECT_NE(error.find("cannot write " + target.string()), std::string::npos) << error;
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
  EXPECT_TRUE(directory.entries().empty());
}

TEST(AtomicFile, UnwritableDirectoryIsAClearErrorAndLeavesNothingBehind) {
  ScratchDirectory directory("unwritable");
  const fs::path target = directory.path() / "summary.json";
  std::string expected;
  if (::geteuid() == 0) {
    // Root ignores permission bits: a read-only file system is unwritable even for root.
    if (!directory.mount_tmpfs("64k", MS_RDONLY)) GTEST_SKIP() << "cannot mount a read-only tmpfs";
    expected = "Read-only file system";
  } else {
    fs::permissions(directory.path(), fs::perms::owner_read | fs::perms::owner_exec);
    expected = "Permission denied";
  }
  const std::string error = error_of([&] { write_file_atomically(target, "x"); });
  EXPECT_NE(error.find("cannot write " + target.string()), std::string::npos) << error;
  EXPECT_NE(error.find("temporary file"), std::string::npos) << error;
  EXPECT_NE(error.find(expected), std::string::npos) << error;
  EXPECT_TRUE(directory.entries().empty());
}

TEST(AtomicFile, FullDiskIsAClearErrorAndKeepsTheOldFile) {
  ScratchDirectory directory("full");
  if (!directory.mount_tmpfs("64k")) GTEST_SKIP() << "cannot mount a tmpfs (not root?); see DevFullThroughTheHook";
  const fs::path target = directory.path() / "summary.json";
  write_file_atomically(target, "old complete result");
  const std::string big(1 << 20, 'x');  // 1 MiB into a 64 KiB file system
  const std::string error = error_of([&] { write_file_atomically(target, big); });
  EXPECT_NE(error.find("cannot write " + target.string()), std::string::npos) << error;
  EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;
  EXPECT_EQ(read_file(target), "old complete result");
  EXPECT_EQ(directory.entries(), std::vector<std::string>{"summary.json"});
}

TEST(AtomicFile, DevFullThroughTheHookGivesENOSPCAndNoPartialFile) {
  ScratchDirectory directory("devfull");
  const fs::path target = directory.path() / "summary.json";
  std::vector<fs::path> opened;
  // The temporary file is really created (so its removal is tested), but its
  // descriptor writes to /dev/full, which fails every write with ENOSPC.
  const OpenTemporaryFile open_full = [&](const fs::path& temporary) {
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) return -1;
    opened.push_back(temporary);
    const int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    if (full < 0) return fd;
    ::dup2(full, fd);
    ::close(full);
    return fd;
  };
  const std::string error = error_of([&] { write_file_atomically(target, "new", open_full); });
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_NE(error.find("cannot write " + target.string()), std::string::npos) << error;
  EXPECT_NE(error.find(opened[0].string()), std::string::npos) << error;
  EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(opened[0]));
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(directory.entries().empty());
}

TEST(AtomicFile, TemporaryNamesAreUniqueAndExclusive) {
  ScratchDirectory directory("unique");
  const fs::path target = directory.path() / "out.csv";
  std::vector<fs::path> names;
  const OpenTemporaryFile record = [&](const fs::path& temporary) {
    names.push_back(temporary);
    return ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  };
  write_file_atomically(target, "a", record);
  write_file_atomically(target, "b", record);
  ASSERT_EQ(names.size(), 2u);
  EXPECT_NE(names[0], names[1]);
  EXPECT_EQ(names[0].parent_path(), target.parent_path());  // same directory: rename is atomic
  EXPECT_NE(names[0].filename().string().find(std::to_string(::getpid())), std::string::npos);
  EXPECT_EQ(read_file(target), "b");
}

TEST(AtomicFile, ExistingTemporaryNameIsSkippedNotShared) {
  ScratchDirectory directory("exists");
  const fs::path target = directory.path() / "out.csv";
  int calls = 0;
  const OpenTemporaryFile clash_first = [&](const fs::path& temporary) {
    if (++calls == 1) {
      errno = EEXIST;
      return -1;
    }
    return ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  };
  write_file_atomically(target, "content", clash_first);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(read_file(target), "content");
}

// A child process rewrites a large file over and over, alternating two
// contents; the parent kills it with SIGKILL at random moments (fixed seed).
// After every kill the target must be exactly one of the two contents: never
// torn, never empty, never missing.
TEST(AtomicFile, KillNineAtRandomMomentsNeverTearsTheFile) {
  ScratchDirectory directory("kill9");
  const fs::path target = directory.path() / "summary.json";
  const std::size_t size = 8u << 20;
  std::string a(size, 'a');
  std::string b(size, 'b');
  for (std::size_t i = 0; i < size; i += 4096) {
    a[i] = static_cast<char>('0' + i % 10);  // not one repeated byte
    b[i] = static_cast<char>('A' + i % 26);
  }
  const std::uint64_t hash_a = content_hash(a);
  const std::uint64_t hash_b = content_hash(b);

  const auto started = std::chrono::steady_clock::now();
  write_file_atomically(target, a);
  const auto one_write = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  const long window = std::max<long>(2000, static_cast<long>(3 * one_write.count()));

  std::mt19937_64 random(20240607);
  std::uniform_int_distribution<long> delay_us(0, window);
  int interrupted = 0;  // kills that left a temporary file: the write was under way
  const int iterations = 50;
  for (int iteration = 0; iteration < iterations; ++iteration) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0) << "fork failed";
    if (child == 0) {
      for (unsigned n = 0;; ++n) {
        try {
          write_file_atomically(target, n % 2 == 0 ? b : a);
        } catch (...) {
          ::_exit(3);
        }
      }
    }
    const long wait_us = delay_us(random);
    const timespec pause{wait_us / 1000000, (wait_us % 1000000) * 1000};
    ::nanosleep(&pause, nullptr);
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the writer failed on its own, status " << status;

    ASSERT_TRUE(fs::exists(target)) << "iteration " << iteration << ": the target vanished";
    const std::string now = read_file(target);
    const std::uint64_t hash = content_hash(now);
    ASSERT_TRUE(hash == hash_a || hash == hash_b)
        << "iteration " << iteration << " (killed after " << wait_us << " us): torn file of " << now.size()
        << " bytes, hash " << hash;
    ASSERT_TRUE(now == a || now == b);
    // A killed writer cannot clean up; its temporary file is the only debris.
    for (const auto& name : directory.entries()) {
      if (name == "summary.json") continue;
      EXPECT_EQ(name.rfind("summary.json.tmp.", 0), 0u) << name;
      ++interrupted;
      fs::remove(directory.path() / name);
    }
  }
  // The kills must have landed inside writes, or the test proves nothing.
  EXPECT_GE(interrupted, iterations / 10) << "one write takes " << one_write.count() << " us";
  RecordProperty("kills_during_a_write", interrupted);
}

}  // namespace
}  // namespace mcrisk::util
