// Statistical and exact tests of the marginal distributions.
//
// Every random test uses a fixed seed, so it is deterministic: it either
// passes for good or fails for good. The tolerances are set so that a correct
// implementation passes with overwhelming probability over seeds (5 standard
// errors, chi-square at significance 0.001 with Bonferroni correction), while
// a wrong quantile, CDF or moment formula moves the statistic far beyond them
// (ChiSquareAndMomentChecksHavePower shows the margin on a 0.05 sd shift).

#include "mcrisk/model/distribution.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ios>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_01.hpp>

#include "../../engine/src/model/exponential.h"

namespace {

using mcrisk::model::Distribution;
using mcrisk::model::DistributionError;
using mcrisk::model::DistributionFamily;
using mcrisk::model::standard_normal_cdf;
using mcrisk::model::standard_normal_quantile;

constexpr std::size_t kSampleSize = 200000;
constexpr int kEquiprobableBins = 50;
constexpr double kFamilywiseSignificance = 0.001;
constexpr double kStandardErrors = 5.0;

// n uniforms in (0,1) from mt19937(seed) through uniform_01<double>.
// uniform_01 on a 32-bit engine returns k / 2^32 with k in [0, 2^32-1], which
// can be exactly 0; adding 2^-33 gives the cell midpoint (k + 0.5) / 2^32,
// exactly representable, strictly inside (0,1).
std::vector<double> uniforms(std::uint32_t seed, std::size_t n) {
  boost::random::mt19937 engine(seed);
  boost::random::uniform_01<double> unit;
  std::vector<double> u(n);
  for (double& value : u) value = unit(engine) + 0x1p-33;
  return u;
}

std::vector<double> sample(const Distribution& distribution, std::uint32_t seed, std::size_t n) {
  const std::vector<double> u = uniforms(seed, n);
  std::vector<double> x(n);
  distribution.quantile_block(u.data(), x.data(), n);
  return x;
}

struct Case {
  std::string name;
  Distribution distribution;
};

// At least one case per family with a continuous law, several where the
// shape changes character (skew, mode on a bound, U-shaped beta).
std::vector<Case> continuous_cases() {
  return {
      {"normal", Distribution::normal(0.02, 0.03)},
      {"normal_from_percentiles", Distribution::normal_from_percentiles(0.1, 80.0, 0.9, 130.0)},
      {"lognormal_median", Distribution::lognormal_median(41300.0, 0.2)},
      {"lognormal_mean_sd_skewed", Distribution::lognormal_mean_sd(100.0, 80.0)},
      {"uniform", Distribution::uniform(-2.0, 5.0)},
      {"triangular", Distribution::triangular(0.8, 1.0, 1.5)},
      {"triangular_mode_at_min", Distribution::triangular(0.0, 0.0, 2.0)},
      {"pert", Distribution::pert(0.7, 0.95, 1.05)},
      {"pert_lambda_2", Distribution::pert(0.0, 0.1, 0.35, 2.0)},
      {"beta", Distribution::beta(2.0, 5.0)},
      {"beta_u_shaped_scaled", Distribution::beta(0.5, 0.5, 10.0, 20.0)},
  };
}

struct DiscreteCase {
  std::string name;
  Distribution distribution;
  std::vector<double> values;         // support, ascending
  std::vector<double> probabilities;  // matching values
};

std::vector<DiscreteCase> discrete_cases() {
  return {
      {"bernoulli", Distribution::bernoulli(0.05), {0.0, 1.0}, {0.95, 0.05}},
      {"bernoulli_half", Distribution::bernoulli(0.5), {0.0, 1.0}, {0.5, 0.5}},
      // Given out of order: the constructor must sort by value and keep each
      // value's probability.
      {"discrete",
       Distribution::discrete({3.0, -1.0, 10.0, 2.5}, {0.3, 0.1, 0.15, 0.45}),
       {-1.0, 2.5, 3.0, 10.0},
       {0.1, 0.45, 0.3, 0.15}},
  };
}

std::vector<Case> all_cases() {
  std::vector<Case> cases = continuous_cases();
  for (const auto& c : discrete_cases()) cases.push_back({c.name, c.distribution});
  cases.push_back({"constant", Distribution::constant(2.5)});
  return cases;
}

// Number of chi-square tests run below, for the Bonferroni correction.
std::size_t chi_square_test_count() { return continuous_cases().size() + discrete_cases().size(); }

double chi_square_critical_value(double degrees_of_freedom) {
  const double per_test = kFamilywiseSignificance / static_cast<double>(chi_square_test_count());
  return boost::math::quantile(boost::math::chi_squared(degrees_of_freedom), 1.0 - per_test);
}

// Pearson statistic of a sample binned by its own CDF values: under the null
// F(X) is uniform, so the 50 bins [k/50, (k+1)/50) are equiprobable. This
// checks quantile() against cdf(), not only against itself.
double equiprobable_chi_square(const Distribution& distribution, const std::vector<double>& x) {
  std::vector<double> counts(kEquiprobableBins, 0.0);
  for (double value : x) {
    const double p = distribution.cdf(value);
    int bin = static_cast<int>(p * kEquiprobableBins);
    bin = std::clamp(bin, 0, kEquiprobableBins - 1);
    counts[static_cast<std::size_t>(bin)] += 1.0;
  }
  const double expected = static_cast<double>(x.size()) / kEquiprobableBins;
  double statistic = 0.0;
  for (double observed : counts) statistic += (observed - expected) * (observed - expected) / expected;
  return statistic;
}

struct Moments {
  double mean = 0.0;
  double variance = 0.0;  // unbiased
  double fourth_central = 0.0;
};

Moments sample_moments(const std::vector<double>& x) {
  const double n = static_cast<double>(x.size());
  Moments m;
  for (double v : x) m.mean += v;
  m.mean /= n;
  double second = 0.0, fourth = 0.0;
  for (double v : x) {
    const double d2 = (v - m.mean) * (v - m.mean);
    second += d2;
    fourth += d2 * d2;
  }
  m.variance = second / (n - 1.0);
  m.fourth_central = fourth / n;
  return m;
}

// ---------------------------------------------------------------------------
// (a) Sample moments against the closed forms.
// Seed 1001 + case index, N = 200000, tolerance 5 standard errors:
//   SE(mean) = sqrt(Var X / N),
//   SE(sample variance) = sqrt((mu_4 - s^4) / N) with mu_4 the sample fourth
//   central moment (large-sample variance of s^2), plus a 1e-12 relative floor
//   for rounding (it only matters for the constant, whose SE is 0).
// ---------------------------------------------------------------------------
TEST(DistributionMoments, SampleMeanAndVarianceMatchClosedForm) {
  const auto cases = all_cases();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name + " " + cases[i].distribution.describe());
    const Distribution& d = cases[i].distribution;
    const auto x = sample(d, static_cast<std::uint32_t>(1001 + i), kSampleSize);
    const Moments m = sample_moments(x);
    const double n = static_cast<double>(kSampleSize);
    const double floor_mean = 1e-12 * std::max(1.0, std::fabs(d.mean()));
    const double floor_variance = 1e-12 * std::max(1.0, d.variance());

