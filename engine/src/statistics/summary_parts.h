#pragma once
// Pieces shared by the two ways of summarising a run: from stored per-trial
// outputs (run_summary.cpp) and from streaming accumulators (run_accumulator.cpp).

#include <span>
#include <vector>

#include "mcrisk/model/model.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/run_summary.h"

namespace mcrisk::statistics::detail {

//! The planned case's value of a target's measure for option o.
double planned_value(const model::Target& target, const simulation::TrialRecord& planned, std::size_t o);

//! The amount a target asks of option o.
inline double target_threshold(const model::Target& target, const simulation::TrialRecord& planned, std::size_t o) {
  return target.at_least_planned ? planned_value(target, planned, o) : target.at_least;
}

//! An option's identity and planned figures (id, description, planned totals and NPVs).
void fill_planned(OptionSummary& option, const model::Model& model, const simulation::TrialRecord& planned, std::size_t o);

//! For each option, every driver component by |Spearman rank correlation| with
//! the option's total (largest first). components[c][trial], totals[o][trial].
std::vector<std::vector<DriverInfluence>> rank_drivers(const model::Model& model, const std::vector<std::span<const double>>& components,
                                                       const std::vector<std::span<const double>>& totals);

}  // namespace mcrisk::statistics::detail
