#pragma once
// Everything a run reports, computed from the per-trial outputs: per option,
// total net savings and NPV summaries, the probability of being best, a fan of
// net savings by year, the plan's own figures beside them, and which drivers
// move each option's total most (Spearman rank correlation).

#include <cstdint>
#include <string>
#include <vector>

#include "mcrisk/model/model.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
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

struct OptionSummary {
  std::string id;
  std::string description;
  double planned_total_net = 0, planned_npv = 0;  //!< every driver at its planned value
  SampleSummary total_net, npv;
  double prob_best = 0;
  std::vector<YearSummary> by_year;
  std::vector<DriverInfluence> drivers;  //!< by |rank correlation|, largest first
};

//! Facts about the run that produced a summary.
struct RunInfo {
  std::size_t trials = 0;
  std::uint64_t seed = 0;
  int threads = 0;
  std::string sampling = "mc";
  std::string engine_version;
  double wall_seconds = 0;
};

struct RunSummary {
  std::string model_name;
  std::string config_file;
  std::string config_sha256;
  std::string currency;
  double discount_rate = 0;
  std::vector<std::string> years;
  RunInfo run;
  std::vector<OptionSummary> options;
};

//! Summarises a run's outputs. Deterministic: depends only on the outputs' values in trial order.
RunSummary summarise_run(const model::Model& model, const simulation::EvaluationPlan& plan,
                         const simulation::TrialOutputs& outputs, const RunInfo& run);

}  // namespace mcrisk::statistics
