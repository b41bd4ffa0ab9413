// --history, the run recorder, `mcrisk history` and `mcrisk compare`.

#include "history_commands.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>


#include <cmath>
#include <filesystem>
#include <limits>

#include "mcrisk/util/byte_codec.h"
#include "mcrisk/cluster/cluster.h"
#include "mcrisk/report/summary_writer.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/store/run_comparison.h"
#include "mcrisk/store/run_record.h"
#include "mcrisk/util/build_info.h"
#include "mcrisk/version.h"

namespace mcrisk::cli {

namespace {

std::filesystem::path history_path(const HistoryChoice& choice) {
  return choice.explicit_path() ? std::filesystem::path(choice.path) : store::default_history_path();
}

// A run id (digits) from the history, or a summary.json (or the folder holding one).
store::RunRecord resolve_run(const std::string& reference, const HistoryChoice& choice, std::unique_ptr<store::RunHistory>& history) {
  const bool is_id = !reference.empty() && reference.find_first_not_of("0123456789") == std::string::npos;
  if (is_id && !std::filesystem::exists(reference)) {
    if (choice.disabled) throw std::invalid_argument("'" + reference + "' is a run id, but --no-history leaves no history to look it up in");
    if (!history) history = std::make_unique<store::RunHistory>(history_path(choice));
    const auto run = history->find(std::stoll(reference));
    if (!run) throw std::invalid_argument(fmt::format("no run {} in the run history {}", reference, history->path().string()));
    if (run->status != "ok") throw std::invalid_argument(fmt::format("run {} failed ({}); it has no figures to compare", reference, run->error));
    return *run;
  }
  std::filesystem::path file = reference;
  if (std::filesystem::is_directory(file)) file /= "summary.json";
  return store::record_from_summary_file(file);
}

std::string optional_number(const std::optional<std::uint64_t>& value) { return value ? std::to_string(*value) : "-"; }

nlohmann::json run_to_json(const store::RunRecord& run) {
  using nlohmann::json;
  json options = json::array();
  for (const auto& o : run.options) {
    options.push_back({{"option", o.option},
                       {"mean", o.mean},
                       {"mean_se", o.mean_se},
                       {"P10", o.p10},
                       {"P10_se", o.p10_se},
                       {"P50", o.p50},
                       {"P90", o.p90},
                       {"P90_se", o.p90_se},
                       {"prob_loss", o.prob_loss},
                       {"prob_loss_se", o.prob_loss_se},
                       {"expected_shortfall_5", o.expected_shortfall_5},
                       {"prob_best", o.prob_best}});
  }
  const auto optional = [](const auto& value) { return value ? json(*value) : json(nullptr); };
  return {{"id", run.id},
          {"started_at", run.started_at},
          {"status", run.status},
          {"error", run.error},
          {"command", run.command},
          {"batch", run.batch},
          {"config_file", run.config_path},
          {"config_sha256", run.config_sha256},
          {"scenario", run.scenario},
          {"seed", optional(run.seed)},
          {"trials", optional(run.trials)},
          {"sampling", run.sampling},
          {"replicate_size", optional(run.replicate_size)},
          {"statistics_mode", run.statistics_mode},
          {"engine_version", run.engine_version},
          {"engine_commit", run.engine_commit},
          {"build_type", run.build_type},
          {"threads", optional(run.threads)},
          {"wall_seconds", optional(run.wall_seconds)},
          {"trials_per_second", optional(run.trials_per_second)},
          {"results_sha256", run.results_sha256},
          {"summary", run.summary_path},
          {"options", options}};
}

int show_history(const HistoryCommands& commands, const HistoryChoice& choice) {
  if (choice.disabled) throw std::invalid_argument("--no-history: there is no history to list");
  store::RunHistory history(history_path(choice));
  store::RunFilter filter;
  filter.limit = commands.limit;
  filter.config = commands.config_filter;
  filter.batch = commands.batch_filter;
  const auto runs = history.list(filter);
  if (commands.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& run : runs) list.push_back(run_to_json(run));
    fmt::print("{}\n", nlohmann::json{{"schema", "mcrisk.history/1"}, {"history", history.path().string()}, {"runs", list}}.dump(2));
    return 0;
  }
  fmt::print("Run history {} ({} run(s) shown, newest first)\n", history.path().string(), runs.size());
  fmt::print("{:>5}  {:<20}  {:<6}  {:<9}  {:<24}  {:<24}  {:>10}  {:>9}  {:<5}  {:>3}  {:>8}  {:>10}  {:<12}\n", "id", "time (UTC)", "status",
             "command", "config", "scenario", "seed", "trials", "samp", "thr", "wall s", "trials/s", "commit");
  for (const auto& run : runs) {
    fmt::print("{:>5}  {:<20}  {:<6}  {:<9}  {:<24}  {:<24}  {:>10}  {:>9}  {:<5}  {:>3}  {:>8}  {:>10}  {:<12}\n", run.id, run.started_at, run.status,
               run.command, std::filesystem::path(run.config_path).filename().string(), run.scenario.empty() ? "-" : run.scenario,
               optional_number(run.seed), optional_number(run.trials), run.sampling.empty() ? "-" : run.sampling,
               run.threads ? std::to_string(*run.threads) : "-", run.wall_seconds ? fmt::format("{:.2f}", *run.wall_seconds) : "-",
               run.trials_per_second ? fmt::format("{:.0f}", *run.trials_per_second) : "-", store::short_commit(run.engine_commit));
    if (run.status != "ok") fmt::print("       failed: {}\n", run.error);
  }
  return 0;
}

int compare(const HistoryCommands& commands, const HistoryChoice& choice) {
  std::unique_ptr<store::RunHistory> history;
  const store::RunRecord a = resolve_run(commands.run_a, choice, history);
  const store::RunRecord b = resolve_run(commands.run_b, choice, history);
  const store::RunComparison comparison = store::compare_runs(a, b);
  if (commands.json) fmt::print("{}\n", store::comparison_to_json(comparison, a, b).dump(2));
  else fmt::print("{}", store::format_comparison(comparison, a, b));
  return commands.fail_on_change && comparison.beyond_noise > 0 ? 3 : 0;
}

}  // namespace

