#pragma once
// Scenarios and stress tests: named sets of overrides (model::Scenario) run on
// the base case's own trials. Each scenario is the base model compiled with its
// overrides (simulation::PlanAdjustments), which keeps the unit cube's
// dimensions, so with the same seed and trials every difference from the base
// case is the scenario's doing, not sampling noise (common random numbers).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mcrisk/model/model.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"

namespace mcrisk::statistics {

//! The figures a scenario table compares, of one option's total net savings.
struct OutcomeFigures {
  double mean = 0, p10 = 0, p90 = 0, prob_loss = 0;
  double expected_shortfall_5 = 0;  //!< mean of the worst 5% of trials
};

//! Mean, P10, P90 (Hyndman-Fan definition 7), P(X < 0) and ES5 of values.
OutcomeFigures outcome_figures(std::span<const double> values);

struct ScenarioOptionResult {
  std::string option;
  OutcomeFigures figures;
  OutcomeFigures change;  //!< figures minus the base case's (on the same trials)
};

struct ScenarioResult {
  std::string name;                    //!< "base" for the base case
  std::string description;
  std::vector<std::string> overrides;  //!< each override in words
  std::vector<ScenarioOptionResult> options;
};

//! The base case and scenarios, all on the same seed and trials.
struct ScenarioComparison {
  std::string model_name, config_file, config_sha256, currency;
  std::size_t trials = 0;
  std::uint64_t seed = 0;
  std::string sampling;
  ScenarioResult base;
  std::vector<ScenarioResult> scenarios;
};

//! One override in words, e.g. "fix grant_cut at its P95 (0.2716)".
std::string describe_override(const model::Model& model, const model::ScenarioOverride& entry);

//! Adjustments that compile a scenario: `base` (e.g. optimism bias) plus its overrides.
simulation::PlanAdjustments scenario_adjustments(const model::Scenario& scenario, simulation::PlanAdjustments base = {});

//! Every component of one driver held at its own percentile `level` (0..100; a
//! FixPercentile override), as the tornado and the switching values use it.
simulation::PlanAdjustments hold_at_percentile(std::size_t driver, double level);

//! Per-option figures of total net savings from a run's outputs.
std::vector<ScenarioOptionResult> option_figures(const model::Model& model, const simulation::TrialOutputs& outputs);

//! Runs the base case and each scenario with the same settings (seed, trials,
//! sampling). Deterministic like simulate(): any thread count gives the same bits.
ScenarioComparison compare_scenarios(const model::Model& model, const simulation::RunSettings& settings,
                                     const std::vector<const model::Scenario*>& scenarios);

}  // namespace mcrisk::statistics
