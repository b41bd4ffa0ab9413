#include "mcrisk/statistics/sample_statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace mcrisk::statistics {

namespace {
// Two-sided 95% normal quantile, Phi^-1(0.975).
constexpr double kZ975 = 1.959963984540054;
}  // namespace

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

SampleSummary summarise(std::span<const double> values) {
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
  summary.mean_se = summary.sd / std::sqrt(double(n));
  summary.mean_ci95_low = summary.mean - kZ975 * summary.mean_se;
  summary.mean_ci95_high = summary.mean + kZ975 * summary.mean_se;
  summary.prob_loss = double(losses) / double(n);

  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  summary.min = sorted.front();
  summary.max = sorted.back();
  for (double level : kReportedPercentiles) summary.percentiles.push_back({level, percentile_of_sorted(sorted, level)});
  summary.expected_shortfall_5 = expected_shortfall_of_sorted(sorted, 0.05);
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

std::vector<double> ranks(std::span<const double> values) {
  const std::size_t n = values.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Ties are broken by index so the order (and the ranks) never depend on the sort's internals.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return values[a] < values[b] || (values[a] == values[b] && a < b);
  });
  std::vector<double> result(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && values[order[j + 1]] == values[order[i]]) ++j;
    const double average = (double(i) + double(j)) / 2.0 + 1.0;
    for (std::size_t k = i; k <= j; ++k) result[order[k]] = average;
    i = j + 1;
  }
  return result;
}

double spearman(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size()) throw std::invalid_argument("spearman needs samples of equal length");
  if (x.size() < 2) return 0.0;
  return pearson_of_ranks(ranks(x), ranks(y));
}

double pearson_of_ranks(std::span<const double> rx, std::span<const double> ry) {
  if (rx.size() != ry.size()) throw std::invalid_argument("pearson_of_ranks needs rank vectors of equal length");
  if (rx.size() < 2) return 0.0;
  const double mean = (double(rx.size()) + 1.0) / 2.0;  // the mean of average ranks is always (n+1)/2
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  if (sxx == 0 || syy == 0) return 0.0;
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace mcrisk::statistics
