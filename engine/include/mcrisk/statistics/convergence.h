#pragma once
// Runs long enough for the figures to be stable to the precision quoted:
// trials are added in rounds until the 95% interval of every option's mean
// total net (and of each percentile asked for, and of the probability of a
// loss) is narrow enough, or a trial budget is spent. Each round's size is a
// function of the previous rounds' results only, and a run of N trials is a
// prefix of a longer one, so the same seed and precision give the same trials
// and the same bits.

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/sample_statistics.h"

namespace mcrisk::statistics {

//! A precision asked of each option's total net: of its mean, or of a percentile.
struct PrecisionTarget {
  double percentile = 0;  //!< 0: the mean; otherwise the level, e.g. 80
  double half_width = 0;  //!< the 95% interval's half-width must not exceed this...
  bool relative = false;  //!< ...as a fraction of |estimate| when true ("1%")

  //! Parses "25000", "1%", "P80:25000", "P80:2%". Throws std::invalid_argument saying what is expected.
  static PrecisionTarget parse(const std::string& text);
  std::string describe() const;
};

//! When to stop adding trials.
struct PrecisionGoal {
  std::vector<PrecisionTarget> targets;
  double prob_loss_half_width = 0.005;  //!< the interval of P(loss) must be this narrow too
  std::size_t initial_trials = 10000;
  std::size_t max_trials = 10000000;
  std::size_t granularity = 256;        //!< trial counts are multiples of this (a block, or a replicate)
};

//! The half-widths after one round, per option.
struct ConvergenceStep {
  std::size_t trials = 0;
  struct OptionHalfWidths {
    std::string option;
    std::vector<double> target_half_widths;  //!< one per PrecisionGoal::targets entry
    std::vector<double> target_limits;       //!< the half-width each must reach (resolved for relative targets)
    double prob_loss_half_width = 0;
  };
  std::vector<OptionHalfWidths> options;
  double worst_ratio = 0;  //!< max over checks of half-width / limit: <= 1 means converged
};

struct ConvergenceTrace {
  PrecisionGoal goal;
  bool converged = false;
  std::vector<ConvergenceStep> steps;
};

//! Adds trials in rounds until the goal is met or max_trials is reached, whatever
//! holds the trials: trials() says how many there are, grow_to(N) adds trials up
//! to N, and summarise_total(o, levels) summarises option o's total net savings.
ConvergenceTrace converge(const model::Model& model, const PrecisionGoal& goal, const std::function<std::size_t()>& trials,
                          const std::function<void(std::size_t)>& grow_to,
                          const std::function<SampleSummary(std::size_t, std::span<const double>)>& summarise_total);

//! Simulates until the goal is met or goal.max_trials is reached; outputs end
//! with the trials used. settings.trials is ignored.
ConvergenceTrace run_to_precision(const model::Model& model, const simulation::EvaluationPlan& plan,
                                  const simulation::RunSettings& settings, const PrecisionGoal& goal, const IntervalDesign& design,
                                  simulation::TrialOutputs& outputs);

}  // namespace mcrisk::statistics
