#pragma once
// Statistics of one sample of a model output (an option's total net savings,
// its NPV, a year's net), by the conventions of docs/reference-model R1:
// percentiles by linear interpolation between order statistics, expected
// shortfall as the mean of the ceil(alpha N) smallest values, probability of a
// loss as P(X < 0). All computed in trial order, so they are deterministic.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <boost/container/vector.hpp>

namespace mcrisk::statistics {

//! The percentile levels every summary reports.
inline constexpr double kReportedPercentiles[] = {5, 10, 50, 80, 90, 95};

//! A confidence interval.
struct Interval {
  double low = 0, high = 0;
  double half_width() const { return (high - low) / 2; }
  bool contains(double x) const { return low <= x && x <= high; }
};

//! A percentile level, its value and the value's 95% confidence interval.
struct Percentile {
  double level = 0;  //!< 0..100
  double value = 0;
  Interval ci95;
};

//! How the Monte Carlo uncertainty of each statistic is estimated.
struct IntervalDesign {
  //! 0: the trials are independent draws (plain Monte Carlo), so each statistic
  //! has its own closed-form interval. M > 0: the trials are replicates of M
  //! points (Latin hypercube, randomised Sobol), which are not independent
  //! within a replicate; every statistic is then the average of its values in
  //! the replicates (percentiles by definition 5 within each), and its interval
  //! comes from their spread (Student t, R - 1 df).
  std::size_t replicate_size = 0;
};

//! The summary of one output, each figure with its 95% interval.
struct SampleSummary {
  std::size_t count = 0;
  double mean = 0, mean_se = 0, mean_ci95_low = 0, mean_ci95_high = 0, sd = 0;
  double min = 0, max = 0;
  std::vector<Percentile> percentiles;  //!< kReportedPercentiles, in order
  double prob_loss = 0;                 //!< P(X < 0)
  Interval prob_loss_ci95;
  double expected_shortfall_5 = 0;      //!< mean of the ceil(0.05 N) smallest values
  Interval expected_shortfall_5_ci95;
  std::string interval_method;          //!< "iid" or "replicates"
  //! How exact the percentiles and the ES are: exact order statistics of the
  //! stored sample, or read from a quantile sketch (streaming statistics), in
  //! which case every reported value is within relative_value_error of the
  //! exact one and within rank_error (a fraction of the trials) of its rank.
  struct QuantileAccuracy {
    bool exact = true;
    double relative_value_error = 0;
    double rank_error = 0;
  } accuracy;

  //! The value at a reported level (throws std::out_of_range if not reported).
  double percentile(double level) const;
};

//! Percentile (0..100) of sorted values, linear interpolation between order
//! statistics: h = (N - 1) p, x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])
//! (Hyndman and Fan 1996, definition 7).
double percentile_of_sorted(std::span<const double> sorted, double level);

//! Percentile (0..100) at position N p + 1/2 (Hyndman and Fan 1996, definition 5):
//! used within the replicates of a replicated design, where its bias is smaller.
double midpoint_percentile_of_sorted(std::span<const double> sorted, double level);

//! Mean of the ceil(alpha N) smallest of sorted values.
double expected_shortfall_of_sorted(std::span<const double> sorted, double alpha);

//! Compensated (Neumaier) sum, so that means of millions of trials keep their digits.
double accurate_sum(std::span<const double> values);

//! Summarises values (taken in the given order; a sorted copy is made), with
//! the percentiles at `levels` (0..100, ascending).
SampleSummary summarise(std::span<const double> values, const IntervalDesign& design = {},
                        std::span<const double> levels = kReportedPercentiles);

//! Two-sided 95% normal quantile, Phi^-1(0.975).
inline constexpr double kZ975 = 1.959963984540054;

//! Wilson score interval for a proportion p_hat observed over n trials (Wilson 1927).
Interval wilson_interval(double p_hat, std::size_t n, double z = kZ975);

//! Distribution-free 95% interval for the level-th percentile from order
//! statistics: [x_(l), x_(u)] with l, u chosen from Binomial(N, p) so that
//! P(l <= B < u) >= 0.95 (the binomial method; Hahn and Meeker 1991, 5.2).
Interval percentile_interval_of_sorted(std::span<const double> sorted, double level);

//! The 1-based ranks [l, u] of that interval's order statistics among n values
//! ({1, n} where n is too small or the level is 0 or 100).
std::pair<std::size_t, std::size_t> percentile_interval_ranks(std::size_t n, double level);

//! 95% interval for the expected shortfall at alpha, asymptotic normal with
//! variance [Var(X | X <= q) + (1 - alpha)(ES - q)^2] / (alpha N)
//! (Manistre and Hancock 2005, "Variance of the CTE estimator").
Interval expected_shortfall_interval_of_sorted(std::span<const double> sorted, double alpha);

//! Estimate +- t_{R-1, 0.975} sd(per_replicate) / sqrt(R): the interval of a
//! statistic from its values in R independent replicates.
Interval replicate_interval(double estimate, std::span<const double> per_replicate);

//! For each of k options, the share of trials in which it has the largest value;
//! a tie of m options gives each 1/m. samples[o][trial].
std::vector<double> probability_best(const std::vector<std::span<const double>>& samples);

//! Sorts values in ascending order, as std::sort with < would (zeros of either sign, which compare
//! equal, in either order; a NaN, which std::sort cannot place, at the end of its sign). An LSD radix
//! sort on the values' bits for long samples: the exact statistics sort every output of every trial,
//! and std::sort was half of a 2·10^5-trial R1 run.
void sort_values(std::span<double> values);

//! Average ranks (1-based; ties share their mean rank).
std::vector<double> ranks(std::span<const double> values);

//! Working memory for ranking, kept between calls. The driver ranking ranks
//! some 30 samples of 2^17 trials in every run: through one workspace per
//! thread they cost one set of buffers (grown, never zeroed) instead of five
//! fresh allocations per sample, each faulted in page by page.
class RankWorkspace {
 public:
  //! ranks(values) into result, which must have values.size() elements and not
  //! be values' memory (values are read again, in runs, after result is written).
  void ranks(std::span<const double> values, std::span<double> result);

 private:
  // (a 32-bit window of the value's sort key, index), then (the key's bits below the window, index)
  // within runs of keys equal in the window: see ranks().
  boost::container::vector<std::uint64_t> items_, items_next_;
};

//! Spearman's rank correlation (Pearson correlation of average ranks); 0 if either is constant.
double spearman(std::span<const double> x, std::span<const double> y);

//! Spearman's correlation from ranks already computed with ranks() (to rank each sample once).
double pearson_of_ranks(std::span<const double> rx, std::span<const double> ry);

}  // namespace mcrisk::statistics
