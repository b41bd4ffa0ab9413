// The intervals are honest: over many independent small runs (different seeds)
// of a model whose every reported figure has an exact value, each 95% interval
// covers that value between 93% and 97% of the time.
//
// The model: x ~ N(1, 0.5), y ~ N(0.5, 0.3) with normal-score correlation 0.5,
// z ~ N(0.1, 0.4) independent of both, and
//   A = 1000 (x + y) - 1500           ~ Normal(0, 700)            (configs/analytic/correlated_normals.yaml)
//   B = 1000 (x + y) + 1000 z - 1500  ~ Normal(100, sqrt(650000)) (700^2 + 400^2 = 650000)
//   B - A = 1000 z                    ~ Normal(100, 400)
// so P(A > B) = Phi(-0.25) = P(A best), P(B best) = Phi(0.25); every percentile
// is mu + sd z_p; P(loss) = Phi(-mu/sd); the expected shortfall at 5% (the mean
// of the lowest 5%) is E[X | X <= q_0.05] = mu - sd phi(z_0.05) / 0.05; and the
// target P(total net >= 500) = 1 - Phi((500 - mu) / sd).
//
// How many runs. With R runs the coverage estimate of an interval whose true
// coverage is 0.95 has binomial SD sqrt(0.95 * 0.05 / R): 0.0069 at R = 1000,
// where [0.93, 0.97] is +-2.9 SD. That margin is thinner than it looks for two
// honest intervals: the distribution-free percentile interval of plain MC is
// conservative by construction (at N = 2000 its exact coverage is 0.953 to
// 0.960 by level, so 0.97 is only 1.6 SD above P5's), and the asymptotic
// expected-shortfall interval covers about 0.942 (measured over 8000 runs).
// So every method uses R = 2000 runs (SD 0.0049, [0.93, 0.97] = +-4.1 SD
// around 0.95; 2.3 SD above P5's 0.960 and below ES5's 0.942). For LHS and Sobol the 400 runs first
// suggested would give SD 0.0109 (+-1.8 SD): a correct interval would then fail
// one time in 15, and with 24 figures a run of the suite would fail most times.
// The seeds are fixed (first seeds 1000001, 2000001, 3000001, chosen before
// any result was seen), so the test is deterministic.
//
// Runtime: each run uses one thread (RunSettings::threads = 1) and runs are
// spread over the cores with TBB (a run's result does not depend on which
// thread computes it). Plain MC: N = 2000 trials a run. LHS and Sobol: R = 10
// replicates of M = 256 points (2560 trials; Sobol needs a power of two, and
// LHS uses the same M so the two are alike). Driver samples are not kept (no
// driver ranking is needed). About 30 s of CPU at -O3 for the suite, so about
// 15 s on 2 idle cores.
//
// Known not honest, printed but not asserted: the Sobol replicate intervals of
// option A's percentiles (see kSobolNotHonest below).

#include <gtest/gtest.h>
#include <tbb/parallel_for.h>

#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "mcrisk/config/model_loader.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/run_summary.h"

namespace {

using namespace mcrisk;

constexpr const char* kModel = R"yaml(
mcrisk: 1
model:
  name: "Interval coverage (analytic)"
  currency: units
  years: ["y"]
  discount_rate: 0
run:
  trials: 2000
  seed: 1
drivers:
  x: {distribution: {type: normal, mean: 1.0, sd: 0.5}, planned: 1}
  y: {distribution: {type: normal, mean: 0.5, sd: 0.3}, planned: 0.5}
  z: {distribution: {type: normal, mean: 0.1, sd: 0.4}, planned: 0.1}
correlations:
  - between: [x, y]
    rho: 0.5
savings_items:
  sum:
    factors: ["x + y"]
  extra:
    factors: ["z"]
cost_items:
  fixed:
    amount: 1500
options:
  A:
    savings: {sum: [1000]}
    cost_phasing: [1]
  B:
    savings: {sum: [1000], extra: [1000]}
    cost_phasing: [1]
targets:
  reach_500:
    measure: total_net
    at_least: 500
)yaml";

const boost::math::normal_distribution<double> kStandardNormal;
double Phi(double z) { return boost::math::cdf(kStandardNormal, z); }
double phi(double z) { return boost::math::pdf(kStandardNormal, z); }
double z_of(double p) { return boost::math::quantile(kStandardNormal, p); }

