// Unit tests of the logarithm of Φ⁻¹'s tails (engine/src/model/natural_log.h):
// fdlibm's algorithm with its branches as selects. Error below 1 ulp against a
// long-double reference over every binade and each of fdlibm's forms; fdlibm's
// special values; pinned bits. (The vector loop against the scalar function:
// tests/statistical/distribution_test.cpp, through Φ⁻¹'s block form.)

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <ios>
#include <cstdint>
#include <limits>
#include <vector>

#include "../../engine/src/model/natural_log.h"

namespace {

using mcrisk::model::detail::log_of_normal;
using mcrisk::model::detail::natural_log;

// Inputs for each of fdlibm's forms: every binade (normal and subnormal), both sides of
// the sqrt(2) split, mantissas within 2^-20 of a power of two (the short series) and
// just outside, values near 1 (k = 0), and Φ⁻¹'s tail arguments (0, 0.075].
std::vector<double> test_inputs() {
  std::vector<double> x;
  for (int e = -1074; e <= 1023; ++e) {
    const double p = std::ldexp(1.0, e);
    x.push_back(p);
    for (double m : {1.0 + 0x1p-52, 1.0 + 0x1p-30, 1.0 + 0x1p-21, 1.0 + 0x1p-20, 1.0 + 0x1p-19, 1.3, 1.4142135623730951, 1.41421,
                     1.4143, 1.5, 1.75, 2.0 - 0x1p-52, 2.0 - 0x1p-21, 2.0 - 0x1p-20})
      if (e < 1023 || m < 2.0) x.push_back(std::ldexp(m, e));
  }
  for (int k = 1; k < 4000; ++k) x.push_back(1.0 + (k - 2000) * 0x1p-40);  // around 1: k = 0
  for (int k = 1; k < 20000; ++k) x.push_back(0.075 * k / 20000.0);         // Φ⁻¹'s tails
  for (int k = 0; k < 20000; ++k) x.push_back(std::pow(10.0, -320.0 + 320.0 * k / 20000.0));
  return x;
}

double ulp(double x) { return std::nextafter(std::fabs(x), std::numeric_limits<double>::infinity()) - std::fabs(x); }

TEST(NaturalLog, WithinOneUlpOfALongDoubleReference) {
  if (std::numeric_limits<long double>::digits < 64) GTEST_SKIP() << "needs a long double wider than double (x87's 64 bits)";
  double worst = 0, worst_x = 0;
  for (double x : test_inputs()) {
    const double got = natural_log(x);
    const long double reference = std::log(static_cast<long double>(x));
    const double error_ulps = x == 1.0 ? std::fabs(got) : double(std::fabs(static_cast<long double>(got) - reference)) / ulp(got);
    if (error_ulps > worst) {
      worst = error_ulps;
      worst_x = x;
    }
    ASSERT_LT(error_ulps, 1.0) << "x " << x;
  }
  std::printf("natural_log against long double: largest error %.3f ulp at x %.17g\n", worst, worst_x);
}

TEST(NaturalLog, AgreesWithGlibcToOneUlp) {
  std::size_t differing = 0, total = 0;
  for (double x : test_inputs()) {
    const double ours = natural_log(x), theirs = std::log(x);
    ++total;
    if (ours != theirs) {
      ++differing;
      ASSERT_LE(std::fabs(ours - theirs), ulp(theirs)) << "x " << x;
    }
  }
  // Neither is correctly rounded (fdlibm < 1 ulp, glibc's < 0.52 ulp): they part in the last bit where the
  // exact value is near a midpoint, about 3% of Φ⁻¹'s tail arguments (measured: 2.9% of 10^7 in (0, 0.075]).
  std::printf("natural_log and glibc's log differ in the last bit at %zu of %zu inputs\n", differing, total);
  EXPECT_LT(double(differing), 0.05 * double(total)) << differing << " of " << total;
}

TEST(NaturalLog, SpecialValuesAsFdlibm) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(natural_log(1.0), 0.0);
  EXPECT_FALSE(std::signbit(natural_log(1.0)));
  EXPECT_EQ(natural_log(0.0), -inf);
  EXPECT_EQ(natural_log(-0.0), -inf);
  EXPECT_EQ(natural_log(inf), inf);
  EXPECT_TRUE(std::isnan(natural_log(-1.0)));
  EXPECT_TRUE(std::isnan(natural_log(-inf)));
  EXPECT_TRUE(std::isnan(natural_log(std::numeric_limits<double>::quiet_NaN())));
  EXPECT_EQ(natural_log(2.0), 0x1.62e42fefa39efp-1);  // ln 2, correctly rounded
  EXPECT_EQ(natural_log(0x1p-1074), -0x1.74385446d71c3p+9);  // the smallest subnormal: -1074 ln 2
}

// Pinned bits. Both of fdlibm's general forms (f - s (f - R) and the hfsq one) are within 1 ulp
// everywhere, so the accuracy test cannot tell them apart; these inputs can: at each, taking the
// other form changes the last bit. Φ⁻¹'s tails, and so every result, depend on these bits.
TEST(NaturalLog, PinnedBitsWhereFdlibmsFormsDiffer) {
  struct Case {
    double x, log_x;
  };
  const Case cases[] = {
      {0x1.63637ca71a8bap-13, -0x1.15da24d6e845fp+3},  // hfsq form (the other gives ...5ep+3)
      {0x1.61763c9d3f408p-12, -0x1.ffb0d5322f99bp+2},  // hfsq form
      {0x1.4ca925fe974a3p-15, -0x1.445410f591469p+3},  // f - s (f - R) (the other gives ...6ap+3)
      {0x1.7862e82ca4a3bp-15, -0x1.4060695ff3173p+3},  // f - s (f - R)
  };
  for (const Case& c : cases) {
    EXPECT_EQ(natural_log(c.x), c.log_x) << std::hexfloat << "x " << c.x;
    EXPECT_EQ(log_of_normal(c.x), c.log_x) << std::hexfloat << "x " << c.x;
  }
}

}  // namespace
