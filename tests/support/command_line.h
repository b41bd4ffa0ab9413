#pragma once
// End-to-end tests run the real `mcrisk` binary (MCRISK_BINARY, set by
// tests/CMakeLists.txt) as a user would, and read the files it writes.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace mcrisk::testing {

struct CommandResult {
  int exit_code = -1;  //!< -1 when the command did not exit normally (a signal)
  std::string output;  //!< stdout and stderr together
};

//! Runs a shell command line and collects its output (stdout and stderr).
inline CommandResult run_command(const std::string& command_line) {
  CommandResult result;
  FILE* pipe = popen((command_line + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), int(buffer.size()), pipe)) result.output += buffer.data();
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

//! Runs `mcrisk ARGUMENTS`, after environment assignments ("NAME=value ...") if any.
inline CommandResult run_mcrisk(const std::string& arguments, const std::string& environment = "") {
  return run_command(environment + (environment.empty() ? "" : " ") + std::string(MCRISK_BINARY) + " " + arguments);
}

//! The R1 config (configs/triborough_2010.yaml).
inline const std::string kR1 = std::string(MCRISK_SOURCE_DIR) + "/configs/triborough_2010.yaml";

//! A path in the temporary directory, removed first, named after the running
//! test and this process, so tests never share one even when run together.
inline std::filesystem::path fresh_directory(const std::string& name) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string owner = test ? std::string(test->test_suite_name()) + "_" + test->name() : "mcrisk";
  const std::filesystem::path directory =
      std::filesystem::temp_directory_path() / ("mcrisk_" + owner + "_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(directory);
  return directory;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline nlohmann::json read_json(const std::filesystem::path& path) { return nlohmann::json::parse(read_text(path)); }

}  // namespace mcrisk::testing
