// Statistical tests of the sampling pipeline, end to end: YAML text ->
// config::load_model_from_text -> EvaluationPlan::compile -> simulate() (or
// replay_trial), then estimators against closed forms.
//
// Every test uses a fixed seed, so it is deterministic: it passes for good or
// fails for good. Each states its N and its tolerance with the reasoning. The
// tolerances are about 4 standard errors of the estimator (a correct engine
// falls outside one with probability ~6e-5 per check), while the defects they
// guard against (a copula applied to the wrong rows, a marginal bent by the
// copula, an AR(1) step reading the wrong component, events drawn from the
// wrong uniforms, retention applied in the wrong year) move the statistic by
// many times that. Standard errors used below (N trials):
//   mean                   sd / sqrt(N)
//   sd (normal data)       sd / sqrt(2N)
//   median (normal data)   sd sqrt(pi/2) / sqrt(N)
//   Pearson r              (1 - rho^2) / sqrt(N)
//   Spearman r_s           (1 - rho_s^2) sqrt(1.06 / N)  (Fieller, Hartley &
//                          Pearson 1957: Var atanh r_s ~ 1.06 / (N - 3))
//   r or r_s, independence 1 / sqrt(N) (exact for r_s: 1 / sqrt(N - 1))
//   a frequency p          sqrt(p (1 - p) / N)
//   Kolmogorov-Smirnov D   critical value 1.95 / sqrt(N) (significance 0.001)

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/math/distributions/chi_squared.hpp>

#include "mcrisk/config/model_loader.h"
#include "mcrisk/model/distribution.h"
#include "mcrisk/model/model.h"
#include "mcrisk/sampling/unit_cube_sampler.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/sample_statistics.h"

#include "event_model.h"

namespace {

using mcrisk::model::Distribution;
using mcrisk::sampling::IndependentSampler;
using mcrisk::simulation::EvaluationPlan;
using mcrisk::simulation::RunSettings;
using mcrisk::simulation::TrialOutputs;
using mcrisk::simulation::TrialRecord;

constexpr double kStandardErrors = 4.0;
constexpr std::size_t kTrials = 100000;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// A model loaded from YAML text, compiled, and run once.
struct PipelineRun {
  mcrisk::model::Model model;
  EvaluationPlan plan;
  TrialOutputs outputs;

