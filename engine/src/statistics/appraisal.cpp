#include "mcrisk/statistics/appraisal.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
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

// The checkpoint fields an appraisal knows (the caller adds the config, scenario and command options).
RunCheckpoint checkpoint_of(const AppraisalRequest& request, const char* mode, TrialRanges done, std::vector<std::uint8_t> state) {
  RunCheckpoint checkpoint;
  checkpoint.seed = request.settings.seed;
  checkpoint.trials_requested = request.settings.trials;
  checkpoint.sampling = sampling::to_string(request.settings.sampling);
  checkpoint.replicate_size = request.design.replicate_size;
  checkpoint.statistics_mode = mode;
  checkpoint.block_size = request.settings.block_size;
  checkpoint.done = std::move(done);
  checkpoint.state = std::move(state);
  return checkpoint;
}

// Trials [0, trials) not in done (both sorted).
TrialRanges missing_trials(const TrialRanges& done, std::uint64_t trials) {
  TrialRanges missing;
  std::uint64_t next = 0;
  for (const auto& [begin, end] : done) {
    if (begin > next) missing.emplace_back(next, begin);
    next = std::max(next, end);
  }
  if (next < trials) missing.emplace_back(next, trials);
  return missing;
}

// The outputs of trials [0, trials) (copied: the checkpoint keeps the rest).
simulation::TrialOutputs first_trials_of(const simulation::TrialOutputs& outputs, std::size_t trials) {
  simulation::TrialOutputs prefix = outputs;
  prefix.for_each_column([&](simulation::Column& column) { column.resize(trials); });
  prefix.trials = trials;
  return prefix;
}

