// The replicated designs as estimators (engine/src/sampling): a run of R = 20
// replicates of M = 1024 points in 5 dimensions estimates the mean of two
// smooth integrands on (0,1)^5,
//   additive  f(u) = sum_d u_d^2            exact mean 5/3,
//   product   g(u) = prod_d (1/2 + u_d)     exact mean 1,
// by the mean of the 20 replicate means, with the 95% Student-t interval
// across replicates (19 df). Each method is run 400 times with seeds
// kFirstSeed + q. All seeds are fixed: the outcomes are deterministic, and the
// tolerances below are chosen so that a correct sampler passes with stated
// (small) probability over the choice of seeds.

#include "mcrisk/sampling/unit_cube_sampler.h"

#include <gtest/gtest.h>

#include <boost/math/distributions/students_t.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace {

using mcrisk::sampling::SamplingMethod;
using mcrisk::sampling::UnitCubeSampler;

constexpr std::size_t kDimensions = 5;
constexpr std::size_t kReplicateSize = 1024;
constexpr std::size_t kReplicates = 20;
constexpr std::size_t kRepetitions = 400;
constexpr std::uint64_t kFirstSeed = 20240601;

enum Integrand { kAdditive = 0, kProduct = 1 };
constexpr std::array<double, 2> kExactMean = {5.0 / 3.0, 1.0};

// Per method, per integrand: the sample variance of the 20 replicate means in
// each of the 400 runs, and how many runs' t-intervals covered the exact mean.
struct MethodRuns {
  std::array<std::vector<double>, 2> replicate_mean_variance;
  std::array<std::size_t, 2> covered{};
};

MethodRuns run_method(SamplingMethod method) {
  const double t = boost::math::quantile(boost::math::complement(boost::math::students_t(double(kReplicates - 1)), 0.025));
  const double m = static_cast<double>(kReplicateSize), r_count = static_cast<double>(kReplicates);
  MethodRuns runs;
  std::vector<double> u(kDimensions * kReplicateSize);
  std::array<std::vector<double>, 2> means = {std::vector<double>(kReplicates), std::vector<double>(kReplicates)};
  for (std::size_t q = 0; q < kRepetitions; ++q) {
    const auto sampler = UnitCubeSampler::create(method, kFirstSeed + q, kDimensions, kReplicateSize);
    for (std::size_t r = 0; r < kReplicates; ++r) {
      sampler.fill(r * kReplicateSize, kReplicateSize, u.data(), kReplicateSize);
      double additive = 0.0, product = 0.0;
      for (std::size_t i = 0; i < kReplicateSize; ++i) {
        double sum = 0.0, prod = 1.0;
        for (std::size_t d = 0; d < kDimensions; ++d) {
          const double x = u[d * kReplicateSize + i];
          sum += x * x;
          prod *= 0.5 + x;
        }
        additive += sum;
        product += prod;
      }
      means[kAdditive][r] = additive / m;
      means[kProduct][r] = product / m;
    }
    for (int f : {kAdditive, kProduct}) {
      const double mean = std::accumulate(means[f].begin(), means[f].end(), 0.0) / r_count;
      double squares = 0.0;
      for (double x : means[f]) squares += (x - mean) * (x - mean);
      const double variance = squares / (r_count - 1.0);
      runs.replicate_mean_variance[f].push_back(variance);
      runs.covered[f] += std::abs(mean - kExactMean[f]) <= t * std::sqrt(variance / r_count);
    }
  }
  return runs;
}

// Computed once per method (about 0.4 s each), shared by the tests below.
const MethodRuns& runs(SamplingMethod method) {
  static const std::array<MethodRuns, 3> all = {run_method(SamplingMethod::MonteCarlo),
                                                run_method(SamplingMethod::LatinHypercube),
                                                run_method(SamplingMethod::Sobol)};
  return all[static_cast<std::size_t>(method)];
}

