#include "mcrisk/statistics/sample_statistics.h"

#include "mcrisk/util/vector_clones.h"

#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace mcrisk::statistics {

namespace {

// P(B <= k) for B ~ Binomial(n, p), with the boundary cases Boost rejects.
double binomial_cdf(std::size_t n, double p, double k) {
  if (k < 0) return 0.0;
  if (k >= double(n)) return 1.0;
  return boost::math::cdf(boost::math::binomial_distribution<double>(double(n), p), k);
}

}  // namespace

Interval wilson_interval(double p_hat, std::size_t n, double z) {
  if (n == 0) throw std::invalid_argument("Wilson interval of zero trials");
  if (!(p_hat >= 0 && p_hat <= 1)) throw std::invalid_argument("Wilson interval of a proportion outside [0, 1]");
  const double nn = double(n), z2 = z * z;
  const double centre = (p_hat + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = z / (1 + z2 / nn) * std::sqrt(p_hat * (1 - p_hat) / nn + z2 / (4 * nn * nn));
  // The score interval always contains p_hat, and its end is exactly 0 at p_hat = 0
  // (1 at p_hat = 1); rounding can leave centre - half a hair above 0 (4e-19 at
  // n = 500), so clamp each end to [0, p_hat] and [p_hat, 1].
  return {std::clamp(centre - half, 0.0, p_hat), std::clamp(centre + half, p_hat, 1.0)};
}

std::pair<std::size_t, std::size_t> percentile_interval_ranks(std::size_t n, double level) {
  if (n == 0) throw std::invalid_argument("percentile interval of an empty sample");
  if (!(level >= 0 && level <= 100)) throw std::invalid_argument("percentile level outside [0, 100]");
  const double p = level / 100.0;
  if (p <= 0.0 || p >= 1.0 || n < 2) return {1, n};
  // B = #{X_i <= xi_p} ~ Binomial(n, p) and P(x_(l) <= xi_p < x_(u)) = P(l <= B <= u - 1)
  // (1-based order statistics). Take the largest l with P(B <= l - 1) <= 0.025 and
  // the smallest u with P(B >= u) <= 0.025: coverage is at least 95%.
  // The searches below find the unique boundary from any start; starting at the
  // normal approximation (centre -+ 1.96 spread) leaves a few steps, each a
  // Boost ibeta call, instead of about one per unit of spread (~5,000 at 10^8 trials).
  const double centre = double(n) * p, spread = std::sqrt(double(n) * p * (1 - p));
  double l = std::clamp(std::floor(centre - kZ975 * spread), 1.0, double(n));
  while (l + 1 <= double(n) && binomial_cdf(n, p, l) <= 0.025) l += 1;       // now P(B <= l - 1) <= 0.025 < P(B <= l)
  while (l > 1 && binomial_cdf(n, p, l - 1) > 0.025) l -= 1;
  double u = std::clamp(std::ceil(centre + kZ975 * spread + 1), 1.0, double(n));
  while (u > 1 && 1.0 - binomial_cdf(n, p, u - 2) <= 0.025) u -= 1;         // P(B >= u - 1) <= 0.025: u - 1 also works
  while (u < double(n) && 1.0 - binomial_cdf(n, p, u - 1) > 0.025) u += 1;
  // Where the sample is too small for 95% (extreme levels), the interval is the
  // whole sample range, whose coverage is then below 95%.
  return {std::size_t(l), std::size_t(u)};
}

Interval percentile_interval_of_sorted(std::span<const double> sorted, double level) {
  if (sorted.empty()) throw std::invalid_argument("percentile interval of an empty sample");
  const auto [l, u] = percentile_interval_ranks(sorted.size(), level);
  return {sorted[l - 1], sorted[u - 1]};
}

Interval expected_shortfall_interval_of_sorted(std::span<const double> sorted, double alpha) {
  const double es = expected_shortfall_of_sorted(sorted, alpha);
  const auto count = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(alpha * double(sorted.size()))));
  const double quantile = sorted[count - 1];
  double tail_variance = 0;
  for (std::size_t i = 0; i < count; ++i) tail_variance += (sorted[i] - es) * (sorted[i] - es);
  tail_variance = count > 1 ? tail_variance / double(count - 1) : 0.0;
  const double variance = (tail_variance + (1 - alpha) * (es - quantile) * (es - quantile)) / (alpha * double(sorted.size()));
  const double half = kZ975 * std::sqrt(variance);
  return {es - half, es + half};
}

