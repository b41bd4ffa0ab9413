#include "mcrisk/statistics/run_summary.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

namespace mcrisk::statistics {

RunSummary summarise_run(const model::Model& model, const simulation::EvaluationPlan& plan,
                         const simulation::TrialOutputs& outputs, const RunInfo& run) {
  RunSummary summary;
  summary.model_name = model.name;
  summary.config_file = model.source_file;
  summary.config_sha256 = model.config_sha256;
  summary.currency = model.currency;
  summary.discount_rate = model.discount_rate;
  summary.years = model.years;
  summary.run = run;

  const std::size_t n = outputs.trials;
  const simulation::TrialRecord planned = simulation::planned_case(plan);
  std::vector<std::span<const double>> totals;
  for (std::size_t o = 0; o < outputs.options; ++o) totals.emplace_back(outputs.total_net_of(o), n);
  const std::vector<double> best = probability_best(totals);

  // Rank each sample once (drivers and option totals), then correlate ranks.
  std::vector<std::vector<double>> driver_ranks(outputs.components), total_ranks(outputs.options);
  tbb::parallel_for(std::size_t{0}, outputs.components + outputs.options, [&](std::size_t k) {
    if (k < outputs.components) driver_ranks[k] = ranks({outputs.driver_of(k), n});
    else total_ranks[k - outputs.components] = ranks(totals[k - outputs.components]);
  });

  summary.options.resize(outputs.options);
  // Options are independent summaries; each is computed alone, so parallelism cannot change a bit.
  tbb::parallel_for(std::size_t{0}, outputs.options, [&](std::size_t o) {
    OptionSummary& option = summary.options[o];
    option.id = model.options[o].id;
    option.description = model.options[o].description;
    option.planned_total_net = planned.total_net[o];
    option.planned_npv = planned.npv[o];
    option.total_net = summarise(totals[o]);
    option.npv = summarise({outputs.npv_of(o), n});
    option.prob_best = best[o];
    for (std::size_t t = 0; t < outputs.years; ++t) {
      std::vector<double> sorted(outputs.net_of(o, t), outputs.net_of(o, t) + n);
      std::sort(sorted.begin(), sorted.end());
      YearSummary year{model.years[t], accurate_sum(sorted) / double(n), percentile_of_sorted(sorted, 10),
                       percentile_of_sorted(sorted, 50), percentile_of_sorted(sorted, 90), planned.net[o][t]};
      option.by_year.push_back(year);
    }
    for (std::size_t c = 0; c < outputs.components; ++c) {
      const double rho = pearson_of_ranks(driver_ranks[c], total_ranks[o]);
      option.drivers.push_back({model.components[c].label, std::isfinite(rho) ? rho : 0.0});
    }
    std::stable_sort(option.drivers.begin(), option.drivers.end(), [](const DriverInfluence& a, const DriverInfluence& b) {
      return std::abs(a.rank_correlation) > std::abs(b.rank_correlation);
    });
  });
  return summary;
}

}  // namespace mcrisk::statistics
