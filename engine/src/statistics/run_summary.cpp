#include "mcrisk/statistics/run_summary.h"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "summary_parts.h"

namespace mcrisk::statistics {

namespace {

// A proportion of trials with its interval: Wilson for independent trials,
// replicate spread for replicated designs.
template <typename Predicate>
Probability proportion(std::size_t n, const IntervalDesign& design, Predicate holds) {
  std::vector<double> per_replicate;
  double total = 0, in_replicate = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double value = holds(i);
    total += value;
    in_replicate += value;
    if (design.replicate_size > 0 && (i + 1) % design.replicate_size == 0) {
      per_replicate.push_back(in_replicate / double(design.replicate_size));
      in_replicate = 0;
    }
  }
  Probability result;
  result.value = total / double(n);
  if (design.replicate_size == 0) {
    result.ci95 = wilson_interval(result.value, n);
  } else {
    const Interval interval = replicate_interval(result.value, per_replicate);
    result.ci95 = {std::max(0.0, interval.low), std::min(1.0, interval.high)};
  }
  return result;
}

BenefitCostRatio benefit_cost_ratio(const simulation::TrialOutputs& outputs, std::size_t o, double planned_benefits, double planned_costs,
                                    const IntervalDesign& design) {
  BenefitCostRatio bcr;
  const auto& costs = outputs.pv_costs[o];
  if (std::any_of(costs.begin(), costs.end(), [](double c) { return !(c > 0); })) return bcr;
  bcr.defined = true;
  bcr.planned = planned_costs > 0 ? planned_benefits / planned_costs : 0.0;
  std::vector<double> ratio(outputs.trials);
  for (std::size_t i = 0; i < outputs.trials; ++i) ratio[i] = outputs.pv_benefits[o][i] / costs[i];
  bcr.ratio = summarise(ratio, design);
  bcr.below_one = proportion(outputs.trials, design, [&](std::size_t i) { return ratio[i] < 1.0 ? 1.0 : 0.0; });
  return bcr;
}

double target_value(const model::Target& target, const simulation::TrialOutputs& outputs, std::size_t o, std::size_t i) {
  switch (target.measure) {
    case model::Target::Measure::TotalNet: return outputs.total_net[o][i];
    case model::Target::Measure::Npv: return outputs.npv[o][i];
    case model::Target::Measure::NetInYear: return outputs.net_of(o, target.year)[i];
    case model::Target::Measure::GrossInYear: return outputs.gross_of(o, target.year)[i];
  }
  return 0;
}

}  // namespace

std::vector<OptionSummary> summarise_options(const model::Model& model, const simulation::EvaluationPlan& plan,
                                             const simulation::TrialOutputs& outputs, const IntervalDesign& design) {
  const std::size_t n = outputs.trials;
  const simulation::TrialRecord planned = simulation::planned_case(plan);
  std::vector<std::span<const double>> totals;
  for (std::size_t o = 0; o < outputs.options; ++o) totals.emplace_back(outputs.total_net_of(o), n);

  // P(best): the share of trials in which an option has the largest total (ties split).
  const std::vector<double> best_share = probability_best(totals);
  std::vector<Probability> best(outputs.options);
  for (std::size_t o = 0; o < outputs.options; ++o) best[o].value = best_share[o];
  if (design.replicate_size == 0) {
    for (auto& probability : best) probability.ci95 = wilson_interval(probability.value, n);
  } else {
    std::vector<std::vector<double>> per_replicate(outputs.options);
    for (std::size_t first = 0; first + design.replicate_size <= n; first += design.replicate_size) {
      std::vector<std::span<const double>> replicate;
      for (const auto& total : totals) replicate.push_back(total.subspan(first, design.replicate_size));
      const auto shares = probability_best(replicate);
      for (std::size_t o = 0; o < outputs.options; ++o) per_replicate[o].push_back(shares[o]);
    }
    for (std::size_t o = 0; o < outputs.options; ++o) {
      const Interval interval = replicate_interval(best[o].value, per_replicate[o]);
      best[o].ci95 = {std::max(0.0, interval.low), std::min(1.0, interval.high)};
    }
  }

  std::vector<std::span<const double>> components;
  for (std::size_t c = 0; c < outputs.components; ++c) components.emplace_back(outputs.driver_of(c), n);
  std::vector<std::vector<DriverInfluence>> drivers = detail::rank_drivers(model, components, totals);

  std::vector<OptionSummary> options(outputs.options);
  // Options are independent summaries; each is computed alone, so parallelism cannot change a bit.
  tbb::parallel_for(std::size_t{0}, outputs.options, [&](std::size_t o) {
    OptionSummary& option = options[o];
    detail::fill_planned(option, model, planned, o);
    option.total_net = summarise(totals[o], design);
    option.npv = summarise({outputs.npv_of(o), n}, design);
    option.npv_green_book = summarise(outputs.npv_green_book[o], design);
    option.bcr = benefit_cost_ratio(outputs, o, planned.pv_benefits[o], planned.pv_costs[o], design);
    option.prob_best = best[o];
    for (const auto& target : model.targets) {
      const double threshold = detail::target_threshold(target, planned, o);
      option.targets.push_back({target.name, threshold, proportion(n, design, [&](std::size_t i) {
                                  return target_value(target, outputs, o, i) >= threshold ? 1.0 : 0.0;
                                })});
    }
    for (std::size_t t = 0; t < outputs.years; ++t) {
      std::vector<double> sorted(outputs.net_of(o, t), outputs.net_of(o, t) + n);
      sort_values(sorted);
      YearSummary year{model.years[t], accurate_sum(sorted) / double(n), percentile_of_sorted(sorted, 10),
                       percentile_of_sorted(sorted, 50), percentile_of_sorted(sorted, 90), planned.net[o][t]};
      option.by_year.push_back(year);
    }
    option.drivers = std::move(drivers[o]);
  });
  return options;
}

