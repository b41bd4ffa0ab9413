// The mcrisk command: check, plan, run and replay a model config.

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "mcrisk/cluster/cluster.h"
#include "mcrisk/config/config_error.h"
#include "mcrisk/config/model_loader.h"
#include "mcrisk/report/report_builder.h"
#include "mcrisk/report/summary_writer.h"
#include "mcrisk/sampling/unit_cube_sampler.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/appraisal.h"
#include "mcrisk/statistics/convergence.h"
#include "mcrisk/statistics/run_summary.h"
#include "mcrisk/statistics/scenarios.h"
#include "mcrisk/statistics/sensitivity.h"
#include "mcrisk/util/allocator_tuning.h"
#include "mcrisk/util/build_info.h"
#include "mcrisk/version.h"
#include "history_commands.h"
#include "run_interrupt.h"
#include "sampling_design.h"

namespace {

using namespace mcrisk;
using cli::apply_sampling;

struct LoadedModel {
  model::Model model;
  simulation::EvaluationPlan plan;
};

// The model with any --scenarios overlay; compiled with the scenario's overrides when one is named.
LoadedModel load(const std::string& path, const std::string& overlay = "", const std::string& scenario = "") {
  LoadedModel loaded{config::load_model(path), {}};
  if (!overlay.empty()) loaded.model = config::add_scenarios(std::move(loaded.model), overlay);
  loaded.plan = simulation::EvaluationPlan::compile(loaded.model, scenario.empty() ? simulation::PlanAdjustments{}
                                                                                   : statistics::scenario_adjustments(*loaded.model.find_scenario(scenario)));
  return loaded;
}

std::string join(const std::vector<std::string>& words, const std::string& separator = ", ") {
  std::string text;
  for (const auto& word : words) text += (text.empty() ? "" : separator) + word;
  return text;
}

std::vector<std::string> scenario_names(const model::Model& model) {
  std::vector<std::string> names;
  for (const auto& scenario : model.scenarios) names.push_back(scenario.name);
  return names;
}

// A named scenario must exist: say which do.
void require_scenario(const model::Model& model, const std::string& name) {
  if (name.empty() || model.find_scenario(name)) return;
  throw std::invalid_argument("unknown scenario '" + name + "'; the config" + std::string(model.scenarios.empty() ? " defines none" : " defines: ") +
                              join(scenario_names(model)));
}

void print_outline(const LoadedModel& loaded) {
  const model::Model& m = loaded.model;
  fmt::print("{}\n  config {} (sha256 {})\n  years {} | discount rate {:g} | currency {}\n\n", m.name, m.source_file,
             m.config_sha256.substr(0, 16), join(m.years), m.discount_rate, m.currency);
  fmt::print("Drivers ({} drivers, {} components):\n", m.drivers.size(), m.components.size());
  for (const auto& driver : m.drivers) {
    const std::string over = driver.index_set ? " over " + *driver.index_set : "";
    if (driver.law == model::DriverLaw::Ar1) {
      fmt::print("  {}{}: AR(1) mean {:g}, sd {:g}, rho {:g} over {}; planned {:g}\n", driver.name, over, driver.ar1.mean, driver.ar1.sd,
                 driver.ar1.rho, join(driver.elements), driver.planned[0]);
      continue;
    }
    if (!driver.index_set) {
      fmt::print("  {}: {}; planned {:g}\n", driver.name, driver.marginals[0].describe(), driver.planned[0]);
      continue;
    }
    fmt::print("  {}{}:\n", driver.name, over);
    for (std::size_t i = 0; i < driver.elements.size(); ++i) {
      fmt::print("    [{}] {}; planned {:g}\n", driver.elements[i], driver.marginals[i].describe(), driver.planned[i]);
    }
  }
  if (!m.correlations.empty()) {
    fmt::print("\nCorrelations of normal scores (Gaussian copula, {} components{}):\n", loaded.plan.copula_components.size(),
               loaded.plan.copula_repaired ? ", repaired to the nearest valid matrix" : "");
    const auto& plan = loaded.plan;
    for (const auto& entry : m.correlations) {
      fmt::print("  {} ~ {}: {:g}", m.components[entry.first].label, m.components[entry.second].label, entry.rho);
      if (plan.copula_repaired) {
        // Show what the run will use beside what the config says.
        const auto row = [&](std::size_t component) {
          return Eigen::Index(std::find(plan.copula_components.begin(), plan.copula_components.end(), component) - plan.copula_components.begin());
        };
        fmt::print(" (repaired: {:.4f})", plan.copula_correlation(row(entry.first), row(entry.second)));
      }
      fmt::print("\n");
    }
  }
  if (!m.derived.empty()) {
    fmt::print("\nDerived quantities:\n");
    for (const auto& derived : m.derived) fmt::print("  {} = {}\n", derived.name, derived.definition.expression.text());
  }
  fmt::print("\nSavings items:\n");
  for (const auto& item : m.savings_items) {
    std::vector<std::string> factors;
    for (const auto& factor : item.factors) factors.push_back(factor.expression.text());
    fmt::print("  {}: x {}{}\n", item.name, factors.empty() ? "1" : join(factors, " x "),
               item.delay_months ? ", delayed by " + item.delay_months->expression.text() + " months" : "");
  }
  if (!m.cost_items.empty()) {
    fmt::print("\nCost items:\n");
    for (const auto& item : m.cost_items) {
      if (item.amount) fmt::print("  {}: {}\n", item.name, item.amount->expression.text());
      else fmt::print("  {}: ({}) x ({})\n", item.name, item.count->expression.text(), item.unit_cost->expression.text());
    }
  }
  if (!m.events.empty()) {
    fmt::print("\nEvents (one uniform per slot and year, shared by all options):\n");
    for (const auto& event : m.events) {
      std::vector<std::string> years;
      for (std::size_t t = 0; t < m.years.size(); ++t)
        if (event.at_risk[t]) years.push_back(m.years[t]);
      fmt::print("  {} over slots {} in {}{}{}\n", event.name, event.slot_set, join(years), event.recurs ? ", may recur" : ", at most once per slot",
                 event.cost ? "; cost " + event.cost->expression.text() : "");
    }
  }
  fmt::print("\nOptions:\n");
  for (const auto& option : m.options) {
    double planned = 0;
    for (const auto& item : option.planned_savings)
      for (double amount : item) planned += amount;
    fmt::print("  {}: {} | planned gross savings {}\n", option.id, option.description, report::format_money(planned));
    for (const auto& exposure : option.events) {
      std::vector<std::string> slots;
      for (std::size_t slot : exposure.slots) slots.push_back(m.find_set(m.events[exposure.event].slot_set)->elements[slot]);
      const model::EventType& event = m.events[exposure.event];
      std::vector<std::string> hazards;
      for (std::size_t t = 0; t < m.years.size(); ++t)
        if (event.at_risk[t]) hazards.push_back(fmt::format("{} {:g}", m.years[t], exposure.hazard[t]));
      fmt::print("      {}: slots {}; hazard per year {}; loss fraction {:g}\n", event.name, join(slots), join(hazards), exposure.loss_fraction);
    }
  }
  const auto& plan = loaded.plan;
  fmt::print("\nCompiled plan: {} unit-cube dimensions, {} computed columns, {} savings terms, {} cost terms, {} event exposures\n",
             plan.dimension_count, plan.programs.size(), plan.savings_terms.size(), plan.cost_terms.size(), plan.event_exposures.size());
}

// A progress line on a terminal. When stderr is not one (logs, CI), plain
// info-level log lines instead, every 10% of the trials or 10 seconds, so they
// show with --log-level info and keep default output quiet.
class ProgressLine {
 public:
  ProgressLine() : terminal_(::isatty(fileno(stderr)) != 0), start_(std::chrono::steady_clock::now()), last_log_(start_) {}
  void update(std::size_t done, std::size_t total) {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? double(done) / seconds : 0;
    const double eta = rate > 0 ? double(total - done) / rate : 0;
    const double percent = total > 0 ? 100.0 * double(done) / double(total) : 100.0;
    if (!terminal_) {
      const bool tenth = total > 0 && done * 10 / total > logged_tenths_;
      if (tenth || std::chrono::duration<double>(now - last_log_).count() >= 10.0 || done == total) {
        if (done == total && logged_done_) return;
        spdlog::info("progress {:.0f}%: {}/{} trials, {:.0f} trials/s, ETA {:.0f} s", percent, done, total, rate, eta);
        logged_tenths_ = total > 0 ? done * 10 / total : 10;
        logged_done_ = done == total;
        last_log_ = now;
      }
      return;
    }
    std::fprintf(stderr, "\r  %5.1f%%  %zu/%zu trials  %.0f trials/s  ETA %.0f s   ", percent, done, total, rate, eta);
    if (done == total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  bool terminal_;
  std::chrono::steady_clock::time_point start_, last_log_;
  std::size_t logged_tenths_ = 0;
  bool logged_done_ = false;
};

// A rank that fails cannot return: the others may be waiting for it in a
// collective. MPI_Abort ends every rank, and mpirun exits non-zero; rank 0 has
// written nothing yet (it writes only after the last gather).
void abort_job(const cluster::Cluster& ranks) {
  spdlog::error("ending all {} ranks of the job", ranks.size());
  spdlog::default_logger()->flush();
  ranks.abort(1);
}

}  // namespace

int main(int argc, char** argv) {
  mcrisk::util::tune_allocator_for_large_buffers();
  // MPI_Init under mpirun in the MPI build; every rank runs this same main().
  const cluster::ClusterSession cluster_session(argc, argv);
  CLI::App app{"mcrisk: Monte Carlo risk appraisal of service delivery options"};
  app.set_version_flag("--version", std::string("mcrisk ") + mcrisk::kEngineVersion + " (commit " + mcrisk::util::engine_commit() + ", " +
                                        mcrisk::util::build_type() + ", " + mcrisk::util::compiler() + ")");
  app.require_subcommand(1);
  app.fallthrough();  // --log-level may come after the subcommand too
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  std::string config_path;
  auto* check = app.add_subcommand("check", "Validate a config and print an outline of the model");
  check->add_option("config", config_path, "Model config (YAML)")->required();

  auto* plan_command = app.add_subcommand("plan", "Every driver at its planned value: the business case's own figures by option and year");
  plan_command->add_option("config", config_path, "Model config (YAML)")->required();

  std::optional<std::size_t> trials;
  std::optional<std::uint64_t> seed;
  int threads = 0;
  std::string out_dir;
  std::string sampling = "mc";
  std::size_t replicates = 10;
  std::vector<std::string> precision;
  double precision_prob = 0.005;
  std::size_t max_trials = 10000000;
  bool quiet = false;
  auto* run = app.add_subcommand("run", "Run the Monte Carlo appraisal; print the summary and write DIR/summary.json and DIR/summary.csv");
  run->add_option("config", config_path, "Model config (YAML); not with --resume");
  std::string resume_dir;
  run->add_option("--resume", resume_dir, "Finish the run interrupted (SIGINT, SIGTERM) in DIR from its checkpoint; results as if never interrupted");
  run->add_option("--trials,-n", trials, "Trials per option (default: the config's run.trials)")->check(CLI::PositiveNumber);
  run->add_option("--seed,-s", seed, "Seed (default: the config's run.seed)");
  run->add_option("--threads,-t", threads, "Worker threads (0 = all cores); results do not depend on it")->check(CLI::NonNegativeNumber);
  run->add_option("--out,-o", out_dir, "Output directory (default: results/<config name>)");
  run->add_option("--sampling", sampling, "mc (independent trials), lhs (Latin hypercube) or sobol (randomised Sobol points)")
      ->check(CLI::IsMember({"mc", "lhs", "sobol"}));
  run->add_option("--replicates", replicates, "For lhs and sobol: independent replicates, whose spread gives every interval (default 10)")
      ->check(CLI::Range(2, 100000));
  run->add_option("--precision", precision,
                  "Add trials until every option's mean total net has a 95% CI half-width within X (25000, or 1% of the mean), "
                  "or a percentile's (P80:25000); repeatable")
      ->take_all();
  run->add_option("--precision-prob", precision_prob, "With --precision: half-width the CI of P(loss) must reach (default 0.005)")
      ->check(CLI::Range(1e-6, 0.5));
  run->add_option("--max-trials", max_trials, "With --precision: the most trials to run (default 10,000,000)")->check(CLI::PositiveNumber);
  run->add_flag("--quiet,-q", quiet, "Print only where the results are");
  std::string scenario_name, scenarios_file;
  run->add_option("--scenario", scenario_name, "Run this scenario of the config (or of --scenarios FILE) instead of the base case");
  run->add_option("--scenarios", scenarios_file, "Overlay file of scenarios (top-level `scenarios:`, the config's syntax)");
  std::string statistics_mode = "auto";
  run->add_option("--statistics", statistics_mode,
                  "exact (store every trial: exact percentiles), streaming (flat memory: sums, counts and quantile sketches with a "
                  "stated error), or auto (exact while the stored trials stay under 256 MiB or are needed; default)")
      ->check(CLI::IsMember({"auto", "exact", "streaming"}));
  double memory_limit_gib = 8;
  run->add_option("--memory-limit", memory_limit_gib, "Refuse runs estimated to need more memory than this, in GiB (default 8)")
      ->check(CLI::PositiveNumber);
  bool write_samples = false, write_report = false;
  run->add_flag("--samples", write_samples, "Also write DIR/samples.csv: every trial's total net savings per option, in trial order");
  run->add_flag("--report", write_report,
                "Also write the report: DIR/report.html, DIR/charts/, DIR/summary.xlsx (implies --samples; see `mcrisk report`)");

  auto* scenarios_command = app.add_subcommand(
      "scenarios", "Run the base case and every scenario on the same seed and trials; print the changes and write DIR/scenarios.json");
  scenarios_command->add_option("config", config_path, "Model config (YAML)")->required();
  scenarios_command->add_option("--scenarios", scenarios_file, "Overlay file of scenarios (top-level `scenarios:`, the config's syntax)");
  std::vector<std::string> only_scenarios;
  scenarios_command->add_option("--only", only_scenarios, "Run only these scenarios (repeatable)")->take_all();
  scenarios_command->add_option("--trials,-n", trials, "Trials per scenario (default: the config's run.trials)")->check(CLI::PositiveNumber);
  scenarios_command->add_option("--seed,-s", seed, "Seed (default: the config's run.seed)");
  scenarios_command->add_option("--threads,-t", threads, "Worker threads (0 = all cores); results do not depend on it")->check(CLI::NonNegativeNumber);
  scenarios_command->add_option("--out,-o", out_dir, "Output directory (default: results/<config name>)");

  auto* sensitivity_command = app.add_subcommand(
      "sensitivity",
      "What drives each option: tornado (drivers at their own P10 and P90), rank correlations, Sobol indices with bootstrap intervals "
      "and switching values; writes DIR/sensitivity.json");
  sensitivity_command->add_option("config", config_path, "Model config (YAML)")->required();
  sensitivity_command->add_option("--trials,-n", trials, "Trials per run (default: the config's run.trials; 1 + 2 x drivers runs)")
      ->check(CLI::PositiveNumber);
  sensitivity_command->add_option("--seed,-s", seed, "Seed (default: the config's run.seed)");
  sensitivity_command->add_option("--threads,-t", threads, "Worker threads (0 = all cores); results do not depend on it")->check(CLI::NonNegativeNumber);
  sensitivity_command->add_option("--out,-o", out_dir, "Output directory (default: results/<config name>)");
  bool with_sensitivity = false;
  run->add_flag("--sensitivity", with_sensitivity,
                "Also run the sensitivity analysis (tornado, rank correlations, Sobol indices, switching values; see `mcrisk sensitivity`) "
                "into summary.json's \"sensitivity\"");
  // The Sobol and switching-value settings, for `sensitivity` and `run --sensitivity` alike.
  statistics::SensitivityOptions sensitivity_options;
  bool no_sobol = false, no_switching = false;
  std::optional<std::size_t> switching_trials;
  for (auto* command : {sensitivity_command, run}) {
    command->add_option("--sobol-trials", sensitivity_options.sobol_settings.trials,
                        "Sobol indices: N rows of A and of B; costs N x (input groups + 2) model runs (default 16384)")
        ->check(CLI::Range(std::size_t{2}, std::size_t{0xffffffffULL}));
    command->add_option("--bootstrap", sensitivity_options.sobol_settings.bootstrap,
                        "Sobol indices: bootstrap resamples for the 95% intervals (default 1000; 0: no intervals)");
    command->add_flag("--no-sobol", no_sobol, "Skip the Sobol indices");
    command->add_option("--switching-trials", switching_trials,
                        "Switching values: trials per evaluation of expected NPV (default: the smaller of --trials and 20000)")
        ->check(CLI::PositiveNumber);
    command->add_flag("--no-switching", no_switching, "Skip the switching values");
  }
  // The options as the command line leaves them. Switching values take at most
  // 20000 trials by default: with common random numbers the expected NPV is
  // smooth in the percentile, and every grid point and refinement is a run.
  const auto complete_sensitivity_options = [&](std::size_t run_trials) {
    statistics::SensitivityOptions options = sensitivity_options;
    options.sobol = !no_sobol;
    options.switching = !no_switching;
    options.switching_settings.trials = switching_trials.value_or(std::min<std::size_t>(run_trials, 20000));
    return options;
  };

  std::string report_dir;
  auto* report_command = app.add_subcommand(
      "report", "Write DIR/report.html (charts, findings, method appendix), DIR/charts/ and DIR/summary.xlsx from a run's DIR");
  report_command->add_option("dir", report_dir, "Output directory of `mcrisk run --samples` (summary.json and samples.csv)")->required();
  report_command->add_option("--config", config_path, "The run's config (default: the config_file recorded in DIR/summary.json)");

  std::uint64_t trial = 0;
  auto* replay = app.add_subcommand("replay", "Recompute one trial of a run alone: its drivers and each option's gross, costs and net");
  replay->add_option("config", config_path, "Model config (YAML)")->required();
  replay->add_option("--seed,-s", seed, "Seed of the run (default: the config's run.seed)");
  replay->add_option("--trial,-k", trial, "Trial index (0-based)")->required();
  replay->add_option("--trials,-n", trials, "Trials of the run (needed for lhs and sobol, whose points depend on the replicate size)");
  replay->add_option("--sampling", sampling, "Sampling method of the run")->check(CLI::IsMember({"mc", "lhs", "sobol"}));
  replay->add_option("--replicates", replicates, "Replicates of the run (lhs, sobol)")->check(CLI::Range(2, 100000));
  replay->add_option("--scenario", scenario_name, "The run's scenario, if any");
  replay->add_option("--scenarios", scenarios_file, "Overlay file of scenarios");
  plan_command->add_option("--scenario", scenario_name, "The planned case under this scenario's overrides (fixed and shifted drivers)");
  plan_command->add_option("--scenarios", scenarios_file, "Overlay file of scenarios");

  // The run history: --history/--no-history, and the batch, history and compare commands (history_commands.cpp).
  cli::HistoryChoice history;
  cli::add_history_options(*run, history);
  cli::add_history_options(*scenarios_command, history);
  const auto history_commands = cli::add_history_commands(app, history);

  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("mcrisk");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("mcrisk: %l: %v");
  const cluster::Cluster& ranks = cluster::current();
  if (ranks.size() > 1) {
    // Rank 0 speaks for the job; the others report only warnings and errors. Each says whose.
    if (!cluster::is_root()) spdlog::set_level(std::max(spdlog::level::warn, spdlog::level::from_str(log_level)));
    spdlog::set_pattern(fmt::format("mcrisk[rank {}/{}]: %l: %v", ranks.rank(), ranks.size()));
    spdlog::info("{}", ranks.describe());
  }

  // Rank 0 alone records runs in the history, as it alone writes files.
  if (!cluster::is_root()) history.disabled = true;
  cli::RunRecorder recorder(history);
  // What is known of a `run` that failed, for its record in the history.
  const auto record_failed_run = [&](const std::string& error) {
    if (!(*run || *scenarios_command) || recorder.attempted()) return;
    store::RunRecord failed;
    failed.command = *run ? "run" : "scenarios";
    failed.config_path = config_path;
    failed.scenario = scenario_name;
    failed.seed = seed;
    if (trials) failed.trials = *trials;
    failed.sampling = sampling;
    failed.statistics_mode = statistics_mode;
    recorder.record_failure(failed, error);
  };
  try {
    // Commands that simulate nothing need no ranks but the first.
    if (!cluster::is_root() && (*report_command || *check || *plan_command || *replay)) return 0;
    if (const auto code = cli::run_history_commands(*history_commands, history)) return *code;
    // A resumed run takes its settings from the checkpoint; the config must be unchanged.
    std::optional<statistics::RunCheckpoint> checkpoint;
    cli::RunCommandOptions run_options{scenarios_file, replicates, write_samples, write_report, with_sensitivity, memory_limit_gib};
    if (*run && !resume_dir.empty()) {
      cli::refuse_options_with_resume(*run);
      checkpoint = cli::read_checkpoint_to_resume(resume_dir, run_options);
      config_path = checkpoint->config_file;
      out_dir = resume_dir;
      trials = std::size_t(checkpoint->trials_requested);
      seed = checkpoint->seed;
      sampling = checkpoint->sampling;
      scenario_name = checkpoint->scenario;
      statistics_mode = checkpoint->statistics_mode;
      scenarios_file = run_options.scenarios_file;
      replicates = run_options.replicates;
      write_samples = run_options.samples;
      write_report = run_options.report;
      with_sensitivity = run_options.sensitivity;
      memory_limit_gib = run_options.memory_limit_gib;
    } else if (*run && config_path.empty()) {
      throw std::invalid_argument("run needs a CONFIG (or --resume DIR to finish an interrupted run)");
    }
    if (*report_command) {
      // The model comes from the config the run used, checked against the hash in summary.json.
      if (config_path.empty()) config_path = report::config_file_of_run(report_dir);
      const model::Model model = config::load_model(config_path);
      const report::ReportFiles files = report::build_report(model, report_dir);
      fmt::print("Report: {}\nCharts: {}\nWorkbook: {}\n", files.html.string(), files.charts.string(), files.workbook.string());
      return 0;
    }
    if (!scenario_name.empty()) {
      // Check the name before compiling, so that a typo names the scenarios there are.
      model::Model model = config::load_model(config_path);
      if (!scenarios_file.empty()) model = config::add_scenarios(std::move(model), scenarios_file);
      require_scenario(model, scenario_name);
    }
    LoadedModel loaded = load(config_path, scenarios_file, scenario_name);
    if (checkpoint) cli::require_same_config(*checkpoint, loaded.model);
    spdlog::info("{}: {} drivers ({} components), {} options, {} unit-cube dimensions, {} computed columns", config_path,
                 loaded.model.drivers.size(), loaded.model.components.size(), loaded.model.options.size(),
                 loaded.plan.dimension_count, loaded.plan.programs.size());
    if (*check) {
      print_outline(loaded);
      fmt::print("\n{}: OK\n", config_path);
      return 0;
    }
    if (*plan_command) {
      fmt::print("{}\nPlanned case: every driver at its planned value, no events.\n\n", loaded.model.name);
      fmt::print("{}", report::format_trial(loaded.model, simulation::planned_case(loaded.plan), false));
      return 0;
    }
    const std::uint64_t run_seed = seed.value_or(loaded.model.run.seed);
    const std::filesystem::path directory =
        out_dir.empty() ? std::filesystem::path("results") / std::filesystem::path(config_path).stem() : std::filesystem::path(out_dir);
    if (*sensitivity_command) {
      simulation::RunSettings settings;
      settings.trials = trials.value_or(loaded.model.run.trials);
      settings.seed = run_seed;
      settings.threads = threads;
      const auto options = complete_sensitivity_options(settings.trials);
      spdlog::info("sensitivity: tornado {} runs of {} trials, seed {}", 1 + 2 * loaded.model.drivers.size(), settings.trials, settings.seed);
      const auto start = std::chrono::steady_clock::now();
      const auto analysis = statistics::analyse_sensitivity(loaded.model, settings, options);
      spdlog::info("sensitivity took {:.1f} s", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      if (!cluster::is_root()) return 0;  // every rank holds the same results; rank 0 writes them
      report::write_sensitivity(analysis, loaded.model, directory);
      fmt::print("{}\n{}\nResults: {}\n", loaded.model.name, report::format_sensitivity_table(analysis, loaded.model.currency),
                 (directory / "sensitivity.json").string());
      return 0;
    }
    if (*scenarios_command) {
      std::vector<const model::Scenario*> chosen;
      for (const auto& name : only_scenarios) require_scenario(loaded.model, name);
      for (const auto& scenario : loaded.model.scenarios) {
        if (only_scenarios.empty() || std::count(only_scenarios.begin(), only_scenarios.end(), scenario.name)) chosen.push_back(&scenario);
      }
      if (chosen.empty()) throw std::invalid_argument(config_path + " defines no scenarios (add a `scenarios:` section or give --scenarios FILE)");
      simulation::RunSettings settings;
      settings.trials = trials.value_or(loaded.model.run.trials);
      settings.seed = run_seed;
      settings.threads = threads;
      spdlog::info("running the base case and {} scenario(s), {} trials each, seed {}", chosen.size(), settings.trials, settings.seed);
      const auto start = std::chrono::steady_clock::now();
      const auto comparison = statistics::compare_scenarios(loaded.model, settings, chosen);
      const double wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!cluster::is_root()) return 0;
      report::write_scenarios(comparison, directory);
      fmt::print("{}\nResults: {}\n", report::format_scenarios_table(comparison), (directory / "scenarios.json").string());
      return recorder.record_scenarios(comparison, directory, threads, wall_seconds) ? 0 : 1;
    }
    if (*replay) {
      fmt::print("{}\nTrial {} of seed {}\n\n", loaded.model.name, trial, run_seed);
      simulation::RunSettings settings;
      settings.seed = run_seed;
      settings.trials = trials.value_or(loaded.model.run.trials);
      apply_sampling(sampling, replicates, settings);
      fmt::print("{}", report::format_trial(loaded.model, simulation::replay_trial(loaded.plan, settings, trial), true));
      return 0;
    }
    statistics::AppraisalRequest request;
    simulation::RunSettings& settings = request.settings;
    settings.trials = trials.value_or(loaded.model.run.trials);
    settings.seed = run_seed;
    settings.threads = threads;
    request.design = apply_sampling(sampling, replicates, settings);
    request.mode = statistics::parse_statistics_mode(statistics_mode);
    request.keep_outputs = write_samples || write_report;
    request.memory_limit_bytes = std::size_t(memory_limit_gib * double(std::size_t{1} << 30));
    if (!scenario_name.empty()) request.scenario = loaded.model.find_scenario(scenario_name);
    ProgressLine progress;
    if (!quiet && cluster::is_root()) settings.progress = [&progress](std::size_t done, std::size_t total) { progress.update(done, total); };
    const auto& plan = loaded.plan;
    if (!precision.empty()) {
      statistics::PrecisionGoal goal;
      for (const auto& text : precision) goal.targets.push_back(statistics::PrecisionTarget::parse(text));
      goal.prob_loss_half_width = precision_prob;
      goal.initial_trials = std::min(settings.trials, max_trials);
      goal.max_trials = max_trials;
      goal.granularity = request.design.replicate_size > 0 ? request.design.replicate_size : settings.block_size;
      request.precision = goal;
    }
    spdlog::info("running {} trials ({} sampling) with seed {}", settings.trials, sampling, settings.seed);
    // SIGINT/SIGTERM stop the run between blocks with a checkpoint (not --precision runs: they end as before).
    // Under MPI (more than one rank) neither: a signal ends the job as before.
    if (precision.empty() && cluster::current().size() == 1) settings.stop_requested = cli::install_stop_check();
    if (checkpoint) {
      request.resume = &*checkpoint;
      settings.block_size = std::size_t(checkpoint->block_size);
    } else if (std::filesystem::exists(statistics::checkpoint_path(directory))) {
      spdlog::warn("{} holds the checkpoint of an interrupted run; this new run replaces it (`mcrisk run --resume {}` would have finished it)",
                   directory.string(), directory.string());
    }

    const auto start = std::chrono::steady_clock::now();
    statistics::RunInfo info;
    info.seed = settings.seed;
    info.threads = simulation::worker_threads(threads);
    info.ranks = ranks.size();
    info.sampling = sampling;
    info.replicate_size = request.design.replicate_size;
    info.engine_version = kEngineVersion;
    statistics::Appraisal appraisal = statistics::appraise(loaded.model, plan, request, info);
    cli::remove_stop_handlers();  // the steps after the checkpointed part end at once on a signal, as before
    if (appraisal.interrupted) {
      run_options = {scenarios_file, replicates, write_samples, write_report, with_sensitivity, memory_limit_gib};
      return cli::finish_interrupted_run(appraisal, loaded.model, config_path, scenario_name, run_options, directory);
    }
    settings.stop_requested = nullptr;
    statistics::RunSummary& summary = appraisal.summary;
    settings.trials = summary.run.trials;
    if (!scenario_name.empty()) {
      const model::Scenario& scenario = *loaded.model.find_scenario(scenario_name);
      summary.model_name += " — scenario " + scenario.name;
      spdlog::info("scenario {}: {}", scenario.name, scenario.description);
    }
    summary.run.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const statistics::RunSummary& timed = summary;
    std::optional<statistics::SensitivityAnalysis> analysis;
    if (with_sensitivity) {
      if (!scenario_name.empty()) spdlog::warn("--sensitivity analyses the base case, not scenario {}", scenario_name);
      simulation::RunSettings sensitivity_settings = settings;
      sensitivity_settings.sampling = sampling::SamplingMethod::MonteCarlo;
      const auto options = complete_sensitivity_options(sensitivity_settings.trials);
      analysis = statistics::analyse_sensitivity(loaded.model, sensitivity_settings, options);
    }
    // Every rank holds the same results now (all gathers done); rank 0 alone writes them.
    if (!cluster::is_root()) return 0;
    if (analysis) {
      report::write_summary(timed, directory, nlohmann::json{{"sensitivity", report::sensitivity_to_json(*analysis)}});
      if (!quiet) fmt::print("{}\n", report::format_sensitivity_table(*analysis, loaded.model.currency));
    } else {
      report::write_summary(timed, directory);
    }
    if (write_samples || write_report) report::write_samples(timed, *appraisal.outputs, directory);
    if (!quiet) fmt::print("{}\n", report::format_summary_table(timed));
    fmt::print("Results: {} and {}\n", (directory / "summary.json").string(), (directory / "summary.csv").string());
    if (write_samples || write_report) fmt::print("Samples: {}\n", (directory / "samples.csv").string());
    if (write_report) {
      const report::ReportFiles files = report::build_report(loaded.model, directory);
      fmt::print("Report: {}\nWorkbook: {}\n", files.html.string(), files.workbook.string());
    }
    cli::remove_checkpoint(directory);
    return recorder.record_success(timed, "run", scenario_name, directory) ? 0 : 1;
  } catch (const config::ConfigError& error) {
    spdlog::error("{}", error.what());
    if (cluster::is_root()) record_failed_run(error.what());
    if (ranks.size() > 1) abort_job(ranks);
    return 1;
  } catch (const std::exception& error) {
    spdlog::error("{}", error.what());
    if (cluster::is_root()) record_failed_run(error.what());
    if (ranks.size() > 1) abort_job(ranks);
    return 1;
  }
}
