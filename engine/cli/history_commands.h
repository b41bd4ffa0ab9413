#pragma once
// The run history on the command line: --history/--no-history on the
// commands that run, the recorder `run` and `batch` use, and the `batch`,
// `history` and `compare` commands (registered on the app by main.cpp).

#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "mcrisk/statistics/run_summary.h"
#include "mcrisk/statistics/scenarios.h"
#include "mcrisk/store/run_history.h"

namespace mcrisk::cli {

//! Where runs are recorded: --history PATH (explicit), else default_history_path(); --no-history: nowhere.
struct HistoryChoice {
  std::string path;  //!< given with --history (empty: the default)
  bool disabled = false;
  bool explicit_path() const { return !path.empty(); }
};

//! Adds --history PATH and --no-history to a command.
void add_history_options(CLI::App& command, HistoryChoice& choice);

//! Records the runs of one command. A failure to record is a warning (the run
//! itself succeeded and its files are written) unless --history was given,
//! when it is an error: record_* then return false and the command exits 1.
class RunRecorder {
 public:
  explicit RunRecorder(const HistoryChoice& choice);
  ~RunRecorder();
  //! A run that finished: its figures from the summary, written to out_dir/summary.json.
  bool record_success(const statistics::RunSummary& summary, const std::string& command, const std::string& scenario,
                      const std::filesystem::path& out_dir, const std::string& batch = "");
  //! `mcrisk scenarios`: the base case and each scenario, one record each (no
  //! standard errors: the command reports none, so compare gives no noise verdict).
  bool record_scenarios(const statistics::ScenarioComparison& comparison, const std::filesystem::path& out_dir, int threads,
                        double wall_seconds);
  //! A run that failed: what is known of it (config path, settings asked for) and why.
  bool record_failure(store::RunRecord run, const std::string& error);
  //! Whether this recorder has recorded (or tried to record) a run.
  bool attempted() const { return attempted_; }
  //! The id of the last run recorded (0 if none).
  std::int64_t last_id() const { return last_id_; }
  //! Where runs go ("" when disabled).
  std::string location() const;

 private:
  bool record(store::RunRecord run);
  HistoryChoice choice_;
  std::string started_at_;
  std::unique_ptr<store::RunHistory> history_;
  bool attempted_ = false;
  std::int64_t last_id_ = 0;
};

//! The batch, history and compare commands and their options.
struct HistoryCommands {
  CLI::App* batch = nullptr;
  CLI::App* history = nullptr;
  CLI::App* compare = nullptr;
  std::string manifest;
  std::string batch_out;
  std::string batch_label;
  int batch_threads = -1;  //!< -1: the manifest's
  std::size_t limit = 20;
  std::string config_filter;
  std::string batch_filter;
  bool json = false;
  bool fail_on_change = false;
  std::string run_a, run_b;
};

//! Registers batch, history and compare on app, sharing `choice` for --history.
std::unique_ptr<HistoryCommands> add_history_commands(CLI::App& app, HistoryChoice& choice);

//! Runs whichever of the three was chosen and returns its exit code; nothing if none was.
std::optional<int> run_history_commands(const HistoryCommands& commands, const HistoryChoice& choice);

//! `mcrisk batch`: every run of the manifest; carries on past failures; 1 if any failed.
int run_batch(const HistoryCommands& commands, const HistoryChoice& choice);

}  // namespace mcrisk::cli