struct Analytic {
  model::Model model = config::load_model_from_text(kModel, "interval_coverage.yaml");
  simulation::EvaluationPlan plan = simulation::EvaluationPlan::compile(model);
};

const Analytic& analytic() {
  static const Analytic instance;
  return instance;
}

// One reported figure: its name, its exact value and where its interval is in a run's results.
struct Figure {
  std::string name;
  double exact = 0;
  statistics::Interval (*interval)(const std::vector<statistics::OptionSummary>&, const std::vector<statistics::Comparison>&,
                                   std::size_t option, std::size_t index) = nullptr;
  std::size_t option = 0, index = 0;
  // For the distribution-free percentile intervals (plain MC only): their exact coverage.
  double exact_coverage = -1;
};

statistics::Interval mean_ci(const std::vector<statistics::OptionSummary>& o, const std::vector<statistics::Comparison>&, std::size_t k,
                             std::size_t) {
  return {o[k].total_net.mean_ci95_low, o[k].total_net.mean_ci95_high};
}
statistics::Interval percentile_ci(const std::vector<statistics::OptionSummary>& o, const std::vector<statistics::Comparison>&,
                                   std::size_t k, std::size_t i) {
  return o[k].total_net.percentiles[i].ci95;
}
statistics::Interval prob_loss_ci(const std::vector<statistics::OptionSummary>& o, const std::vector<statistics::Comparison>&,
                                  std::size_t k, std::size_t) {
  return o[k].total_net.prob_loss_ci95;
}
statistics::Interval shortfall_ci(const std::vector<statistics::OptionSummary>& o, const std::vector<statistics::Comparison>&,
                                  std::size_t k, std::size_t) {
  return o[k].total_net.expected_shortfall_5_ci95;
}
statistics::Interval target_ci(const std::vector<statistics::OptionSummary>& o, const std::vector<statistics::Comparison>&, std::size_t k,
                               std::size_t i) {
  return o[k].targets[i].probability.ci95;
}
statistics::Interval best_ci(const std::vector<statistics::OptionSummary>& o, const std::vector<statistics::Comparison>&, std::size_t k,
                             std::size_t) {
  return o[k].prob_best.ci95;
}
statistics::Interval difference_mean_ci(const std::vector<statistics::OptionSummary>&, const std::vector<statistics::Comparison>& c,
                                        std::size_t, std::size_t i) {
  return {c[i].difference.mean_ci95_low, c[i].difference.mean_ci95_high};
}
statistics::Interval a_better_ci(const std::vector<statistics::OptionSummary>&, const std::vector<statistics::Comparison>& c, std::size_t,
                                 std::size_t i) {
  return c[i].a_better.ci95;
}

// Exact coverage of the binomial order-statistic interval [x_(l), x_(u)] for a
// continuous distribution: P(l <= B <= u - 1), B ~ Binomial(n, p). Recovers l
// and u from the interval computed on the sample 1, 2, ..., n.
double order_statistic_coverage(std::size_t n, double level) {
  std::vector<double> ranks(n);
  for (std::size_t i = 0; i < n; ++i) ranks[i] = double(i + 1);
  const auto interval = statistics::percentile_interval_of_sorted(ranks, level);
  const boost::math::binomial_distribution<double> b(double(n), level / 100.0);
  return boost::math::cdf(b, interval.high - 1) - (interval.low >= 1 ? boost::math::cdf(b, interval.low - 1) : 0.0);
}

