#include "mcrisk/statistics/switching_values.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <stdexcept>

#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/statistics/sample_statistics.h"
#include "mcrisk/statistics/scenarios.h"

namespace mcrisk::statistics {

namespace {

// Expected Green Book NPV of every option, in trial order (deterministic).
std::vector<double> expected_npv(const simulation::TrialOutputs& outputs) {
  std::vector<double> means;
  for (const auto& column : outputs.npv_green_book) means.push_back(accurate_sum(column) / double(column.size()));
  return means;
}

// Where f changes sign on the grid, each crossing refined by the Illinois
// variant of regula falsi (Dowell and Jarratt 1971): the bracket always holds
// a sign change, and halving the value kept at a stale end makes both ends move.
struct Root {
  double at = 0;
  bool falling = false;  // f > 0 below the root
};

std::vector<Root> roots_on_grid(const std::vector<double>& grid, const std::function<double(double)>& f, double tolerance) {
  std::vector<Root> roots;
  std::vector<double> values;
  for (double p : grid) values.push_back(f(p));
  for (std::size_t k = 0; k < grid.size(); ++k) {
    if (values[k] == 0.0) {
      roots.push_back({grid[k], k > 0 ? values[k - 1] > 0 : k + 1 < grid.size() && values[k + 1] < 0});
      continue;
    }
    if (k + 1 == grid.size() || values[k + 1] == 0.0 || (values[k] > 0) == (values[k + 1] > 0)) continue;
    double lo = grid[k], hi = grid[k + 1], f_lo = values[k], f_hi = values[k + 1];
    int kept = 0;  // which end stayed last time: -1 low, +1 high
    double root = 0;
    bool exact = false;
    for (int iteration = 0; iteration < 60 && hi - lo > tolerance; ++iteration) {
      double p = (lo * f_hi - hi * f_lo) / (f_hi - f_lo);
      if (!(p > lo && p < hi)) p = 0.5 * (lo + hi);
      const double f_p = f(p);
      if (f_p == 0.0) {
        root = p;
        exact = true;
        break;
      }
      if ((f_p > 0) == (f_lo > 0)) {
        lo = p;
        f_lo = f_p;
        if (kept == +1) f_hi /= 2;
        kept = +1;
      } else {
        hi = p;
        f_hi = f_p;
        if (kept == -1) f_lo /= 2;
        kept = -1;
      }
    }
    if (!exact) {
      root = (lo * f_hi - hi * f_lo) / (f_hi - f_lo);
      if (!(root >= lo && root <= hi)) root = 0.5 * (lo + hi);
    }
    roots.push_back({root, values[k] > 0});
  }
  return roots;
}

}  // namespace

SwitchingAnalysis switching_values(const model::Model& model, const simulation::RunSettings& settings, const SwitchingSettings& switching) {
  if (!(switching.lowest > 0 && switching.lowest < switching.highest && switching.highest < 100)) {
    throw std::invalid_argument("switching values search percentiles in a range strictly inside (0, 100), lowest below highest");
  }
  if (!(switching.tolerance > 0)) throw std::invalid_argument("the switching-value tolerance must be positive");
  if (switching.trials == 0) throw std::invalid_argument("switching values need at least one trial");

  SwitchingAnalysis analysis;
  analysis.trials = switching.trials;
  analysis.seed = settings.seed;
  analysis.lowest = switching.lowest;
  analysis.highest = switching.highest;
  analysis.grid = {switching.lowest, switching.highest};
  for (double p : switching.grid)
    if (p > switching.lowest && p < switching.highest) analysis.grid.push_back(p);
  std::sort(analysis.grid.begin(), analysis.grid.end());
  analysis.grid.erase(std::unique(analysis.grid.begin(), analysis.grid.end()), analysis.grid.end());

  simulation::RunSettings run = settings;
  run.trials = switching.trials;
  run.sampling = sampling::SamplingMethod::MonteCarlo;
  run.replicate_size = 1;
  run.keep_driver_samples = false;
  run.progress = nullptr;
  const std::vector<double> base = expected_npv(simulation::simulate(simulation::EvaluationPlan::compile(model), run));
  ++analysis.model_runs;

  const std::size_t options = model.options.size();
  std::vector<std::size_t> order(options);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return base[a] > base[b]; });
  const bool ranked = options >= 2;
  if (ranked) {
    analysis.best = model.options[order[0]].id;
    analysis.runner_up = model.options[order[1]].id;
    analysis.base_gap = base[order[0]] - base[order[1]];
  }
  for (std::size_t o = 0; o < options; ++o) analysis.options.push_back({model.options[o].id, base[o], {}});

  for (std::size_t d = 0; d < model.drivers.size(); ++d) {
    const model::Driver& driver = model.drivers[d];
    // m(p) for every option, each p simulated once (the refinements of
    // different options ask for different p).
    std::map<double, std::vector<double>> evaluated;
    const auto means_at = [&](double p) -> const std::vector<double>& {
      auto found = evaluated.find(p);
      if (found != evaluated.end()) return found->second;
      ++analysis.model_runs;
      return evaluated.emplace(p, expected_npv(simulation::simulate(simulation::EvaluationPlan::compile(model, hold_at_percentile(d, p)), run)))
          .first->second;
    };
    const auto switching_value = [&](const std::function<double(double)>& f) {
      SwitchingValue value;
      value.driver = driver.name;
      for (std::size_t e = 0; e < driver.elements.size(); ++e) value.components.push_back(model.components[driver.first_component + e].label);
      for (const Root& root : roots_on_grid(analysis.grid, f, switching.tolerance)) {
        Crossing crossing;
        crossing.percentile = root.at;
        crossing.falling = root.falling;
        for (std::size_t e = 0; e < driver.elements.size(); ++e) {
          crossing.values.push_back(model.component_quantile(driver.first_component + e, root.at / 100));
        }
        value.crossings.push_back(std::move(crossing));
      }
      return value;
    };
    for (std::size_t o = 0; o < options; ++o) {
      analysis.options[o].drivers.push_back(switching_value([&](double p) { return means_at(p)[o]; }));
    }
    if (ranked) {
      analysis.ranking_flip.push_back(switching_value([&](double p) { return means_at(p)[order[0]] - means_at(p)[order[1]]; }));
    }
  }
  return analysis;
}

}  // namespace mcrisk::statistics