Interval replicate_interval(double estimate, std::span<const double> per_replicate_values) {
  const std::size_t r = per_replicate_values.size();
  if (r < 2) throw std::invalid_argument("an interval from replicates needs at least 2 replicates");
  const double mean = accurate_sum(per_replicate_values) / double(r);
  double squares = 0;
  for (double v : per_replicate_values) squares += (v - mean) * (v - mean);
  const double se = std::sqrt(squares / double(r - 1) / double(r));
  const double t = boost::math::quantile(boost::math::complement(boost::math::students_t_distribution<double>(double(r - 1)), 0.025));
  return {estimate - t * se, estimate + t * se};
}

double SampleSummary::percentile(double level) const {
  for (const auto& p : percentiles)
    if (p.level == level) return p.value;
  throw std::out_of_range("percentile level not reported");
}

double percentile_of_sorted(std::span<const double> sorted, double level) {
  if (sorted.empty()) throw std::invalid_argument("percentile of an empty sample");
  // Written so that NaN fails too (it would reach a float-to-integer conversion below).
  if (!(level >= 0 && level <= 100)) throw std::invalid_argument("percentile level outside [0, 100]");
  const double h = double(sorted.size() - 1) * level / 100.0;
  const auto below = static_cast<std::size_t>(std::floor(h));
  if (below + 1 >= sorted.size()) return sorted.back();
  const double fraction = h - double(below);
  return sorted[below] + fraction * (sorted[below + 1] - sorted[below]);
}

double midpoint_percentile_of_sorted(std::span<const double> sorted, double level) {
  if (sorted.empty()) throw std::invalid_argument("percentile of an empty sample");
  if (!(level >= 0 && level <= 100)) throw std::invalid_argument("percentile level outside [0, 100]");
  const double h = double(sorted.size()) * level / 100.0 - 0.5;  // 0-based position of M p + 1/2
  if (h <= 0) return sorted.front();
  const auto below = static_cast<std::size_t>(std::floor(h));
  if (below + 1 >= sorted.size()) return sorted.back();
  return sorted[below] + (h - double(below)) * (sorted[below + 1] - sorted[below]);
}

double expected_shortfall_of_sorted(std::span<const double> sorted, double alpha) {
  if (sorted.empty()) throw std::invalid_argument("expected shortfall of an empty sample");
  // Outside (0, 1] (or NaN) ceil(alpha N) is not a count of values in the sample.
  if (!(alpha > 0 && alpha <= 1)) throw std::invalid_argument("expected shortfall level alpha outside (0, 1]");
  const auto count = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(alpha * double(sorted.size()))));
  return accurate_sum(sorted.first(count)) / double(count);
}

double accurate_sum(std::span<const double> values) {
  double sum = 0.0, compensation = 0.0;
  for (double value : values) {
    const double next = sum + value;
    compensation += std::abs(sum) >= std::abs(value) ? (sum - next) + value : (value - next) + sum;
    sum = next;
  }
  return sum + compensation;
}