void add_history_options(CLI::App& command, HistoryChoice& choice) {
  auto* path = command.add_option("--history", choice.path,
                                  "Run history database (default: $MCRISK_HISTORY, else $XDG_DATA_HOME/mcrisk/history.sqlite, else "
                                  "~/.local/share/mcrisk/history.sqlite). Given explicitly, a failure to record is an error");
  auto* off = command.add_flag("--no-history", choice.disabled, "Do not record this run in the run history");
  path->excludes(off);
}

RunRecorder::RunRecorder(const HistoryChoice& choice) : choice_(choice), started_at_(store::utc_now()) {}
RunRecorder::~RunRecorder() = default;

std::string RunRecorder::location() const {
  if (choice_.disabled) return "";
  try {
    return history_path(choice_).string();
  } catch (const std::exception&) {
    return "";
  }
}

bool RunRecorder::record(store::RunRecord run) {
  attempted_ = true;
  last_id_ = 0;
  if (choice_.disabled) return true;
  if (run.started_at.empty()) run.started_at = started_at_;
  run.engine_version = kEngineVersion;
  run.engine_commit = util::engine_commit();
  run.build_type = util::build_type();
  try {
    if (!history_) history_ = std::make_unique<store::RunHistory>(history_path(choice_));
    last_id_ = history_->record(run);
    spdlog::info("recorded as run {} in the run history {}", last_id_, history_->path().string());
    return true;
  } catch (const std::exception& error) {
    if (choice_.explicit_path()) {
      spdlog::error("could not record the run in the run history given with --history: {} (the run's own results, if any, are written)", error.what());
      return false;
    }
    spdlog::warn("the run is not recorded in the run history: {}; the run itself is unaffected (use --no-history to skip recording)", error.what());
    return true;
  }
}

bool RunRecorder::record_success(const statistics::RunSummary& summary, const std::string& command, const std::string& scenario,
                                 const std::filesystem::path& out_dir, const std::string& batch) {
  if (choice_.disabled) {
    attempted_ = true;
    return true;
  }
  store::RunRecord run = store::record_from_summary(report::summary_to_json(summary));
  run.command = command;
  run.scenario = scenario;
  run.batch = batch;
  run.summary_path = (out_dir / "summary.json").string();
  // The text as run: read again, kept only if it still has the hash the run recorded.
  run.config_text = store::read_config_text(run.config_path, run.config_sha256);
  if (run.config_text.empty()) spdlog::info("the config's text is not recorded ({} changed or unreadable); only its SHA-256 is", run.config_path);
  return record(std::move(run));
}