std::vector<Figure> figures(std::size_t mc_trials) {
  const double mu[2] = {0.0, 100.0};
  const double sd[2] = {700.0, std::sqrt(650000.0)};
  const char* id[2] = {"A", "B"};
  std::vector<Figure> list;
  for (std::size_t k = 0; k < 2; ++k) {
    const std::string o = id[k];
    list.push_back({o + " mean", mu[k], mean_ci, k, 0});
    for (std::size_t i = 0; i < std::size(statistics::kReportedPercentiles); ++i) {
      const double level = statistics::kReportedPercentiles[i];
      std::ostringstream name;
      name << o << " P" << level;
      list.push_back({name.str(), mu[k] + sd[k] * z_of(level / 100.0), percentile_ci, k, i,
                      mc_trials ? order_statistic_coverage(mc_trials, level) : -1});
    }
    list.push_back({o + " P(loss)", Phi(-mu[k] / sd[k]), prob_loss_ci, k, 0});
    // Lower tail: E[X | X <= mu + sd z_0.05] = mu - sd phi(z_0.05) / 0.05 (phi is even).
    list.push_back({o + " ES5", mu[k] - sd[k] * phi(z_of(0.05)) / 0.05, shortfall_ci, k, 0});
    list.push_back({o + " P(total >= 500)", 1 - Phi((500 - mu[k]) / sd[k]), target_ci, k, 0});
  }
  // A is best when B - A = 1000 z < 0: P = Phi(-0.1 / 0.4).
  list.push_back({"A P(best)", Phi(-0.25), best_ci, 0, 0});
  list.push_back({"B P(best)", Phi(0.25), best_ci, 1, 0});
  list.push_back({"A-B mean", -100.0, difference_mean_ci, 0, 0});
  list.push_back({"P(A > B)", Phi(-0.25), a_better_ci, 0, 0});
  return list;
}

struct Coverage {
  std::vector<Figure> figures;
  std::vector<double> coverage;  // share of runs whose interval contains the exact value
  std::size_t runs = 0;
};

// `runs` independent runs with seeds first_seed, first_seed + 1, ...
Coverage measure(simulation::RunSettings settings, std::size_t runs, std::uint64_t first_seed) {
  const Analytic& a = analytic();
  settings.threads = 1;
  settings.keep_driver_samples = false;
  const bool replicated = settings.sampling != sampling::SamplingMethod::MonteCarlo;
  const statistics::IntervalDesign design{replicated ? settings.replicate_size : 0};
  Coverage result;
  result.figures = figures(replicated ? 0 : settings.trials);
  result.runs = runs;
  std::vector<std::vector<char>> hits(runs);
  tbb::parallel_for(std::size_t{0}, runs, [&](std::size_t r) {
    simulation::RunSettings mine = settings;
    mine.seed = first_seed + r;
    const auto outputs = simulation::simulate(a.plan, mine);
    const auto options = statistics::summarise_options(a.model, a.plan, outputs, design);
    const auto comparisons = statistics::compare_options(a.model, outputs, design);
    for (const auto& figure : result.figures) {
      hits[r].push_back(figure.interval(options, comparisons, figure.option, figure.index).contains(figure.exact) ? 1 : 0);
    }
  });
  result.coverage.assign(result.figures.size(), 0.0);
  for (const auto& run : hits)
    for (std::size_t f = 0; f < run.size(); ++f) result.coverage[f] += run[f];
  for (double& c : result.coverage) c /= double(runs);
  return result;
}

// Figures whose interval is known not to be honest: printed, not asserted (see their test).
bool is_excluded(const std::string& name, const std::vector<std::string>& excluded) {
  return std::find(excluded.begin(), excluded.end(), name) != excluded.end();
}

void print(const std::string& title, const Coverage& c, const std::vector<std::string>& excluded = {}) {
  std::ostringstream table;
  table << title << " (" << c.runs << " runs; binomial SD of a coverage of 0.95: " << std::sqrt(0.95 * 0.05 / double(c.runs)) << ")\n";
  char line[160];
  std::snprintf(line, sizeof line, "  %-18s %14s %9s\n", "figure", "exact", "coverage");
  table << line;
  for (std::size_t f = 0; f < c.figures.size(); ++f) {
    const Figure& figure = c.figures[f];
    char note[64] = "";
    if (figure.exact_coverage >= 0) std::snprintf(note, sizeof note, "(order statistics: exactly %.4f)", figure.exact_coverage);
    if (is_excluded(figure.name, excluded)) std::snprintf(note, sizeof note, "(NOT HONEST: not asserted)");
    std::snprintf(line, sizeof line, "  %-18s %14.4f %9.4f %s\n", figure.name.c_str(), figure.exact, c.coverage[f], note);
    table << line;
  }
  std::cout << table.str() << std::flush;
}