SampleSummary summarise(std::span<const double> values, const IntervalDesign& design, std::span<const double> levels) {
  if (values.empty()) throw std::invalid_argument("summary of an empty sample");
  SampleSummary summary;
  const std::size_t n = values.size();
  summary.count = n;
  summary.mean = accurate_sum(values) / double(n);
  double squares = 0.0, compensation = 0.0;
  std::size_t losses = 0;
  for (double value : values) {
    const double d = (value - summary.mean) * (value - summary.mean);
    const double next = squares + d;
    compensation += (squares - next) + d;  // d >= 0 and squares >= 0: Kahan suffices
    squares = next;
    if (value < 0) ++losses;
  }
  summary.sd = n > 1 ? std::sqrt((squares + compensation) / double(n - 1)) : 0.0;
  summary.prob_loss = double(losses) / double(n);

  std::vector<double> sorted(values.begin(), values.end());
  sort_values(sorted);
  summary.min = sorted.front();
  summary.max = sorted.back();
  for (double level : levels) summary.percentiles.push_back({level, percentile_of_sorted(sorted, level), {}});
  summary.expected_shortfall_5 = expected_shortfall_of_sorted(sorted, 0.05);

  const std::size_t m = design.replicate_size;
  if (m == 0) {
    summary.interval_method = "iid";
    summary.mean_se = summary.sd / std::sqrt(double(n));
    summary.mean_ci95_low = summary.mean - kZ975 * summary.mean_se;
    summary.mean_ci95_high = summary.mean + kZ975 * summary.mean_se;
    for (auto& p : summary.percentiles) p.ci95 = percentile_interval_of_sorted(sorted, p.level);
    summary.prob_loss_ci95 = wilson_interval(summary.prob_loss, n);
    summary.expected_shortfall_5_ci95 = expected_shortfall_interval_of_sorted(sorted, 0.05);
    return summary;
  }
  if (n % m != 0 || n / m < 2) throw std::invalid_argument("a replicated design needs a whole number (>= 2) of replicates");
  // Replicated designs (Latin hypercube, randomised Sobol): each replicate is an
  // independent, unbiased estimator, so every statistic is the average of its
  // values in the R replicates and its interval comes from their spread (Owen's
  // replicated RQMC) -- except the ES, see below. Percentiles within a replicate use position M p + 1/2
  // (Hyndman-Fan definition 5), whose small-M bias is far below definition 7's:
  // with definition 7 or with the pooled percentile as the centre, Sobol
  // percentile intervals covered only 84-93% (tests/statistical/interval_coverage_test.cpp).
  summary.interval_method = "replicates";
  const std::size_t r = n / m;
  std::vector<double> means(r), shortfalls(r), losses_by_replicate(r);
  std::vector<std::vector<double>> percentiles(summary.percentiles.size(), std::vector<double>(r));
  std::vector<double> replicate;
  for (std::size_t k = 0; k < r; ++k) {
    replicate.assign(values.begin() + std::ptrdiff_t(k * m), values.begin() + std::ptrdiff_t((k + 1) * m));
    means[k] = accurate_sum(replicate) / double(m);
    sort_values(replicate);
    losses_by_replicate[k] = double(std::lower_bound(replicate.begin(), replicate.end(), 0.0) - replicate.begin()) / double(m);
    shortfalls[k] = expected_shortfall_of_sorted(replicate, 0.05);
    for (std::size_t j = 0; j < summary.percentiles.size(); ++j) {
      percentiles[j][k] = midpoint_percentile_of_sorted(replicate, summary.percentiles[j].level);
    }
  }
  const auto average = [](const std::vector<double>& v) { return accurate_sum(v) / double(v.size()); };
  const Interval mean_interval = replicate_interval(summary.mean, means);
  summary.mean_ci95_low = mean_interval.low;
  summary.mean_ci95_high = mean_interval.high;
  summary.mean_se = mean_interval.half_width() / boost::math::quantile(boost::math::complement(
                                                     boost::math::students_t_distribution<double>(double(r - 1)), 0.025));
  for (std::size_t j = 0; j < summary.percentiles.size(); ++j) {
    summary.percentiles[j].value = average(percentiles[j]);
    summary.percentiles[j].ci95 = replicate_interval(summary.percentiles[j].value, percentiles[j]);
  }
  const Interval loss = replicate_interval(summary.prob_loss, losses_by_replicate);
  summary.prob_loss_ci95 = {std::clamp(loss.low, 0.0, summary.prob_loss), std::clamp(loss.high, summary.prob_loss, 1.0)};
  // The ES stays the pooled one (R1's convention): a replicate's ceil(0.05 M)
  // smallest values are a coarser tail (13 of 256 is 5.08%), and averaging them
  // biased the centre enough that Sobol ES intervals covered only 89%.
  summary.expected_shortfall_5_ci95 = replicate_interval(summary.expected_shortfall_5, shortfalls);
  return summary;
}