    const double se_mean = std::sqrt(d.variance() / n);
    EXPECT_NEAR(m.mean, d.mean(), kStandardErrors * se_mean + floor_mean);

    const double se_variance = std::sqrt(std::max(0.0, m.fourth_central - m.variance * m.variance) / n);
    EXPECT_NEAR(m.variance, d.variance(), kStandardErrors * se_variance + floor_variance);
  }
}

// ---------------------------------------------------------------------------
// (b) Chi-square goodness of fit.
// Continuous: seed 2001 + case index, N = 200000, 50 bins equiprobable under
// cdf(), 49 degrees of freedom. Discrete: seed 3001 + case index, N = 200000,
// one bin per support value, k-1 degrees of freedom. Family-wise significance
// 0.001, Bonferroni over all chi-square tests (0.001 / 14 each); critical
// values from boost::math::chi_squared.
// ---------------------------------------------------------------------------
TEST(DistributionGoodnessOfFit, ContinuousChiSquareWithCdfBins) {
  const auto cases = continuous_cases();
  const double critical = chi_square_critical_value(kEquiprobableBins - 1);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name + " " + cases[i].distribution.describe());
    const auto x = sample(cases[i].distribution, static_cast<std::uint32_t>(2001 + i), kSampleSize);
    EXPECT_LT(equiprobable_chi_square(cases[i].distribution, x), critical);
  }
}

TEST(DistributionGoodnessOfFit, DiscreteChiSquareOnFrequencies) {
  const auto cases = discrete_cases();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const DiscreteCase& c = cases[i];
    SCOPED_TRACE(c.name + " " + c.distribution.describe());
    const auto x = sample(c.distribution, static_cast<std::uint32_t>(3001 + i), kSampleSize);
    std::map<double, double> counts;
    for (double value : x) counts[value] += 1.0;
    // Every sampled value is in the support.
    for (const auto& [value, count] : counts) {
      EXPECT_TRUE(std::find(c.values.begin(), c.values.end(), value) != c.values.end()) << value;
    }
    double statistic = 0.0;
    const double n = static_cast<double>(kSampleSize);
    for (std::size_t k = 0; k < c.values.size(); ++k) {
      const double expected = n * c.probabilities[k];
      const double observed = counts.count(c.values[k]) ? counts[c.values[k]] : 0.0;
      statistic += (observed - expected) * (observed - expected) / expected;
    }
    EXPECT_LT(statistic, chi_square_critical_value(static_cast<double>(c.values.size() - 1)));
  }
}

// A constant has one atom: no chi-square to compute; every draw must be it.
TEST(DistributionGoodnessOfFit, ConstantAlwaysReturnsItsValue) {
  const Distribution d = Distribution::constant(2.5);
  for (double u : uniforms(4001, 1000)) ASSERT_EQ(d.quantile(u), 2.5);
  EXPECT_EQ(d.from_normal_score(-40.0), 2.5);
  EXPECT_EQ(d.from_normal_score(40.0), 2.5);
}

// The checks above must be able to fail: sample Normal(0.05, 1) but test it as
// Normal(0, 1). Seed 5001, N = 200000; expected chi-square about
// 49 + N * 0.05^2 = 549 (location Fisher information 1), far above the
// Bonferroni critical value (~95), and the mean is off by 0.05 / (1/sqrt(N))
// = 22 standard errors.
TEST(DistributionGoodnessOfFit, ChiSquareAndMomentChecksHavePower) {
  const Distribution truth = Distribution::normal(0.05, 1.0);
  const Distribution claimed = Distribution::normal(0.0, 1.0);
  const auto x = sample(truth, 5001, kSampleSize);
  EXPECT_GT(equiprobable_chi_square(claimed, x), chi_square_critical_value(kEquiprobableBins - 1));
  const Moments m = sample_moments(x);
  EXPECT_GT(std::fabs(m.mean - claimed.mean()),
            kStandardErrors * std::sqrt(claimed.variance() / static_cast<double>(kSampleSize)));
}

// ---------------------------------------------------------------------------
// (c) Known values (no randomness).
// ---------------------------------------------------------------------------
TEST(DistributionKnownValues, NormalQuantile975) {
  // Phi^-1(0.975) to 16 digits (tolerance 1e-12).
  EXPECT_NEAR(Distribution::normal(0.0, 1.0).quantile(0.975), 1.959963984540054, 1e-12);
}

