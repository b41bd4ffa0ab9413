#pragma once
// Everything a run reports, computed from the per-trial outputs: per option,
// total net savings and NPV (flat rate and Green Book schedule) with an
// interval on every figure, the benefit-cost ratio, the probability of being
// best and of meeting each target, a fan of net savings by year, the plan's
// own figures beside them, which drivers move each option's total most, and
// every pair of options compared on the same trials.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mcrisk/model/model.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/convergence.h"
#include "mcrisk/statistics/sample_statistics.h"

namespace mcrisk::statistics {

//! Net savings in one year: mean and a P10/P50/P90 fan.
struct YearSummary {
  std::string year;
  double mean = 0, p10 = 0, p50 = 0, p90 = 0;
  double planned = 0;
};

//! How strongly one driver component moves an option's total net savings.
struct DriverInfluence {
  std::string driver;       //!< component label, e.g. "realisation[education]"
  double rank_correlation;  //!< Spearman, in [-1, 1]
};

//! A probability with its 95% interval.
struct Probability {
  double value = 0;
  Interval ci95;
};

//! The chance of meeting one target.
struct TargetResult {
  std::string name;
  double threshold = 0;  //!< the amount to reach (the option's plan for `at_least: planned`)
  Probability probability;
};

//! Benefit-cost ratio: PV of gross savings over PV of costs (Green Book discounting).
struct BenefitCostRatio {
  bool defined = false;  //!< false when some trial has no costs (the ratio has no finite value)
  double planned = 0;
  SampleSummary ratio;   //!< its prob_loss field is unused
  Probability below_one; //!< P(BCR < 1)
};

struct OptionSummary {
  std::string id;
  std::string description;
  double planned_total_net = 0, planned_npv = 0, planned_npv_green_book = 0;  //!< every driver at its planned value
  SampleSummary total_net, npv, npv_green_book;
  BenefitCostRatio bcr;
  Probability prob_best;
  std::vector<TargetResult> targets;
  std::vector<YearSummary> by_year;
  std::vector<DriverInfluence> drivers;  //!< by |rank correlation|, largest first
};

//! Option a against option b on the same trials.
struct Comparison {
  std::string a, b;
  SampleSummary difference;  //!< of total net a - b
  Probability a_better;      //!< P(total net a > total net b)
};

//! Facts about the run that produced a summary.
struct RunInfo {
  std::size_t trials = 0;
  std::uint64_t seed = 0;
  int threads = 0;  //!< per rank
  int ranks = 1;    //!< MPI ranks (1 without MPI)
  std::string sampling = "mc";
  std::size_t replicate_size = 0;  //!< 0 for independent trials
  std::string engine_version;
  double wall_seconds = 0;
};

//! How the figures were computed from the trials (summary.json "statistics").
struct StatisticsInfo {
  std::string mode = "exact";        //!< "exact": every trial stored; "streaming": sums, counts and quantile sketches
  int sketch_precision_bits = 0;     //!< streaming: bucket width 2^-bits of the value
  double relative_value_error = 0;   //!< streaming: bound on |reported - exact| / |exact| of every percentile and ES input
  double max_rank_error = 0;         //!< streaming: the largest rank error (fraction of trials) of any reported percentile
  std::size_t ranking_trials = 0;    //!< the trials the driver ranking used (all of them in exact mode)
  std::size_t sum_group = 0;         //!< streaming: trials summed in double before the exact sum
  std::size_t memory_estimate_bytes = 0;
};

struct RunSummary {
  std::string model_name;
  std::string config_file;
  std::string config_sha256;
  std::string currency;
  double discount_rate = 0;
  model::DiscountSchedule green_book;
  std::vector<std::string> years;
  RunInfo run;
  StatisticsInfo statistics;
  std::vector<OptionSummary> options;
  std::vector<Comparison> comparisons;
  //! The same trials with the model's optimism bias applied, when it states one.
  std::optional<model::OptimismBias> optimism_bias;
  std::vector<OptionSummary> optimism_bias_adjusted;
  //! How the run reached its precision, when one was asked for (--precision).
  std::optional<ConvergenceTrace> convergence;
};

//! Summaries of every option. Deterministic: depends only on the outputs' values in trial order.
std::vector<OptionSummary> summarise_options(const model::Model& model, const simulation::EvaluationPlan& plan,
                                             const simulation::TrialOutputs& outputs, const IntervalDesign& design);

//! Every pair of options (in config order), compared on the same trials.
std::vector<Comparison> compare_options(const model::Model& model, const simulation::TrialOutputs& outputs, const IntervalDesign& design);

//! Summarises a run's outputs (options and comparisons).
RunSummary summarise_run(const model::Model& model, const simulation::EvaluationPlan& plan,
                         const simulation::TrialOutputs& outputs, const RunInfo& run);

}  // namespace mcrisk::statistics
