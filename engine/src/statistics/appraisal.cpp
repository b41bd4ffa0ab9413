#include "mcrisk/statistics/appraisal.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "mcrisk/statistics/scenarios.h"

namespace mcrisk::statistics {

namespace {

double gigabytes(std::size_t bytes) { return double(bytes) / double(1u << 30); }

// The first trial (lowest index) with a non-finite output in stored outputs.
NonFiniteTrial find_non_finite(const simulation::TrialOutputs& outputs) {
  NonFiniteTrial first;
  const auto scan = [&](const std::vector<simulation::Column>& columns, const char* name, std::size_t per_option) {
    for (std::size_t k = 0; k < columns.size(); ++k) {
      const auto& column = columns[k];
      const auto bad = std::find_if(column.begin(), column.end(), [](double x) { return !std::isfinite(x); });
      const auto trial = std::uint64_t(bad - column.begin());
      if (bad != column.end() && trial < first.trial) first = {trial, k / per_option, name};
    }
  };
  scan(outputs.total_net, "total net savings", 1);
  scan(outputs.npv, "NPV", 1);
  scan(outputs.npv_green_book, "Green Book NPV", 1);
  scan(outputs.pv_benefits, "present value of benefits", 1);
  scan(outputs.pv_costs, "present value of costs", 1);
  scan(outputs.net_by_year, "net or gross savings in a year", std::max<std::size_t>(outputs.years, 1));
  scan(outputs.gross_by_year, "net or gross savings in a year", std::max<std::size_t>(outputs.years, 1));
  return first;
}

void require_finite(const model::Model& model, const simulation::TrialOutputs& outputs) {
  const NonFiniteTrial bad = find_non_finite(outputs);
  if (bad.found()) throw NonFiniteOutputError(bad, model.options[bad.option].id);
}

std::size_t trials_needed(const AppraisalRequest& request) {
  return request.precision ? std::max(request.precision->max_trials, request.settings.trials) : request.settings.trials;
}

// The optimism-bias plan: costs uplifted and benefits delayed, under the run's scenario if any.
std::optional<simulation::EvaluationPlan> optimism_bias_plan(const model::Model& model, const AppraisalRequest& request) {
  if (!model.optimism_bias) return std::nullopt;
  const auto& bias = *model.optimism_bias;
  simulation::PlanAdjustments adjustments{bias.effective_cost_multiplier(), bias.effective_delay_months(), {}};
  if (request.scenario) adjustments = scenario_adjustments(*request.scenario, adjustments);
  return simulation::EvaluationPlan::compile(model, adjustments);
}

Appraisal appraise_exact(const model::Model& model, const simulation::EvaluationPlan& plan, const AppraisalRequest& request, RunInfo info) {
  simulation::RunSettings settings = request.settings;
  simulation::TrialOutputs outputs;
  std::optional<ConvergenceTrace> convergence;
  if (request.precision) {
    convergence = run_to_precision(model, plan, settings, *request.precision, request.design, outputs);
    settings.trials = outputs.trials;
  } else {
    outputs = simulation::simulate(plan, settings);
  }
  require_finite(model, outputs);
  info.trials = outputs.trials;
  Appraisal appraisal;
  appraisal.summary = summarise_run(model, plan, outputs, info);
  appraisal.summary.convergence = convergence;
  appraisal.summary.statistics.ranking_trials = outputs.trials;
  if (const auto biased = optimism_bias_plan(model, request)) {
    // The same trials again with costs uplifted and benefits delayed: the
    // difference is the bias alone, not sampling noise (common random numbers).
    simulation::RunSettings adjusted_settings = settings;
    adjusted_settings.keep_driver_samples = false;
    adjusted_settings.progress = nullptr;
    const auto adjusted = simulation::simulate(*biased, adjusted_settings);
    require_finite(model, adjusted);
    appraisal.summary.optimism_bias = model.optimism_bias;
    appraisal.summary.optimism_bias_adjusted = summarise_options(model, *biased, adjusted, request.design);
  }
  appraisal.outputs = std::move(outputs);
  return appraisal;
}

void note_accuracy(StatisticsInfo& statistics, const std::vector<OptionSummary>& options, const std::vector<Comparison>& comparisons) {
  const auto note = [&](const SampleSummary& s) {
    statistics.max_rank_error = std::max(statistics.max_rank_error, s.accuracy.rank_error);
    statistics.relative_value_error = std::max(statistics.relative_value_error, s.accuracy.relative_value_error);
  };
  for (const auto& option : options) {
    note(option.total_net);
    note(option.npv);
    note(option.npv_green_book);
    if (option.bcr.defined) note(option.bcr.ratio);
  }
  for (const auto& comparison : comparisons) note(comparison.difference);
}

Appraisal appraise_streaming(const model::Model& model, const simulation::EvaluationPlan& plan, const AppraisalRequest& request,
                             RunInfo info) {
  RunAccumulator accumulator(model, plan, request.streaming);
  std::optional<ConvergenceTrace> convergence;
  if (request.precision) {
    PrecisionGoal goal = *request.precision;
    // Rounds end on whole summation groups, so a round continues the run exactly as one longer run would.
    goal.granularity = std::lcm(std::max<std::size_t>(goal.granularity, 1), request.streaming.sum_group);
    convergence = converge(
        model, goal, [&] { return std::size_t(accumulator.trials()); },
        [&](std::size_t total) { accumulate(plan, request.settings, total, accumulator); },
        [&](std::size_t o, std::span<const double> levels) { return accumulator.total_net(o).summary(levels); });
  } else {
    accumulate(plan, request.settings, request.settings.trials, accumulator);
  }
  info.trials = std::size_t(accumulator.trials());
  Appraisal appraisal;
  RunSummary& summary = appraisal.summary;
  summary.model_name = model.name;
  summary.config_file = model.source_file;
  summary.config_sha256 = model.config_sha256;
  summary.currency = model.currency;
  summary.discount_rate = model.discount_rate;
  summary.green_book = model.green_book;
  summary.years = model.years;
  summary.run = info;
  summary.options = accumulator.summarise_options(model);
  summary.comparisons = accumulator.compare_options(model);
  summary.convergence = convergence;
  summary.statistics.mode = "streaming";
  summary.statistics.sketch_precision_bits = request.streaming.precision_bits;
  summary.statistics.sum_group = request.streaming.sum_group;
  summary.statistics.ranking_trials = std::size_t(std::min<std::uint64_t>(accumulator.trials(), request.streaming.ranking_trials));
  if (const auto biased = optimism_bias_plan(model, request)) {
    simulation::RunSettings adjusted_settings = request.settings;
    adjusted_settings.progress = nullptr;
    StreamingOptions options = request.streaming;
    options.ranking_trials = 0;  // the adjusted options report no driver ranking, as in exact mode
    RunAccumulator adjusted(model, *biased, options);
    accumulate(*biased, adjusted_settings, accumulator.trials(), adjusted);
    summary.optimism_bias = model.optimism_bias;
    summary.optimism_bias_adjusted = adjusted.summarise_options(model);
  }
  note_accuracy(summary.statistics, summary.options, summary.comparisons);
  spdlog::info("streaming statistics: {:.1f} MB of accumulators; worst percentile rank error {:.2e}, value error <= {:.1e} relative",
               double(accumulator.bytes()) / 1e6, summary.statistics.max_rank_error, summary.statistics.relative_value_error);
  return appraisal;
}

}  // namespace

StatisticsMode parse_statistics_mode(const std::string& name) {
  if (name == "auto") return StatisticsMode::Automatic;
  if (name == "exact") return StatisticsMode::Exact;
  if (name == "streaming") return StatisticsMode::Streaming;
  throw std::invalid_argument("unknown statistics mode '" + name + "': expected auto, exact or streaming");
}

std::string to_string(StatisticsMode mode) {
  switch (mode) {
    case StatisticsMode::Automatic: return "auto";
    case StatisticsMode::Exact: return "exact";
    case StatisticsMode::Streaming: return "streaming";
  }
  return "auto";
}

MemoryEstimate estimate_memory(const model::Model& model, const simulation::EvaluationPlan& plan, const AppraisalRequest& request) {
  (void)model;
  const double trials = double(trials_needed(request));
  const double options = double(plan.option_count), years = double(plan.year_count), components = double(plan.component_count);
  const double threads = double(request.settings.threads > 0 ? request.settings.threads : tbb::this_task_arena::max_concurrency());
  const double columns = options * (5 + 2 * years) + (request.settings.keep_driver_samples ? components : 0);
  MemoryEstimate estimate;
  // Stored outputs, the optimism-bias run beside them, and the statistics'
  // working copies: a rank vector and an index per ranked column, sorted copies per thread.
  const double bias_columns = model.optimism_bias ? options * (5 + 2 * years) : 0;
  const double working = 16 * (components + options) + 8 * 2 * threads;
  estimate.exact_bytes = std::size_t(trials * (8 * (columns + bias_columns) + working)) + (std::size_t{64} << 20);
  // Streaming: about 40 binades in use per sketch (32 KiB each at 12 bits), one set
  // per thread plus the merged one, and the stored first trials for the ranking.
  const double sketches = options * (4 + years) + options * (options - 1) / 2;
  // Up to 40 binades in use, the page table, and the values waiting to be counted.
  const double sketch_bytes = 40.0 * 8.0 * double(std::size_t{1} << request.streaming.precision_bits) + 32768.0 +
                              8.0 * double(OutputAccumulator::kSketchBatch);
  const double first = std::min(trials, double(request.streaming.ranking_trials)) * 8 * (components + options) * 3;
  estimate.streaming_bytes = std::size_t(sketches * sketch_bytes * (threads + 2) + first) + (std::size_t{64} << 20);
  return estimate;
}

StatisticsMode choose_mode(const model::Model& model, const simulation::EvaluationPlan& plan, const AppraisalRequest& request) {
  const MemoryEstimate estimate = estimate_memory(model, plan, request);
  const bool replicated = request.design.replicate_size > 0;
  const std::size_t trials = trials_needed(request);
  const auto too_big = [&](std::size_t bytes, const std::string& advice) {
    return std::invalid_argument(fmt::format("this run ({} trials{}) would need about {:.2f} GiB of memory, over the cap of {:.2f} GiB; {} "
                                             "(or raise the cap with --memory-limit)",
                                             trials, request.precision ? " at most, with --precision" : "", gigabytes(bytes),
                                             gigabytes(request.memory_limit_bytes), advice));
  };
  StatisticsMode mode = request.mode;
  if (mode == StatisticsMode::Streaming && replicated) {
    throw std::invalid_argument("--statistics streaming works with plain Monte Carlo (--sampling mc) only: Latin hypercube and Sobol "
                                "intervals come from each replicate's own percentiles, which need the replicate's trials");
  }
  if (mode == StatisticsMode::Streaming && request.keep_outputs) {
    throw std::invalid_argument("--samples and --report need every trial's outputs, which --statistics streaming does not keep");
  }
  if (mode == StatisticsMode::Automatic) {
    const bool must_store = replicated || request.keep_outputs;
    mode = must_store || estimate.exact_bytes <= request.exact_limit_bytes ? StatisticsMode::Exact : StatisticsMode::Streaming;
  }
  if (mode == StatisticsMode::Exact && estimate.exact_bytes > request.memory_limit_bytes) {
    throw too_big(estimate.exact_bytes, replicated ? "use fewer trials or replicates" :
                  request.keep_outputs ? "drop --samples/--report, whose per-trial outputs are what takes the memory, or run fewer trials"
                                       : "use --statistics streaming for flat memory");
  }
  if (mode == StatisticsMode::Streaming && estimate.streaming_bytes > request.memory_limit_bytes) {
    throw too_big(estimate.streaming_bytes, "the accumulators alone exceed it");
  }
  return mode;
}

Appraisal appraise(const model::Model& model, const simulation::EvaluationPlan& plan, const AppraisalRequest& request, RunInfo info) {
  const StatisticsMode mode = choose_mode(model, plan, request);
  const MemoryEstimate estimate = estimate_memory(model, plan, request);
  const std::size_t expected = mode == StatisticsMode::Exact ? estimate.exact_bytes : estimate.streaming_bytes;
  spdlog::info("statistics: {} (estimated peak memory {:.2f} GiB)", to_string(mode), gigabytes(expected));
  Appraisal appraisal = mode == StatisticsMode::Exact ? appraise_exact(model, plan, request, info) : appraise_streaming(model, plan, request, info);
  appraisal.summary.statistics.memory_estimate_bytes = expected;
  return appraisal;
}

}  // namespace mcrisk::statistics