TEST(DistributionKnownValues, LogNormalMedianIsTheMedian) {
  const Distribution d = Distribution::lognormal_median(41300.0, 0.2);
  EXPECT_DOUBLE_EQ(d.quantile(0.5), 41300.0);
  EXPECT_DOUBLE_EQ(d.from_normal_score(0.0), 41300.0);
  EXPECT_NEAR(d.cdf(41300.0), 0.5, 1e-15);
}

TEST(DistributionKnownValues, PertMeanIsClassicFormula) {
  // Classic PERT mean (min + 4 mode + max) / 6, tolerance 1e-12.
  EXPECT_NEAR(Distribution::pert(0.0, 0.1, 0.35).mean(), (0.0 + 4.0 * 0.1 + 0.35) / 6.0, 1e-12);
  // General lambda: (min + lambda mode + max) / (lambda + 2).
  EXPECT_NEAR(Distribution::pert(0.0, 0.1, 0.35, 2.0).mean(), (0.0 + 2.0 * 0.1 + 0.35) / 4.0, 1e-12);
}

TEST(DistributionKnownValues, TriangularQuantileInvertsCdf) {
  // quantile(cdf(x)) = x on a grid inside (min, max), tolerance 1e-12.
  const Distribution d = Distribution::triangular(0.8, 1.0, 1.5);
  for (int k = 1; k < 70; ++k) {
    const double x = 0.8 + 0.01 * k;
    EXPECT_NEAR(d.quantile(d.cdf(x)), x, 1e-12) << "x " << x;
  }
  // Closed-form CDF at the mode: (mode-min)/(max-min).
  EXPECT_NEAR(d.cdf(1.0), 0.2 / 0.7, 1e-15);
  EXPECT_NEAR(d.quantile(0.2 / 0.7), 1.0, 1e-12);
}

// Every draw lies in [min, max]: with the mode at one end, the far end's value could round past
// the other end (Triangular(-7.475, 12, 12) at u = 1 - 2^-53 gave 12.000000000000002). Plans fold
// on max() (EvaluationPlan's availability), so a draw past it would be a wrong result. The
// extreme uniforms of the MC stream (2^-53, 1 - 2^-53), scalar and block forms alike.
TEST(DistributionKnownValues, EveryFamilysDrawsStayInTheSupportAtTheExtremeUniforms) {
  const std::vector<Distribution> distributions = {
      Distribution::triangular(-7.475, 12, 12), Distribution::triangular(-7.475, -7.475, 12), Distribution::triangular(0.1, 0.1, 0.3),
      Distribution::triangular(0.1, 0.3, 0.3),  Distribution::triangular(0, 4, 15),           Distribution::uniform(-3.3, 1e6),
      Distribution::pert(0.2, 0.65, 1.0),       Distribution::pert(-7.475, 12, 12),           Distribution::beta(0.5, 0.5, -1, 3),
  };
  std::vector<double> u = {0x1p-53, 1e-300, 1e-12, 0.5, 1.0 - 1e-12, 1.0 - 0x1p-53};
  for (int k = 1; k < 2000; ++k) u.push_back(1.0 - k * 0x1p-53);  // the top of the MC stream's grid
  std::vector<double> block(u.size());
  for (const Distribution& d : distributions) {
    d.quantile_block(u.data(), block.data(), u.size());
    for (std::size_t i = 0; i < u.size(); ++i) {
      const double x = d.quantile(u[i]);
      EXPECT_GE(x, d.min()) << d.describe() << " u " << std::hexfloat << u[i];
      EXPECT_LE(x, d.max()) << d.describe() << " u " << std::hexfloat << u[i];
      EXPECT_EQ(block[i], x) << d.describe() << " block form at u " << std::hexfloat << u[i];
    }
  }
}

TEST(DistributionKnownValues, NormalFromPercentiles) {
  // P10 = -1, P90 = 1 gives mean 0 and sd 1 / Phi^-1(0.9), tolerance 1e-12.
  const Distribution d = Distribution::normal_from_percentiles(0.1, -1.0, 0.9, 1.0);
  EXPECT_EQ(d.family(), DistributionFamily::Normal);
  EXPECT_NEAR(d.mean(), 0.0, 1e-12);
  EXPECT_NEAR(std::sqrt(d.variance()), 1.0 / 1.2815515655446004, 1e-12);
}

TEST(DistributionKnownValues, LogNormalMeanSdReproducesMoments) {
  // Mean 100 and variance 900, relative tolerance 1e-9.
  const Distribution d = Distribution::lognormal_mean_sd(100.0, 30.0);
  EXPECT_EQ(d.family(), DistributionFamily::LogNormal);
  EXPECT_NEAR(d.mean(), 100.0, 1e-9 * 100.0);
  EXPECT_NEAR(d.variance(), 900.0, 1e-9 * 900.0);
}

TEST(DistributionKnownValues, LogNormalFromPercentilesRoundTrip) {
  // quantile(p) returns the given percentiles, relative tolerance 1e-12.
  const Distribution d = Distribution::lognormal_from_percentiles(0.1, 50.0, 0.9, 200.0);
  EXPECT_EQ(d.family(), DistributionFamily::LogNormal);
  EXPECT_NEAR(d.quantile(0.1), 50.0, 1e-12 * 50.0);
  EXPECT_NEAR(d.quantile(0.9), 200.0, 1e-12 * 200.0);
  // Symmetric percentiles: the median is their geometric mean.
  EXPECT_NEAR(d.quantile(0.5), 100.0, 1e-12 * 100.0);
}

