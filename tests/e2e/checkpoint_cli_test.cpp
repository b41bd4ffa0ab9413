// `mcrisk run` interrupted by SIGINT or SIGTERM and finished by `mcrisk run
// --resume DIR`, as a user does it: the interrupted run exits 128 + signal
// with a partial summary.json marked as such and a checkpoint; the resumed
// run, on another thread count, gives results bit-identical to a run never
// interrupted (summary.json but for run metadata, summary.csv, samples.csv);
// a changed config or a damaged checkpoint is refused, not resumed.
//
// Stops come from the test-only trigger MCRISK_TEST_STOP_AFTER_BLOCKS=K[:TERM]
// (the binary raises the signal itself before block K + 1: a known point) and,
// once, from a real kill(2) after the run has logged progress.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "command_line.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using mcrisk::testing::CommandResult;
using mcrisk::testing::fresh_directory;
using mcrisk::testing::read_text;
using mcrisk::testing::read_json;
using mcrisk::testing::run_mcrisk;
using mcrisk::testing::kR1;

constexpr const char* kStreamingRun = " -n 300000 --statistics streaming -q";

// summary.json without what may differ between runs of the same trials: wall time, threads, the memory estimate (per thread).
nlohmann::json results_of(const fs::path& directory) {
  nlohmann::json summary = read_json(directory / "summary.json");
  summary["run"].erase("wall_seconds");
  summary["run"].erase("threads");
  summary["statistics"].erase("memory_estimate_bytes");
  return summary;
}

// The uninterrupted streaming run every resumed one is compared with (run once).
const fs::path& streaming_reference() {
  static const fs::path directory = [] {
    const fs::path d = fresh_directory("reference");
    const auto result = run_mcrisk("run " + kR1 + kStreamingRun + " -t 2 -o " + d.string());
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return d;
  }();
  return directory;
}

void expect_interrupted(const CommandResult& result, const fs::path& directory, int exit_code, const std::string& signal) {
  EXPECT_EQ(result.exit_code, exit_code) << result.output;
  EXPECT_NE(result.output.find("mcrisk run --resume " + directory.string()), std::string::npos) << result.output;
  ASSERT_TRUE(fs::exists(directory / "checkpoint.mcrisk"));
  ASSERT_TRUE(fs::exists(directory / "summary.json"));
  EXPECT_FALSE(fs::exists(directory / "summary.csv"));  // only the marked JSON for a partial result
  const nlohmann::json partial = read_json(directory / "summary.json");
  EXPECT_EQ(partial.at("status"), "partial");
  EXPECT_EQ(partial.at("interrupted").at("signal"), signal);
  const auto done = partial.at("interrupted").at("trials_done").get<std::uint64_t>();
  const auto requested = partial.at("interrupted").at("trials_requested").get<std::uint64_t>();
  EXPECT_GT(done, 0u);
  EXPECT_LT(done, requested);
  EXPECT_EQ(done % 256, 0u);  // whole blocks
  if (partial.contains("run")) {
    EXPECT_LE(partial["run"]["trials"].get<std::uint64_t>(), done);
  }
}

void expect_resumed_equals(const fs::path& directory, const fs::path& reference, const std::string& threads) {
  const auto resumed = run_mcrisk("run --resume " + directory.string() + " -q -t " + threads);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_FALSE(fs::exists(directory / "checkpoint.mcrisk"));  // removed on success
  EXPECT_FALSE(read_json(directory / "summary.json").contains("status"));
  EXPECT_EQ(results_of(directory), results_of(reference));
  EXPECT_EQ(read_text(directory / "summary.csv"), read_text(reference / "summary.csv"));
}

TEST(Checkpoint, StreamingRunStoppedBySigintResumesBitIdenticallyOnOtherThreads) {
  const fs::path directory = fresh_directory("sigint");
  const auto stopped = run_mcrisk("run " + kR1 + kStreamingRun + " -t 2 -o " + directory.string(), "MCRISK_TEST_STOP_AFTER_BLOCKS=100");
  expect_interrupted(stopped, directory, 130, "SIGINT");
  expect_resumed_equals(directory, streaming_reference(), "1");
}

TEST(Checkpoint, StreamingRunStoppedBySigtermResumesBitIdentically) {
  const fs::path directory = fresh_directory("sigterm");
  const auto stopped = run_mcrisk("run " + kR1 + kStreamingRun + " -t 1 -o " + directory.string(), "MCRISK_TEST_STOP_AFTER_BLOCKS=700:TERM");
  expect_interrupted(stopped, directory, 143, "SIGTERM");
  expect_resumed_equals(directory, streaming_reference(), "3");
}

TEST(Checkpoint, InterruptedTwiceStillResumesBitIdentically) {
  const fs::path directory = fresh_directory("twice");
  expect_interrupted(run_mcrisk("run " + kR1 + kStreamingRun + " -t 2 -o " + directory.string(), "MCRISK_TEST_STOP_AFTER_BLOCKS=60"),
                     directory, 130, "SIGINT");
  // The resumed run is itself interrupted (before block 301 of those it still has to do).
  expect_interrupted(run_mcrisk("run --resume " + directory.string() + " -q -t 2", "MCRISK_TEST_STOP_AFTER_BLOCKS=300"), directory, 130,
                     "SIGINT");
  expect_resumed_equals(directory, streaming_reference(), "2");
}