  std::size_t component(const std::string& label) const {
    for (std::size_t c = 0; c < model.components.size(); ++c)
      if (model.components[c].label == label) return c;
    throw std::invalid_argument("no driver component '" + label + "'");
  }
  std::size_t option(const std::string& id) const {
    for (std::size_t o = 0; o < model.options.size(); ++o)
      if (model.options[o].id == id) return o;
    throw std::invalid_argument("no option '" + id + "'");
  }
  std::span<const double> driver(const std::string& label) const {
    return {outputs.driver_of(component(label)), outputs.trials};
  }
  std::span<const double> net(const std::string& option_id, std::size_t year) const {
    return {outputs.net_of(option(option_id), year), outputs.trials};
  }
};

PipelineRun run_model(const std::string& yaml, const std::string& name, std::uint64_t seed, std::size_t trials) {
  PipelineRun run;
  run.model = mcrisk::config::load_model_from_text(yaml, name);
  run.plan = EvaluationPlan::compile(run.model);
  RunSettings settings;
  settings.trials = trials;
  settings.seed = seed;
  settings.keep_driver_samples = true;
  run.outputs = mcrisk::simulation::simulate(run.plan, settings);
  return run;
}

double mean_of(std::span<const double> x) {
  double sum = 0.0;
  for (double v : x) sum += v;
  return sum / static_cast<double>(x.size());
}

double sd_of(std::span<const double> x) {
  const double m = mean_of(x);
  double squares = 0.0;
  for (double v : x) squares += (v - m) * (v - m);
  return std::sqrt(squares / static_cast<double>(x.size() - 1));
}

double pearson(std::span<const double> x, std::span<const double> y) {
  const double mx = mean_of(x), my = mean_of(y);
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

double median_of(std::span<const double> x) {
  std::vector<double> sorted(x.begin(), x.end());
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

// Kolmogorov-Smirnov statistic of a sample against a continuous CDF.
double ks_statistic(std::span<const double> x, const Distribution& distribution) {
  std::vector<double> sorted(x.begin(), x.end());
  std::sort(sorted.begin(), sorted.end());
  const double n = static_cast<double>(sorted.size());
  double d = 0.0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const double f = distribution.cdf(sorted[i]);
    d = std::max({d, static_cast<double>(i + 1) / n - f, f - static_cast<double>(i) / n});
  }
  return d;
}

std::vector<double> apply_log(std::span<const double> x) {
  std::vector<double> logs(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) logs[i] = std::log(x[i]);
  return logs;
}

// The exact Spearman correlation of a Gaussian copula with normal-score correlation rho.
double gaussian_copula_spearman(double rho) { return 6.0 / std::numbers::pi * std::asin(rho / 2.0); }

double root_n(std::size_t n) { return std::sqrt(static_cast<double>(n)); }

double pearson_tolerance(double rho, std::size_t n) { return kStandardErrors * (1.0 - rho * rho) / root_n(n); }

double spearman_tolerance(double rho_s, std::size_t n) {
  return kStandardErrors * (1.0 - rho_s * rho_s) * std::sqrt(1.06 / static_cast<double>(n));
}

double independence_tolerance(std::size_t n) { return kStandardErrors / root_n(n); }

double frequency_tolerance(double p, std::size_t n) {
  return kStandardErrors * std::sqrt(p * (1.0 - p) / static_cast<double>(n));
}

double ks_critical_value(std::size_t n) { return 1.95 / root_n(n); }

// ---------------------------------------------------------------------------
// Gaussian copula. One model, seed 20240501, N = 100000, holding:
//   a, b    normals correlated 0.4 (Pearson of normals = rho exactly)
//   p, q    PERTs correlated 0.3 in normal scores
//   u, v    uniforms correlated 0.3 in normal scores
//   r[c1..c3]  PERTs, 'among' block, every pair 0.3
//   cost, share  lognormal and PERT correlated -0.5 (marginal checks)
//   free_t, free_n  in no correlation at all (outside the copula)
// Components of different correlation entries share one copula matrix with
// zeros between them, so they must come out independent too.
// ---------------------------------------------------------------------------

constexpr std::uint64_t kCopulaSeed = 20240501;
constexpr double kNormalRho = 0.4;
constexpr double kRankRho = 0.3;
constexpr double kMarginalRho = -0.5;

const char* const kCopulaModel = R"(
mcrisk: 1
model:
  name: copula test
  years: ["2011/12"]
  discount_rate: 0
sets:
  cluster: [c1, c2, c3]
drivers:
  a: {distribution: {type: normal, mean: 0, sd: 1}, planned: 0}
  b: {distribution: {type: normal, mean: 10, sd: 2}, planned: 10}
  p: {distribution: {type: pert, min: 0.3, mode: 0.8, max: 1.0}, planned: 1}
  q: {distribution: {type: pert, min: 0, mode: 2, max: 10}, planned: 2}
  u: {distribution: {type: uniform, min: 0, max: 1}, planned: 0.5}
  v: {distribution: {type: uniform, min: -5, max: 5}, planned: 0}
  r:
    over: cluster
    distribution: {type: pert, min: 0.2, mode: 0.7, max: 1.0}
    elements:
      c2: {type: pert, min: 0.7, mode: 0.95, max: 1.05}
    planned: 1
  cost: {distribution: {type: lognormal, median: 41300, sigma: 0.2}, planned: 41300}
  share: {distribution: {type: pert, min: 0.3, mode: 0.8, max: 1.0}, planned: 1}
  free_t: {distribution: {type: triangular, min: 0, mode: 4, max: 15}, planned: 4}
  free_n: {distribution: {type: normal, mean: 0, sd: 1}, planned: 0}
correlations:
  - between: [a, b]
    rho: 0.4
  - between: [p, q]
    rho: 0.3
  - between: [u, v]
    rho: 0.3
  - among: r
    rho: 0.3
  - between: [cost, share]
    rho: -0.5
savings_items:
  item: {}
options:
  A:
    savings: {item: [1]}
)";

const PipelineRun& copula_run() {
  static const PipelineRun run = run_model(kCopulaModel, "copula.yaml", kCopulaSeed, kTrials);
  return run;
}

// Pearson of the two normals: SE (1 - 0.16) / sqrt(1e5) = 0.00266, tolerance
// 4 SE = 0.0106. Also each normal keeps its mean and sd (4 SE each).
TEST(PipelineGaussianCopula, NormalPairHasPearsonCorrelationRho) {
  const PipelineRun& run = copula_run();
  const auto a = run.driver("a"), b = run.driver("b");
  EXPECT_NEAR(pearson(a, b), kNormalRho, pearson_tolerance(kNormalRho, kTrials));
  EXPECT_NEAR(mean_of(a), 0.0, kStandardErrors * 1.0 / root_n(kTrials));
  EXPECT_NEAR(mean_of(b), 10.0, kStandardErrors * 2.0 / root_n(kTrials));
  EXPECT_NEAR(sd_of(a), 1.0, kStandardErrors * 1.0 / std::sqrt(2.0 * kTrials));
  EXPECT_NEAR(sd_of(b), 2.0, kStandardErrors * 2.0 / std::sqrt(2.0 * kTrials));
}

// Spearman of non-normal marginals under a Gaussian copula with rho = 0.3:
// (6/pi) asin(0.15) = 0.28658. SE (1 - 0.2866^2) sqrt(1.06 / 1e5) = 0.00299,
// tolerance 4 SE = 0.0120. (A naive expectation of 0.3 is 0.0134 away, just
// beyond it: the rank correlation of a Gaussian copula is not its rho.)
TEST(PipelineGaussianCopula, PertAndUniformPairsHaveGaussianCopulaSpearman) {
  const PipelineRun& run = copula_run();
  const double expected = gaussian_copula_spearman(kRankRho);
  const double tolerance = spearman_tolerance(expected, kTrials);
  EXPECT_NEAR(mcrisk::statistics::spearman(run.driver("p"), run.driver("q")), expected, tolerance);
  EXPECT_NEAR(mcrisk::statistics::spearman(run.driver("u"), run.driver("v")), expected, tolerance);
  // Spearman is invariant under the marginals, so the normals give theirs too.
  const double expected_normals = gaussian_copula_spearman(kNormalRho);
  EXPECT_NEAR(mcrisk::statistics::spearman(run.driver("a"), run.driver("b")), expected_normals,
              spearman_tolerance(expected_normals, kTrials));
}

// Every pair of the 3-component 'among' block (different marginal for c2):
// Spearman (6/pi) asin(0.15) within 4 SE = 0.0120 each.
TEST(PipelineGaussianCopula, AmongBlockCorrelatesEveryPair) {
  const PipelineRun& run = copula_run();
  const double expected = gaussian_copula_spearman(kRankRho);
  const std::vector<std::string> labels = {"r[c1]", "r[c2]", "r[c3]"};
  for (std::size_t i = 0; i < labels.size(); ++i) {
    for (std::size_t j = i + 1; j < labels.size(); ++j) {
      EXPECT_NEAR(mcrisk::statistics::spearman(run.driver(labels[i]), run.driver(labels[j])), expected,
                  spearman_tolerance(expected, kTrials))
          << labels[i] << " vs " << labels[j];
    }
  }
}

// Components not correlated with each other, whether both are in the copula
// (different entries), one is, or neither is: |Spearman| < 4 / sqrt(1e5) = 0.0126.
TEST(PipelineGaussianCopula, UncorrelatedComponentsAreIndependent) {
  const PipelineRun& run = copula_run();
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"a", "p"},     {"a", "u"},         {"b", "q"},       {"p", "v"},      {"q", "r[c1]"},
      {"u", "r[c2]"}, {"r[c3]", "cost"},  {"share", "a"},   {"a", "free_n"}, {"r[c1]", "free_t"},
      {"free_t", "free_n"}, {"cost", "free_t"}};
  for (const auto& [first, second] : pairs) {
    EXPECT_LT(std::abs(mcrisk::statistics::spearman(run.driver(first), run.driver(second))),
              independence_tolerance(kTrials))
        << first << " vs " << second;
  }
}

