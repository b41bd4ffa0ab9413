#pragma once
// Marginal distributions of drivers. Every distribution is sampled by its
// inverse CDF from a uniform in (0,1) (or, for normal and lognormal, directly
// from a standard normal score), so the same code serves plain Monte Carlo,
// Latin hypercube and Sobol points and the Gaussian copula.

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrisk::model {

namespace detail {
class BetaQuantileTable;  // engine/src/model/quantile_table.h
}

//! Parameters that do not describe a valid distribution (message says what was expected).
class DistributionError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

//! The closed set of marginal families, dispatched by switch (no virtual calls).
enum class DistributionFamily { Constant, Normal, LogNormal, Uniform, Triangular, Pert, Beta, Bernoulli, Discrete };

//! A validated marginal distribution. Build with the named constructors.
class Distribution {
 public:
  static Distribution constant(double value);
  static Distribution normal(double mean, double sd);
  //! Normal with P(X <= x_lo) = p_lo and P(X <= x_hi) = p_hi (e.g. P10 and P90).
  static Distribution normal_from_percentiles(double p_lo, double x_lo, double p_hi, double x_hi);
  //! median * exp(sigma Z).
  static Distribution lognormal_median(double median, double sigma);
  //! Lognormal with the given arithmetic mean and standard deviation.
  static Distribution lognormal_mean_sd(double mean, double sd);
  //! Lognormal through two percentiles (0 < x_lo < x_hi).
  static Distribution lognormal_from_percentiles(double p_lo, double x_lo, double p_hi, double x_hi);
  static Distribution uniform(double min, double max);
  static Distribution triangular(double min, double mode, double max);
  //! min + (max-min) Beta(1 + lambda (mode-min)/(max-min), 1 + lambda (max-mode)/(max-min)); lambda = 4 is classic PERT.
  static Distribution pert(double min, double mode, double max, double lambda = 4.0);
  //! min + (max-min) Beta(alpha, beta).
  static Distribution beta(double alpha, double beta, double min = 0.0, double max = 1.0);
  //! 1 with probability p, else 0.
  static Distribution bernoulli(double p);
  //! values[i] with probability probabilities[i] (probabilities must sum to 1 within 1e-9; values distinct).
  static Distribution discrete(std::vector<double> values, std::vector<double> probabilities);

  DistributionFamily family() const { return family_; }
  //! Inverse CDF at u in (0,1): the smallest x with F(x) >= u. PERT and beta
  //! (shapes in [0.5, 1000]) read a table of the quantile, within 1e-7 (max - min)
  //! of the exact one for u in [1e-12, 1 - 1e-12] (tested; method and bound in
  //! engine/src/model/quantile_table.h).
  double quantile(double u) const;
  //! quantile(Phi(z)), computed without the round trip where the family allows
  //! (normal, lognormal, and PERT and beta through their table).
  double from_normal_score(double z) const;
  //! quantile() over a block: x[i] = quantile(u[i]); u and x must not overlap.
  void quantile_block(const double* u, double* x, std::size_t n) const;
  //! from_normal_score() over a block; z may be x itself (in place), not otherwise overlap it.
  void from_normal_score_block(const double* z, double* x, std::size_t n) const;
  //! True for families whose natural input is a normal score (normal, lognormal).
  bool prefers_normal_score() const;
  double cdf(double x) const;
  double mean() const;
  double variance() const;
  double min() const;  //!< support lower bound (-inf for normal)
  double max() const;  //!< support upper bound (+inf for normal, lognormal)
  //! One line for outlines and the method appendix, e.g. "PERT(min 0.7, mode 0.95, max 1.05)".
  std::string describe() const;

 private:
  DistributionFamily family_ = DistributionFamily::Constant;
  double a_ = 0.0, b_ = 0.0, c_ = 0.0, d_ = 0.0;  // family-specific, see distribution.cpp
  std::vector<double> values_, cumulative_;       // discrete only
  std::string description_;
  double scale_unit_beta(double unit) const;
  double tabulated_quantile(double u) const;           // PERT, beta with beta_table_
  double tabulated_from_normal_score(double z) const;  // PERT, beta with beta_table_
  // The table at every lane's score (moved into the table): tabulated_from_normal_score() where it covers the score.
  void table_block(const double* z, double* x, std::size_t n) const;
  // Pert and Beta: the tabulated quantile (built once, shared by copies), or
  // null where the shapes are outside the table's tested range (exact Boost).
  std::shared_ptr<const detail::BetaQuantileTable> beta_table_;
};

//! Standard normal CDF (Boost.Math erfc) and its inverse (Wichura's AS241,
//! about 1e-16 relative), shared by the copula and the samplers.
double standard_normal_cdf(double z);
double standard_normal_quantile(double u);
//! z[i] = standard_normal_quantile(u[i]), bit for bit, faster over a block: the
//! central region (|u - 1/2| <= 0.425, 85% of uniforms) for every lane in one
//! branch-free loop that vectorises, then the tails, listed, in another; the
//! scalar function only for u outside (0, 1) (0, 1, beyond, +-inf, NaN) and subnormal u.
void standard_normal_quantile_block(const double* u, double* z, std::size_t n);

}  // namespace mcrisk::model
