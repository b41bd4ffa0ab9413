// Unit tests of the sample statistics (engine/src/statistics/sample_statistics.cpp)
// against answers worked out by hand.

#include "mcrisk/statistics/sample_statistics.h"

#include <boost/math/distributions/binomial.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <random>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <stdexcept>
#include <vector>

namespace {

using namespace mcrisk::statistics;

constexpr double kTight = 1e-12;

// ---------------------------------------------------------------------------
// percentile_of_sorted: Hyndman & Fan type 7, h = (N - 1) p.
// ---------------------------------------------------------------------------

TEST(StatisticsPercentile, Type7InterpolationOnFourValues) {
  const std::vector<double> x = {1, 2, 3, 4};
  EXPECT_NEAR(percentile_of_sorted(x, 50), 2.5, kTight);   // h = 1.5
  EXPECT_NEAR(percentile_of_sorted(x, 10), 1.3, kTight);   // h = 0.3
  EXPECT_NEAR(percentile_of_sorted(x, 25), 1.75, kTight);  // h = 0.75
  EXPECT_NEAR(percentile_of_sorted(x, 90), 3.7, kTight);   // h = 2.7
  EXPECT_EQ(percentile_of_sorted(x, 0), 1.0);
  EXPECT_EQ(percentile_of_sorted(x, 100), 4.0);
  EXPECT_NEAR(percentile_of_sorted(x, 100.0 / 3.0), 2.0, kTight);  // h = 1: an order statistic
}

TEST(StatisticsPercentile, UnevenGapsAndNegativeValues) {
  const std::vector<double> x = {-10, 0, 5, 105};
  EXPECT_NEAR(percentile_of_sorted(x, 80), 45.0, kTight);  // h = 2.4: 5 + 0.4 * 100
  EXPECT_NEAR(percentile_of_sorted(x, 5), -8.5, kTight);   // h = 0.15: -10 + 0.15 * 10
}

TEST(StatisticsPercentile, SingleElementAndTies) {
  const std::vector<double> one = {7.5};
  for (double level : {0.0, 5.0, 50.0, 99.0, 100.0}) EXPECT_EQ(percentile_of_sorted(one, level), 7.5) << level;
  const std::vector<double> ties = {2, 2, 2};
  EXPECT_EQ(percentile_of_sorted(ties, 37), 2.0);
}

TEST(StatisticsPercentile, InvalidInputsThrow) {
  const std::vector<double> x = {1, 2, 3};
  EXPECT_THROW((void)percentile_of_sorted(std::span<const double>(), 50), std::invalid_argument);
  EXPECT_THROW((void)percentile_of_sorted(x, -0.1), std::invalid_argument);
  EXPECT_THROW((void)percentile_of_sorted(x, 100.1), std::invalid_argument);
  EXPECT_THROW((void)percentile_of_sorted(x, std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// expected_shortfall_of_sorted: mean of the ceil(alpha N) smallest.
// ---------------------------------------------------------------------------

TEST(StatisticsExpectedShortfall, MeanOfTheCeilAlphaNSmallest) {
  std::vector<double> hundred(100);
  std::iota(hundred.begin(), hundred.end(), 1.0);  // 1..100
  EXPECT_EQ(expected_shortfall_of_sorted(hundred, 0.05), 3.0);    // 5 smallest: (1+2+3+4+5)/5
  EXPECT_EQ(expected_shortfall_of_sorted(hundred, 0.10), 5.5);    // 10 smallest
  EXPECT_EQ(expected_shortfall_of_sorted(hundred, 0.051), 3.5);   // ceil(5.1) = 6 smallest
  EXPECT_EQ(expected_shortfall_of_sorted(hundred, 1.0), 50.5);    // all of them

  std::vector<double> ten(10);
  std::iota(ten.begin(), ten.end(), -4.0);  // -4..5
  EXPECT_EQ(expected_shortfall_of_sorted(ten, 0.05), -4.0);  // ceil(0.5) = 1: the smallest alone

  std::vector<double> twenty_one(21);
  std::iota(twenty_one.begin(), twenty_one.end(), 0.0);
  EXPECT_EQ(expected_shortfall_of_sorted(twenty_one, 0.05), 0.5);  // ceil(1.05) = 2

  const std::vector<double> one = {42};
  EXPECT_EQ(expected_shortfall_of_sorted(one, 0.05), 42.0);
}

TEST(StatisticsExpectedShortfall, InvalidInputsThrow) {
  const std::vector<double> x = {1, 2, 3};
  EXPECT_THROW((void)expected_shortfall_of_sorted(std::span<const double>(), 0.05), std::invalid_argument);
  // alpha outside (0, 1] would ask for fewer than one or more than N values.
  EXPECT_THROW((void)expected_shortfall_of_sorted(x, 1.5), std::invalid_argument);
  EXPECT_THROW((void)expected_shortfall_of_sorted(x, -0.05), std::invalid_argument);
  EXPECT_THROW((void)expected_shortfall_of_sorted(x, 0.0), std::invalid_argument);
  EXPECT_THROW((void)expected_shortfall_of_sorted(x, std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// accurate_sum: Neumaier's compensated sum.
// ---------------------------------------------------------------------------

TEST(StatisticsAccurateSum, RecoversWhatPlainSummationLoses) {
  const std::vector<double> x = {1e16, 1.0, -1e16};
  // Plain left-to-right summation loses the 1 (the spacing of doubles at 1e16 is 2).
  EXPECT_EQ(std::accumulate(x.begin(), x.end(), 0.0), 0.0);
  EXPECT_EQ(accurate_sum(x), 1.0);
}

TEST(StatisticsAccurateSum, HandlesASmallTermBeforeALargeOne) {
  // Kahan's algorithm gets 0 here; Neumaier's compensation (largest magnitude first) gets 2.
  const std::vector<double> x = {1.0, 1e100, 1.0, -1e100};
  EXPECT_EQ(accurate_sum(x), 2.0);
}

TEST(StatisticsAccurateSum, ManySmallValues) {
  // 0.1 a million times: plain summation drifts to 100000.0000013; the exact sum
  // of the doubles is 1e5 + 5.6e-12 (0.1 is 0.1000000000000000055...), which
  // rounds to 1e5, and the compensated sum gets it.
  const std::vector<double> x(1000000, 0.1);
  const double plain = std::accumulate(x.begin(), x.end(), 0.0);
  EXPECT_GT(std::abs(plain - 1e5), 1e-7);
  EXPECT_EQ(accurate_sum(x), 1e5);
  EXPECT_EQ(accurate_sum(std::span<const double>()), 0.0);
}

// ---------------------------------------------------------------------------
// summarise
// ---------------------------------------------------------------------------

// {-2, 0, 0, 0, 1, 1, 3, 5}: mean 1, squared deviations 9+1+1+1+0+0+4+16 = 32,
// sd = sqrt(32 / 7), se = sd / sqrt(8). Sorted as given, N = 8, h = 7 p.
TEST(StatisticsSummarise, FieldsOfAKnownSample) {
  const std::vector<double> x = {3, 0, -2, 1, 5, 0, 1, 0};  // deliberately unsorted
  const SampleSummary s = summarise(x);
  EXPECT_EQ(s.count, 8u);
  EXPECT_EQ(s.mean, 1.0);
  EXPECT_NEAR(s.sd, std::sqrt(32.0 / 7.0), kTight);
  EXPECT_NEAR(s.mean_se, std::sqrt(32.0 / 7.0) / std::sqrt(8.0), kTight);
  EXPECT_NEAR(s.mean_ci95_low, 1.0 - 1.959963984540054 * s.mean_se, kTight);
  EXPECT_NEAR(s.mean_ci95_high, 1.0 + 1.959963984540054 * s.mean_se, kTight);
  EXPECT_EQ(s.min, -2.0);
  EXPECT_EQ(s.max, 5.0);
  // Only -2 is a loss: zeros are not (P(X < 0), strictly).
  EXPECT_EQ(s.prob_loss, 1.0 / 8.0);
  // ceil(0.05 * 8) = 1: the smallest value.
  EXPECT_EQ(s.expected_shortfall_5, -2.0);

  ASSERT_EQ(s.percentiles.size(), std::size(kReportedPercentiles));
  for (std::size_t i = 0; i < s.percentiles.size(); ++i) EXPECT_EQ(s.percentiles[i].level, kReportedPercentiles[i]);
  EXPECT_NEAR(s.percentile(5), -1.3, kTight);   // h = 0.35: -2 + 0.35 * 2
  EXPECT_NEAR(s.percentile(10), -0.6, kTight);  // h = 0.7
  EXPECT_NEAR(s.percentile(50), 0.5, kTight);   // h = 3.5: 0 + 0.5 * 1
  EXPECT_NEAR(s.percentile(80), 2.2, kTight);   // h = 5.6: 1 + 0.6 * 2
  EXPECT_NEAR(s.percentile(90), 3.6, kTight);   // h = 6.3: 3 + 0.3 * 2
  EXPECT_NEAR(s.percentile(95), 4.3, kTight);   // h = 6.65: 3 + 0.65 * 2
  EXPECT_THROW((void)s.percentile(42), std::out_of_range);
}

TEST(StatisticsSummarise, OrderOfTheValuesDoesNotMatterForOrderStatistics) {
  const std::vector<double> a = {5, -1, 3, 2, 8, 0, 7};
  std::vector<double> b = a;
  std::reverse(b.begin(), b.end());
  const SampleSummary sa = summarise(a), sb = summarise(b);
  for (std::size_t i = 0; i < sa.percentiles.size(); ++i) EXPECT_EQ(sa.percentiles[i].value, sb.percentiles[i].value);
  EXPECT_EQ(sa.min, sb.min);
  EXPECT_EQ(sa.max, sb.max);
  EXPECT_EQ(sa.expected_shortfall_5, sb.expected_shortfall_5);
  EXPECT_EQ(sa.prob_loss, sb.prob_loss);
  EXPECT_NEAR(sa.mean, sb.mean, kTight);
  EXPECT_NEAR(sa.sd, sb.sd, kTight);
}

TEST(StatisticsSummarise, SingleValueHasZeroSpread) {
  const std::vector<double> x = {-3.5};
  const SampleSummary s = summarise(x);
  EXPECT_EQ(s.count, 1u);
  EXPECT_EQ(s.mean, -3.5);
  EXPECT_EQ(s.sd, 0.0);
  EXPECT_EQ(s.mean_se, 0.0);
  EXPECT_EQ(s.mean_ci95_low, -3.5);
  EXPECT_EQ(s.mean_ci95_high, -3.5);
  EXPECT_EQ(s.prob_loss, 1.0);
  EXPECT_EQ(s.expected_shortfall_5, -3.5);
  for (const auto& p : s.percentiles) EXPECT_EQ(p.value, -3.5);
}

TEST(StatisticsSummarise, MeanUsesTheCompensatedSum) {
  const std::vector<double> x = {1e16, 1.0, -1e16};
  EXPECT_EQ(summarise(x).mean, 1.0 / 3.0);
}

TEST(StatisticsSummarise, EmptySampleThrows) {
  EXPECT_THROW((void)summarise(std::span<const double>()), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// probability_best
// ---------------------------------------------------------------------------

// Trial by trial: 0 -> o1; 1 -> three-way tie (1/3 each); 2 -> o0;
// 3 -> three-way tie; 4 -> o0 and o1 tie (1/2 each).
// o0: 1/3 + 1 + 1/3 + 1/2 = 13/6; o1: 1 + 1/3 + 1/3 + 1/2 = 13/6; o2: 2/3. Over 5 trials.
TEST(StatisticsProbabilityBest, TiesAreSplitEvenly) {
  const std::vector<double> o0 = {1, 2, 3, 3, 5}, o1 = {2, 2, 1, 3, 5}, o2 = {0, 2, 0, 3, 4};
  const auto best = probability_best({o0, o1, o2});
  ASSERT_EQ(best.size(), 3u);
  EXPECT_NEAR(best[0], 13.0 / 30.0, kTight);
  EXPECT_NEAR(best[1], 13.0 / 30.0, kTight);
  EXPECT_NEAR(best[2], 2.0 / 15.0, kTight);
  EXPECT_NEAR(best[0] + best[1] + best[2], 1.0, kTight);
}

TEST(StatisticsProbabilityBest, NegativeValuesAndASingleOption) {
  const std::vector<double> a = {-5, -1, -3, -2}, b = {-4, -2, -3, -9};
  const auto best = probability_best({a, b});
  EXPECT_NEAR(best[0], (0 + 1 + 0.5 + 1) / 4.0, kTight);
  EXPECT_NEAR(best[1], (1 + 0 + 0.5 + 0) / 4.0, kTight);
  EXPECT_EQ(probability_best({a}), std::vector<double>{1.0});
  EXPECT_TRUE(probability_best({}).empty());
}

TEST(StatisticsProbabilityBest, UnequalLengthsThrow) {
  const std::vector<double> a = {1, 2, 3}, b = {1, 2};
  EXPECT_THROW((void)probability_best({a, b}), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// ranks, spearman, pearson_of_ranks
// ---------------------------------------------------------------------------

// sort_values: a radix sort on the values' bits for samples of 1,024 or more. The
// same values as std::sort, bit for bit (zeros of either sign in either order, as
// they compare equal), for every sign, exponent, ties, infinities and subnormals, in
// samples where few or all of the bits vary.
TEST(StatisticsSort, SortValuesGivesStdSortsOrder) {
  const auto check = [](std::vector<double> values, const char* what) {
    std::vector<double> expected = values;
    std::sort(expected.begin(), expected.end());
    sort_values(values);
    ASSERT_EQ(values.size(), expected.size());
    std::size_t negative_zeros = 0, expected_negative_zeros = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i] == 0.0 && expected[i] == 0.0) {  // zeros compare equal: either sign may come first
        negative_zeros += std::signbit(values[i]) ? 1 : 0;
        expected_negative_zeros += std::signbit(expected[i]) ? 1 : 0;
        continue;
      }
      ASSERT_EQ(std::bit_cast<std::uint64_t>(values[i]), std::bit_cast<std::uint64_t>(expected[i])) << what << " at " << i;
    }
    EXPECT_EQ(negative_zeros, expected_negative_zeros) << what;
  };
  std::mt19937_64 generator(11);
  std::normal_distribution<double> normal(5e5, 2e5);
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1023}, std::size_t{1024}, std::size_t{5000}, std::size_t{70000}}) {
    std::vector<double> wide(n), narrow(n), tied(n);
    for (std::size_t i = 0; i < n; ++i) {
      wide[i] = normal(generator);                                   // both signs, a few binades
      narrow[i] = 1.5 + double(generator() % 1000000) * 0x1p-52;    // one binade, low bits only
      tied[i] = double(generator() % 7) - 3.0;                       // seven values, -0 and +0 among them
      if (tied[i] == 0.0 && i % 2 == 1) tied[i] = -0.0;
    }
    check(wide, "wide");
    check(narrow, "narrow");
    check(tied, "tied");
  }
  std::vector<double> special(3000, 1.0);
  const double inf = std::numeric_limits<double>::infinity();
  const double edge[] = {inf, -inf, 5e-324, -5e-324, 1e-310, 1e308, -1e308, 0.0, -0.0, std::numeric_limits<double>::min()};
  for (std::size_t i = 0; i < special.size(); ++i) special[i] = i % 3 == 0 ? edge[i % std::size(edge)] : double(i % 101) - 50.0;
  check(special, "special");
}

TEST(StatisticsRanks, TiesShareTheirAverageRank) {
  // Sorted: 5 (1), 10 (2), 20 20 20 (3, 4, 5 -> 4).
  const std::vector<double> x = {10, 20, 20, 5, 20};
  EXPECT_EQ(ranks(x), (std::vector<double>{2, 4, 4, 1, 4}));
  // Two tied groups: -1 -1 (1.5), 0 (3), 7 7 (4.5).
  const std::vector<double> y = {7, -1, 0, 7, -1};
  EXPECT_EQ(ranks(y), (std::vector<double>{4.5, 1.5, 3, 4.5, 1.5}));
  const std::vector<double> same = {3, 3, 3, 3};
  EXPECT_EQ(ranks(same), (std::vector<double>{2.5, 2.5, 2.5, 2.5}));
  EXPECT_EQ(ranks(std::vector<double>{9}), std::vector<double>{1});
  EXPECT_TRUE(ranks(std::span<const double>()).empty());
}

// One workspace ranks many samples (the driver ranking's use): its buffers are
// reused unzeroed, so a sample must never see what an earlier, longer one left.
TEST(StatisticsRanks, AReusedWorkspaceRanksLikeAFreshOne) {
  RankWorkspace workspace;
  for (std::size_t n : {5000u, 37u, 1u, 4096u, 0u, 300u}) {
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = double((i * 2654435761u) % 1009) - 500.0 + (i % 3 == 0 ? 0.5 : 0.0);
    std::vector<double> r(n, -1.0);
    workspace.ranks(x, r);
    EXPECT_EQ(r, ranks(x)) << "n " << n;
  }
  std::vector<double> wrong(3);
  EXPECT_THROW(workspace.ranks(std::vector<double>{1, 2}, wrong), std::invalid_argument);
}

// ranks(x) against the definition of an average rank: 1 + the number smaller + half the number of others equal.
void expect_ranks_meet_the_definition(const std::vector<double>& x) {
  const std::vector<double> r = ranks(x);
  ASSERT_EQ(r.size(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    double smaller = 0, equal = 0;
    for (double y : x) {
      smaller += y < x[i] ? 1 : 0;
      equal += y == x[i] ? 1 : 0;
    }
    ASSERT_EQ(r[i], 1.0 + smaller + (equal - 1.0) / 2.0) << "value " << x[i] << " at " << i;
  }
}

// ranks() sorts by a radix sort of the values' bits: check it against the definition
// on values with every sign, many ties, -0 beside +0, subnormals and infinities.
TEST(StatisticsRanks, RadixRanksMeetTheDefinition) {
  std::vector<double> x;
  for (int i = 0; i < 3000; ++i) {
    const double v = double((i * 7919) % 401 - 200) * 0.25;  // ties: 401 distinct values
    x.push_back(i % 97 == 0 ? -v : v);
  }
  const double inf = std::numeric_limits<double>::infinity();
  for (double special : {0.0, -0.0, 0.0, 5e-324, -5e-324, 1e308, -1e308, inf, -inf, -0.0}) x.push_back(special);
  expect_ranks_meet_the_definition(x);
}

// ranks() sorts on a 32-bit window of the keys first and orders the keys equal
// there by their lower bits: values that differ only in their last mantissa bits,
// beside values far apart (so the window starts high), in a scrambled order, with
// ties among them; and a sample within one binade, whose window is all mantissa.
TEST(StatisticsRanks, ValuesEqualInTheWindowAreOrderedByTheirLowBits) {
  std::vector<double> wide = {-3.0, 1e300, -1e-300};
  for (std::uint64_t k = 0; k < 2000; ++k) {
    const std::uint64_t step = (k * 2654435761u) % 1500;  // repeats: ties
    wide.push_back(1.0 + double(step) * 0x1p-52);
    wide.push_back(-2.0 - double((k * 40503u) % 977) * 0x1p-51);
  }
  expect_ranks_meet_the_definition(wide);
  std::vector<double> one_binade;
  for (std::uint64_t k = 0; k < 3000; ++k) one_binade.push_back(1.5 + double((k * 2654435761u) % 4093) * 0x1p-40 + double(k % 7) * 0x1p-52);
  expect_ranks_meet_the_definition(one_binade);
  expect_ranks_meet_the_definition(std::vector<double>(50, 7.25));  // every key the same: no window at all
  // NaN equals nothing, so NaNs never share a rank: they sort above +inf, in index order.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(ranks(std::vector<double>{2.0, nan, 1.0, nan, 2.0}), (std::vector<double>{2.5, 4, 1, 5, 2.5}));
}

TEST(StatisticsSpearman, MonotoneTransformsGiveOneAndMinusOne) {
  std::vector<double> x(20), increasing(20), decreasing(20);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<double>((i * 7) % 20) - 9.5;  // a permutation of -9.5..9.5
    increasing[i] = std::exp(x[i]) + x[i] * x[i] * x[i];
    decreasing[i] = -2.0 * x[i] * x[i] * x[i];
  }
  EXPECT_NEAR(spearman(x, increasing), 1.0, kTight);
  EXPECT_NEAR(spearman(x, decreasing), -1.0, kTight);
  std::vector<double> reversed(x.rbegin(), x.rend());
  std::vector<double> sorted = x;
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> sorted_reversed(sorted.rbegin(), sorted.rend());
  EXPECT_NEAR(spearman(sorted, sorted_reversed), -1.0, kTight);
}

// pearson_of_ranks sums in lanes up to 2^18 ranks: exact for average ranks (multiples of 1/2,
// partial sums below 2^51), so the same bits as summing in index order; with ties, and a length
// that leaves a remainder after the lanes.
TEST(StatisticsSpearman, RanksSummedInLanesGiveTheSequentialSumsBits) {
  for (std::size_t n : {std::size_t{7}, std::size_t{1000}, (std::size_t{1} << 17) + 5, std::size_t{1} << 18}) {
    std::vector<double> x(n), y(n);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = double((i * 2654435761u) % 1000003);
      y[i] = double((i * 40503u) % 997) + 0.001 * x[i];  // ties in y's integer part only
      if (i % 5 == 0) y[i] = 3.0;                        // and many exact ties
    }
    const std::vector<double> rx = ranks(x), ry = ranks(y);
    const double mean = (double(n) + 1.0) / 2.0;
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < n; ++i) {
      sxy += (rx[i] - mean) * (ry[i] - mean);
      sxx += (rx[i] - mean) * (rx[i] - mean);
      syy += (ry[i] - mean) * (ry[i] - mean);
    }
    EXPECT_EQ(pearson_of_ranks(rx, ry), sxy / std::sqrt(sxx * syy)) << "n " << n;
  }
}

TEST(StatisticsSpearman, KnownValueWithTies) {
  // ranks x = 1..4 (mean 2.5), ranks y = 1.5 1.5 3.5 3.5: sxy = 4, sxx = 5, syy = 4.
  const std::vector<double> x = {1, 2, 3, 4}, y = {10, 10, 20, 20};
  EXPECT_NEAR(spearman(x, y), 4.0 / std::sqrt(20.0), kTight);
  // Without ties: d = rank differences (0, 2, -1, -1), 1 - 6 sum d^2 / (n (n^2 - 1)) = 1 - 36/60 = 0.4.
  const std::vector<double> a = {1, 2, 3, 4}, b = {1, 4, 2, 3};
  EXPECT_NEAR(spearman(a, b), 0.4, kTight);
  EXPECT_NEAR(pearson_of_ranks(ranks(a), ranks(b)), 0.4, kTight);
}

TEST(StatisticsSpearman, DegenerateSamplesGiveZero) {
  const std::vector<double> x = {1, 2, 3}, constant = {5, 5, 5};
  EXPECT_EQ(spearman(x, constant), 0.0);
  EXPECT_EQ(spearman(constant, x), 0.0);
  EXPECT_EQ(spearman(std::vector<double>{1}, std::vector<double>{2}), 0.0);
  EXPECT_EQ(spearman(std::span<const double>(), std::span<const double>()), 0.0);
}

TEST(StatisticsSpearman, UnequalLengthsThrow) {
  const std::vector<double> a = {1, 2, 3}, b = {1, 2};
  EXPECT_THROW((void)spearman(a, b), std::invalid_argument);
  EXPECT_THROW((void)pearson_of_ranks(a, b), std::invalid_argument);
}

}  // namespace

// ---------------------------------------------------------------------------
// percentile_interval_ranks: the binomial order-statistic interval's ranks meet
// their definition exactly (l: the largest with P(B <= l - 1) <= 0.025; u: the
// smallest with P(B >= u) <= 0.025), from small samples to 10^8 trials, whatever
// the search's starting point.
// ---------------------------------------------------------------------------

namespace {
double binomial_cdf_for_test(std::size_t n, double p, double k) {
  if (k < 0) return 0.0;
  if (k >= double(n)) return 1.0;
  return boost::math::cdf(boost::math::binomial_distribution<double>(double(n), p), k);
}
}  // namespace

TEST(StatisticsPercentileInterval, RanksMeetTheBinomialDefinition) {
  for (const std::size_t n : {std::size_t{20}, std::size_t{100}, std::size_t{1000}, std::size_t{12345}, std::size_t{1000000},
                              std::size_t{100000000}}) {
    for (const double level : {1.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0}) {
      SCOPED_TRACE(::testing::Message() << "n = " << n << ", level = " << level);
      const double p = level / 100.0;
      const auto [l, u] = percentile_interval_ranks(n, level);
      ASSERT_GE(l, 1u);
      ASSERT_LE(u, n);
      ASSERT_LT(l, u);
      if (l > 1) {
        EXPECT_LE(binomial_cdf_for_test(n, p, double(l) - 1), 0.025);
      }
      if (l < n) {
        EXPECT_GT(binomial_cdf_for_test(n, p, double(l)), 0.025);
      }
      if (u < n) {
        EXPECT_LE(1.0 - binomial_cdf_for_test(n, p, double(u) - 1), 0.025);
      }
      if (u > 1) {
        EXPECT_GT(1.0 - binomial_cdf_for_test(n, p, double(u) - 2), 0.025);
      }
    }
  }
}
