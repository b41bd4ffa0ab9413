#pragma once
// A whole appraisal run, as `mcrisk run` (and batch runs) perform it: choose how
// the statistics are kept (every trial stored, or streaming accumulators),
// check the memory the run will need against a cap before starting, simulate
// (to a fixed count of trials or to a precision), apply the model's optimism
// bias on the same trials, and summarise.

#include <cstddef>
#include <optional>
#include <string>

#include "mcrisk/model/model.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/convergence.h"
#include "mcrisk/statistics/run_accumulator.h"
#include "mcrisk/statistics/run_checkpoint.h"
#include "mcrisk/statistics/run_summary.h"

namespace mcrisk::statistics {

//! exact: keep every trial's outputs (exact percentiles; memory grows with trials).
//! streaming: accumulators and quantile sketches (flat memory; plain Monte Carlo only).
//! automatic: exact while the stored outputs stay small (AppraisalRequest::exact_limit_bytes)
//! or when they are needed (replicated designs, --samples), streaming beyond.
enum class StatisticsMode { Automatic, Exact, Streaming };
StatisticsMode parse_statistics_mode(const std::string& name);  //!< "auto", "exact", "streaming"
std::string to_string(StatisticsMode mode);

struct AppraisalRequest {
  simulation::RunSettings settings;  //!< trials, seed, threads, sampling, replicate size, progress
  IntervalDesign design;
  std::optional<PrecisionGoal> precision;
  StatisticsMode mode = StatisticsMode::Automatic;
  bool keep_outputs = false;                               //!< the caller needs per-trial outputs (samples.csv, the report)
  std::size_t memory_limit_bytes = std::size_t{8} << 30;   //!< refuse runs estimated beyond this
  std::size_t exact_limit_bytes = std::size_t{256} << 20;  //!< automatic mode stores trials up to this
  const model::Scenario* scenario = nullptr;               //!< the run's scenario (for the optimism-bias plan)
  StreamingOptions streaming;
  //! Continue this interrupted run (its stored state and done trials) instead of starting afresh;
  //! the request must otherwise be the one the run was started with (mode, seed, trials, sampling).
  const RunCheckpoint* resume = nullptr;
};

//! Estimated peak memory of a run in each mode (bytes).
struct MemoryEstimate {
  std::size_t exact_bytes = 0, streaming_bytes = 0;
};
MemoryEstimate estimate_memory(const model::Model& model, const simulation::EvaluationPlan& plan, const AppraisalRequest& request);

//! The mode a request will run in (automatic resolved); throws std::invalid_argument
//! with the estimate when the run would exceed the memory cap, or when the mode
//! cannot do what is asked (streaming with lhs/sobol or with per-trial outputs).
StatisticsMode choose_mode(const model::Model& model, const simulation::EvaluationPlan& plan, const AppraisalRequest& request);

struct Appraisal {
  RunSummary summary;
  std::optional<simulation::TrialOutputs> outputs;  //!< exact mode only
  //! Set when settings.stop_requested() stopped the run between blocks: the state to write to the
  //! checkpoint (the caller adds the config, scenario and command options). `summary` then holds
  //! the figures of the trials done so far (when `summarised`), a partial result.
  std::optional<RunCheckpoint> interrupted;
  bool summarised = true;
};

//! Runs and summarises. info describes the run (seed, threads, sampling ...);
//! its trial count is filled in. Throws NonFiniteOutputError if a trial's output is not finite.
Appraisal appraise(const model::Model& model, const simulation::EvaluationPlan& plan, const AppraisalRequest& request, RunInfo info);

}  // namespace mcrisk::statistics