std::vector<double> probability_best(const std::vector<std::span<const double>>& samples) {
  const std::size_t k = samples.size();
  std::vector<double> wins(k, 0.0);
  if (k == 0) return wins;
  const std::size_t n = samples[0].size();
  for (const auto& sample : samples)
    if (sample.size() != n) throw std::invalid_argument("probability_best needs samples of equal length");
  for (std::size_t i = 0; i < n; ++i) {
    double best = samples[0][i];
    for (std::size_t o = 1; o < k; ++o) best = std::max(best, samples[o][i]);
    std::size_t tied = 0;
    for (std::size_t o = 0; o < k; ++o) tied += samples[o][i] == best;
    for (std::size_t o = 0; o < k; ++o)
      if (samples[o][i] == best) wins[o] += 1.0 / double(tied);
  }
  for (double& w : wins) w /= double(n);
  return wins;
}

namespace {

constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;

// A key that compares as the value does: a negative value's bits inverted, a positive one's sign bit set.
std::uint64_t monotone_key(double value) {
  const auto bits = std::bit_cast<std::uint64_t>(value);
  return (bits & kSignBit) ? ~bits : bits | kSignBit;
}

double value_of_key(std::uint64_t key) { return std::bit_cast<double>((key & kSignBit) ? key & ~kSignBit : ~key); }

// A stable LSD radix sort of items on their bits [kFirstBit, 64), in 11-bit digits. `varying` holds the
// bits that differ between items: a digit with none of them orders nothing and is skipped. Every digit's
// counts are taken in one pass first (a fixed number of digits, so that pass unrolls). next: scratch,
// items' size.
template <unsigned kFirstBit>
void radix_sort(boost::container::vector<std::uint64_t>& items, boost::container::vector<std::uint64_t>& next, std::uint64_t varying) {
  constexpr unsigned kDigitBits = 11;
  constexpr std::uint64_t kDigitMask = (std::uint64_t{1} << kDigitBits) - 1;
  constexpr std::size_t kDigits = (64 - kFirstBit + kDigitBits - 1) / kDigitBits;
  const std::size_t n = items.size();
  if (n > std::numeric_limits<std::uint32_t>::max()) throw std::invalid_argument("radix sort of more than 2^32 values");
  std::array<std::array<std::uint32_t, kDigitMask + 1>, kDigits> counts{};  // 32-bit: half the cache of 64
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t d = 0; d < kDigits; ++d) ++counts[d][(items[i] >> (kFirstBit + kDigitBits * d)) & kDigitMask];
  for (std::size_t d = 0; d < kDigits; ++d) {
    const unsigned shift = kFirstBit + kDigitBits * unsigned(d);
    if (((varying >> shift) & kDigitMask) == 0) continue;
    std::uint32_t position = 0;
    for (std::uint32_t& c : counts[d]) position += std::exchange(c, position);
    for (std::size_t i = 0; i < n; ++i) next[counts[d][(items[i] >> shift) & kDigitMask]++] = items[i];
    items.swap(next);
  }
}

}  // namespace

