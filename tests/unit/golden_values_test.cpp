// Golden values: the exact bits of the random stream, the samplers' first
// points and every distribution family's first variates at fixed inputs.
// Determinism (same config and seed, same results) is only as good as these
// staying put: a library upgrade (Random123, Boost.Math's quantiles or Sobol
// generator), a compiler or flag change (-ffp-contract, -ffast-math) or an
// edit to a transform that changes one bit is caught here, not shipped.
//
// WHEN ONE FAILS: do not just paste the new value. Find what changed (a
// package upgrade: `apt list --installed 'librandom123*' 'libboost*'`; a
// compiler flag; an edit under engine/src/sampling or engine/src/model) and
// decide whether the change is intended. If it is, every earlier result
// (summary.json files, the report's figures, checkpoints of interrupted runs)
// no longer reproduces bit for bit with the same seed: say so in the commit
// message and the changelog, then update the literals here (print them with
// printf("%a")). If it is not, fix the cause. The closed-form checks beside
// the literals tell a changed-but-still-correct value from a wrong one.

#include <gtest/gtest.h>

#include <Random123/philox.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "mcrisk/model/distribution.h"
#include "mcrisk/sampling/unit_cube_sampler.h"

namespace {

using namespace mcrisk;

// One of Random123's known-answer vectors (its kat_vectors file): the words Philox gives at (counter, key).
template <typename Philox>
struct KnownAnswer {
  typename Philox::ctr_type counter;
  typename Philox::key_type key;
  typename Philox::ctr_type expected;
};

template <typename Philox, std::size_t N>
void expect_known_answers(const KnownAnswer<Philox> (&cases)[N]) {
  const Philox philox;
  for (const KnownAnswer<Philox>& c : cases) {
    const auto result = philox(c.counter, c.key);
    for (std::size_t lane = 0; lane < 4; ++lane) EXPECT_EQ(result.v[lane], c.expected.v[lane]) << "lane " << lane;
  }
}

TEST(GoldenValues, PhiloxMatchesRandom123KnownAnswers) {
  // Philox4x64-10: the LHS and Sobol streams' generator.
  const KnownAnswer<r123::Philox4x64> cases[] = {
      {{{0, 0, 0, 0}}, {{0, 0}}, {{0x16554d9eca36314cULL, 0xdb20fe9d672d0fdcULL, 0xd7e772cee186176bULL, 0x7e68b68aec7ba23bULL}}},
      {{{~0ULL, ~0ULL, ~0ULL, ~0ULL}}, {{~0ULL, ~0ULL}}, {{0x87b092c3013fe90bULL, 0x438c3c67be8d0224ULL, 0x9cc7d7c69cd777b6ULL, 0xa09caebf594f0ba0ULL}}},
      {{{0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL, 0x082efa98ec4e6c89ULL}},
       {{0x452821e638d01377ULL, 0xbe5466cf34e90c6cULL}},
       {{0xa528f45403e61d95ULL, 0x38c72dbd566e9788ULL, 0xa5a1610e72fd18b5ULL, 0x57bd43b5e52b7fe6ULL}}},
  };
  expect_known_answers(cases);
}

TEST(GoldenValues, Philox4x32MatchesRandom123KnownAnswers) {
  // Philox4x32-10: the MC stream's generator.
  const KnownAnswer<r123::Philox4x32> cases[] = {
      {{{0, 0, 0, 0}}, {{0, 0}}, {{0x6627e8d5U, 0xe169c58dU, 0xbc57ac4cU, 0x9b00dbd8U}}},
      {{{~0U, ~0U, ~0U, ~0U}}, {{~0U, ~0U}}, {{0x408f276dU, 0x41c83b0eU, 0xa20bc7c6U, 0x6d5451fdU}}},
      {{{0x243f6a88U, 0x85a308d3U, 0x13198a2eU, 0x03707344U}}, {{0xa4093822U, 0x299f31d0U}}, {{0xd16cfe09U, 0x94fdccebU, 0x5001e420U, 0x24126ea1U}}},
  };
  expect_known_answers(cases);
}

TEST(GoldenValues, MonteCarloUniformsForFixedSeedTrialAndDimension) {
  // sampling::IndependentSampler: Philox4x32-10, counter (trial, dimension / 2, "mcrk"), key (seed), two words a uniform
  // (src/sampling/monte_carlo_stream.h). Changed from Philox4x64-10 in December 2026 (vector kernels; every MC result changed).
  struct Case {
    std::uint64_t seed, trial;
    std::array<double, 8> uniforms;  // dimensions 0..7
  };
  const Case cases[] = {
      {1, 0, {0x1.be73f8e53000fp-1, 0x1.d3cc90e2220b8p-4, 0x1.05e89b8b88e1cp-3, 0x1.aac96948e510cp-3, 0x1.b7bbd57375daep-2, 0x1.55c96778c58fcp-3,
              0x1.34fed94364c7fp-1, 0x1.59abe5c7cf9ebp-1}},
      {1, 1, {0x1.4305ccc6ed1a9p-1, 0x1.08f123e5e52bep-2, 0x1.19433036a6064p-3, 0x1.f4324c482bf9cp-3, 0x1.351759ac3c54bp-1, 0x1.1245bc48889adp-1,
              0x1.62adf1cfb06d3p-1, 0x1.6b0af8be646f9p-1}},
      {1, 12345, {0x1.809429580f2f7p-1, 0x1.846845641ed41p-1, 0x1.d75882b11ba5dp-1, 0x1.41d66ab9c105ap-2, 0x1.7ddbc3cd999dap-2, 0x1.9fe2274a5674bp-1,
                  0x1.c7c8831645d93p-1, 0x1.024cecb8bdd63p-1}},
      {1, std::uint64_t{1} << 40, {0x1.8a297b50e3997p-1, 0x1.27b2f0d6fcbcep-2, 0x1.e78054f5327a5p-1, 0x1.5664e2329689ap-2, 0x1.ad61906b6f8d4p-3,
                                   0x1.39a91ca87874ap-2, 0x1.9817678dd1c1ep-2, 0x1.6537a42ad5da5p-1}},
      {20100706, 0, {0x1.b6c9626701618p-4, 0x1.6c65851217e1cp-3, 0x1.270d14617ca9p-5, 0x1.e2b7460583d5ep-2, 0x1.af2d802edc6ecp-3,
                     0x1.60b0bdfa1bb26p-2, 0x1.4db9986064bf9p-1, 0x1.1aa16baeecf22p-2}},
      {20100706, 1, {0x1.11cb8a043175dp-1, 0x1.b06f1f03c7da4p-3, 0x1.444b8f1e7a7f7p-1, 0x1.3d6bb9260ae53p-1, 0x1.05a1a812923a9p-1,
                     0x1.22bc54c0b41afp-1, 0x1.df8d07d8892bfp-1, 0x1.0a56320b6924cp-3}},
      {20100706, 12345, {0x1.598e768b76f0bp-1, 0x1.949671947a252p-2, 0x1.d9e0330dce23ep-2, 0x1.3830d3b17a3d3p-1, 0x1.c5f7e12104a39p-1,
                         0x1.b69c643c0430bp-1, 0x1.36a191c1bcdfep-2, 0x1.3da9a6ae979cdp-1}},
      {20100706, std::uint64_t{1} << 40, {0x1.e8dce76d9e1b8p-4, 0x1.010b2cffa9a23p-1, 0x1.ac5d717aebdd3p-1, 0x1.4606250c16cb9p-1,
                                          0x1.0b06f5abe6d45p-1, 0x1.92abfc4f92f52p-2, 0x1.b63094cd95f95p-1, 0x1.c84b5213c303dp-1}},
  };
  for (const Case& c : cases) {
    const sampling::IndependentSampler sampler(c.seed, 8);
    std::array<double, 8> block{};
    sampler.fill(c.trial, 1, block.data(), 1);
    for (std::size_t d = 0; d < 8; ++d) {
      EXPECT_EQ(sampler.uniform(c.trial, d), c.uniforms[d]) << "seed " << c.seed << " trial " << c.trial << " dimension " << d;
      EXPECT_EQ(block[d], c.uniforms[d]) << "fill() differs from uniform() at dimension " << d;
    }
  }
}

TEST(GoldenValues, LatinHypercubeAndSobolFirstPoints) {
  // Seed 20100706, 3 dimensions, replicates of 8 points: trials 0..3 (replicate 0).
  const std::array<std::array<double, 3>, 4> lhs = {{{0x1.4f946a0281f3ap-1, 0x1.62190cd455fd8p-3, 0x1.0be173ab1c4f4p-2},
                                                     {0x1.d1137bae1cedcp-2, 0x1.8cb0884b3d05ap-1, 0x1.262d8599b743ep-1},
                                                     {0x1.0a50a1702a174p-2, 0x1.377381b242ae6p-1, 0x1.e45a24bd0563ap-1},
                                                     {0x1.2591178a393b2p-1, 0x1.c18bf978c51eep-1, 0x1.e9f1844b8e5c4p-2}}};
  const std::array<std::array<double, 3>, 4> sobol = {{{0x1.c397165696f0fp-1, 0x1.f235d7a76293bp-1, 0x1.379d72411808fp-1},
                                                       {0x1.872e2cad2de1ep-2, 0x1.e46baf4ec5276p-2, 0x1.bceb9208c0478p-4},
                                                       {0x1.0e5c595a5bc3cp-3, 0x1.7235d7a76293bp-1, 0x1.b79d72411808fp-1},
                                                       {0x1.4397165696f0fp-1, 0x1.c8d75e9d8a4ecp-3, 0x1.6f3ae4823011ep-2}}};
  const auto check = [](sampling::SamplingMethod method, const std::array<std::array<double, 3>, 4>& expected) {
    const auto sampler = sampling::UnitCubeSampler::create(method, 20100706, 3, 8);
    for (std::uint64_t trial = 0; trial < 4; ++trial)
      for (std::size_t d = 0; d < 3; ++d)
        EXPECT_EQ(sampler.uniform(trial, d), expected[trial][d]) << sampling::to_string(method) << " trial " << trial << " dimension " << d;
  };
  check(sampling::SamplingMethod::LatinHypercube, lhs);
  check(sampling::SamplingMethod::Sobol, sobol);
  // Stratification, as a sanity check on the literals: each LHS point of the replicate lies in its own eighth per dimension.
  for (std::size_t d = 0; d < 3; ++d) {
    std::array<bool, 8> used{};
    for (std::uint64_t trial = 0; trial < 4; ++trial) {
      const auto stratum = static_cast<std::size_t>(lhs[trial][d] * 8);
      EXPECT_FALSE(used[stratum]);
      used[stratum] = true;
    }
  }
}

// Every family the model supports (model::DistributionFamily), at fixed uniforms and normal scores.
struct FamilyCase {
  const char* name;
  model::Distribution distribution;
  std::array<double, 5> quantiles;          // at kUniforms
  std::array<double, 3> from_normal_score;  // at kScores
};
constexpr std::array<double, 5> kUniforms = {0x1p-20, 0.1, 0.5, 0.9, 0.999};
constexpr std::array<double, 3> kScores = {-2.0, 0.0, 1.5};

std::vector<FamilyCase> family_cases() {
  return {
      {"constant", model::Distribution::constant(2.5), {0x1.4p+1, 0x1.4p+1, 0x1.4p+1, 0x1.4p+1, 0x1.4p+1}, {0x1.4p+1, 0x1.4p+1, 0x1.4p+1}},
      {"normal(100, 15)",
       model::Distribution::normal(100, 15),
       {0x1.c8e137699156p+4, 0x1.431b5e322ee68p+6, 0x1.9p+6, 0x1.dce4a1cdd1198p+6, 0x1.24b4fbeeb900ap+7},
       {0x1.18p+6, 0x1.9p+6, 0x1.eap+6}},
      {"lognormal(median 1, sigma 0.25)",
       model::Distribution::lognormal_median(1.0, 0.25),
       {0x1.3749f7f1b73eap-2, 0x1.73a4e524f6e5cp-1, 0x1p+0, 0x1.60ae75afb25e7p+0, 0x1.15287d950e27ep+1},
       {0x1.368b2fc6f960ap-1, 0x1p+0, 0x1.747a513dbef6ap+0}},
      {"uniform(-1, 3)",
       model::Distribution::uniform(-1, 3),
       {-0x1.ffff8p-1, -0x1.3333333333333p-1, 0x1p+0, 0x1.4cccccccccccdp+1, 0x1.7f7ced916872bp+1},
       {-0x1.d16860fa6c4f4p-1, 0x1p+0, 0x1.5dcb724ed3702p+1}},
      {"triangular(0.7, 0.95, 1.05)",
       model::Distribution::triangular(0.7, 0.95, 1.05),
       {0x1.668c434e1c1f9p-1, 0x1.964b101bd9fedp-1, 0x1.d17e136451324p-1, 0x1.fb4f46a1d23abp-1, 0x1.0b4915739c6e7p+0},
       {0x1.7d3e6165bbdb5p-1, 0x1.d17e136451324p-1, 0x1.006bc6897426ep+0}},
      {"pert(0.7, 0.95, 1.05)",
       model::Distribution::pert(0.7, 0.95, 1.05),
       {0x1.698997f4d3ad8p-1, 0x1.ac3803e97d9b4p-1, 0x1.dc9b113d4ec9cp-1, 0x1.01396a2236a8p+0, 0x1.0b9712e562fd4p+0},
       {0x1.93f9301132454p-1, 0x1.dc9b113d4ec9cp-1, 0x1.036fe03316238p+0}},
      {"beta(2, 5) on [10, 20]",
       model::Distribution::beta(2, 5, 10, 20),
       {0x1.4014a9b128e71p+3, 0x1.5da16752fee49p+3, 0x1.949fbe1d1a6f2p+3, 0x1.e34d1ca111556p+3, 0x1.22fa6c8a8b2ap+4},
       {0x1.4d2be4ba9da57p+3, 0x1.949fbe1d1a6f2p+3, 0x1.f1252a3099c37p+3}},
      {"bernoulli(0.3)", model::Distribution::bernoulli(0.3), {0x0p+0, 0x0p+0, 0x0p+0, 0x1p+0, 0x1p+0}, {0x0p+0, 0x0p+0, 0x1p+0}},
      {"discrete({1, 2, 4}, {0.2, 0.5, 0.3})",
       model::Distribution::discrete({1, 2, 4}, {0.2, 0.5, 0.3}),
       {0x1p+0, 0x1p+0, 0x1p+1, 0x1p+2, 0x1p+2},
       {0x1p+0, 0x1p+1, 0x1p+2}},
  };
}

TEST(GoldenValues, EveryDistributionFamilysFirstVariates) {
  const auto cases = family_cases();
  // One case per family: a family added to the model needs its golden values here.
  std::array<bool, 9> covered{};
  for (const FamilyCase& c : cases) covered[static_cast<std::size_t>(c.distribution.family())] = true;
  for (std::size_t f = 0; f < covered.size(); ++f) EXPECT_TRUE(covered[f]) << "no golden values for DistributionFamily " << f;

  for (const FamilyCase& c : cases) {
    for (std::size_t k = 0; k < kUniforms.size(); ++k) {
      EXPECT_EQ(c.distribution.quantile(kUniforms[k]), c.quantiles[k]) << c.name << " quantile(" << kUniforms[k] << ")";
      // The block path is the one runs use: same bits.
      double x = 0;
      c.distribution.quantile_block(&kUniforms[k], &x, 1);
      EXPECT_EQ(x, c.quantiles[k]) << c.name << " quantile_block(" << kUniforms[k] << ")";
    }
    for (std::size_t k = 0; k < kScores.size(); ++k) {
      EXPECT_EQ(c.distribution.from_normal_score(kScores[k]), c.from_normal_score[k]) << c.name << " from_normal_score(" << kScores[k] << ")";
      double x = 0;
      c.distribution.from_normal_score_block(&kScores[k], &x, 1);
      EXPECT_EQ(x, c.from_normal_score[k]) << c.name << " from_normal_score_block(" << kScores[k] << ")";
    }
  }
}

TEST(GoldenValues, GoldenVariatesAgreeWithClosedForms) {
  // Not bits: shows the pinned values are right, so a failure above is a change, not a long-standing error.
  const auto cases = family_cases();
  EXPECT_NEAR(cases[1].quantiles[3], 100 + 15 * 1.2815515655446004, 1e-12);          // normal P90
  EXPECT_NEAR(cases[2].quantiles[3], std::exp(0.25 * 1.2815515655446004), 1e-14);     // lognormal P90
  EXPECT_NEAR(cases[3].quantiles[1], -1 + 4 * 0.1, 1e-15);                            // uniform
  EXPECT_NEAR(cases[4].quantiles[1], 0.7 + std::sqrt(0.1 * 0.35 * 0.25), 1e-15);      // triangular below the mode
  EXPECT_NEAR(cases[6].quantiles[2], 10 + 10 * 0.26444998329566, 1e-9);               // beta(2,5) median
  EXPECT_EQ(cases[7].quantiles[2], 0.0);                                              // P(X = 0) = 0.7 > 0.5
}

TEST(GoldenValues, StandardNormalQuantileAndCdf) {
  const std::array<double, 6> u = {1e-300, 1e-10, 0.025, 0.5, 0.975, 1 - 0x1p-53};
  const std::array<double, 6> z = {-0x1.286074064c26ep+5, -0x1.97203597a2154p+2, -0x1.f5c0331eeff83p+0, 0x0p+0, 0x1.f5c0331eeff82p+0,
                                   0x1.06b48528cea51p+3};
  for (std::size_t k = 0; k < u.size(); ++k) EXPECT_EQ(model::standard_normal_quantile(u[k]), z[k]) << "Phi^-1(" << u[k] << ")";
  EXPECT_NEAR(z[4], 1.959963984540054, 1e-15);
  const std::array<double, 5> x = {-8.0, -1.959963984540054, 0.0, 0.5, 3.0};
  const std::array<double, 5> p = {0x1.669d2c90d55f2p-51, 0x1.999999999999ep-6, 0x1p-1, 0x1.62075e232ac77p-1, 0x1.ff4f10f033d25p-1};
  for (std::size_t k = 0; k < x.size(); ++k) EXPECT_EQ(model::standard_normal_cdf(x[k]), p[k]) << "Phi(" << x[k] << ")";
}

}  // namespace
