#pragma once
// What drives each option's result: a tornado (each driver held at its own P10
// and at its own P90, the others random, on the base case's trials), the
// Spearman rank correlation of each driver component with the option's total
// net savings, and the same tornado read on the bad tail (P10 and expected
// shortfall) for the downside drivers.
//
// The tornado is per driver: a driver over a set (realisation over clusters,
// demand_pressure over years) is held with every component at its own
// percentile at once. Holding a driver uses scenario overrides
// (model::ScenarioOverride::FixPercentile), so a tornado bar is two scenario
// runs with the base case's seed and trials (common random numbers): the swing
// is the driver's alone, with no sampling noise from redrawing the others.
// Held drivers keep their place in the Gaussian copula (their scores are drawn
// and unused), so correlated drivers stay at their unconditional law: the
// swing is the driver's direct effect, not its effect through its correlates.
//
// Beside the tornado: Sobol first-order and total indices per input group
// (statistics/sobol_indices.h: how much of the variance each driver or event
// explains, alone and with its interactions) and switching values
// (statistics/switching_values.h: the driver value that would change the decision).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mcrisk/model/model.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/run_summary.h"
#include "mcrisk/statistics/scenarios.h"
#include "mcrisk/statistics/sobol_indices.h"
#include "mcrisk/statistics/switching_values.h"

namespace mcrisk::statistics {

//! One driver's bar in one option's tornado.
struct TornadoBar {
  std::string driver;
  std::size_t components = 1;           //!< how many components were held together
  OutcomeFigures at_low, at_high;       //!< the option's figures with the driver at its P10 and at its P90
  double swing_mean = 0;                //!< at_high.mean - at_low.mean (signed)
  double swing_p10 = 0;                 //!< at_high.p10 - at_low.p10
  double swing_es5 = 0;                 //!< at_high.expected_shortfall_5 - at_low.expected_shortfall_5
  double rank_correlation = 0;          //!< Spearman of the output with the driver (its strongest component for a driver over a set)
  std::string strongest_component;      //!< that component's label
};

struct OptionSensitivity {
  std::string option;
  OutcomeFigures base;
  std::vector<TornadoBar> tornado;               //!< by |swing_mean|, largest first
  std::vector<DriverInfluence> rank_correlations; //!< every component, by |rho|, largest first
};

//! What to compute beside the tornado and rank correlations.
struct SensitivityOptions {
  double low_level = 10, high_level = 90;  //!< the tornado's percentiles
  bool sobol = true;
  SobolSettings sobol_settings{};
  bool switching = true;
  SwitchingSettings switching_settings{};
};

struct SensitivityAnalysis {
  std::size_t trials = 0;
  std::uint64_t seed = 0;
  double low_level = 10, high_level = 90;
  std::vector<OptionSensitivity> options;
  std::optional<SobolAnalysis> sobol;          //!< unless switched off
  std::optional<SwitchingAnalysis> switching;  //!< unless switched off
};

//! The tornado and rank correlations of every option's total net savings
//! (1 + 2 x drivers simulations of settings.trials trials), and unless switched
//! off the Sobol indices and switching values. Deterministic: any thread count
//! gives the same bits.
SensitivityAnalysis analyse_sensitivity(const model::Model& model, const simulation::RunSettings& settings, const SensitivityOptions& options = {});

//! The bars of one option ranked by |swing| of the mean, of P10 or of ES5 ("mean", "p10", "es5").
std::vector<TornadoBar> ranked_by(std::vector<TornadoBar> bars, const std::string& measure);

}  // namespace mcrisk::statistics
