#include "mcrisk/statistics/sobol_indices.h"

#include <Random123/philox.h>
#include <Random123/uniform.hpp>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "mcrisk/sampling/unit_cube_sampler.h"
#include "mcrisk/simulation/simulator.h"

namespace mcrisk::statistics {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// "sob-boot": the bootstrap's own Philox stream, apart from every sampler's.
constexpr std::uint64_t kBootstrapTag = 0x736f622d626f6f74ULL;

std::size_t find_root(std::vector<std::size_t>& parent, std::size_t x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

void unite(std::vector<std::size_t>& parent, std::size_t a, std::size_t b) {
  a = find_root(parent, a);
  b = find_root(parent, b);
  if (a != b) parent[std::max(a, b)] = std::min(a, b);  // the root is the group's first driver
}

// The estimator on rows rows[0..n) (or 0..n-1 if rows is empty) of the
// outputs, centred by the pooled mean of f(A) and f(B) of those rows.
// Accumulates in row order, so a resample's result does not depend on threads.
SobolPoint estimate_on_rows(const std::vector<double>& y_a, const std::vector<double>& y_b, const std::vector<std::vector<double>>& y_ab,
                            const std::vector<std::uint32_t>& rows) {
  const std::size_t n = rows.empty() ? y_a.size() : rows.size();
  const auto row = [&](std::size_t k) -> std::size_t { return rows.empty() ? k : rows[k]; };
  SobolPoint point;
  point.first_order.assign(y_ab.size(), kNaN);
  point.total.assign(y_ab.size(), kNaN);
  if (n < 2) {
    point.variance = kNaN;
    return point;
  }
  double sum = 0;
  for (std::size_t k = 0; k < n; ++k) sum += y_a[row(k)] + y_b[row(k)];
  const double mean = sum / double(2 * n);
  double squares = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double a = y_a[row(k)] - mean, b = y_b[row(k)] - mean;
    squares += a * a + b * b;
  }
  point.variance = squares / double(2 * n - 1);
  if (!(point.variance > 0)) return point;  // a constant output has no variance to share out
  for (std::size_t i = 0; i < y_ab.size(); ++i) {
    const std::vector<double>& y_i = y_ab[i];
    double first = 0, total = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t j = row(k);
      const double change = y_i[j] - y_a[j];
      first += (y_b[j] - mean) * change;  // Saltelli 2010
      total += change * change;           // Jansen 1999
    }
    point.first_order[i] = first / double(n) / point.variance;
    point.total[i] = total / double(2 * n) / point.variance;
  }
  return point;
}

double sum_of(const std::vector<double>& values) { return std::accumulate(values.begin(), values.end(), 0.0); }

// The 2.5th and 97.5th percentiles (definition 7) of the finite values.
Interval percentile_interval(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double x) { return !std::isfinite(x); }), values.end());
  if (values.empty()) return {kNaN, kNaN};
  std::sort(values.begin(), values.end());
  return {percentile_of_sorted(values, 2.5), percentile_of_sorted(values, 97.5)};
}

}  // namespace

std::vector<SobolGroup> sobol_groups(const model::Model& model, const simulation::EvaluationPlan& plan) {
  // Drivers linked through the copula factor: a nonzero L(r, s) means row r's
  // score moves with row s's uniform. (A nonzero correlation C(r, s) = sum_k
  // L(r, k) L(s, k) implies a shared nonzero column, so this covers it.)
  std::vector<std::size_t> parent(model.drivers.size());
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  const std::size_t rows = plan.copula_components.size();
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t s = 0; s < r; ++s) {
      if (plan.copula_cholesky(Eigen::Index(r), Eigen::Index(s)) != 0.0) {
        unite(parent, model.components[plan.copula_components[r]].driver, model.components[plan.copula_components[s]].driver);
      }
    }
  }
  std::vector<SobolGroup> groups;
  std::vector<std::size_t> group_of_root(model.drivers.size(), std::size_t(-1));
  for (std::size_t d = 0; d < model.drivers.size(); ++d) {
    const std::size_t root = find_root(parent, d);
    if (group_of_root[root] == std::size_t(-1)) {
      group_of_root[root] = groups.size();
      groups.emplace_back();
    }
    SobolGroup& group = groups[group_of_root[root]];
    const model::Driver& driver = model.drivers[d];
    group.drivers.push_back(driver.name);
    for (std::size_t e = 0; e < driver.elements.size(); ++e) group.dimensions.push_back(driver.first_component + e);
  }
  for (SobolGroup& group : groups) {
    group.correlated = group.drivers.size() > 1;
    for (const auto& name : group.drivers) group.name += (group.name.empty() ? "" : " + ") + name;
    std::sort(group.dimensions.begin(), group.dimensions.end());
  }
  for (const model::EventType& event : model.events) {
    SobolGroup group;
    group.name = "event " + event.name;
    group.event = event.name;
    const std::size_t count = model.find_set(event.slot_set)->elements.size() * model.years.size();
    for (std::size_t k = 0; k < count; ++k) group.dimensions.push_back(event.first_dimension + k);
    groups.push_back(std::move(group));
  }
  return groups;
}

SobolPoint sobol_estimate(const std::vector<double>& y_a, const std::vector<double>& y_b, const std::vector<std::vector<double>>& y_ab) {
  if (y_b.size() != y_a.size()) throw std::invalid_argument("f(A) and f(B) need the same number of rows");
  for (const auto& y_i : y_ab) {
    if (y_i.size() != y_a.size()) throw std::invalid_argument("every f(A_B^i) needs as many rows as f(A)");
  }
  return estimate_on_rows(y_a, y_b, y_ab, {});
}

