#include "run_interrupt.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <vector>

#include "mcrisk/report/summary_writer.h"
#include "mcrisk/util/atomic_file.h"
#include "mcrisk/util/byte_codec.h"
#include "mcrisk/util/stop_signal.h"
#include "mcrisk/version.h"

namespace mcrisk::cli {

namespace {

std::string file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::string hex;
  for (std::uint8_t byte : util::sha256(bytes)) hex += fmt::format("{:02x}", byte);
  return hex;
}

std::string signal_name(int signal_number) { return signal_number == SIGTERM ? "SIGTERM" : signal_number == SIGINT ? "SIGINT" : fmt::format("signal {}", signal_number); }

}  // namespace

std::function<bool()> install_stop_check() {
  util::install_stop_handlers();
  // Read once, before any worker thread starts.
  const char* trigger = std::getenv("MCRISK_TEST_STOP_AFTER_BLOCKS");  // NOLINT(concurrency-mt-unsafe): no thread runs yet
  if (trigger == nullptr || *trigger == '\0') return [] { return util::stop_requested(); };
  const std::string text = trigger;
  const std::size_t colon = text.find(':');
  const unsigned long long after = std::strtoull(text.substr(0, colon).c_str(), nullptr, 10);
  const int signal_number = colon != std::string::npos && text.substr(colon + 1) == "TERM" ? SIGTERM : SIGINT;
  spdlog::warn("test trigger MCRISK_TEST_STOP_AFTER_BLOCKS={}: {} will be raised when block {} is about to start", text, signal_name(signal_number),
               after + 1);
  auto started = std::make_shared<std::atomic<unsigned long long>>(0);
  return [started, after, signal_number] {
    // The real handler runs (raise() delivers to this thread before returning): the test exercises it, not a shortcut.
    if (started->fetch_add(1) == after) std::raise(signal_number);
    return util::stop_requested();
  };
}

void remove_stop_handlers() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

void refuse_options_with_resume(const CLI::App& run) {
  for (const char* name : {"config", "--trials", "--seed", "--out", "--sampling", "--replicates", "--precision", "--precision-prob", "--max-trials",
                           "--scenario", "--scenarios", "--statistics", "--memory-limit", "--samples", "--report", "--sensitivity"}) {
    if (run.count(name) > 0) {
      throw std::invalid_argument(fmt::format("--resume takes the run's settings from its checkpoint; {} cannot be given with it (only --threads, "
                                              "--quiet and --log-level can)",
                                              name));
    }
  }
}

statistics::RunCheckpoint read_checkpoint_to_resume(const std::filesystem::path& directory, RunCommandOptions& options) {
  statistics::RunCheckpoint checkpoint = statistics::read_checkpoint(statistics::checkpoint_path(directory));
  try {
    const nlohmann::json saved = nlohmann::json::parse(checkpoint.command_options);
    options.scenarios_file = saved.at("scenarios_file").get<std::string>();
    options.replicates = saved.at("replicates").get<std::size_t>();
    options.samples = saved.at("samples").get<bool>();
    options.report = saved.at("report").get<bool>();
    options.sensitivity = saved.at("sensitivity").get<bool>();
    options.memory_limit_gib = saved.at("memory_limit_gib").get<double>();
  } catch (const nlohmann::json::exception& error) {
    throw std::runtime_error(fmt::format("checkpoint {}: its command options are unreadable ({})", statistics::checkpoint_path(directory).string(),
                                         error.what()));
  }
  if (checkpoint.engine_version != kEngineVersion) {
    spdlog::warn("the checkpoint was written by mcrisk {}, this is {}", checkpoint.engine_version, kEngineVersion);
  }
  spdlog::info("resuming {}: {} of {} trials done, seed {}, {} statistics", checkpoint.config_file, checkpoint.trials_done(),
               checkpoint.trials_requested, checkpoint.seed, checkpoint.statistics_mode);
  return checkpoint;
}