void sort_values(std::span<double> values) {
  const std::size_t n = values.size();
  constexpr std::size_t kShortSample = 1024;  // below this, std::sort is as fast
  if (n < kShortSample) {
    std::sort(values.begin(), values.end());
    return;
  }
  boost::container::vector<std::uint64_t> keys(n, boost::container::default_init), next(n, boost::container::default_init);
  std::uint64_t all_ones = ~std::uint64_t{0}, any_ones = 0;
  for (std::size_t i = 0; i < n; ++i) {
    keys[i] = monotone_key(values[i]);
    all_ones &= keys[i];
    any_ones |= keys[i];
  }
  radix_sort<0>(keys, next, all_ones ^ any_ones);
  for (std::size_t i = 0; i < n; ++i) values[i] = value_of_key(keys[i]);
}

std::vector<double> ranks(std::span<const double> values) {
  std::vector<double> result(values.size());
  RankWorkspace().ranks(values, result);
  return result;
}

// The values' order as indices, then ties given their mean rank, so the result
// does not depend on how the sort orders equal values. The sort works on
// monotone integer keys (-0 and +0 get the same key, so they tie as they
// compare) in two stages:
//  1. an LSD radix sort on a 32-bit window of the keys, from the highest bit
//     that differs between them (for a sample within one binade: 32 bits of
//     mantissa), in 11-bit digits, a digit every key shares skipped: items of
//     8 bytes (window, index), at most three passes;
//  2. each run of keys equal in the window (rare for a sample of a continuous
//     quantity) ordered by the bits below the window and the index, left
//     alone when already in order (the runs of a discrete sample: equal
//     values, in index order).
// The driver ranking ranks some 30 samples of 2^17 trials in every run. Sorting
// all 64 bits in eight 8-bit passes of 12-byte items cost 5.5% of a
// 4·10^6-trial R1 run on one thread; and a comparison sort of (value, index)
// pairs, before that, a third of a short run's time.
void RankWorkspace::ranks(std::span<const double> values, std::span<double> result) {
  const std::size_t n = values.size();
  if (result.size() != n) throw std::invalid_argument("ranks: the result's size differs from the sample's");
  if (n > 0 && result.data() == values.data()) throw std::invalid_argument("ranks: the result cannot overwrite the sample");
  if (n > std::numeric_limits<std::uint32_t>::max()) throw std::invalid_argument("ranks: more than 2^32 values");
  for (auto* buffer : {&items_, &items_next_}) buffer->resize(n, boost::container::default_init);
  const auto key_of = [&values](std::size_t i) { return monotone_key(values[i] + 0.0); };  // -0 becomes +0
  // Stage 1. The window: 32 bits of the key from its highest bit that is not the same in every key (the
  // bits above it order nothing), so a sample in one binade is sorted on 32 bits of mantissa, not 20.
  std::uint64_t all_ones = ~std::uint64_t{0}, any_ones = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t key = key_of(i);
    items_next_[i] = key;
    all_ones &= key;
    any_ones |= key;
  }
  const std::uint64_t varying = all_ones ^ any_ones;
  const int top = varying == 0 ? 0 : 63 - std::countl_zero(varying);
  const int window = std::max(top - 31, 0);  // the window is key bits [window, window + 32); window <= 32
  for (std::size_t i = 0; i < n; ++i) items_[i] = ((items_next_[i] >> window) << 32) | i;
  radix_sort<32>(items_, items_next_, ((varying >> window) & 0xFFFFFFFF) << 32);
  // Stage 2, and the ranks. A value alone in its run has the rank of its position. In a run (keys equal in
  // the window), an item becomes (the key's bits below the window, index): as an integer, its order is the values' order, equal values by index;
  // and equal keys are equal values (NaN aside, which equals nothing), so ties are found in the keys, not
  // by reading the values again in sorted order (a random access each, a third of the time).
  constexpr std::uint64_t kIndexMask = 0xFFFFFFFF;
  const auto index_at = [this](std::size_t k) { return std::size_t(items_[k] & kIndexMask); };
  for (std::size_t i = 0; i < n;) {
    const std::uint64_t high = items_[i] & ~kIndexMask;
    std::size_t j = i + 1;
    while (j < n && (items_[j] & ~kIndexMask) == high) ++j;
    if (j - i == 1) {
      result[index_at(i)] = double(i) + 1.0;
      i = j;
      continue;
    }
    for (std::size_t k = i; k < j; ++k) {
      const std::uint64_t below = window == 0 ? 0 : key_of(index_at(k)) << (64 - window);  // window <= 32: they fit
      items_[k] = below | index_at(k);
    }
    const auto first = items_.begin() + std::ptrdiff_t(i), last = items_.begin() + std::ptrdiff_t(j);
    if (!std::is_sorted(first, last)) std::sort(first, last);
    for (std::size_t a = i; a < j;) {
      std::size_t b = a;  // [a, b] equal values
      if (!std::isnan(values[index_at(a)])) {
        while (b + 1 < j && (items_[b + 1] >> 32) == (items_[a] >> 32)) ++b;
      }
      const double average = (double(a) + double(b)) / 2.0 + 1.0;
      for (std::size_t k = a; k <= b; ++k) result[index_at(k)] = average;
      a = b + 1;
    }
    i = j;
  }
}