// The correlated pair (cost, share) itself: Spearman (6/pi) asin(-0.25) = -0.2412,
// tolerance 4 SE = 0.0122 (a negative rho through the same path).
TEST(PipelineGaussianCopula, NegativeCorrelationHasGaussianCopulaSpearman) {
  const PipelineRun& run = copula_run();
  const double expected = gaussian_copula_spearman(kMarginalRho);
  EXPECT_NEAR(mcrisk::statistics::spearman(run.driver("cost"), run.driver("share")), expected,
              spearman_tolerance(expected, kTrials));
}

// ---------------------------------------------------------------------------
// Marginals survive the copula (same run: cost and share correlated -0.5).
// ---------------------------------------------------------------------------

// cost ~ lognormal(median 41300, sigma 0.2). On the log scale (normal, sd 0.2):
//   median of log within 4 sqrt(pi/2) 0.2 / sqrt(1e5) = 0.00317
//   mean of log within 4 * 0.2 / sqrt(1e5) = 0.00253
//   sd of log within 4 * 0.2 / sqrt(2e5) = 0.00179
// and the whole law: KS D < 1.95 / sqrt(1e5) = 0.00617.
TEST(PipelineCopulaMarginals, LogNormalKeepsMedianAndLogSd) {
  const PipelineRun& run = copula_run();
  const double median = 41300.0, sigma = 0.2;
  const auto cost = run.driver("cost");
  const std::vector<double> logs = apply_log(cost);
  EXPECT_NEAR(std::log(median_of(cost)), std::log(median),
              kStandardErrors * sigma * std::sqrt(std::numbers::pi / 2.0) / root_n(kTrials));
  EXPECT_NEAR(mean_of(logs), std::log(median), kStandardErrors * sigma / root_n(kTrials));
  EXPECT_NEAR(sd_of(logs), sigma, kStandardErrors * sigma / std::sqrt(2.0 * kTrials));
  EXPECT_LT(ks_statistic(cost, Distribution::lognormal_median(median, sigma)), ks_critical_value(kTrials));
}