TEST(DistributionKnownValues, BernoulliThreshold) {
  // 1 exactly when u > 1 - p.
  const Distribution d = Distribution::bernoulli(0.25);
  EXPECT_EQ(d.quantile(0.75), 0.0);
  EXPECT_EQ(d.quantile(std::nextafter(0.75, 1.0)), 1.0);
  EXPECT_EQ(d.quantile(1e-12), 0.0);
  EXPECT_EQ(d.cdf(0.0), 0.75);
  EXPECT_EQ(d.cdf(-0.5), 0.0);
  EXPECT_EQ(d.cdf(1.0), 1.0);
  EXPECT_EQ(Distribution::bernoulli(0.0).quantile(1.0 - 1e-16), 0.0);
  EXPECT_EQ(Distribution::bernoulli(1.0).quantile(1e-300), 1.0);
}

TEST(DistributionKnownValues, DiscreteSortsAndStepsAtCumulativeProbabilities) {
  // Values given unsorted; a zero-probability value is never returned.
  const Distribution d = Distribution::discrete({2.0, 1.0, 5.0, 0.0}, {0.8, 0.2, 0.0, 0.0});
  EXPECT_EQ(d.describe(), "Discrete(0: 0, 1: 0.2, 2: 0.8, 5: 0)");
  EXPECT_EQ(d.quantile(1e-12), 1.0);
  EXPECT_EQ(d.quantile(0.2), 1.0);  // F(1) = 0.2 >= 0.2
  EXPECT_EQ(d.quantile(std::nextafter(0.2, 1.0)), 2.0);
  EXPECT_EQ(d.quantile(1.0 - 1e-16), 2.0);
  EXPECT_EQ(d.min(), 1.0);
  EXPECT_EQ(d.max(), 2.0);
  EXPECT_EQ(d.cdf(0.5), 0.0);
  EXPECT_EQ(d.cdf(1.0), 0.2);
  EXPECT_EQ(d.cdf(1.5), 0.2);
  EXPECT_EQ(d.cdf(2.0), 1.0);
  EXPECT_NEAR(d.mean(), 1.8, 1e-15);
  EXPECT_NEAR(d.variance(), 0.2 * 0.8 * 0.8 + 0.8 * 0.2 * 0.2, 1e-15);
}

