// Unit tests of the lognormal marginals' exponential (engine/src/model/exponential.h):
// glibc's algorithm with fused multiply-adds, branch-free where it covers x.
//  - With glibc 2.28 or later on a CPU with FMA and AVX2 (where glibc's exp is its __exp_fma variant) every
//    covered x gives std::exp's bits: random arguments over the whole covered
//    range, every binade, and the table's cell edges.
//  - Everywhere: error below 0.52 ulp against a long-double reference (glibc
//    states 0.511), exp_covers' bounds, and std::exp's values outside them.
// (The vector loop against the scalar function: tests/statistical/distribution_test.cpp,
// through the lognormal's block forms.)

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "../../engine/src/model/exponential.h"

namespace {

using mcrisk::model::detail::exp_covers;
using mcrisk::model::detail::exp_in_range;
using mcrisk::model::detail::exponential;

std::uint64_t bits_of(double x) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

// Covered arguments: uniform over (-512, 512), uniform in every binade from 2^-54 to 2^8 with
// both signs, the lognormal's typical sigma * z, and the table's cell edges (k ln 2 / 128, where
// the rounding of k turns) with their neighbours.
std::vector<double> covered_inputs() {
  std::mt19937_64 engine(20261204);
  std::vector<double> x;
  std::uniform_real_distribution<double> wide(-512.0, 512.0), unit(1.0, 2.0);
  for (int i = 0; i < 400000; ++i) x.push_back(wide(engine));
  for (int e = -54; e <= 8; ++e)
    for (int i = 0; i < 4000; ++i) x.push_back((i % 2 ? -1.0 : 1.0) * std::ldexp(unit(engine), e));
  std::normal_distribution<double> score;
  for (int i = 0; i < 200000; ++i) x.push_back(0.5 * score(engine));
  const double step = std::log(2.0) / 128.0;
  for (int k = -40000; k <= 40000; ++k) {
    double edge = (k + 0.5) * step;
    for (int n = 0; n < 3; ++n) {
      x.push_back(edge);
      x.push_back(std::nextafter(edge, -1e300));
      edge = std::nextafter(edge, 1e300);
    }
  }
  std::vector<double> covered;
  for (double v : x)
    if (exp_covers(v)) covered.push_back(v);
  return covered;
}

double ulp(double x) { return std::nextafter(std::fabs(x), std::numeric_limits<double>::infinity()) - std::fabs(x); }

TEST(Exponential, GivesGlibcsBitsWhereGlibcUsesFusedMultiplyAdds) {
  if (!mcrisk::model::detail::std_exp_is_glibc_fma_variant())
    GTEST_SKIP() << "std::exp here is not glibc's FMA variant (no FMA or AVX2, or not glibc 2.28 or later)";
  std::size_t checked = 0;
  for (double x : covered_inputs()) {
    ASSERT_EQ(bits_of(exp_in_range(x)), bits_of(std::exp(x))) << std::hexfloat << "x " << x;
    ASSERT_EQ(bits_of(exponential(x)), bits_of(std::exp(x))) << std::hexfloat << "x " << x;
    ++checked;
  }
  EXPECT_GT(checked, 1000000u);
}

TEST(Exponential, WithinHalfAnUlpAndALittleOfALongDoubleReference) {
  if (std::numeric_limits<long double>::digits < 64) GTEST_SKIP() << "needs a long double wider than double (x87's 64 bits)";
  double worst = 0, worst_x = 0;
  for (double x : covered_inputs()) {
    const double got = exponential(x);
    if (!std::isfinite(got) || got < 0x1p-1022) continue;  // overflow and subnormal results: glibc's own cases
    const long double reference = std::exp(static_cast<long double>(x));
    const double error_ulps = double(std::fabs(static_cast<long double>(got) - reference)) / ulp(got);
    if (error_ulps > worst) {
      worst = error_ulps;
      worst_x = x;
    }
    ASSERT_LT(error_ulps, 0.52) << std::hexfloat << "x " << x;
  }
  std::printf("exponential against long double: largest error %.3f ulp at x %.17g\n", worst, worst_x);
}

TEST(Exponential, CoversTwoToTheMinus54UpTo512) {
  for (double sign : {1.0, -1.0}) {
    EXPECT_TRUE(exp_covers(sign * 0x1p-54));
    EXPECT_FALSE(exp_covers(sign * std::nextafter(0x1p-54, 0.0)));
    EXPECT_TRUE(exp_covers(sign * std::nextafter(512.0, 0.0)));
    EXPECT_FALSE(exp_covers(sign * 512.0));
    EXPECT_FALSE(exp_covers(sign * 0.0));
    EXPECT_FALSE(exp_covers(sign * std::numeric_limits<double>::infinity()));
    EXPECT_FALSE(exp_covers(sign * std::numeric_limits<double>::denorm_min()));
  }
  EXPECT_FALSE(exp_covers(std::numeric_limits<double>::quiet_NaN()));
}

TEST(Exponential, OutsideTheCoveredRangeIsStdExp) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double x : {0.0, -0.0, 0x1p-60, -0x1p-60, 512.0, -512.0, 709.0, 710.0, -745.0, -746.0, 1e300, -1e300, inf, -inf}) {
    EXPECT_EQ(bits_of(exponential(x)), bits_of(std::exp(x))) << "x " << x;
  }
  EXPECT_EQ(exponential(0.0), 1.0);
  EXPECT_EQ(exponential(inf), inf);
  EXPECT_EQ(exponential(-inf), 0.0);
  EXPECT_TRUE(std::isnan(exponential(std::numeric_limits<double>::quiet_NaN())));
}

TEST(Exponential, KnownValues) {
  EXPECT_EQ(exponential(1.0), 2.718281828459045);  // e, correctly rounded
  EXPECT_EQ(exponential(std::log(2.0)), 2.0);
  EXPECT_EQ(exponential(-1.0), 0.36787944117144233);
  EXPECT_NEAR(exponential(0.2 * 1.6448536269514722), 1.389537176833663, 1e-15);  // R1's redundancy cost at its P95
}

}  // namespace