bool RunRecorder::record_scenarios(const statistics::ScenarioComparison& comparison, const std::filesystem::path& out_dir, int threads,
                                   double wall_seconds) {
  if (choice_.disabled) {
    attempted_ = true;
    return true;
  }
  const nlohmann::json document = report::scenarios_to_json(comparison);
  const std::string config_text = store::read_config_text(comparison.config_file, comparison.config_sha256);
  const double unknown = std::numeric_limits<double>::quiet_NaN();
  bool ok = true;
  const auto record_one = [&](const statistics::ScenarioResult& result, const nlohmann::json& entry) {
    store::RunRecord run;
    run.command = "scenarios";
    run.config_path = comparison.config_file;
    run.config_sha256 = comparison.config_sha256;
    run.config_text = config_text;
    run.scenario = result.name == "base" ? "" : result.name;
    run.seed = comparison.seed;
    run.trials = comparison.trials;
    run.sampling = comparison.sampling;
    run.threads = simulation::worker_threads(threads);
    run.wall_seconds = wall_seconds;  // of the whole command, every scenario together
    run.results_sha256 = util::sha256_hex(entry.dump());
    run.summary_path = (out_dir / "scenarios.json").string();
    for (const auto& option : result.options) {
      const auto& f = option.figures;
      run.options.push_back({option.option, f.mean, unknown, f.p10, unknown, unknown, f.p90, unknown, f.prob_loss, unknown,
                             f.expected_shortfall_5, unknown});
    }
    ok = record(std::move(run)) && ok;
  };
  record_one(comparison.base, document["base"]);
  for (std::size_t i = 0; i < comparison.scenarios.size(); ++i) record_one(comparison.scenarios[i], document["scenarios"][i]);
  return ok;
}

bool RunRecorder::record_failure(store::RunRecord run, const std::string& error) {
  run.status = "failed";
  run.error = error;
  if (run.config_sha256.empty() && !run.config_path.empty()) {
    run.config_text = store::read_config_text(run.config_path, "");
    if (!run.config_text.empty()) run.config_sha256 = util::sha256_hex(run.config_text);
  }
  return record(std::move(run));
}

std::unique_ptr<HistoryCommands> add_history_commands(CLI::App& app, HistoryChoice& choice) {
  auto commands = std::make_unique<HistoryCommands>();
  commands->batch = app.add_subcommand(
      "batch", "Run every run of a batch manifest (config x scenario x seed x trials x sampling); carry on past failures, print each run's "
               "status, exit 1 if any failed");
  commands->batch->add_option("manifest", commands->manifest, "Batch manifest (YAML)")->required();
  commands->batch->add_option("--out,-o", commands->batch_out, "Folder for the runs' folders (default: the manifest's `out`)");
  commands->batch->add_option("--threads,-t", commands->batch_threads, "Worker threads (0 = all cores; default: the manifest's)")
      ->check(CLI::NonNegativeNumber);
  commands->batch->add_option("--label", commands->batch_label, "Label of this batch in the run history (default: <manifest name>@<UTC time>)");
  add_history_options(*commands->batch, choice);

  commands->history = app.add_subcommand("history", "List the runs in the run history, newest first");
  commands->history->add_option("--limit", commands->limit, "How many runs (default 20)")->check(CLI::PositiveNumber);
  commands->history->add_option("--config", commands->config_filter, "Only runs whose config path contains this text");
  commands->history->add_option("--batch", commands->batch_filter, "Only the runs of this batch label");
  commands->history->add_flag("--json", commands->json, "Print JSON (schema mcrisk.history/1) with each run's figures");
  commands->history->add_option("--history", choice.path, "Run history database (default as for run)");

  commands->compare = app.add_subcommand(
      "compare", "Compare two runs (run ids from the history, or summary.json files or their folders): per option, the change in mean, P10, "
                 "P90 and P(loss) against Monte Carlo noise (|z| > 3), and what differs between the two configs");
  commands->compare->add_option("a", commands->run_a, "Run A: a run id or a summary.json (or its folder)")->required();
  commands->compare->add_option("b", commands->run_b, "Run B: a run id or a summary.json (or its folder)")->required();
  commands->compare->add_flag("--json", commands->json, "Print JSON (schema mcrisk.compare/1)");
  commands->compare->add_flag("--fail-on-change", commands->fail_on_change, "Exit 3 when any figure changed beyond noise");
  commands->compare->add_option("--history", choice.path, "Run history database, for run ids (default as for run)");
  return commands;
}

std::optional<int> run_history_commands(const HistoryCommands& commands, const HistoryChoice& choice) {
  if (*commands.batch) return run_batch(commands, choice);
  // history and compare simulate nothing: under MPI rank 0 alone answers.
  if (!cluster::is_root() && (*commands.history || *commands.compare)) return 0;
  if (*commands.history) return show_history(commands, choice);
  if (*commands.compare) return compare(commands, choice);
  return std::nullopt;
}

}  // namespace mcrisk::cli