TEST(DistributionKnownValues, ClosedFormCdfAndSupport) {
  const Distribution uniform = Distribution::uniform(-2.0, 5.0);
  EXPECT_EQ(uniform.cdf(1.5), 0.5);
  EXPECT_EQ(uniform.quantile(0.5), 1.5);
  EXPECT_EQ(uniform.min(), -2.0);
  EXPECT_EQ(uniform.max(), 5.0);
  EXPECT_NEAR(uniform.variance(), 49.0 / 12.0, 1e-14);

  const Distribution normal = Distribution::normal(0.02, 0.03);
  EXPECT_EQ(normal.min(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(normal.max(), std::numeric_limits<double>::infinity());
  EXPECT_NEAR(normal.cdf(0.02 + 0.03 * 1.959963984540054), 0.975, 1e-14);

  const Distribution lognormal = Distribution::lognormal_median(41300.0, 0.2);
  EXPECT_EQ(lognormal.min(), 0.0);
  EXPECT_EQ(lognormal.cdf(-1.0), 0.0);
  EXPECT_NEAR(lognormal.mean(), 41300.0 * std::exp(0.02), 1e-9);

  // Beta(2, 5) with integer shapes: F(x) = P(Binomial(6, x) >= 2)
  // = 1 - (1-x)^6 - 6x(1-x)^5.
  const Distribution beta = Distribution::beta(2.0, 5.0);
  const double x = 0.3;
  const double expected = 1.0 - std::pow(1.0 - x, 6.0) - 6.0 * x * std::pow(1.0 - x, 5.0);
  EXPECT_NEAR(beta.cdf(x), expected, 1e-14);
  EXPECT_NEAR(beta.quantile(expected), x, 1e-12);
  EXPECT_NEAR(beta.mean(), 2.0 / 7.0, 1e-15);
  EXPECT_NEAR(beta.variance(), 10.0 / (49.0 * 8.0), 1e-15);

  const Distribution pert = Distribution::pert(0.7, 0.95, 1.05);
  EXPECT_EQ(pert.min(), 0.7);
  EXPECT_EQ(pert.max(), 1.05);
  EXPECT_EQ(pert.cdf(0.7), 0.0);
  EXPECT_EQ(pert.cdf(1.05), 1.0);
}

TEST(DistributionKnownValues, QuantileOutsideOpenIntervalGivesSupportBounds) {
  const Distribution triangular = Distribution::triangular(0.8, 1.0, 1.5);
  EXPECT_EQ(triangular.quantile(0.0), 0.8);
  EXPECT_EQ(triangular.quantile(1.0), 1.5);
  EXPECT_EQ(Distribution::normal(0.0, 1.0).quantile(0.0), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(triangular.quantile(std::numeric_limits<double>::quiet_NaN())));
}

TEST(DistributionKnownValues, Describe) {
  EXPECT_EQ(Distribution::pert(0.7, 0.95, 1.05).describe(), "PERT(min 0.7, mode 0.95, max 1.05)");
  EXPECT_EQ(Distribution::pert(0.0, 0.1, 0.35, 2.0).describe(), "PERT(min 0, mode 0.1, max 0.35, lambda 2)");
  EXPECT_EQ(Distribution::lognormal_median(41300.0, 0.2).describe(), "LogNormal(median 41300, sigma 0.2)");
  EXPECT_EQ(Distribution::normal(0.02, 0.03).describe(), "Normal(mean 0.02, sd 0.03)");
  EXPECT_EQ(Distribution::bernoulli(0.05).describe(), "Bernoulli(p 0.05)");
  EXPECT_EQ(Distribution::discrete({2.0, 1.0}, {0.8, 0.2}).describe(), "Discrete(1: 0.2, 2: 0.8)");
  EXPECT_EQ(Distribution::uniform(0.5, 1.25).describe(), "Uniform(min 0.5, max 1.25)");
  EXPECT_EQ(Distribution::triangular(0.8, 1.0, 1.5).describe(), "Triangular(min 0.8, mode 1, max 1.5)");
  EXPECT_EQ(Distribution::beta(2.0, 5.0).describe(), "Beta(alpha 2, beta 5)");
  EXPECT_EQ(Distribution::beta(2.0, 5.0, 1.0, 3.0).describe(), "Beta(alpha 2, beta 5, min 1, max 3)");
  EXPECT_EQ(Distribution::constant(2.5).describe(), "Constant(2.5)");
  // 6 significant digits, no trailing zeros.
  EXPECT_EQ(Distribution::normal(1.0 / 3.0, 1234567.0).describe(), "Normal(mean 0.333333, sd 1.23457e+06)");
}

TEST(DistributionKnownValues, PrefersNormalScoreOnlyForNormalAndLogNormal) {
  for (const auto& c : all_cases()) {
    const DistributionFamily f = c.distribution.family();
    EXPECT_EQ(c.distribution.prefers_normal_score(),
              f == DistributionFamily::Normal || f == DistributionFamily::LogNormal)
        << c.name;
  }
}

// ---------------------------------------------------------------------------
// (d) from_normal_score(z) = quantile(Phi(z)), z from -5 to 5 in steps of
// 1/8, relative tolerance 1e-9 (relative to max(|x|, sd) so that values near 0
// are judged on the distribution's scale). Above z = 5 the round trip through
// Phi loses accuracy (1 - Phi(z) is below 3e-7, so its rounding error in
// double exceeds 1e-9 relative); that loss is why normal and lognormal skip it.
// The block forms must be bit-identical to the scalar ones.
// ---------------------------------------------------------------------------
TEST(DistributionNormalScore, MatchesQuantileOfPhiForEveryFamily) {
  std::vector<double> z;
  for (int k = -40; k <= 40; ++k) z.push_back(k / 8.0);
  for (const auto& c : all_cases()) {
    SCOPED_TRACE(c.name + " " + c.distribution.describe());
    const double scale = std::sqrt(c.distribution.variance());
    for (double score : z) {
      const double expected = c.distribution.quantile(standard_normal_cdf(score));
      const double tolerance = 1e-9 * std::max(std::fabs(expected), scale);
      EXPECT_NEAR(c.distribution.from_normal_score(score), expected, tolerance) << "z " << score;
    }
  }
}

// The model spec defines LogNormal(median M, sigma) as M exp(sigma Z) and
// Normal(mean, sd) as mean + sd Z; the engine must evaluate exactly those
// expressions (bitwise), including far in the tails where Phi(z) rounds to 1.
// exp is the engine's (detail::exponential): std::exp's bits where glibc's exp is its FMA
// variant (checked here too), and the same bits on any other machine (tests/unit/exponential_test.cpp).
TEST(DistributionNormalScore, NormalAndLogNormalUseTheModelExpressionExactly) {
  const Distribution lognormal = Distribution::lognormal_median(41300.0, 0.2);
  const Distribution normal = Distribution::normal(0.02, 0.03);
  for (int k = -80; k <= 80; ++k) {
    const double z = k / 8.0;
    EXPECT_EQ(lognormal.from_normal_score(z), 41300.0 * mcrisk::model::detail::exponential(0.2 * z)) << "z " << z;
    if (mcrisk::model::detail::std_exp_is_glibc_fma_variant()) {
      EXPECT_EQ(lognormal.from_normal_score(z), 41300.0 * std::exp(0.2 * z)) << "z " << z;
    }
    EXPECT_EQ(normal.from_normal_score(z), 0.02 + 0.03 * z) << "z " << z;
  }
}

TEST(DistributionNormalScore, BlockFormsAreBitIdenticalToScalar) {
  const std::vector<double> u = uniforms(6001, 1000);
  std::vector<double> z(u.size());
  for (std::size_t i = 0; i < u.size(); ++i) z[i] = standard_normal_quantile(u[i]);
  for (const auto& c : all_cases()) {
    SCOPED_TRACE(c.name);
    std::vector<double> from_u(u.size()), from_z(z.size());
    c.distribution.quantile_block(u.data(), from_u.data(), u.size());
    c.distribution.from_normal_score_block(z.data(), from_z.data(), z.size());
    for (std::size_t i = 0; i < u.size(); ++i) {
      ASSERT_EQ(from_u[i], c.distribution.quantile(u[i]));
      ASSERT_EQ(from_z[i], c.distribution.from_normal_score(z[i]));
    }
  }
}

// The same value as the scalar form: the same bits, or both NaN (NaN payloads may differ).
void expect_same_value(double block, double scalar, const char* input_name, double input) {
  if (std::isnan(scalar)) {
    EXPECT_TRUE(std::isnan(block)) << input_name << " " << input;
  } else {
    EXPECT_EQ(block, scalar) << input_name << " " << input;
  }
}

// The tabulated PERT and beta read their table for every lane as vectors, with
// the score moved into the table, and redo the lanes outside it one by one: the
// table's ends (+-8.5 and their neighbours), scores beyond them, infinities,
// NaN and -0, and u of 0, 1, NaN and below Phi(-8.5), at several positions in a
// block, must give the scalar functions' bits.
TEST(DistributionNormalScore, BlockFormsMatchScalarAtTheTableEdges) {
  const double kNaN = std::numeric_limits<double>::quiet_NaN(), kInf = std::numeric_limits<double>::infinity();
  const std::vector<double> scores = {8.5, -8.5, std::nextafter(8.5, 0.0), std::nextafter(8.5, 9.0), std::nextafter(-8.5, 0.0),
                                      std::nextafter(-8.5, -9.0), 9.0, -9.0, 40.0, -40.0, kInf, -kInf, kNaN, -0.0, 0.0,
                                      8.5 - 1.0 / 32.0, -8.5 + 1.0 / 32.0, 1.0 / 64.0};
  const std::vector<double> uniforms_at_edges = {0.0, 1.0, kNaN, 1e-300, 1e-18, 9.5e-18, 1e-17, std::nextafter(1.0, 0.0), 5e-324, 0.5};
  for (std::size_t offset : {0u, 3u, 7u, 200u}) {
    std::vector<double> z(offset, 0.25), u(offset, 0.4);
    z.insert(z.end(), scores.begin(), scores.end());
    u.insert(u.end(), uniforms_at_edges.begin(), uniforms_at_edges.end());
    for (const auto& c : all_cases()) {
      SCOPED_TRACE(c.name + " at offset " + std::to_string(offset));
      std::vector<double> from_z(z.size()), from_u(u.size());
      c.distribution.from_normal_score_block(z.data(), from_z.data(), z.size());
      c.distribution.quantile_block(u.data(), from_u.data(), u.size());
      for (std::size_t i = 0; i < z.size(); ++i) expect_same_value(from_z[i], c.distribution.from_normal_score(z[i]), "z", z[i]);
      for (std::size_t i = 0; i < u.size(); ++i) expect_same_value(from_u[i], c.distribution.quantile(u[i]), "u", u[i]);
    }
  }
}

// from_normal_score_block may run in place (z == x): the tabulated families read
// the scores again after writing, so they must work from a copy.
TEST(DistributionNormalScore, BlockFormFromNormalScoreRunsInPlace) {
  const double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> scores = {kNaN, -9.0, -8.5, -1.0, 0.0, 0.3, 2.0, 8.5, 12.0};
  for (std::size_t k = 0; k < 300; ++k) scores.push_back(-3.0 + 0.02 * double(k));  // across a chunk boundary
  for (const auto& c : all_cases()) {
    SCOPED_TRACE(c.name);
    std::vector<double> in_place = scores;
    c.distribution.from_normal_score_block(in_place.data(), in_place.data(), in_place.size());
    for (std::size_t i = 0; i < scores.size(); ++i) {
      expect_same_value(in_place[i], c.distribution.from_normal_score(scores[i]), "z", scores[i]);
    }
  }
}

// Phi^-1's block form lists the lanes outside AS 241's central region and runs
// their tail form as vectors (the logarithm, both tail polynomials and a
// select): every region and boundary, the far tail (r > 5: u < 1.4e-11), 0, 1,
// NaN and subnormals, at every position of a chunk of 256 and across chunks,
// must give the scalar function's bits.
TEST(StandardNormalQuantile, BlockFormIsBitIdenticalToScalarInEveryRegion) {
  const double kNaN = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> special = {0.0, 1.0, kNaN, 5e-324, 1e-300, 1e-100, 1e-20, 1e-12, 1.39e-11, 1.4e-11, 1.5e-11,
                                       1e-6, 0.075, std::nextafter(0.075, 0.0), std::nextafter(0.075, 1.0), 0.5, 0.925,
                                       std::nextafter(0.925, 0.0), std::nextafter(0.925, 1.0), 1.0 - 1e-11, 1.0 - 1e-16,
                                       std::nextafter(1.0, 0.0), 0.3, 0.01, 0.99};
  const std::vector<double> background = uniforms(77, 700);
  for (std::size_t offset : {0u, 1u, 100u, 250u, 255u, 256u, 300u, 511u, 600u}) {
    std::vector<double> u = background;
    for (std::size_t k = 0; k < special.size(); ++k) u[(offset + 7 * k) % u.size()] = special[k];
    std::vector<double> z(u.size());
    mcrisk::model::standard_normal_quantile_block(u.data(), z.data(), u.size());
    for (std::size_t i = 0; i < u.size(); ++i) {
      const double expected = standard_normal_quantile(u[i]);
      if (std::isnan(expected)) {
        EXPECT_TRUE(std::isnan(z[i])) << "u " << u[i];
      } else {
        EXPECT_EQ(z[i], expected) << "u " << u[i] << " at " << i;
      }
    }
  }
}

// The tails' logarithm runs as vectors (detail::log_of_normal in the block
// function's AVX2 or AVX-512 clone, scalar in the scalar function): tail
// uniforms only, log-spaced down to 1e-300, with mantissas near powers of two
// (fdlibm's short series) and their mirror images 1 - u, must give the same bits.
TEST(StandardNormalQuantile, BlockFormIsBitIdenticalToScalarAcrossTheTails) {
  std::vector<double> u;
  for (int k = 0; k < 6000; ++k) u.push_back(0.075 * std::pow(10.0, -298.0 * k / 6000.0));
  for (int e = 5; e < 1000; e += 7) {  // 2^-5 m < 0.075: all in the tail
    for (double m : {1.0, 1.0 + 0x1p-52, 1.0 + 0x1p-25, 1.0 + 0x1p-21, 1.0 + 0x1p-19, 2.0 - 0x1p-52, 2.0 - 0x1p-22})
      u.push_back(std::ldexp(m, -e));
  }
  // The vector loop's lower edge: the smallest normal u, and subnormals (redone by the scalar function).
  for (double edge : {0x1p-1022, std::nextafter(0x1p-1022, 1.0), std::nextafter(0x1p-1022, 0.0), 1e-310, 5e-324}) u.push_back(edge);
  const std::size_t lower = u.size();
  for (std::size_t i = 0; i < lower; ++i)
    if (u[i] > 1e-16) u.push_back(1.0 - u[i]);
  std::vector<double> z(u.size());
  mcrisk::model::standard_normal_quantile_block(u.data(), z.data(), u.size());
  for (std::size_t i = 0; i < u.size(); ++i) ASSERT_EQ(z[i], standard_normal_quantile(u[i])) << std::hexfloat << "u " << u[i] << " at " << i;
}

// ---------------------------------------------------------------------------
// (e) Validation: each bad parameter set throws DistributionError whose
// message names the parameters and shows the values given.
// ---------------------------------------------------------------------------
void expect_rejected(const std::function<Distribution()>& build, const std::vector<std::string>& mentions,
                     const std::string& label) {
  SCOPED_TRACE(label);
  try {
    (void)build();
    ADD_FAILURE() << "expected DistributionError";
  } catch (const DistributionError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("; got "), std::string::npos) << message;
    for (const auto& word : mentions) EXPECT_NE(message.find(word), std::string::npos) << message << " / " << word;
  }
}

TEST(DistributionValidation, EveryConstructorRejectsBadParameters) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  constexpr double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::string> normal_words{"mean", "sd"};
  const std::vector<std::string> lognormal_words{"median", "sigma"};
  const std::vector<std::string> percentile_words{"p_lo", "x_lo", "p_hi", "x_hi"};
  const std::vector<std::string> range_words{"min", "max"};
  const std::vector<std::string> triangle_words{"min", "mode", "max"};
  const std::vector<std::string> beta_words{"alpha", "beta", "min", "max"};

  expect_rejected([] { return Distribution::constant(nan); }, {"value"}, "constant nan");
  expect_rejected([] { return Distribution::constant(inf); }, {"value", "inf"}, "constant inf");

  expect_rejected([] { return Distribution::normal(0.0, 0.0); }, normal_words, "normal sd 0");
  expect_rejected([] { return Distribution::normal(0.0, -1.0); }, {"sd > 0", "sd -1"}, "normal sd < 0");
  expect_rejected([&] { return Distribution::normal(nan, 1.0); }, normal_words, "normal mean nan");
  expect_rejected([&] { return Distribution::normal(0.0, inf); }, normal_words, "normal sd inf");

  expect_rejected([] { return Distribution::normal_from_percentiles(0.9, -1.0, 0.1, 1.0); }, percentile_words,
                  "normal p order");
  expect_rejected([] { return Distribution::normal_from_percentiles(0.0, -1.0, 0.9, 1.0); }, percentile_words,
                  "normal p_lo 0");
  expect_rejected([] { return Distribution::normal_from_percentiles(0.1, -1.0, 1.0, 1.0); }, percentile_words,
                  "normal p_hi 1");
  expect_rejected([] { return Distribution::normal_from_percentiles(0.1, 1.0, 0.9, -1.0); }, percentile_words,
                  "normal x order");
  expect_rejected([] { return Distribution::normal_from_percentiles(0.1, 1.0, 0.9, 1.0); }, percentile_words,
                  "normal x equal");
  expect_rejected([&] { return Distribution::normal_from_percentiles(0.1, nan, 0.9, 1.0); }, percentile_words,
                  "normal x nan");

  expect_rejected([] { return Distribution::lognormal_median(0.0, 0.2); }, lognormal_words, "lognormal median 0");
  expect_rejected([] { return Distribution::lognormal_median(-5.0, 0.2); }, {"median > 0", "median -5"},
                  "lognormal median < 0");
  expect_rejected([] { return Distribution::lognormal_median(100.0, 0.0); }, lognormal_words,
                  "lognormal sigma 0");
  expect_rejected([&] { return Distribution::lognormal_median(100.0, inf); }, lognormal_words,
                  "lognormal sigma inf");

  expect_rejected([] { return Distribution::lognormal_mean_sd(0.0, 30.0); }, normal_words, "lognormal mean 0");
  expect_rejected([] { return Distribution::lognormal_mean_sd(-100.0, 30.0); }, normal_words,
                  "lognormal mean < 0");
  expect_rejected([] { return Distribution::lognormal_mean_sd(100.0, 0.0); }, normal_words, "lognormal sd 0");
  expect_rejected([&] { return Distribution::lognormal_mean_sd(nan, 30.0); }, normal_words,
                  "lognormal mean nan");

  expect_rejected([] { return Distribution::lognormal_from_percentiles(0.1, 0.0, 0.9, 200.0); },
                  {"p_lo", "x_lo", "0 < x_lo"}, "lognormal x_lo 0");
  expect_rejected([] { return Distribution::lognormal_from_percentiles(0.1, -50.0, 0.9, 200.0); },
                  percentile_words, "lognormal x_lo < 0");
  expect_rejected([] { return Distribution::lognormal_from_percentiles(0.5, 50.0, 0.5, 200.0); },
                  percentile_words, "lognormal p equal");
  expect_rejected([] { return Distribution::lognormal_from_percentiles(0.1, 200.0, 0.9, 50.0); },
                  percentile_words, "lognormal x order");

  expect_rejected([] { return Distribution::uniform(1.0, 1.0); }, range_words, "uniform equal");
  expect_rejected([] { return Distribution::uniform(2.0, 1.0); }, range_words, "uniform reversed");
  expect_rejected([&] { return Distribution::uniform(-inf, 1.0); }, range_words, "uniform -inf");

  expect_rejected([] { return Distribution::triangular(0.8, 0.7, 1.5); }, triangle_words, "triangular mode < min");
  expect_rejected([] { return Distribution::triangular(0.8, 1.6, 1.5); }, triangle_words, "triangular mode > max");
  expect_rejected([] { return Distribution::triangular(1.0, 1.0, 1.0); }, triangle_words, "triangular degenerate");
  expect_rejected([&] { return Distribution::triangular(0.8, nan, 1.5); }, triangle_words, "triangular nan");

  expect_rejected([] { return Distribution::pert(0.9, 0.8, 1.0); }, {"min 0.9", "mode 0.8", "max 1"},
                  "pert mode < min");
  expect_rejected([] { return Distribution::pert(1.0, 1.0, 1.0); }, triangle_words, "pert degenerate");
  expect_rejected([] { return Distribution::pert(0.0, 0.5, 1.0, 0.0); }, {"lambda"}, "pert lambda 0");
  expect_rejected([] { return Distribution::pert(0.0, 0.5, 1.0, -1.0); }, {"lambda"}, "pert lambda < 0");
  expect_rejected([&] { return Distribution::pert(0.0, 0.5, inf); }, triangle_words, "pert max inf");

  expect_rejected([] { return Distribution::beta(0.0, 1.0); }, beta_words, "beta alpha 0");
  expect_rejected([] { return Distribution::beta(1.0, -2.0); }, beta_words, "beta beta < 0");
  expect_rejected([] { return Distribution::beta(2.0, 2.0, 1.0, 1.0); }, beta_words, "beta min == max");
  expect_rejected([&] { return Distribution::beta(nan, 2.0); }, beta_words, "beta alpha nan");

  expect_rejected([] { return Distribution::bernoulli(-0.1); }, {"p", "0 <= p <= 1"}, "bernoulli < 0");
  expect_rejected([] { return Distribution::bernoulli(1.5); }, {"p 1.5"}, "bernoulli > 1");
  expect_rejected([&] { return Distribution::bernoulli(nan); }, {"p"}, "bernoulli nan");

  expect_rejected([] { return Distribution::discrete({1.0, 2.0}, {1.0}); }, {"values", "probabilities"},
                  "discrete sizes");
  expect_rejected([] { return Distribution::discrete({}, {}); }, {"value"}, "discrete empty");
  expect_rejected([] { return Distribution::discrete({1.0, 2.0}, {1.1, -0.1}); }, {"probabilit", ">= 0"},
                  "discrete negative");
  expect_rejected([] { return Distribution::discrete({1.0, 2.0}, {0.5, 0.4}); }, {"probabilities", "summing to 1"},
                  "discrete sum");
  expect_rejected([] { return Distribution::discrete({1.0, 2.0, 1.0}, {0.2, 0.3, 0.5}); }, {"distinct values"},
                  "discrete duplicate");
  expect_rejected([&] { return Distribution::discrete({1.0, nan}, {0.5, 0.5}); }, {"finite values"},
                  "discrete nan value");
  expect_rejected([&] { return Distribution::discrete({1.0, 2.0}, {0.5, inf}); }, {"finite", "probabilit"},
                  "discrete inf probability");
}