TEST(Checkpoint, RealSignalAfterProgressStopsAtABlockAndResumes) {
  const fs::path directory = fresh_directory("kill");
  fs::create_directories(directory);
  const std::string log = (directory / "log.txt").string();
  const std::string out = (directory / "out").string();
  std::vector<std::string> words = {MCRISK_BINARY, "run", kR1, "-n", "300000", "--statistics", "streaming", "-t", "1",
                                    "-o", out, "--log-level", "info"};
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, MCRISK_BINARY, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  // Wait for the first progress line (info level, as stderr is not a terminal): blocks are being done.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int status = 0;
  pid_t ended = 0;
  while (read_text(log).find("progress") == std::string::npos && std::chrono::steady_clock::now() < deadline &&
         (ended = ::waitpid(pid, &status, WNOHANG)) == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(ended, 0) << "the run ended before it logged progress: " << read_text(log);
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "killed outright instead of stopping at a block: " << read_text(log);
  ASSERT_EQ(WEXITSTATUS(status), 130) << "(0: the run finished before the signal came) " << read_text(log);
  const nlohmann::json partial = read_json(fs::path(out) / "summary.json");
  EXPECT_EQ(partial.at("status"), "partial");
  EXPECT_TRUE(fs::exists(fs::path(out) / "checkpoint.mcrisk"));
  expect_resumed_equals(out, streaming_reference(), "2");
}

TEST(Checkpoint, ExactModeWithSamplesResumesBitIdentically) {
  const std::string exact_run = " -n 40000 --sampling lhs --replicates 8 --statistics exact --samples -q";
  const fs::path reference = fresh_directory("exact_reference"), directory = fresh_directory("exact");
  ASSERT_EQ(run_mcrisk("run " + kR1 + exact_run + " -t 2 -o " + reference.string()).exit_code, 0);
  expect_interrupted(run_mcrisk("run " + kR1 + exact_run + " -t 2 -o " + directory.string(), "MCRISK_TEST_STOP_AFTER_BLOCKS=90:TERM"), directory,
                     143, "SIGTERM");
  expect_resumed_equals(directory, reference, "1");
  EXPECT_EQ(read_text(directory / "samples.csv"), read_text(reference / "samples.csv"));
}

TEST(Checkpoint, ResumeRefusesAChangedConfig) {
  const fs::path directory = fresh_directory("changed");
  fs::create_directories(directory);
  const fs::path config = directory / "r1.yaml";
  fs::copy_file(kR1, config);
  const fs::path out = directory / "out";
  expect_interrupted(run_mcrisk("run " + config.string() + kStreamingRun + " -t 2 -o " + out.string(), "MCRISK_TEST_STOP_AFTER_BLOCKS=50"), out,
                     130, "SIGINT");
  std::ofstream(config, std::ios::app) << "# edited after the interrupt\n";
  const auto refused = run_mcrisk("run --resume " + out.string());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("has changed since the run was interrupted"), std::string::npos) << refused.output;
  EXPECT_TRUE(fs::exists(out / "checkpoint.mcrisk"));  // kept: putting the config back makes it resumable
}

TEST(Checkpoint, ResumeRefusesADamagedOrMissingCheckpoint) {
  const fs::path directory = fresh_directory("damaged");
  expect_interrupted(run_mcrisk("run " + kR1 + kStreamingRun + " -t 2 -o " + directory.string(), "MCRISK_TEST_STOP_AFTER_BLOCKS=50"),
                     directory, 130, "SIGINT");
  const fs::path file = directory / "checkpoint.mcrisk";
  std::string bytes = read_text(file);
  const std::string original = bytes;
  bytes[bytes.size() / 2] = char(bytes[bytes.size() / 2] ^ 0x20);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  auto refused = run_mcrisk("run --resume " + directory.string());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("damaged or truncated"), std::string::npos) << refused.output;

  std::ofstream(file, std::ios::binary | std::ios::trunc) << original.substr(0, original.size() / 3);
  refused = run_mcrisk("run --resume " + directory.string());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("damaged or truncated"), std::string::npos) << refused.output;

  // A checkpoint of format version 1 holds trials of the Philox4x64 stream, which this build no longer draws.
  std::string old_format = original;
  old_format[8] = 1;  // the u32 format version follows the 8-byte magic
  std::ofstream(file, std::ios::binary | std::ios::trunc) << old_format;
  refused = run_mcrisk("run --resume " + directory.string());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("has format version 1; this build of mcrisk reads version 2"), std::string::npos) << refused.output;

  std::ofstream(file, std::ios::binary | std::ios::trunc) << "trials: 5\n";
  refused = run_mcrisk("run --resume " + directory.string());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("not an mcrisk checkpoint"), std::string::npos) << refused.output;

  fs::remove(file);
  refused = run_mcrisk("run --resume " + directory.string());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("no checkpoint"), std::string::npos) << refused.output;
}

TEST(Checkpoint, ResumeTakesItsSettingsFromTheCheckpointOnly) {
  const auto refused = run_mcrisk("run --resume /nonexistent --trials 5");
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("--trials cannot be given with it"), std::string::npos) << refused.output;
  const auto no_config = run_mcrisk("run -n 10");
  EXPECT_EQ(no_config.exit_code, 1) << no_config.output;
  EXPECT_NE(no_config.output.find("run needs a CONFIG"), std::string::npos) << no_config.output;
}

TEST(Checkpoint, PrecisionRunsAreNotCheckpointed) {
  // --precision runs do not install the stop check: the trigger does nothing and no checkpoint is left.
  const fs::path directory = fresh_directory("precision");
  const auto result = run_mcrisk("run " + kR1 + " -n 2560 --precision 5% -q -t 2 -o " + directory.string(), "MCRISK_TEST_STOP_AFTER_BLOCKS=1");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_FALSE(fs::exists(directory / "checkpoint.mcrisk"));
}

}  // namespace