// share ~ PERT(0.3, 0.8, 1.0): mean (0.3 + 4 * 0.8 + 1.0) / 6 = 0.75, sd 0.127,
// tolerance 4 sd / sqrt(1e5) = 0.0016; KS D < 0.00617. The other correlated
// PERTs (p with min/mode/max as share; q; the among block) are checked by KS too.
TEST(PipelineCopulaMarginals, PertKeepsMeanAndDistribution) {
  const PipelineRun& run = copula_run();
  const Distribution share = Distribution::pert(0.3, 0.8, 1.0);
  const double pert_mean = (0.3 + 4.0 * 0.8 + 1.0) / 6.0;
  EXPECT_DOUBLE_EQ(share.mean(), pert_mean);
  EXPECT_NEAR(mean_of(run.driver("share")), pert_mean, kStandardErrors * std::sqrt(share.variance()) / root_n(kTrials));
  EXPECT_LT(ks_statistic(run.driver("share"), share), ks_critical_value(kTrials));
  EXPECT_LT(ks_statistic(run.driver("p"), share), ks_critical_value(kTrials));
  EXPECT_LT(ks_statistic(run.driver("q"), Distribution::pert(0, 2, 10)), ks_critical_value(kTrials));
  EXPECT_LT(ks_statistic(run.driver("r[c2]"), Distribution::pert(0.7, 0.95, 1.05)), ks_critical_value(kTrials));
  EXPECT_LT(ks_statistic(run.driver("v"), Distribution::uniform(-5, 5)), ks_critical_value(kTrials));
}

// ---------------------------------------------------------------------------
// AR(1) series over years: mean 0.02, sd 0.03, rho 0.6, seed 20240502,
// N = 100000. g runs over the last three of four years and its first year is
// correlated 0.4 with x; k runs over all four years and is in no correlation.
// Stationary: every year has mean 0.02 (tolerance 4 * 0.03 / sqrt(1e5) =
// 0.00038) and sd 0.03 (tolerance 4 * 0.03 / sqrt(2e5) = 0.00027).
// Autocorrelation lag 1 = 0.6 (tolerance 4 (1 - 0.36) / sqrt(1e5) = 0.0081),
// lag 2 = 0.36 (4 (1 - 0.1296) / sqrt(1e5) = 0.0110), lag 3 = 0.216.
// x vs g: 0.4 in year 1, 0.4 rho = 0.24 in year 2, 0.4 rho^2 = 0.144 in year 3
// (x = 0.4 z1 + ..., g_k's dependence on z1 decays by rho each step).
// ---------------------------------------------------------------------------

constexpr double kArMean = 0.02, kArSd = 0.03, kArRho = 0.6, kArLinkRho = 0.4;

const char* const kAr1Model = R"(
mcrisk: 1
model:
  name: ar1 test
  years: ["2010/11", "2011/12", "2012/13", "2013/14"]
  discount_rate: 0
drivers:
  x: {distribution: {type: normal, mean: 0, sd: 1}, planned: 0}
  g:
    over: years
    years: ["2011/12", "2012/13", "2013/14"]
    distribution: {type: ar1, mean: 0.02, sd: 0.03, rho: 0.6}
    planned: 0
  k:
    over: years
    distribution: {type: ar1, mean: 0.02, sd: 0.03, rho: 0.6}
    planned: 0
correlations:
  - between: [x, "g[2011/12]"]
    rho: 0.4
savings_items:
  item: {}
options:
  A:
    savings: {item: [1, 1, 1, 1]}
)";

const PipelineRun& ar1_run() {
  static const PipelineRun run = run_model(kAr1Model, "ar1.yaml", 20240502, kTrials);
  return run;
}

TEST(PipelineAr1Series, EveryYearHasTheStationaryMeanAndSd) {
  const PipelineRun& run = ar1_run();
  for (const std::string label : {"g[2011/12]", "g[2012/13]", "g[2013/14]", "k[2010/11]", "k[2011/12]",
                                  "k[2012/13]", "k[2013/14]"}) {
    const auto series = run.driver(label);
    EXPECT_NEAR(mean_of(series), kArMean, kStandardErrors * kArSd / root_n(kTrials)) << label;
    EXPECT_NEAR(sd_of(series), kArSd, kStandardErrors * kArSd / std::sqrt(2.0 * kTrials)) << label;
  }
}

TEST(PipelineAr1Series, AutocorrelationDecaysAsRhoToTheLag) {
  const PipelineRun& run = ar1_run();
  for (const std::string name : {"g", "k"}) {
    const std::vector<std::string> years = name == "g" ? std::vector<std::string>{"2011/12", "2012/13", "2013/14"}
                                                       : std::vector<std::string>{"2010/11", "2011/12", "2012/13", "2013/14"};
    for (std::size_t i = 0; i < years.size(); ++i) {
      for (std::size_t j = i + 1; j < years.size(); ++j) {
        const double expected = std::pow(kArRho, static_cast<double>(j - i));
        EXPECT_NEAR(pearson(run.driver(name + "[" + years[i] + "]"), run.driver(name + "[" + years[j] + "]")), expected,
                    pearson_tolerance(expected, kTrials))
            << name << " " << years[i] << " vs " << years[j];
      }
    }
  }
}

