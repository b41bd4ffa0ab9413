// `mcrisk batch MANIFEST`: many runs in one command. Each run is what `mcrisk
// run` does with the same settings (load, compile with the scenario's
// overrides, appraise, write DIR/summary.json and .csv), recorded in the run
// history; a run that fails is reported and recorded as failed, and the batch
// carries on.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "history_commands.h"
#include "mcrisk/cluster/cluster.h"
#include "mcrisk/config/batch_manifest.h"
#include "mcrisk/config/model_loader.h"
#include "mcrisk/report/summary_writer.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/appraisal.h"
#include "mcrisk/statistics/scenarios.h"
#include "mcrisk/version.h"
#include "sampling_design.h"

namespace mcrisk::cli {

namespace {

struct BatchRunOutcome {
  std::string name;
  bool ok = false;
  std::size_t trials = 0;
  double wall_seconds = 0;
  std::string detail;  //!< where the results are, or why it failed
  std::int64_t history_id = 0;
};

// One run of the batch; throws on any failure (config, scenario, memory cap, non-finite output, writing).
statistics::RunSummary run_one(const config::BatchRun& run, int threads, const std::filesystem::path& out_dir) {
  model::Model model = config::load_model(run.config);
  const model::Scenario* scenario = nullptr;
  if (!run.scenario.empty()) {
    scenario = model.find_scenario(run.scenario);
    if (!scenario) {
      std::string names;
      for (const auto& s : model.scenarios) names += (names.empty() ? "" : ", ") + s.name;
      throw std::invalid_argument(fmt::format("unknown scenario '{}'; {} defines {}", run.scenario, run.config.string(),
                                              names.empty() ? "none" : names));
    }
  }
  const simulation::EvaluationPlan plan =
      simulation::EvaluationPlan::compile(model, scenario ? statistics::scenario_adjustments(*scenario) : simulation::PlanAdjustments{});
  statistics::AppraisalRequest request;
  simulation::RunSettings& settings = request.settings;
  settings.trials = run.trials.value_or(model.run.trials);
  settings.seed = run.seed.value_or(model.run.seed);
  settings.threads = threads;
  request.design = apply_sampling(run.sampling, run.replicates, settings);
  request.mode = statistics::parse_statistics_mode(run.statistics);
  request.scenario = scenario;
  statistics::RunInfo info;
  info.seed = settings.seed;
  info.threads = simulation::worker_threads(threads);
  info.ranks = cluster::current().size();
  info.sampling = run.sampling;
  info.replicate_size = request.design.replicate_size;
  info.engine_version = kEngineVersion;
  const auto start = std::chrono::steady_clock::now();
  statistics::Appraisal appraisal = statistics::appraise(model, plan, request, info);
  statistics::RunSummary& summary = appraisal.summary;
  if (scenario) summary.model_name += " — scenario " + scenario->name;
  summary.run.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (cluster::is_root()) report::write_summary(summary, out_dir);  // under MPI every rank holds it; rank 0 writes
  return std::move(summary);
}

std::string default_label(const std::string& manifest) { return std::filesystem::path(manifest).stem().string() + "@" + store::utc_now(); }

}  // namespace

int run_batch(const HistoryCommands& commands, const HistoryChoice& choice) {
  const config::BatchManifest manifest = config::load_batch_manifest(commands.manifest);
  const std::filesystem::path out = commands.batch_out.empty() ? manifest.out : std::filesystem::path(commands.batch_out);
  const int threads = commands.batch_threads >= 0 ? commands.batch_threads : manifest.threads;
  const std::string label = commands.batch_label.empty() ? default_label(commands.manifest) : commands.batch_label;
  RunRecorder recorder(choice);
  bool history_failed = false;
  std::vector<BatchRunOutcome> outcomes;
  const bool speaks = cluster::is_root();  // under MPI rank 0 alone prints
  if (speaks) fmt::print("Batch {}: {} run(s) into {}\n", commands.manifest, manifest.runs.size(), out.string());
  for (std::size_t i = 0; i < manifest.runs.size(); ++i) {
    const config::BatchRun& run = manifest.runs[i];
    BatchRunOutcome outcome;
    outcome.name = run.name;
    const std::filesystem::path directory = out / run.name;
    const auto start = std::chrono::steady_clock::now();
    try {
      const statistics::RunSummary summary = run_one(run, threads, directory);
      outcome.ok = true;
      outcome.trials = summary.run.trials;
      outcome.wall_seconds = summary.run.wall_seconds;
      outcome.detail = (directory / "summary.json").string();
      if (!recorder.record_success(summary, "batch", run.scenario, directory, label)) history_failed = true;
    } catch (const std::exception& error) {
      // Under MPI a run may have failed on one rank only, leaving the others in
      // a collective: the batch cannot carry on in step, so the job ends (main
      // aborts every rank). On one process a failed run is noted and the batch goes on.
      if (cluster::current().size() > 1) throw;
      outcome.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      outcome.detail = error.what();
      spdlog::error("batch run {} ({}): {}", run.name, run.where.describe(), error.what());
      store::RunRecord failed;
      failed.command = "batch";
      failed.batch = label;
      failed.config_path = run.config.string();
      failed.scenario = run.scenario;
      failed.seed = run.seed;
      failed.trials = run.trials;
      failed.sampling = run.sampling;
      failed.statistics_mode = run.statistics;
      failed.wall_seconds = outcome.wall_seconds;
      if (!recorder.record_failure(failed, error.what())) history_failed = true;
    }
    outcome.history_id = recorder.last_id();
    if (speaks) fmt::print("[{}/{}] {} {} ({:.2f} s)\n", i + 1, manifest.runs.size(), run.name, outcome.ok ? "ok" : "FAILED", outcome.wall_seconds);
    std::fflush(stdout);
    outcomes.push_back(std::move(outcome));
  }

  std::size_t failed = 0;
  for (const auto& outcome : outcomes) failed += outcome.ok ? 0 : 1;
  if (!speaks) return failed > 0 || history_failed ? 1 : 0;
  std::size_t name_width = 4;
  for (const auto& outcome : outcomes) name_width = std::max(name_width, outcome.name.size());
  fmt::print("\n{:<{}}  {:<6}  {:>10}  {:>8}  {:>10}  {:>7}  {}\n", "run", name_width, "status", "trials", "wall s", "trials/s", "history",
             "results / error");
  for (const auto& outcome : outcomes) {
    fmt::print("{:<{}}  {:<6}  {:>10}  {:>8.2f}  {:>10}  {:>7}  {}\n", outcome.name, name_width, outcome.ok ? "ok" : "FAILED",
               outcome.ok ? std::to_string(outcome.trials) : "-", outcome.wall_seconds,
               outcome.ok && outcome.wall_seconds > 0 ? fmt::format("{:.0f}", double(outcome.trials) / outcome.wall_seconds) : "-",
               outcome.history_id > 0 ? std::to_string(outcome.history_id) : "-", outcome.detail);
  }
  const std::string where = recorder.location();
  fmt::print("\n{} of {} run(s) succeeded, {} failed. {}\n", outcomes.size() - failed, outcomes.size(), failed,
             where.empty() ? std::string("Not recorded (--no-history).") : fmt::format("Run history: {} (batch {})", where, label));
  return failed > 0 || history_failed ? 1 : 0;
}

}  // namespace mcrisk::cli
