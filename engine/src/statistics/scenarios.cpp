#include "mcrisk/statistics/scenarios.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <vector>

#include "mcrisk/model/distribution.h"
#include "mcrisk/statistics/sample_statistics.h"

namespace mcrisk::statistics {

namespace {

std::string target_of(const model::Model& model, const model::ScenarioOverride& entry) {
  const model::Driver& driver = model.drivers[entry.driver];
  if (entry.element) return model.components[driver.first_component + *entry.element].label;
  return driver.elements.size() > 1 ? driver.name + " (every component)" : driver.name;
}

// The percentile of one component's own marginal (as the plan computes it).
double component_percentile(const model::Model& model, std::size_t component, double level) {
  return model.component_quantile(component, level / 100);
}

}  // namespace

OutcomeFigures outcome_figures(std::span<const double> values) {
  OutcomeFigures figures;
  if (values.empty()) return figures;
  std::vector<double> sorted(values.begin(), values.end());
  sort_values(sorted);
  figures.mean = accurate_sum(values) / double(values.size());
  figures.p10 = percentile_of_sorted(sorted, 10);
  figures.p90 = percentile_of_sorted(sorted, 90);
  const auto losses = std::lower_bound(sorted.begin(), sorted.end(), 0.0) - sorted.begin();
  figures.prob_loss = double(losses) / double(sorted.size());
  figures.expected_shortfall_5 = expected_shortfall_of_sorted(sorted, 0.05);
  return figures;
}

std::string describe_override(const model::Model& model, const model::ScenarioOverride& entry) {
  using Kind = model::ScenarioOverride::Kind;
  switch (entry.kind) {
    case Kind::FixValue: return fmt::format("fix {} at {:g}", target_of(model, entry), entry.value);
    case Kind::FixPercentile: {
      const model::Driver& driver = model.drivers[entry.driver];
      if (entry.element || driver.elements.size() == 1) {
        const std::size_t c = driver.first_component + entry.element.value_or(0);
        return fmt::format("fix {} at its P{:g} ({:.6g})", target_of(model, entry), entry.value, component_percentile(model, c, entry.value));
      }
      return fmt::format("fix {} at its own P{:g}", target_of(model, entry), entry.value);
    }
    case Kind::Affine:
      if (entry.scale != 1.0 && entry.shift != 0.0) return fmt::format("{} x {:g} + {:g}", target_of(model, entry), entry.scale, entry.shift);
      if (entry.scale != 1.0) return fmt::format("scale {} by {:g}", target_of(model, entry), entry.scale);
      return fmt::format("shift {} by {:+g}", target_of(model, entry), entry.shift);
    case Kind::Hazard: {
      const model::EventType& event = model.events[entry.event];
      std::string scope = entry.option ? "option " + model.options[*entry.option].id : "every option";
      if (!entry.slots.empty()) {
        const model::IndexSet& set = *model.find_set(event.slot_set);
        std::vector<std::string> slots;
        for (std::size_t slot : entry.slots) slots.push_back(set.elements[slot]);
        scope += fmt::format(", {} {}", entry.slots.size() > 1 ? "slots" : "slot", fmt::join(slots, ", "));
      }
      if (!entry.years.empty()) {
        std::vector<std::string> years;
        for (std::size_t t : entry.years) years.push_back(model.years[t]);
        scope += ", " + fmt::format("{}", fmt::join(years, ", "));
      }
      if (entry.value == 0 && entry.years.empty()) return fmt::format("switch {} off ({})", event.name, scope);
      return fmt::format("hazard of {} = {:g} ({})", event.name, entry.value, scope);
    }
  }
  return {};
}

simulation::PlanAdjustments hold_at_percentile(std::size_t driver, double level) {
  model::ScenarioOverride entry;
  entry.kind = model::ScenarioOverride::Kind::FixPercentile;
  entry.driver = driver;
  entry.value = level;
  simulation::PlanAdjustments adjustments;
  adjustments.overrides.push_back(entry);
  return adjustments;
}

simulation::PlanAdjustments scenario_adjustments(const model::Scenario& scenario, simulation::PlanAdjustments base) {
  base.overrides.insert(base.overrides.end(), scenario.overrides.begin(), scenario.overrides.end());
  return base;
}

std::vector<ScenarioOptionResult> option_figures(const model::Model& model, const simulation::TrialOutputs& outputs) {
  std::vector<ScenarioOptionResult> results;
  for (std::size_t o = 0; o < model.options.size(); ++o) {
    ScenarioOptionResult result;
    result.option = model.options[o].id;
    result.figures = outcome_figures(outputs.total_net[o]);
    results.push_back(result);
  }
  return results;
}

ScenarioComparison compare_scenarios(const model::Model& model, const simulation::RunSettings& settings,
                                     const std::vector<const model::Scenario*>& scenarios) {
  ScenarioComparison comparison;
  comparison.model_name = model.name;
  comparison.config_file = model.source_file;
  comparison.config_sha256 = model.config_sha256;
  comparison.currency = model.currency;
  comparison.trials = settings.trials;
  comparison.seed = settings.seed;
  comparison.sampling = sampling::to_string(settings.sampling);
  simulation::RunSettings quiet = settings;
  quiet.keep_driver_samples = false;
  quiet.progress = nullptr;

  const auto plan = simulation::EvaluationPlan::compile(model);
  comparison.base.name = "base";
  comparison.base.description = "the model as configured";
  comparison.base.options = option_figures(model, simulation::simulate(plan, quiet));
  for (const model::Scenario* scenario : scenarios) {
    ScenarioResult result;
    result.name = scenario->name;
    result.description = scenario->description;
    for (const auto& entry : scenario->overrides) result.overrides.push_back(describe_override(model, entry));
    const auto scenario_plan = simulation::EvaluationPlan::compile(model, scenario_adjustments(*scenario));
    result.options = option_figures(model, simulation::simulate(scenario_plan, quiet));
    for (std::size_t o = 0; o < result.options.size(); ++o) {
      const OutcomeFigures& base = comparison.base.options[o].figures;
      const OutcomeFigures& now = result.options[o].figures;
      result.options[o].change = {now.mean - base.mean, now.p10 - base.p10, now.p90 - base.p90, now.prob_loss - base.prob_loss,
                                  now.expected_shortfall_5 - base.expected_shortfall_5};
    }
    comparison.scenarios.push_back(std::move(result));
  }
  return comparison;
}

}  // namespace mcrisk::statistics