TEST(PipelineAr1Series, CorrelatingTheFirstYearPropagatesThroughTheSeries) {
  const PipelineRun& run = ar1_run();
  const auto x = run.driver("x");
  const std::vector<std::string> years = {"2011/12", "2012/13", "2013/14"};
  for (std::size_t lag = 0; lag < years.size(); ++lag) {
    const double expected = kArLinkRho * std::pow(kArRho, static_cast<double>(lag));
    EXPECT_NEAR(pearson(x, run.driver("g[" + years[lag] + "]")), expected, pearson_tolerance(expected, kTrials))
        << "x vs g[" << years[lag] << "]";
  }
  // The uncorrelated series k stays independent of x and of g.
  for (const std::string label : {"k[2010/11]", "k[2011/12]", "k[2013/14]"}) {
    EXPECT_LT(std::abs(pearson(x, run.driver(label))), independence_tolerance(kTrials)) << label;
    EXPECT_LT(std::abs(pearson(run.driver("g[2011/12]"), run.driver(label))), independence_tolerance(kTrials)) << label;
  }
}

// ---------------------------------------------------------------------------
// Bernoulli events, seed 20240503, N = 100000, on the events model of
// tests/support/event_model.h. Frequencies are checked within
// 4 sqrt(p (1 - p) / N) (0.0028 for p = 0.05).
// ---------------------------------------------------------------------------

const PipelineRun& event_run() {
  static const PipelineRun run = run_model(mcrisk::testing::kEventModel, "events.yaml", 20240503, kTrials);
  return run;
}

// Occurrences of an option in a year: -net (net = -cost, cost = 1 per occurrence).
std::vector<double> occurrences(const PipelineRun& run, const std::string& option, std::size_t year) {
  const auto net = run.net(option, year);
  std::vector<double> count(net.size());
  for (std::size_t i = 0; i < net.size(); ++i) count[i] = -net[i];
  return count;
}

// P(first occurrence in at-risk year k) = (1 - h)^(k-1) h; P(none) = (1 - h)^3;
// nothing in the year not at risk; never more than one occurrence per trial.
TEST(PipelineBernoulliEvents, NonRecurringEventFollowsTheGeometricLaw) {
  const PipelineRun& run = event_run();
  for (const auto& [option, h] : std::vector<std::pair<std::string, double>>{{"low", 0.03}, {"high", 0.05}, {"other_slot", 0.05}}) {
    std::vector<std::vector<double>> by_year;
    for (std::size_t t = 0; t < 4; ++t) by_year.push_back(occurrences(run, option, t));
    std::vector<double> count(4, 0.0);
    double none = 0.0;
    bool only_zero_or_one = true, at_most_once = true;
    for (std::size_t i = 0; i < kTrials; ++i) {
      double total = 0.0;
      for (std::size_t t = 0; t < 4; ++t) {
        only_zero_or_one = only_zero_or_one && (by_year[t][i] == 0.0 || by_year[t][i] == 1.0);
        count[t] += by_year[t][i];
        total += by_year[t][i];
      }
      at_most_once = at_most_once && total <= 1.0;
      none += total == 0.0;
    }
    EXPECT_TRUE(only_zero_or_one) << option;
    EXPECT_TRUE(at_most_once) << option;
    EXPECT_EQ(count[0], 0.0) << option << ": an event in the year not at risk";
    const double n = static_cast<double>(kTrials);
    for (std::size_t k = 1; k < 4; ++k) {
      const double p = std::pow(1.0 - h, static_cast<double>(k - 1)) * h;
      EXPECT_NEAR(count[k] / n, p, frequency_tolerance(p, kTrials)) << option << " year " << k;
    }
    const double p_none = std::pow(1.0 - h, 3.0);
    EXPECT_NEAR(none / n, p_none, frequency_tolerance(p_none, kTrials)) << option;
  }
}