void expect_honest(const Coverage& c, const std::vector<std::string>& excluded = {}) {
  for (std::size_t f = 0; f < c.figures.size(); ++f) {
    const std::string& name = c.figures[f].name;
    if (is_excluded(name, excluded)) continue;
    EXPECT_GE(c.coverage[f], 0.93) << name << " (exact " << c.figures[f].exact << ")";
    EXPECT_LE(c.coverage[f], 0.97) << name << " (exact " << c.figures[f].exact << ")";
  }
}

constexpr std::size_t kRuns = 2000;

// The exact values themselves, checked once against a long run (so a slip in
// the closed forms above cannot pass for a coverage failure).
TEST(IntervalCoverage, ExactValuesMatchALongRun) {
  simulation::RunSettings settings;
  settings.trials = 400000;
  settings.seed = 99;
  settings.keep_driver_samples = false;
  const auto outputs = simulation::simulate(analytic().plan, settings);
  const auto options = statistics::summarise_options(analytic().model, analytic().plan, outputs, {});
  const auto comparisons = statistics::compare_options(analytic().model, outputs, {});
  for (const auto& figure : figures(0)) {
    const auto interval = figure.interval(options, comparisons, figure.option, figure.index);
    // Within 5 half-widths of the 95% interval (about 10 standard errors) of its centre.
    const double centre = (interval.low + interval.high) / 2;
    EXPECT_NEAR(centre, figure.exact, 5 * interval.half_width()) << figure.name;
  }
  EXPECT_EQ(options.at(0).targets.at(0).threshold, 500.0);
}

TEST(IntervalCoverage, PlainMonteCarloIntervalsAreHonest) {
  simulation::RunSettings settings;
  settings.trials = 2000;
  const Coverage c = measure(settings, kRuns, 1000001);
  print("Plain MC, N = 2000", c);
  expect_honest(c);
  // Sharper for the order-statistic percentile intervals, whose exact coverage
  // is known: the measured coverage is within 4 binomial SDs of it.
  for (std::size_t f = 0; f < c.figures.size(); ++f) {
    const double exact = c.figures[f].exact_coverage;
    if (exact < 0) continue;
    EXPECT_NEAR(c.coverage[f], exact, 4 * std::sqrt(exact * (1 - exact) / double(c.runs))) << c.figures[f].name;
  }
}

TEST(IntervalCoverage, LatinHypercubeReplicateIntervalsAreHonest) {
  simulation::RunSettings settings;
  settings.sampling = sampling::SamplingMethod::LatinHypercube;
  settings.replicate_size = 256;
  settings.trials = 10 * 256;
  const Coverage c = measure(settings, kRuns, 2000001);
  print("LHS, R = 10 replicates of M = 256", c);
  expect_honest(c);
}

// Known not honest (reported; not asserted until the design is decided): with
// Sobol points the replicate intervals of option A's percentiles are too
// narrow. A depends on two dimensions only, and is smooth, so its replicates
// are very even and the percentile of all R M points is not the mean of the
// replicates' percentiles: its error is larger than the replicate spread
// / sqrt(R) says (at P5, M = 256: RMS error 10.2 against a mean standard error
// of 8.4). Measured over 8000 runs (seeds 3000001 to 3008000), coverage:
// P5 0.908, P10 0.922, P50 0.904, P80 0.925, P90 0.916, P95 0.897. M = 1024
// and 4096 do not cure it (P10 0.916 and 0.939, P50 0.929 and 0.938 over 2000
// runs). B's percentiles (three dimensions) measured 0.934 to 0.953.
// Every figure is asserted: percentiles of replicated designs are the average of
// the replicates' definition-5 percentiles (sample_statistics.cpp), which fixed
// the Sobol under-coverage (84-93%) of the pooled definition-7 centre.
const std::vector<std::string> kSobolNotHonest = {};

TEST(IntervalCoverage, SobolReplicateIntervalsAreHonest) {
  simulation::RunSettings settings;
  settings.sampling = sampling::SamplingMethod::Sobol;
  settings.replicate_size = 256;
  settings.trials = 10 * 256;
  const Coverage c = measure(settings, kRuns, 3000001);
  print("Sobol, R = 10 replicates of M = 256", c, kSobolNotHonest);
  expect_honest(c, kSobolNotHonest);
}

}  // namespace
