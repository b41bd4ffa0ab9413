#pragma once
// Statistics of one sample of a model output (an option's total net savings,
// its NPV, a year's net), by the conventions of docs/reference-model R1:
// percentiles by linear interpolation between order statistics, expected
// shortfall as the mean of the ceil(alpha N) smallest values, probability of a
// loss as P(X < 0). All computed in trial order, so they are deterministic.

#include <cstddef>
#include <span>
#include <vector>

namespace mcrisk::statistics {

//! The percentile levels every summary reports.
inline constexpr double kReportedPercentiles[] = {5, 10, 50, 80, 90, 95};

//! A percentile level and its value.
struct Percentile {
  double level = 0;  //!< 0..100
  double value = 0;
};

//! The summary of one output.
struct SampleSummary {
  std::size_t count = 0;
  double mean = 0, mean_se = 0, mean_ci95_low = 0, mean_ci95_high = 0, sd = 0;
  double min = 0, max = 0;
  std::vector<Percentile> percentiles;  //!< kReportedPercentiles, in order
  double prob_loss = 0;                 //!< P(X < 0)
  double expected_shortfall_5 = 0;      //!< mean of the ceil(0.05 N) smallest values

  //! The value at a reported level (throws std::out_of_range if not reported).
  double percentile(double level) const;
};

//! Percentile (0..100) of sorted values, linear interpolation between order
//! statistics: h = (N - 1) p, x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])
//! (Hyndman and Fan 1996, definition 7).
double percentile_of_sorted(std::span<const double> sorted, double level);

//! Mean of the ceil(alpha N) smallest of sorted values.
double expected_shortfall_of_sorted(std::span<const double> sorted, double alpha);

//! Compensated (Neumaier) sum, so that means of millions of trials keep their digits.
double accurate_sum(std::span<const double> values);

//! Summarises values (taken in the given order; a sorted copy is made).
SampleSummary summarise(std::span<const double> values);

//! For each of k options, the share of trials in which it has the largest value;
//! a tie of m options gives each 1/m. samples[o][trial].
std::vector<double> probability_best(const std::vector<std::span<const double>>& samples);

//! Average ranks (1-based; ties share their mean rank).
std::vector<double> ranks(std::span<const double> values);

//! Spearman's rank correlation (Pearson correlation of average ranks); 0 if either is constant.
double spearman(std::span<const double> x, std::span<const double> y);

//! Spearman's correlation from ranks already computed with ranks() (to rank each sample once).
double pearson_of_ranks(std::span<const double> rx, std::span<const double> ry);

}  // namespace mcrisk::statistics