// Common random numbers: 'low' and 'high' read the same uniforms of slot s1, and
// u < 0.03 implies u < 0.05, so whenever 'low' has its event in year t, 'high'
// has had its own in a year <= t (exact, every trial). Then {low occurs} is a
// subset of {high occurs}, so P(high occurs, low does not) =
// (1 - 0.95^3) - (1 - 0.97^3) = 0.0553, checked within 4 SE = 0.0029
// (independent streams would give 0.1426 * 0.97^3 = 0.1302).
// 'other_slot' uses different uniforms: its indicator is uncorrelated with
// 'high's (|r| < 4 / sqrt(1e5) = 0.0126).
TEST(PipelineBernoulliEvents, OptionsShareTheSlotsUniforms) {
  const PipelineRun& run = event_run();
  std::vector<std::vector<double>> low, high, other;
  for (std::size_t t = 0; t < 4; ++t) {
    low.push_back(occurrences(run, "low", t));
    high.push_back(occurrences(run, "high", t));
    other.push_back(occurrences(run, "other_slot", t));
  }
  std::size_t violations = 0, low_events = 0, high_only = 0;
  std::vector<double> high_any(kTrials, 0.0), other_any(kTrials, 0.0);
  for (std::size_t i = 0; i < kTrials; ++i) {
    bool high_so_far = false, low_ever = false;
    for (std::size_t t = 0; t < 4; ++t) {
      high_so_far = high_so_far || high[t][i] > 0.0;
      if (low[t][i] > 0.0) {
        low_ever = true;
        ++low_events;
        if (!high_so_far) ++violations;
      }
      other_any[i] += other[t][i];
    }
    high_any[i] = high_so_far ? 1.0 : 0.0;
    if (high_so_far && !low_ever) ++high_only;
  }
  EXPECT_EQ(violations, 0u) << "of " << low_events << " trials in which 'low' had its event";
  EXPECT_GT(low_events, 0u);
  const double p_high_only = (1.0 - std::pow(0.95, 3.0)) - (1.0 - std::pow(0.97, 3.0));
  EXPECT_NEAR(static_cast<double>(high_only) / static_cast<double>(kTrials), p_high_only,
              frequency_tolerance(p_high_only, kTrials));
  EXPECT_LT(std::abs(pearson(high_any, other_any)), independence_tolerance(kTrials));
}

// A recurring event may happen in every year: P(occurrence in year t) = h in
// each of the four years, and the number of occurrences is Binomial(4, h):
// P(2 or more) = 1 - (1-h)^4 - 4 h (1-h)^3 = 0.01402.
TEST(PipelineBernoulliEvents, RecurringEventHappensIndependentlyEachYear) {
  const PipelineRun& run = event_run();
  const double h = 0.05, n = static_cast<double>(kTrials);
  std::vector<double> total(kTrials, 0.0);
  for (std::size_t t = 0; t < 4; ++t) {
    const std::vector<double> count = occurrences(run, "recurring", t);
    EXPECT_NEAR(mean_of(count), h, frequency_tolerance(h, kTrials)) << "year " << t;
    for (std::size_t i = 0; i < kTrials; ++i) total[i] += count[i];
  }
  const double p_two_or_more = 1.0 - std::pow(1.0 - h, 4.0) - 4.0 * h * std::pow(1.0 - h, 3.0);
  const double two_or_more = static_cast<double>(std::count_if(total.begin(), total.end(), [](double c) { return c >= 2.0; }));
  EXPECT_NEAR(two_or_more / n, p_two_or_more, frequency_tolerance(p_two_or_more, kTrials));
}

// ---------------------------------------------------------------------------
// Retention: savings of 100 a year, an event with hazard 0.2 and loss fraction
// 0.4 costing 1; single trials found by scanning replay_trial from trial 0
// (seed 20240504). Exact checks: gross in year t = 100 (1 - 0.4)^(occurrences
// before t); the occurrence year itself keeps its savings and carries the cost.
// ---------------------------------------------------------------------------

constexpr double kLossFraction = 0.4;

const char* const kRetentionModel = R"(
mcrisk: 1
model:
  name: retention test
  years: ["2010/11", "2011/12", "2012/13", "2013/14"]
  discount_rate: 0
sets:
  partner: [p1]
drivers:
  d: {distribution: {type: uniform, min: 0, max: 1}, planned: 0.5}
events:
  withdrawal:
    slots: partner
    cost: 1
  strike:
    slots: partner
    recurs: true
    cost: 1
savings_items:
  item: {}
options:
  once:
    savings: {item: [100, 100, 100, 100]}
    events: {withdrawal: {slots: [p1], hazard: 0.2, loss_fraction: 0.4}}
  recurring:
    savings: {item: [100, 100, 100, 100]}
    events: {strike: {slots: [p1], hazard: 0.2, loss_fraction: 0.4}}
)";

constexpr std::uint64_t kRetentionSeed = 20240504;

// The first trial whose option o has occurrences (cost 1) in exactly the given years.
TrialRecord find_trial(const EvaluationPlan& plan, std::size_t o, const std::vector<std::size_t>& years) {
  for (std::uint64_t trial = 0; trial < 100000; ++trial) {
    TrialRecord record = mcrisk::simulation::replay_trial(plan, kRetentionSeed, trial);
    bool match = true;
    for (std::size_t t = 0; t < plan.year_count; ++t) {
      const bool wanted = std::find(years.begin(), years.end(), t) != years.end();
      match = match && record.cost[o][t] == (wanted ? 1.0 : 0.0);
    }
    if (match) return record;
  }
  throw std::runtime_error("no trial with the wanted occurrences");
}

void expect_years(const TrialRecord& record, std::size_t o, const std::vector<double>& gross, const std::vector<double>& cost) {
  double total = 0.0;
  for (std::size_t t = 0; t < gross.size(); ++t) {
    EXPECT_DOUBLE_EQ(record.gross[o][t], gross[t]) << "trial " << record.trial << " year " << t;
    EXPECT_EQ(record.cost[o][t], cost[t]) << "trial " << record.trial << " year " << t;
    EXPECT_DOUBLE_EQ(record.net[o][t], gross[t] - cost[t]) << "trial " << record.trial << " year " << t;
    total += gross[t] - cost[t];
  }
  EXPECT_DOUBLE_EQ(record.total_net[o], total) << "trial " << record.trial;
}