std::vector<Comparison> compare_options(const model::Model& model, const simulation::TrialOutputs& outputs, const IntervalDesign& design) {
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t a = 0; a < outputs.options; ++a)
    for (std::size_t b = a + 1; b < outputs.options; ++b) pairs.emplace_back(a, b);
  std::vector<Comparison> comparisons(pairs.size());
  tbb::parallel_for(std::size_t{0}, pairs.size(), [&](std::size_t k) {
    const auto [a, b] = pairs[k];
    std::vector<double> difference(outputs.trials);
    for (std::size_t i = 0; i < outputs.trials; ++i) difference[i] = outputs.total_net[a][i] - outputs.total_net[b][i];
    Comparison& comparison = comparisons[k];
    comparison.a = model.options[a].id;
    comparison.b = model.options[b].id;
    comparison.difference = summarise(difference, design);
    comparison.a_better = proportion(outputs.trials, design, [&](std::size_t i) { return difference[i] > 0 ? 1.0 : 0.0; });
  });
  return comparisons;
}

RunSummary summarise_run(const model::Model& model, const simulation::EvaluationPlan& plan,
                         const simulation::TrialOutputs& outputs, const RunInfo& run) {
  RunSummary summary;
  summary.model_name = model.name;
  summary.config_file = model.source_file;
  summary.config_sha256 = model.config_sha256;
  summary.currency = model.currency;
  summary.discount_rate = model.discount_rate;
  summary.green_book = model.green_book;
  summary.years = model.years;
  summary.run = run;
  const IntervalDesign design{run.replicate_size};
  summary.options = summarise_options(model, plan, outputs, design);
  summary.comparisons = compare_options(model, outputs, design);
  return summary;
}

namespace detail {

double planned_value(const model::Target& target, const simulation::TrialRecord& planned, std::size_t o) {
  switch (target.measure) {
    case model::Target::Measure::TotalNet: return planned.total_net[o];
    case model::Target::Measure::Npv: return planned.npv[o];
    case model::Target::Measure::NetInYear: return planned.net[o][target.year];
    case model::Target::Measure::GrossInYear: return planned.gross[o][target.year];
  }
  return 0;
}

void fill_planned(OptionSummary& option, const model::Model& model, const simulation::TrialRecord& planned, std::size_t o) {
  option.id = model.options[o].id;
  option.description = model.options[o].description;
  option.planned_total_net = planned.total_net[o];
  option.planned_npv = planned.npv[o];
  option.planned_npv_green_book = planned.npv_green_book[o];
}

std::vector<std::vector<DriverInfluence>> rank_drivers(const model::Model& model, const std::vector<std::span<const double>>& components,
                                                       const std::vector<std::span<const double>>& totals) {
  if (components.empty()) return std::vector<std::vector<DriverInfluence>>(totals.size());
  // Rank each option's totals once, then each driver in turn into its thread's
  // buffer and correlate it with every option at once: the drivers' ranks are
  // never all held (some 30 columns of 2^17 trials would be 30 MiB to fault in).
  struct Worker {
    RankWorkspace workspace;
    std::vector<double> ranks;
  };
  tbb::enumerable_thread_specific<Worker> workers;
  std::vector<std::vector<double>> total_ranks(totals.size());
  tbb::parallel_for(std::size_t{0}, totals.size(), [&](std::size_t o) {
    total_ranks[o].resize(totals[o].size());
    workers.local().workspace.ranks(totals[o], total_ranks[o]);
  });
  std::vector<std::vector<double>> rho(components.size(), std::vector<double>(totals.size()));
  tbb::parallel_for(std::size_t{0}, components.size(), [&](std::size_t c) {
    Worker& worker = workers.local();
    worker.ranks.resize(components[c].size());
    worker.workspace.ranks(components[c], worker.ranks);
    for (std::size_t o = 0; o < totals.size(); ++o) rho[c][o] = pearson_of_ranks(worker.ranks, total_ranks[o]);
  });
  std::vector<std::vector<DriverInfluence>> result(totals.size());
  for (std::size_t o = 0; o < totals.size(); ++o) {
    for (std::size_t c = 0; c < components.size(); ++c) {
      result[o].push_back({model.components[c].label, std::isfinite(rho[c][o]) ? rho[c][o] : 0.0});
    }
    std::stable_sort(result[o].begin(), result[o].end(), [](const DriverInfluence& a, const DriverInfluence& b) {
      return std::abs(a.rank_correlation) > std::abs(b.rank_correlation);
    });
  }
  return result;
}

}  // namespace detail

}  // namespace mcrisk::statistics
