#include "mcrisk/report/report_builder.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <nlohmann/json.hpp>

#include "mcrisk/report/model_outline.h"
#include "mcrisk/report/xlsx_report.h"
#include "mcrisk/util/atomic_file.h"

extern char** environ;

namespace mcrisk::report {

namespace fs = std::filesystem;

namespace {

constexpr const char* kChartsScript = "report_charts.py";
// Exit status of report_charts.py when matplotlib (or numpy) cannot be imported.
constexpr int kMissingLibraryStatus = 3;

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw std::runtime_error(path.string() + " is not valid JSON: " + error.what());
  }
}

// Runs argv[0] with the arguments, stdout and stderr passed through; returns its exit status.
int run_process(const std::vector<std::string>& arguments) {
  std::vector<char*> argv;
  for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  pid_t child = 0;
  const int error = ::posix_spawnp(&child, argv[0], nullptr, nullptr, argv.data(), environ);
  if (error != 0) throw std::runtime_error("cannot run " + arguments[0] + ": " + std::generic_category().message(error));
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waiting for " + arguments[0] + ": " + std::generic_category().message(errno));
  }
  if (WIFSIGNALED(status)) throw std::runtime_error(arguments[0] + " was killed by signal " + std::to_string(WTERMSIG(status)));
  return WEXITSTATUS(status);
}

}  // namespace

fs::path find_scripts_directory() {
  std::vector<fs::path> tried;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read while the report is built, when no other thread changes the environment
  if (const char* from_environment = std::getenv("MCRISK_SCRIPTS"); from_environment && *from_environment) {
    const fs::path directory(from_environment);
    if (fs::is_regular_file(directory / kChartsScript)) return directory;
    throw std::runtime_error("MCRISK_SCRIPTS is " + directory.string() + ", which has no " + kChartsScript);
  }
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path bin = executable.parent_path();
    for (const fs::path& candidate : {bin / ".." / ".." / "scripts", bin / ".." / "share" / "mcrisk" / "scripts", bin / ".." / "scripts"}) {
      if (fs::is_regular_file(candidate / kChartsScript)) return fs::weakly_canonical(candidate);
      tried.push_back(candidate);
    }
  }
#ifdef MCRISK_DEFAULT_SCRIPTS_DIR
  if (fs::is_regular_file(fs::path(MCRISK_DEFAULT_SCRIPTS_DIR) / kChartsScript)) return MCRISK_DEFAULT_SCRIPTS_DIR;
  tried.emplace_back(MCRISK_DEFAULT_SCRIPTS_DIR);
#endif
  std::string places;
  for (const auto& place : tried) places += "\n  " + place.lexically_normal().string();
  throw std::runtime_error(std::string("cannot find scripts/") + kChartsScript + "; set MCRISK_SCRIPTS to the folder holding it. Tried:" + places);
}

fs::path python_interpreter() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read while the report is built, when no other thread changes the environment
  if (const char* from_environment = std::getenv("MCRISK_PYTHON"); from_environment && *from_environment) return from_environment;
  return "/usr/bin/python3";
}

std::string config_file_of_run(const fs::path& directory) {
  const fs::path summary_path = directory / "summary.json";
  if (!fs::is_regular_file(summary_path)) {
    throw std::runtime_error("no " + summary_path.string() + ": run `mcrisk run CONFIG --out " + directory.string() + " --samples` first");
  }
  const std::string config = read_json(summary_path).value("/model/config_file"_json_pointer, std::string());
  if (config.empty()) throw std::runtime_error(summary_path.string() + " names no config file: pass --config");
  return config;
}

ReportFiles build_report(const model::Model& model, const fs::path& directory) {
  const fs::path summary_path = directory / "summary.json";
  const fs::path samples_path = directory / "samples.csv";
  if (!fs::is_regular_file(summary_path)) {
    throw std::runtime_error("no " + summary_path.string() + ": run `mcrisk run CONFIG --out " + directory.string() + " --report` first");
  }
  if (!fs::is_regular_file(samples_path)) {
    throw std::runtime_error("no " + samples_path.string() + " (the charts need every trial): run `mcrisk run CONFIG --out " +
                             directory.string() + " --samples` (or --report)");
  }
  const nlohmann::json summary = read_json(summary_path);
  const std::string run_hash = summary.value("/model/config_sha256"_json_pointer, std::string());
  if (run_hash != model.config_sha256) {
    throw std::runtime_error("the config " + model.source_file + " (sha256 " + model.config_sha256.substr(0, 16) +
                             ") is not the one the run in " + directory.string() + " used (sha256 " + run_hash.substr(0, 16) +
                             "): pass the run's config with --config, or run again");
  }

  ReportFiles files;
  files.model_outline = directory / "model.json";
  files.workbook = directory / "summary.xlsx";
  files.charts = directory / "charts";
  files.html = directory / "report.html";

  const nlohmann::json outline = model_outline_to_json(model);
  util::write_file_atomically(files.model_outline, outline.dump(2) + "\n");
  write_summary_workbook(summary, outline, files.workbook);

  // Check the interpreter before the script, so a missing Python gets its own message.
  const fs::path python = python_interpreter();
  if (python.has_parent_path() && ::access(python.c_str(), X_OK) != 0) {
    throw std::runtime_error("the report's charts need Python 3 with matplotlib, and " + python.string() +
                             " is missing: install python3-matplotlib (bash scripts/setup), or set MCRISK_PYTHON");
  }
  const fs::path script = find_scripts_directory() / kChartsScript;
  const int status = run_process({python.string(), script.string(), directory.string()});
  if (status == kMissingLibraryStatus) {
    throw std::runtime_error(python.string() + " cannot import matplotlib: install python3-matplotlib (bash scripts/setup)");
  }
  if (status != 0) throw std::runtime_error(script.string() + " failed (exit status " + std::to_string(status) + ")");
  return files;
}

}  // namespace mcrisk::report