double pooled_variance(SamplingMethod method, Integrand f) {
  const auto& v = runs(method).replicate_mean_variance[f];
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double first_run_variance(SamplingMethod method, Integrand f) { return runs(method).replicate_mean_variance[f].front(); }

// One run, as a user sees it (seed kFirstSeed): the variance of the 20
// replicate means, LHS and Sobol against MC. Observed ratios (this seed):
//   additive  LHS/MC 1.6e-6   Sobol/MC 1.8e-3
//   product   LHS/MC 0.16     Sobol/MC 2.1e-3
// (over eight other seed ranges: additive LHS 3e-7..2e-6, Sobol 5e-4..1.5e-3;
// product LHS 0.07..0.26, Sobol 6e-4..1.5e-3). Each ratio of two sample
// variances with 19 df is the true ratio times about an F(19,19) variable
// (0.9999 quantile 6.3). Three bounds are over 50 times the true ratios (those
// of the pooled test below; P(F > 50) = 2e-12); the fourth is 6.45 times the
// LHS product ratio 0.155 (P(F > 6.45) = 8e-5).
TEST(SamplerVariance, OneRunOfTwentyReplicatesBeatsMonteCarlo) {
  const double mc_additive = first_run_variance(SamplingMethod::MonteCarlo, kAdditive);
  const double mc_product = first_run_variance(SamplingMethod::MonteCarlo, kProduct);
  const double lhs_additive = first_run_variance(SamplingMethod::LatinHypercube, kAdditive) / mc_additive;
  const double sobol_additive = first_run_variance(SamplingMethod::Sobol, kAdditive) / mc_additive;
  const double sobol_product = first_run_variance(SamplingMethod::Sobol, kProduct) / mc_product;
  RecordProperty("lhs_over_mc_additive", std::to_string(lhs_additive));
  RecordProperty("sobol_over_mc_additive", std::to_string(sobol_additive));
  RecordProperty("sobol_over_mc_product", std::to_string(sobol_product));
  EXPECT_LT(lhs_additive, 1e-4);
  EXPECT_LT(sobol_additive, 0.05);
  EXPECT_LT(sobol_product, 0.05);
  // LHS removes only the additive part of g's variance (true ratio 0.155).
  EXPECT_LT(first_run_variance(SamplingMethod::LatinHypercube, kProduct) / mc_product, 1.0);
}

// The variance of one replicate mean, estimated by pooling the 400 runs
// (7600 df: about 1.6% relative standard error for MC, less for the
// stratified designs whose replicate means have light tails), against closed
// forms, within 10% (over six standard errors):
//  - MC: Var f / M, with Var f = 5 (1/5 - 1/9) = 4/9 and Var g = (13/12)^5 - 1.
//  - LHS, additive: each dimension's M values are (j + V_j)/M, one per
//    stratum j, V_j independent U(0,1): Var = 5 sum_j Var((j + V)^2) / M^6
//    = 5 sum_j (j^2/3 + j/3 + 4/45) / M^6, about 5 / (9 M^3).
//  - LHS, product: (Var g - sum of main-effect variances) / M to first order
//    (Stein 1987); g's main effects are E[g | u_d] - 1 = u_d - 1/2, variance
//    1/12 each. Observed 3.6% below it (1% to 4% over other seed ranges:
//    the O(1/M^2) term).
//  - Sobol, additive: the first M Sobol points are the grid j/M in every
//    dimension, and the digital shift maps it to (j' + delta)/M with one delta
//    per dimension: Var = 5 Var(((M-1) delta + delta^2)/M^2)
//    = 5 ((M^2 - 1)/12 + 4/45) / M^4, about 5 / (12 M^2).
//  - Sobol, product: no closed form; observed 8.8e-4 x MC.
// Observed ratios to MC (pooled): additive LHS 1.2e-6, Sobol 9.1e-4; product
// LHS 0.151, Sobol 8.8e-4.
TEST(SamplerVariance, ReplicateMeanVarianceMatchesTheory) {
  const double m = static_cast<double>(kReplicateSize);
  const double var_g = std::pow(13.0 / 12.0, 5) - 1.0;
  const double main_effects = 5.0 / 12.0;
  double lhs_additive = 0.0;
  for (std::size_t j = 0; j < kReplicateSize; ++j) {
    const double x = static_cast<double>(j);
    lhs_additive += x * x / 3.0 + x / 3.0 + 4.0 / 45.0;
  }
  lhs_additive *= 5.0 / std::pow(m, 6);
  const double sobol_additive = 5.0 * ((m * m - 1.0) / 12.0 + 4.0 / 45.0) / std::pow(m, 4);

  const auto expect_within_10_percent = [](double observed, double expected, const char* what) {
    EXPECT_NEAR(observed / expected, 1.0, 0.10) << what << ": observed " << observed << ", expected " << expected;
  };
  expect_within_10_percent(pooled_variance(SamplingMethod::MonteCarlo, kAdditive), 4.0 / 9.0 / m, "MC additive");
  expect_within_10_percent(pooled_variance(SamplingMethod::MonteCarlo, kProduct), var_g / m, "MC product");
  expect_within_10_percent(pooled_variance(SamplingMethod::LatinHypercube, kAdditive), lhs_additive, "LHS additive");
  expect_within_10_percent(pooled_variance(SamplingMethod::LatinHypercube, kProduct), (var_g - main_effects) / m, "LHS product");
  expect_within_10_percent(pooled_variance(SamplingMethod::Sobol, kAdditive), sobol_additive, "Sobol additive");
  const double sobol_product = pooled_variance(SamplingMethod::Sobol, kProduct) / pooled_variance(SamplingMethod::MonteCarlo, kProduct);
  RecordProperty("sobol_over_mc_product_pooled", std::to_string(sobol_product));
  EXPECT_LT(sobol_product, 0.01);
}

// Honest standard errors: the 95% t-interval across the 20 replicates (t with
// 19 df, 2.093) covers the exact mean in 360..396 of the 400 runs (90% to
// 99%), for every method and integrand. If the interval's coverage is exactly
// 95%, the count is Binomial(400, 0.95) (the runs are independent: different
// seeds), mean 380, sd 4.4, and P(count <= 359) = 1.4e-5, P(count >= 397) =
// 2.2e-6: the six checks together fail a correct sampler with probability
// about 1e-4. A true coverage of 88% or of 99.5% would pass with probability
// 0.12 and 0.14, and of 85% with 0.002: dependent replicates (understated
// errors), biased points, or a shift shared by all replicates fail it.
// Observed: MC 386 and 382, LHS 381 and 385, Sobol 377 and 380 (additive and
// product); 374..392 over eight other seed ranges.
TEST(SamplerVariance, TIntervalAcrossReplicatesCoversTheMean) {
  for (auto method : {SamplingMethod::MonteCarlo, SamplingMethod::LatinHypercube, SamplingMethod::Sobol}) {
    for (int f : {kAdditive, kProduct}) {
      const std::size_t covered = runs(method).covered[f];
      EXPECT_GE(covered, 360u) << to_string(method) << (f == kAdditive ? " additive" : " product");
      EXPECT_LE(covered, 396u) << to_string(method) << (f == kAdditive ? " additive" : " product");
    }
  }
}

}  // namespace
