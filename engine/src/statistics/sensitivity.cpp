#include "mcrisk/statistics/sensitivity.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <stdexcept>
#include <vector>

#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/statistics/sample_statistics.h"
#include "summary_parts.h"

namespace mcrisk::statistics {

std::vector<TornadoBar> ranked_by(std::vector<TornadoBar> bars, const std::string& measure) {
  const auto swing = [&](const TornadoBar& bar) {
    if (measure == "mean") return std::fabs(bar.swing_mean);
    if (measure == "p10") return std::fabs(bar.swing_p10);
    if (measure == "es5") return std::fabs(bar.swing_es5);
    throw std::invalid_argument("unknown tornado measure '" + measure + "'; expected mean, p10 or es5");
  };
  // Stable: ties keep config order, so the ranking is deterministic.
  std::stable_sort(bars.begin(), bars.end(), [&](const TornadoBar& a, const TornadoBar& b) { return swing(a) > swing(b); });
  return bars;
}

SensitivityAnalysis analyse_sensitivity(const model::Model& model, const simulation::RunSettings& settings, const SensitivityOptions& options) {
  const double low_level = options.low_level, high_level = options.high_level;
  SensitivityAnalysis analysis;
  analysis.trials = settings.trials;
  analysis.seed = settings.seed;
  analysis.low_level = low_level;
  analysis.high_level = high_level;

  simulation::RunSettings base_settings = settings;
  base_settings.keep_driver_samples = true;
  base_settings.progress = nullptr;
  const auto base_plan = simulation::EvaluationPlan::compile(model);
  const auto base = simulation::simulate(base_plan, base_settings);

  // Spearman rank correlations, ranked by size: the summary's driver ranking, over every base trial.
  const std::vector<std::span<const double>> components(base.drivers.begin(), base.drivers.end());
  const std::vector<std::span<const double>> totals(base.total_net.begin(), base.total_net.end());
  std::vector<std::vector<DriverInfluence>> correlations = detail::rank_drivers(model, components, totals);
  for (std::size_t o = 0; o < model.options.size(); ++o) {
    OptionSensitivity option;
    option.option = model.options[o].id;
    option.base = outcome_figures(base.total_net[o]);
    option.rank_correlations = std::move(correlations[o]);
    analysis.options.push_back(std::move(option));
  }

  simulation::RunSettings held = settings;
  held.keep_driver_samples = false;
  held.progress = nullptr;
  std::vector<std::vector<TornadoBar>> bars(model.options.size());
  for (std::size_t d = 0; d < model.drivers.size(); ++d) {
    const model::Driver& driver = model.drivers[d];
    const auto low = simulation::simulate(simulation::EvaluationPlan::compile(model, hold_at_percentile(d, low_level)), held);
    const auto high = simulation::simulate(simulation::EvaluationPlan::compile(model, hold_at_percentile(d, high_level)), held);
    for (std::size_t o = 0; o < model.options.size(); ++o) {
      TornadoBar bar;
      bar.driver = driver.name;
      bar.components = driver.elements.size();
      bar.at_low = outcome_figures(low.total_net[o]);
      bar.at_high = outcome_figures(high.total_net[o]);
      bar.swing_mean = bar.at_high.mean - bar.at_low.mean;
      bar.swing_p10 = bar.at_high.p10 - bar.at_low.p10;
      bar.swing_es5 = bar.at_high.expected_shortfall_5 - bar.at_low.expected_shortfall_5;
      for (const auto& influence : analysis.options[o].rank_correlations) {
        const bool ours = influence.driver == driver.name || influence.driver.rfind(driver.name + "[", 0) == 0;
        if (ours) {  // the list is sorted by |rho|: the first of ours is the strongest
          bar.rank_correlation = influence.rank_correlation;
          bar.strongest_component = influence.driver;
          break;
        }
      }
      bars[o].push_back(bar);
    }
  }
  for (std::size_t o = 0; o < model.options.size(); ++o) analysis.options[o].tornado = ranked_by(std::move(bars[o]), "mean");
  if (options.sobol) analysis.sobol = sobol_indices(model, settings, options.sobol_settings);
  if (options.switching) analysis.switching = switching_values(model, settings, options.switching_settings);
  return analysis;
}

}  // namespace mcrisk::statistics