void require_same_config(const statistics::RunCheckpoint& checkpoint, const model::Model& model) {
  if (model.config_sha256 != checkpoint.config_sha256) {
    throw std::runtime_error(fmt::format("the config {} has changed since the run was interrupted (sha256 {}... then, {}... now): resuming would "
                                         "mix two models' trials; put the config back as it was, or start a new run",
                                         checkpoint.config_file, checkpoint.config_sha256.substr(0, 16), model.config_sha256.substr(0, 16)));
  }
  const nlohmann::json saved = nlohmann::json::parse(checkpoint.command_options);
  const std::string overlay = saved.at("scenarios_file").get<std::string>();
  if (!overlay.empty() && file_sha256(overlay) != saved.at("scenarios_sha256").get<std::string>()) {
    throw std::runtime_error(fmt::format("the scenarios file {} has changed since the run was interrupted: put it back as it was, or start a new run",
                                         overlay));
  }
}

int finish_interrupted_run(statistics::Appraisal& appraisal, const model::Model& model, const std::string& config_file, const std::string& scenario,
                           const RunCommandOptions& options, const std::filesystem::path& directory) {
  statistics::RunCheckpoint& checkpoint = *appraisal.interrupted;
  checkpoint.engine_version = kEngineVersion;
  checkpoint.config_file = std::filesystem::absolute(config_file).lexically_normal().string();
  checkpoint.config_sha256 = model.config_sha256;
  checkpoint.scenario = scenario;
  nlohmann::json saved = {{"scenarios_file", options.scenarios_file.empty() ? "" : std::filesystem::absolute(options.scenarios_file).string()},
                          {"scenarios_sha256", options.scenarios_file.empty() ? "" : file_sha256(options.scenarios_file)},
                          {"replicates", options.replicates},
                          {"samples", options.samples},
                          {"report", options.report},
                          {"sensitivity", options.sensitivity},
                          {"memory_limit_gib", options.memory_limit_gib}};
  checkpoint.command_options = saved.dump();
  const int signal_number = util::stop_signal() != 0 ? util::stop_signal() : SIGINT;
  const std::filesystem::path checkpoint_file = statistics::checkpoint_path(directory);
  statistics::write_checkpoint(checkpoint_file, checkpoint);

  // The partial summary: the figures of the trials done so far, clearly marked, never mistaken for the run's results.
  const std::string resume_command = "mcrisk run --resume " + directory.string();
  const nlohmann::json marker = {{"signal", signal_name(signal_number)},
                                 {"trials_done", checkpoint.trials_done()},
                                 {"trials_requested", checkpoint.trials_requested},
                                 {"checkpoint", checkpoint_file.string()},
                                 {"resume", resume_command},
                                 {"note", "figures of the trials done before the interrupt only; not the run's results"}};
  nlohmann::json document = appraisal.summarised ? report::summary_to_json(appraisal.summary) : nlohmann::json{{"schema", "mcrisk.summary/1"}};
  document["status"] = "partial";
  document["interrupted"] = marker;
  std::filesystem::create_directories(directory);
  util::write_file_atomically(directory / "summary.json", document.dump(2) + "\n");
  // A summary.csv of an earlier run would now sit beside a partial summary.json: it goes.
  if (std::filesystem::remove(directory / "summary.csv")) spdlog::info("removed the earlier {}", (directory / "summary.csv").string());

  fmt::print("Interrupted by {} after {} of {} trials.\nPartial summary (status \"partial\"): {}\nCheckpoint: {}\nFinish the run with: {}\n",
             signal_name(signal_number), checkpoint.trials_done(), checkpoint.trials_requested, (directory / "summary.json").string(),
             checkpoint_file.string(), resume_command);
  return 128 + signal_number;
}

void remove_checkpoint(const std::filesystem::path& directory) {
  if (std::filesystem::remove(statistics::checkpoint_path(directory))) spdlog::info("run complete: removed its checkpoint");
}

}  // namespace mcrisk::cli