TEST(DistributionValidation, AcceptsBoundaryParameters) {
  // Mode on a bound, p at 0 and 1, a sum off by less than 1e-9.
  EXPECT_NO_THROW((void)Distribution::triangular(0.0, 0.0, 1.0));
  EXPECT_NO_THROW((void)Distribution::triangular(0.0, 1.0, 1.0));
  EXPECT_NO_THROW((void)Distribution::pert(0.0, 1.0, 1.0));
  EXPECT_NO_THROW((void)Distribution::bernoulli(0.0));
  EXPECT_NO_THROW((void)Distribution::bernoulli(1.0));
  EXPECT_NO_THROW((void)Distribution::discrete({1.0, 2.0}, {0.3, 0.7 - 5e-10}));
  EXPECT_NO_THROW((void)Distribution::discrete({7.0}, {1.0}));
}

// ---------------------------------------------------------------------------
// (f) Standard normal tails.
// q(1e-12) and q(1 - 1e-12) finite and symmetric within 1e-6 relative: the
// double nearest 1 - 1e-12 is 1 - 9.99978e-13, a 2.2e-5 relative change of
// the tail probability, which moves the quantile by about 2.2e-5 / z^2 = 4.5e-7
// relative at z = 7.03, so exact symmetry is not expected.
// Round trip Phi(Phi^-1(u)) = u within 1e-13 relative, u from 1e-10 to
// 1 - 1e-10 (log-spaced in both tails, plus a linear grid in the middle).
// ---------------------------------------------------------------------------
TEST(StandardNormal, ExtremeTailsAreFiniteAndSymmetric) {
  const double lower = standard_normal_quantile(1e-12);
  const double upper = standard_normal_quantile(1.0 - 1e-12);
  ASSERT_TRUE(std::isfinite(lower));
  ASSERT_TRUE(std::isfinite(upper));
  EXPECT_LT(lower, -7.0);
  EXPECT_NEAR(-lower, upper, 1e-6 * upper);
  // Phi^-1(1e-12) = -7.0344838253011319 (mpmath, 30 digits), 1e-12 relative.
  EXPECT_NEAR(lower, -7.0344838253011319, 1e-12 * 7.0344838253011319);
  EXPECT_EQ(standard_normal_quantile(0.5), 0.0);
  EXPECT_EQ(standard_normal_quantile(0.0), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(standard_normal_quantile(1.0), std::numeric_limits<double>::infinity());
  EXPECT_EQ(standard_normal_cdf(-std::numeric_limits<double>::infinity()), 0.0);
  EXPECT_EQ(standard_normal_cdf(std::numeric_limits<double>::infinity()), 1.0);
  EXPECT_NEAR(standard_normal_cdf(-1.959963984540054), 0.025, 1e-15);
}

TEST(StandardNormal, CdfInvertsQuantile) {
  std::vector<double> grid;
  for (int k = 0; k <= 90; ++k) {
    const double tail = std::pow(10.0, -10.0 + k / 10.0);  // 1e-10 .. 1e-1
    grid.push_back(tail);
    grid.push_back(1.0 - tail);
  }
  for (int k = 1; k < 100; ++k) grid.push_back(0.1 + 0.8 * k / 100.0);
  for (double u : grid) {
    EXPECT_NEAR(standard_normal_cdf(standard_normal_quantile(u)), u, 1e-13 * u) << "u " << u;
  }
}

}  // namespace