SobolAnalysis sobol_indices(const model::Model& model, const simulation::RunSettings& settings, const SobolSettings& sobol) {
  if (sobol.trials < 2) throw std::invalid_argument("Sobol indices need at least 2 trials (rows of A and B)");
  if (sobol.trials > std::numeric_limits<std::uint32_t>::max()) throw std::invalid_argument("Sobol indices take at most 2^32 - 1 trials");
  const auto plan = simulation::EvaluationPlan::compile(model);
  SobolAnalysis analysis;
  analysis.trials = sobol.trials;
  analysis.bootstrap = sobol.bootstrap;
  analysis.seed = settings.seed;
  analysis.groups = sobol_groups(model, plan);
  analysis.model_runs = sobol.trials * (analysis.groups.size() + 2);

  // A and B: the two halves of one independent stream of 2d dimensions. Its
  // first d dimensions are exactly the base run's uniforms (Philox's counter is
  // (trial, dimension / 2, tag): sampling/monte_carlo_stream.h), so f(A) is the base case's first N trials.
  const std::size_t d = plan.dimension_count;
  const auto source = sampling::UnitCubeSampler::create(sampling::SamplingMethod::MonteCarlo, settings.seed, 2 * d, 1);
  simulation::RunSettings run = settings;
  run.trials = sobol.trials;
  run.keep_driver_samples = false;
  run.progress = nullptr;
  const auto total_net_on = [&](std::vector<bool> from_b) {
    return simulation::simulate(plan, sampling::UnitCubeSampler::column_swap(source, std::move(from_b)), run).total_net;
  };
  const auto y_a = total_net_on(std::vector<bool>(d, false));
  const auto y_b = total_net_on(std::vector<bool>(d, true));
  std::vector<std::vector<simulation::Column>> y_ab;  // [group][option]
  for (const SobolGroup& group : analysis.groups) {
    std::vector<bool> from_b(d, false);
    for (std::size_t k : group.dimensions) from_b[k] = true;
    y_ab.push_back(total_net_on(std::move(from_b)));
  }

  const std::size_t options = model.options.size(), groups = analysis.groups.size();
  const auto outputs_of = [&](std::size_t o) {
    std::vector<std::vector<double>> of_option;
    for (std::size_t i = 0; i < groups; ++i) of_option.push_back(y_ab[i][o]);
    return of_option;
  };
  std::vector<std::vector<std::vector<double>>> y_ab_by_option;  // [option][group]
  for (std::size_t o = 0; o < options; ++o) y_ab_by_option.push_back(outputs_of(o));

  // Bootstrap: resample b draws row k as floor(u N), u from Philox at counter
  // (b, k / 4) under key (seed, "sob-boot"): a pure function of (seed, b, k).
  // Each resample writes only its own slot, so threads do not change the bits.
  std::vector<std::vector<SobolPoint>> resampled(sobol.bootstrap);  // [resample][option]
  const int concurrency = simulation::worker_threads(settings.threads);
  tbb::task_arena arena(concurrency);
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, sobol.bootstrap, [&](std::size_t b) {
      const std::size_t n = sobol.trials;
      std::vector<std::uint32_t> rows(n);
      r123::Philox4x64 generator;
      const r123::Philox4x64::key_type key = {{settings.seed, kBootstrapTag}};
      for (std::size_t k = 0; k < n; k += 4) {
        const r123::Philox4x64::ctr_type counter = {{b, k / 4, 0, 0}};
        const auto bits = generator(counter, key);
        for (std::size_t lane = 0; lane < 4 && k + lane < n; ++lane) {
          const double u = r123::u01fixedpt<double>(bits.v[lane]);  // in (0,1)
          rows[k + lane] = std::uint32_t(std::min(n - 1, std::size_t(u * double(n))));
        }
      }
      for (std::size_t o = 0; o < options; ++o) resampled[b].push_back(estimate_on_rows(y_a[o], y_b[o], y_ab_by_option[o], rows));
    });
  });

  for (std::size_t o = 0; o < options; ++o) {
    OptionSobol result;
    result.option = model.options[o].id;
    const SobolPoint point = estimate_on_rows(y_a[o], y_b[o], y_ab_by_option[o], {});
    result.variance = point.variance;
    const auto interval_of = [&](auto value_of) {
      std::vector<double> values;
      for (std::size_t b = 0; b < sobol.bootstrap; ++b) values.push_back(value_of(resampled[b][o]));
      return sobol.bootstrap > 0 ? percentile_interval(std::move(values)) : Interval{kNaN, kNaN};
    };
    for (std::size_t i = 0; i < groups; ++i) {
      SobolIndex index;
      index.group = i;
      index.first_order = {point.first_order[i], interval_of([i](const SobolPoint& p) { return p.first_order[i]; })};
      index.total = {point.total[i], interval_of([i](const SobolPoint& p) { return p.total[i]; })};
      result.indices.push_back(index);
    }
    result.sum_first_order = {sum_of(point.first_order), interval_of([](const SobolPoint& p) { return sum_of(p.first_order); })};
    result.sum_total = {sum_of(point.total), interval_of([](const SobolPoint& p) { return sum_of(p.total); })};
    analysis.options.push_back(std::move(result));
  }
  return analysis;
}

}  // namespace mcrisk::statistics