Appraisal appraise_exact(const model::Model& model, const simulation::EvaluationPlan& plan, const AppraisalRequest& request, RunInfo info) {
  simulation::RunSettings settings = request.settings;
  simulation::TrialOutputs outputs;
  std::optional<ConvergenceTrace> convergence;
  bool interrupted = false;
  if (request.precision) {
    settings.stop_requested = nullptr;  // --precision runs are not checkpointed (the caller does not ask them to stop)
    convergence = run_to_precision(model, plan, settings, *request.precision, request.design, outputs);
    settings.trials = outputs.trials;
  } else {
    if (request.resume) {
      const TrialRanges& done = request.resume->done;
      if (done.size() > 1 || (!done.empty() && done.front().first != 0)) {
        throw std::runtime_error("an exact-mode checkpoint holds a prefix of the trials; this one does not (damaged?)");
      }
      outputs = decode_outputs(request.resume->state, plan, request.resume->trials_done());
    } else {
      simulation::RunSettings none = settings;
      none.trials = 0;
      outputs = simulation::simulate(plan, none);  // no trials yet, the run's columns
    }
    interrupted = simulation::extend_until_stopped(plan, settings, settings.trials, outputs) < settings.trials;
  }
  require_finite(model, outputs);
  Appraisal appraisal;
  if (interrupted) {
    // A partial summary of the trials done, in whole replicates for lhs and sobol (their intervals need two or more).
    const std::size_t replicate = request.design.replicate_size;
    std::size_t summarised = replicate > 0 ? outputs.trials / replicate * replicate : outputs.trials;
    if (summarised < 2 * std::max<std::size_t>(replicate, 1)) summarised = 0;
    appraisal.interrupted = checkpoint_of(request, "exact", outputs.trials > 0 ? TrialRanges{{0, outputs.trials}} : TrialRanges{},
                                          encode_outputs(outputs));
    appraisal.summarised = summarised > 0;
    if (appraisal.summarised) {
      info.trials = summarised;
      appraisal.summary = summarise_run(model, plan, summarised == outputs.trials ? outputs : first_trials_of(outputs, summarised), info);
      appraisal.summary.statistics.ranking_trials = summarised;
    }
    return appraisal;
  }
  info.trials = outputs.trials;
  appraisal.summary = summarise_run(model, plan, outputs, info);
  appraisal.summary.convergence = convergence;
  appraisal.summary.statistics.ranking_trials = outputs.trials;
  if (const auto biased = optimism_bias_plan(model, request)) {
    // The same trials again with costs uplifted and benefits delayed: the
    // difference is the bias alone, not sampling noise (common random numbers).
    simulation::RunSettings adjusted_settings = settings;
    adjusted_settings.keep_driver_samples = false;
    adjusted_settings.progress = nullptr;
    simulation::RunSettings none = adjusted_settings;
    none.trials = 0;
    simulation::TrialOutputs adjusted = simulation::simulate(*biased, none);
    if (simulation::extend_until_stopped(*biased, adjusted_settings, settings.trials, adjusted) < settings.trials) {
      // Interrupted in the optimism-bias pass: the main trials are all done and kept; the pass runs again on resume.
      appraisal.interrupted = checkpoint_of(request, "exact", {{0, outputs.trials}}, encode_outputs(outputs));
      appraisal.outputs = std::move(outputs);
      return appraisal;
    }
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
  TrialRanges done;
  if (request.resume) {
    accumulator.restore(request.resume->state);
    done = request.resume->done;
    if (accumulator.trials() != request.resume->trials_done()) {
      throw std::runtime_error(fmt::format("the checkpoint's state holds {} trials but its record of done trials says {} (damaged?)",
                                           accumulator.trials(), request.resume->trials_done()));
    }
  }
  bool interrupted = false;
  if (request.precision) {
    PrecisionGoal goal = *request.precision;
    // Rounds end on whole summation groups, so a round continues the run exactly as one longer run would.
    goal.granularity = std::lcm(std::max<std::size_t>(goal.granularity, 1), request.streaming.sum_group);
    convergence = converge(
        model, goal, [&] { return std::size_t(accumulator.trials()); },
        [&](std::size_t total) { accumulate(plan, request.settings, total, accumulator); },
        [&](std::size_t o, std::span<const double> levels) { return accumulator.total_net(o).summary(levels); });
  } else {
    // Only the trials not yet done: on resume, the blocks the interrupted run had not finished, in whatever pattern.
    const TrialRanges finished = accumulate_ranges(plan, request.settings, missing_trials(done, request.settings.trials), accumulator);
    TrialRanges all = done;
    all.insert(all.end(), finished.begin(), finished.end());
    std::sort(all.begin(), all.end());
    done.clear();
    for (const auto& [begin, end] : all) {
      if (!done.empty() && done.back().second == begin) done.back().second = end;
      else done.emplace_back(begin, end);
    }
    interrupted = missing_trials(done, request.settings.trials).size() > 0;
  }
  info.trials = std::size_t(accumulator.trials());
  if (interrupted && accumulator.trials() == 0) {
    Appraisal appraisal;
    appraisal.interrupted = checkpoint_of(request, "streaming", done, accumulator.serialize());
    appraisal.summarised = false;
    return appraisal;
  }
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
  const auto summarise_start = std::chrono::steady_clock::now();
  summary.options = accumulator.summarise_options(model);
  summary.comparisons = accumulator.compare_options(model);
  spdlog::debug("options summarised, drivers ranked and options compared in {:.3f} s",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - summarise_start).count());
  summary.convergence = convergence;
  summary.statistics.mode = "streaming";
  summary.statistics.sketch_precision_bits = request.streaming.precision_bits;
  summary.statistics.sum_group = request.streaming.sum_group;
  summary.statistics.ranking_trials = accumulator.ranking_trials_held();
  if (interrupted) {
    appraisal.interrupted = checkpoint_of(request, "streaming", done, accumulator.serialize());
  } else if (const auto biased = optimism_bias_plan(model, request)) {
    simulation::RunSettings adjusted_settings = request.settings;
    adjusted_settings.progress = nullptr;
    StreamingOptions options = request.streaming;
    options.ranking_trials = 0;  // the adjusted options report no driver ranking, as in exact mode
    RunAccumulator adjusted(model, *biased, options);
    const TrialRanges adjusted_done = accumulate_ranges(*biased, adjusted_settings, {{0, accumulator.trials()}}, adjusted);
    if (adjusted_done != TrialRanges{{0, accumulator.trials()}}) {
      // Interrupted in the optimism-bias pass: the main trials are all done and kept; the pass runs again on resume.
      appraisal.interrupted = checkpoint_of(request, "streaming", done, accumulator.serialize());
    } else {
      summary.optimism_bias = model.optimism_bias;
      summary.optimism_bias_adjusted = adjusted.summarise_options(model);
    }
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
  const double threads = double(simulation::worker_threads(request.settings.threads));
  const double columns = options * (5 + 2 * years) + (request.settings.keep_driver_samples ? components : 0);
  MemoryEstimate estimate;
  // Stored outputs, the optimism-bias run beside them, and the statistics'
  // working copies: a rank vector and an index per ranked column, sorted copies per thread.
  const double bias_columns = model.optimism_bias ? options * (5 + 2 * years) : 0;
  const double working = 16 * (components + options) + 8 * 2 * threads;
  estimate.exact_bytes = std::size_t(trials * (8 * (columns + bias_columns) + working)) + (std::size_t{64} << 20);
  // Streaming: one set of sketches per thread plus the merged one, and the stored first trials for the ranking.
  const double sketches = options * (4 + years) + options * (options - 1) / 2;
  // A sketch: up to 40 binades in use, each of 2^bits 16-bit counters (8 KiB at 12 bits), and a binade's
  // 64-bit carries once one of its buckets passes 2^16 - 1, which takes 65,536 values in that bucket (so
  // at most trials / 65,536 binades carry); the page and carry tables; the keys waiting to be counted.
  const double buckets = double(std::size_t{1} << request.streaming.precision_bits);
  const double carrying = std::min(40.0, std::floor(trials / 65536.0));
  const double sketch_bytes = 40.0 * 2.0 * buckets + carrying * 8.0 * buckets + 2.0 * 32768.0 +
                              double(sizeof(QuantileSketch::Key) * OutputAccumulator::kSketchBatch);
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
  if (const RunCheckpoint* resume = request.resume) {
    // The run must continue exactly as it was started, or the trials would not be the same trials.
    const RunCheckpoint now = checkpoint_of(request, mode == StatisticsMode::Exact ? "exact" : "streaming", {}, {});
    const std::pair<const char*, bool> same[] = {{"seed", now.seed == resume->seed},
                                                 {"trials", now.trials_requested == resume->trials_requested},
                                                 {"sampling", now.sampling == resume->sampling},
                                                 {"replicate size", now.replicate_size == resume->replicate_size},
                                                 {"statistics mode", now.statistics_mode == resume->statistics_mode},
                                                 {"block size", now.block_size == resume->block_size}};
    for (const auto& [what, equal] : same) {
      if (!equal) throw std::invalid_argument(fmt::format("resuming with a different {} than the interrupted run's", what));
    }
    if (request.precision) throw std::invalid_argument("--precision runs are not checkpointed, so they cannot be resumed");
  }
  const MemoryEstimate estimate = estimate_memory(model, plan, request);
  const std::size_t expected = mode == StatisticsMode::Exact ? estimate.exact_bytes : estimate.streaming_bytes;
  spdlog::info("statistics: {} (estimated peak memory {:.2f} GiB)", to_string(mode), gigabytes(expected));
  // All of it within the run's threads: the trial loop limits itself, but the merges, summaries and
  // driver ranking after it run in parallel too, and would otherwise take every core.
  Appraisal appraisal;
  simulation::within_threads(request.settings, [&] {
    appraisal = mode == StatisticsMode::Exact ? appraise_exact(model, plan, request, info) : appraise_streaming(model, plan, request, info);
  });
  appraisal.summary.statistics.memory_estimate_bytes = expected;
  return appraisal;
}

}  // namespace mcrisk::statistics
