#include "mcrisk/report/sensitivity_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "mcrisk/report/summary_writer.h"

namespace mcrisk::report {

namespace {

using nlohmann::json;

constexpr const char* kGroupNote = "Sobol indices assume independent inputs; correlated drivers are treated as one group.";

// NaN (an output with no variance) becomes null in JSON.
json number(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }
json interval(const statistics::Interval& ci) { return json::array({number(ci.low), number(ci.high)}); }

std::string index_text(double x) { return std::isfinite(x) ? fmt::format("{:.3f}", x) : std::string("n/a"); }
std::string interval_text(const statistics::Interval& ci) {
  if (!std::isfinite(ci.low) || !std::isfinite(ci.high)) return "";
  return fmt::format("[{:.3f}, {:.3f}]", ci.low, ci.high);
}

// Option's indices by total index, largest first (ties keep group order).
std::vector<statistics::SobolIndex> by_total(std::vector<statistics::SobolIndex> indices) {
  std::stable_sort(indices.begin(), indices.end(), [](const auto& a, const auto& b) {
    const double x = std::isfinite(a.total.value) ? a.total.value : -1, y = std::isfinite(b.total.value) ? b.total.value : -1;
    return x > y;
  });
  return indices;
}

std::string crossing_text(const statistics::SwitchingValue& value, const statistics::Crossing& crossing) {
  std::string values;
  for (std::size_t k = 0; k < crossing.values.size(); ++k) {
    const bool labelled = value.components.size() > 1;
    std::string label = labelled ? value.components[k].substr(value.driver.size()) : "";  // "[education]"
    if (label.size() >= 2 && label.front() == '[') label = label.substr(1, label.size() - 2) + " ";
    values += fmt::format("{}{}{:.4g}", k ? ", " : "", label, crossing.values[k]);
  }
  return fmt::format("P{:.2f} ({})", crossing.percentile, values);
}

json switching_value_to_json(const statistics::SwitchingValue& value) {
  json crossings = json::array();
  for (const auto& crossing : value.crossings) {
    json values = json::object();
    for (std::size_t k = 0; k < crossing.values.size(); ++k) values[value.components[k]] = crossing.values[k];
    crossings.push_back({{"percentile", crossing.percentile},
                         {"values", values},
                         {"direction", crossing.falling ? "positive below, negative above" : "negative below, positive above"}});
  }
  return {{"driver", value.driver}, {"in_range", !value.crossings.empty()}, {"crossings", crossings}};
}

}  // namespace

json sobol_to_json(const statistics::SobolAnalysis& analysis) {
  json groups = json::array();
  for (const auto& group : analysis.groups) {
    groups.push_back({{"name", group.name},
                      {"drivers", group.drivers},
                      {"event", group.event.empty() ? json(nullptr) : json(group.event)},
                      {"correlated", group.correlated},
                      {"dimensions", group.dimensions.size()}});
  }
  json options = json::object();
  for (const auto& option : analysis.options) {
    json indices = json::array();
    for (const auto& index : option.indices) {
      indices.push_back({{"group", analysis.groups[index.group].name},
                         {"first_order", number(index.first_order.value)},
                         {"first_order_ci95", interval(index.first_order.ci95)},
                         {"total", number(index.total.value)},
                         {"total_ci95", interval(index.total.ci95)},
                         {"first_order_percent_of_variance", number(100 * index.first_order.value)}});
    }
    json ranking = json::array();
    for (const auto& index : by_total(option.indices)) ranking.push_back(analysis.groups[index.group].name);
    options[option.option] = {{"variance", number(option.variance)},
                              {"indices", indices},
                              {"ranking_by_total", ranking},
                              {"sum_first_order", number(option.sum_first_order.value)},
                              {"sum_first_order_ci95", interval(option.sum_first_order.ci95)},
                              {"interactions_percent_of_variance", number(100 * (1 - option.sum_first_order.value))},
                              {"sum_total", number(option.sum_total.value)},
                              {"sum_total_ci95", interval(option.sum_total.ci95)}};
  }
  return {{"measure", "total_net"},
          {"trials", analysis.trials},
          {"model_runs", analysis.model_runs},
          {"bootstrap_resamples", analysis.bootstrap},
          {"seed", analysis.seed},
          {"method",
           "A, B: N independent points each (dimensions [0,d) and [d,2d) of one Philox stream; A is the base run's first N trials); "
           "A_B^i: A with group i's dimensions from B. First order S_i = (1/N) sum f(B)(f(A_B^i) - f(A)) / Var(Y) (Saltelli et al. 2010), "
           "total ST_i = (1/2N) sum (f(A) - f(A_B^i))^2 / Var(Y) (Jansen 1999), Var(Y) from f(A) and f(B) pooled, outputs centred by "
           "their pooled mean. 95% intervals: percentile bootstrap over the N rows (resampled by a Philox stream keyed by the seed)."},
          {"note", kGroupNote},
          {"groups", groups},
          {"options", options}};
}

std::string format_sobol_table(const statistics::SobolAnalysis& analysis) {
  std::string text = fmt::format(
      "\nSobol indices of total net savings: N = {} rows of A and B, {} model runs, seed {}; 95% percentile-bootstrap intervals from {} "
      "resamples.\n{} (* marks a merged group.)\n",
      analysis.trials, analysis.model_runs, analysis.seed, analysis.bootstrap, kGroupNote);
  for (const auto& option : analysis.options) {
    text += fmt::format("\nOption {}: sum of first-order indices {} {}: interactions explain about {:.0f}% of the variance\n", option.option,
                        index_text(option.sum_first_order.value), interval_text(option.sum_first_order.ci95),
                        std::isfinite(option.sum_first_order.value) ? 100 * std::max(0.0, 1 - option.sum_first_order.value) : 0.0);
    text += fmt::format("  {:<40}{:>8}  {:<18}{:>8}  {:<18}{:>10}\n", "input (group)", "first", "95% CI", "total", "95% CI", "% of var");
    for (const auto& index : by_total(option.indices)) {
      const auto& group = analysis.groups[index.group];
      const std::string name = group.name + (group.correlated ? " *" : "");
      text += fmt::format("  {:<40}{:>8}  {:<18}{:>8}  {:<18}{:>9.1f}%\n", name, index_text(index.first_order.value),
                          interval_text(index.first_order.ci95), index_text(index.total.value), interval_text(index.total.ci95),
                          std::isfinite(index.first_order.value) ? 100 * index.first_order.value : 0.0);
    }
  }
  return text;
}

json switching_to_json(const statistics::SwitchingAnalysis& analysis) {
  json options = json::object();
  for (const auto& option : analysis.options) {
    json drivers = json::array();
    for (const auto& value : option.drivers) drivers.push_back(switching_value_to_json(value));
    options[option.option] = {{"base_expected_npv", option.base_expected_npv}, {"drivers", drivers}};
  }
  json ranking = nullptr;
  if (!analysis.best.empty()) {
    json drivers = json::array();
    for (const auto& value : analysis.ranking_flip) drivers.push_back(switching_value_to_json(value));
    ranking = {{"best", analysis.best},
               {"runner_up", analysis.runner_up},
               {"base_gap", analysis.base_gap},
               {"crossing_of", "expected NPV of best minus expected NPV of runner_up"},
               {"drivers", drivers}};
  }
  return {{"measure", analysis.measure},
          {"trials", analysis.trials},
          {"seed", analysis.seed},
          {"range_percentiles", {analysis.lowest, analysis.highest}},
          {"grid_percentiles", analysis.grid},
          {"model_runs", analysis.model_runs},
          {"method",
           "Each driver held at its own percentile p (every component at once; FixPercentile override), the others random, on the base "
           "case's first trials (common random numbers). The expected NPV is scanned on the grid for sign changes; each is refined by the "
           "Illinois method on p to the stated tolerance. No crossing in the range: in_range false (\"none in range\")."},
          {"options", options},
          {"ranking", ranking}};
}

std::string format_switching_table(const statistics::SwitchingAnalysis& analysis, const std::string& currency) {
  std::string text = fmt::format(
      "\nSwitching values (Green Book §2.16) of expected {} ({}): each driver held at its own percentile p, all components at once, the "
      "others random on the same {} trials (seed {}); searched over P{:g}..P{:g}, {} model runs.\n",
      analysis.measure, currency, analysis.trials, analysis.seed, analysis.lowest, analysis.highest, analysis.model_runs);
  const auto list = [&](const std::vector<statistics::SwitchingValue>& values, const std::string& when_falling, const std::string& when_rising) {
    std::string lines, none;
    for (const auto& value : values) {
      if (value.crossings.empty()) {
        none += (none.empty() ? "" : ", ") + value.driver;
        continue;
      }
      for (const auto& crossing : value.crossings) {
        lines += fmt::format("    {} at {}: {} as it rises\n", value.driver, crossing_text(value, crossing),
                             crossing.falling ? when_falling : when_rising);
      }
    }
    if (!none.empty()) lines += "    none in range: " + none + "\n";
    return lines;
  };
  for (const auto& option : analysis.options) {
    text += fmt::format("  Option {} (expected NPV {}): NPV reaches zero\n", option.option, format_money(option.base_expected_npv));
    text += list(option.drivers, "falls below zero", "rises above zero");
  }
  if (!analysis.best.empty()) {
    text += fmt::format("  Ranking: {} ahead of {} by {} in the base case; they swap places\n", analysis.best, analysis.runner_up,
                        format_money(analysis.base_gap));
    text += list(analysis.ranking_flip, analysis.runner_up + " overtakes " + analysis.best, analysis.best + " regains the lead");
  }
  return text;
}

}  // namespace mcrisk::report