TEST(PipelineRetention, SavingsAfterAnOccurrenceAreScaledByOneMinusLossFraction) {
  const auto model = mcrisk::config::load_model_from_text(kRetentionModel, "retention.yaml");
  const EvaluationPlan plan = EvaluationPlan::compile(model);
  const double kept = 1.0 - kLossFraction;

  // Non-recurring ('once', option 0): an occurrence in year 1 scales years 2 and 3.
  const TrialRecord in_year_1 = find_trial(plan, 0, {1});
  expect_years(in_year_1, 0, {100.0, 100.0, 100.0 * kept, 100.0 * kept}, {0.0, 1.0, 0.0, 0.0});
  // An occurrence in the first year scales every later year; in the last, none.
  expect_years(find_trial(plan, 0, {0}), 0, {100.0, 100.0 * kept, 100.0 * kept, 100.0 * kept}, {1.0, 0.0, 0.0, 0.0});
  expect_years(find_trial(plan, 0, {3}), 0, {100.0, 100.0, 100.0, 100.0}, {0.0, 0.0, 0.0, 1.0});
  expect_years(find_trial(plan, 0, {}), 0, {100.0, 100.0, 100.0, 100.0}, {0.0, 0.0, 0.0, 0.0});

  // Recurring ('recurring', option 1): each occurrence multiplies by (1 - lambda) again.
  expect_years(find_trial(plan, 1, {0, 2}), 1, {100.0, 100.0 * kept, 100.0 * kept, 100.0 * (kept * kept)},
               {1.0, 0.0, 1.0, 0.0});
  expect_years(find_trial(plan, 1, {1, 2}), 1, {100.0, 100.0, 100.0 * kept, 100.0 * (kept * kept)},
               {0.0, 1.0, 1.0, 0.0});

  // The replayed trial is the trial simulate() ran.
  RunSettings settings;
  settings.trials = static_cast<std::size_t>(in_year_1.trial) + 1;
  settings.seed = kRetentionSeed;
  const TrialOutputs outputs = mcrisk::simulation::simulate(plan, settings);
  for (std::size_t t = 0; t < plan.year_count; ++t) {
    EXPECT_EQ(outputs.net_of(0, t)[in_year_1.trial], in_year_1.net[0][t]) << "year " << t;
  }
}

// Over many trials (seed 20240504, N = 100000), the non-recurring option's net
// in year t is 100 (1 - lambda B) - C, with B = "occurred before t" (P q = 1 -
// 0.8^t) and C = "occurred in t" (P c = 0.8^t 0.2), disjoint. Mean 100 - 40 q - c;
// Var = 1600 q (1-q) + c (1-c) - 80 q c (Cov(B, C) = -q c); tolerance 4 SE
// (0.31 at t = 1 to 0.40 at t = 3; a retention applied one year early or late
// moves the mean by 40 * 0.16 = 6.4 or more).
TEST(PipelineRetention, MeanSavingsMatchTheExpectedRetention) {
  const PipelineRun run = run_model(kRetentionModel, "retention.yaml", kRetentionSeed, kTrials);
  const double h = 0.2;
  for (std::size_t t = 0; t < 4; ++t) {
    const double q = 1.0 - std::pow(1.0 - h, static_cast<double>(t));
    const double c = std::pow(1.0 - h, static_cast<double>(t)) * h;
    const double expected = 100.0 * (1.0 - kLossFraction * q) - c;
    const double variance = 1600.0 * q * (1.0 - q) + c * (1.0 - c) - 80.0 * q * c;
    EXPECT_NEAR(mean_of(run.net("once", t)), expected, kStandardErrors * std::sqrt(variance / static_cast<double>(kTrials)))
        << "year " << t;
  }
}

// ---------------------------------------------------------------------------
// The unit-cube sampler (Philox4x32-10, src/sampling/monte_carlo_stream.h).
// ---------------------------------------------------------------------------

// fill() writes exactly uniform(trial, d) at u[d * stride + i] for every entry,
// for an odd dimension count (half a word pair unused) and a far trial offset,
// and leaves the padding between rows alone.
TEST(PipelineUnitCubeSampler, FillEqualsUniformForEveryEntry) {
  const std::size_t dimensions = 7, n = 300, stride = 320;
  const std::uint64_t first = 1000000007ULL;
  const IndependentSampler sampler(42, dimensions);
  std::vector<double> u(dimensions * stride, -1.0);
  sampler.fill(first, n, u.data(), stride);
  for (std::size_t d = 0; d < dimensions; ++d) {
    for (std::size_t i = 0; i < stride; ++i) {
      if (i < n) {
        ASSERT_EQ(u[d * stride + i], sampler.uniform(first + i, d)) << "dimension " << d << " lane " << i;
      } else {
        ASSERT_EQ(u[d * stride + i], -1.0) << "padding written at dimension " << d << " lane " << i;
      }
    }
  }
  EXPECT_EQ(sampler.dimensions(), dimensions);
  EXPECT_THROW((void)sampler.uniform(0, dimensions), std::out_of_range);
}