double spearman(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size()) throw std::invalid_argument("spearman needs samples of equal length");
  if (x.size() < 2) return 0.0;
  return pearson_of_ranks(ranks(x), ranks(y));
}

// Average ranks are multiples of 1/2, and so is their mean (n+1)/2: every term
// of the three sums is a multiple of 1/4, and no partial sum, in any order,
// exceeds sum (r - mean)^2 <= n^3/12 in magnitude. Up to n = 2^18 that is below
// 2^51, where a double holds every multiple of 1/4: each addition is exact, so
// the sums (and the result) are the same in any order, and the loop runs in
// eight lanes instead of three chains of dependent additions (the driver
// ranking correlates some 100 pairs of 2^17 ranks in every run). Beyond 2^18
// the sums are taken in index order, as before. (Given values that are not
// average ranks, the result is still their Pearson correlation, summed in lanes.)
MCRISK_VECTOR_CLONES
double pearson_of_ranks(std::span<const double> rx, std::span<const double> ry) {
  if (rx.size() != ry.size()) throw std::invalid_argument("pearson_of_ranks needs rank vectors of equal length");
  if (rx.size() < 2) return 0.0;
  const std::size_t n = rx.size();
  const double mean = (double(n) + 1.0) / 2.0;  // the mean of average ranks is always (n+1)/2
  double sxy = 0, sxx = 0, syy = 0;
  std::size_t i = 0;
  constexpr std::size_t kExactLimit = std::size_t{1} << 18;
  if (n <= kExactLimit) {
    using Lanes = double __attribute__((vector_size(4 * sizeof(double))));
    Lanes xy[2] = {}, xx[2] = {}, yy[2] = {};
    const double* x = rx.data();
    const double* y = ry.data();
    for (; i + 8 <= n; i += 8) {
      for (std::size_t v = 0; v < 2; ++v) {
        const std::size_t at = i + 4 * v;
        const Lanes dx = Lanes{x[at], x[at + 1], x[at + 2], x[at + 3]} - mean;
        const Lanes dy = Lanes{y[at], y[at + 1], y[at + 2], y[at + 3]} - mean;
        xy[v] += dx * dy;
        xx[v] += dx * dx;
        yy[v] += dy * dy;
      }
    }
    for (std::size_t lane = 0; lane < 4; ++lane) {
      sxy += xy[0][lane] + xy[1][lane];
      sxx += xx[0][lane] + xx[1][lane];
      syy += yy[0][lane] + yy[1][lane];
    }
  }
  for (; i < n; ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  if (sxx == 0 || syy == 0) return 0.0;
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace mcrisk::statistics