// 1e6 uniforms (250000 trials x 4 dimensions, seed 7): all strictly inside
// (0,1); mean 0.5 within 4 sqrt(1/12 / 1e6) = 0.00115; variance 1/12 within
// 4 sqrt((1/80 - 1/144) / 1e6) = 0.000298; 100 equiprobable bins pass a
// chi-square test at significance 0.001 (99 df, critical value 148.2).
TEST(PipelineUnitCubeSampler, UniformsAreInsideTheOpenIntervalAndUniform) {
  const std::size_t trials = 250000, dimensions = 4, count = trials * dimensions;
  const IndependentSampler sampler(7, dimensions);
  std::vector<double> u(count);
  sampler.fill(0, trials, u.data(), trials);
  const double n = static_cast<double>(count);
  double sum = 0.0;
  std::vector<double> bins(100, 0.0);
  bool inside = true;
  for (double v : u) {
    inside = inside && v > 0.0 && v < 1.0;
    sum += v;
    bins[std::min<std::size_t>(99, static_cast<std::size_t>(v * 100.0))] += 1.0;
  }
  EXPECT_TRUE(inside);
  const double mean = sum / n;
  EXPECT_NEAR(mean, 0.5, kStandardErrors * std::sqrt(1.0 / 12.0 / n));
  double squares = 0.0;
  for (double v : u) squares += (v - mean) * (v - mean);
  EXPECT_NEAR(squares / (n - 1.0), 1.0 / 12.0, kStandardErrors * std::sqrt((1.0 / 80.0 - 1.0 / 144.0) / n));
  double chi_square = 0.0;
  const double expected = n / 100.0;
  for (double observed : bins) chi_square += (observed - expected) * (observed - expected) / expected;
  EXPECT_LT(chi_square, boost::math::quantile(boost::math::chi_squared(99.0), 0.999));
}

// Seeds 1 and 2 (and 0 and 1): no equal value among 10000 x 8 pairs (a shared
// value is a 2^-53 event per pair), and uncorrelated (|r| < 4 / sqrt(80000) = 0.0141).
TEST(PipelineUnitCubeSampler, DifferentSeedsGiveDifferentStreams) {
  const std::size_t trials = 10000, dimensions = 8;
  for (const auto& [seed_a, seed_b] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{{1, 2}, {0, 1}, {20100706, 20100707}}) {
    const IndependentSampler a(seed_a, dimensions), b(seed_b, dimensions);
    std::vector<double> ua(trials * dimensions), ub(trials * dimensions);
    a.fill(0, trials, ua.data(), trials);
    b.fill(0, trials, ub.data(), trials);
    std::size_t equal = 0;
    for (std::size_t i = 0; i < ua.size(); ++i) equal += ua[i] == ub[i];
    EXPECT_EQ(equal, 0u) << "seeds " << seed_a << " and " << seed_b;
    EXPECT_LT(std::abs(pearson(ua, ub)), independence_tolerance(ua.size())) << "seeds " << seed_a << " and " << seed_b;
  }
}

// N = 250000 trials, 8 dimensions (two Philox groups), seed 11. Lag-1
// correlation over consecutive trials of each dimension, and correlation
// between dimensions within a group (d, d+1) and across groups (3 and 4, 0 and
// 4, 0 and 7): all |r| < 4 / sqrt(250000) = 0.008.
TEST(PipelineUnitCubeSampler, NoCorrelationAcrossTrialsOrDimensions) {
  const std::size_t trials = 250000, dimensions = 8;
  const IndependentSampler sampler(11, dimensions);
  std::vector<double> u(trials * dimensions);
  sampler.fill(0, trials, u.data(), trials);
  const auto column = [&](std::size_t d) { return std::span<const double>(u.data() + d * trials, trials); };
  for (std::size_t d = 0; d < dimensions; ++d) {
    const auto x = column(d);
    EXPECT_LT(std::abs(pearson(x.first(trials - 1), x.subspan(1))), independence_tolerance(trials - 1)) << "lag 1, dimension " << d;
  }
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t d = 0; d + 1 < dimensions; ++d) pairs.emplace_back(d, d + 1);
  pairs.emplace_back(0, 4);
  pairs.emplace_back(0, 7);
  pairs.emplace_back(1, 5);
  for (const auto& [d1, d2] : pairs) {
    EXPECT_LT(std::abs(pearson(column(d1), column(d2))), independence_tolerance(trials)) << "dimensions " << d1 << ", " << d2;
  }
}

}  // namespace
