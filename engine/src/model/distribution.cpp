// Marginal distributions: validation, inverse CDFs, CDFs and closed-form
// moments. Every family is a switch case; there are no virtual calls on the
// sampling path.
//
// Parameter layout in the generic slots a_, b_, c_, d_ of Distribution:
//   Constant    a_ = value
//   Normal      a_ = mean,   b_ = sd
//   LogNormal   a_ = median, b_ = sigma, c_ = log(median)  (X = median exp(sigma Z))
//   Uniform     a_ = min,    b_ = max
//   Triangular  a_ = min,    b_ = mode,  c_ = max
//   Pert, Beta  a_ = alpha,  b_ = beta,  c_ = min, d_ = max  (X = min + (max-min) B)
//               PERT is stored as its beta shape; its mode and lambda survive
//               only in the description. beta_table_ is B's tabulated
//               quantile (quantile_table.h), null outside its tested shapes.
//   Bernoulli   a_ = p
//   Discrete    a_ = smallest value with positive probability,
//               b_ = largest value with positive probability,
//               c_ = mean, d_ = variance (both computed once at construction);
//               values_ sorted ascending, cumulative_[i] = P(X <= values_[i]).

#include "mcrisk/model/distribution.h"

#include "exponential.h"
#include "natural_log.h"
#include "quantile_table.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "mcrisk/util/overlap.h"
#include "mcrisk/util/vector_clones.h"

namespace mcrisk::model {

namespace {

// Boost's error policy (no throwing, double precision): see quantile_table.h.
using detail::QuietPolicy;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Shortest representation that reads back to the same double, for error
// messages: the user must see exactly the value that was rejected.
std::string exact(double x) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
  if (result.ec != std::errc{}) return "?";
  return std::string(buffer, result.ptr);
}

// Up to 6 significant digits without trailing zeros ("%g"), for describe().
std::string brief(double x) {
  if (x == 0.0) x = 0.0;  // print -0 as 0
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", x);
  return buffer;
}

bool all_finite(std::initializer_list<double> values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

[[noreturn]] void reject(const std::string& expected, const std::string& given) {
  throw DistributionError(expected + "; got " + given);
}

// Both percentile constructors share this check: 0 < p_lo < p_hi < 1, x_lo < x_hi.
void check_percentiles(std::string_view name, double p_lo, double x_lo, double p_hi, double x_hi,
                       bool positive_x) {
  const std::string given = "p_lo " + exact(p_lo) + ", x_lo " + exact(x_lo) + ", p_hi " + exact(p_hi) +
                            ", x_hi " + exact(x_hi);
  const std::string expected = std::string(name) + " needs finite 0 < p_lo < p_hi < 1 and " +
                               (positive_x ? "0 < x_lo < x_hi" : "x_lo < x_hi");
  if (!all_finite({p_lo, x_lo, p_hi, x_hi})) reject(expected, given);
  if (!(0.0 < p_lo && p_lo < p_hi && p_hi < 1.0)) reject(expected, given);
  if (!(x_lo < x_hi)) reject(expected, given);
  if (positive_x && !(x_lo > 0.0)) reject(expected, given);
}

// Boost's Beta(alpha, beta) quantile on [0, 1], for the shapes and scores the
// table does not cover (quantile_table.h). Boost 1.74's root finder throws,
// whatever the policy, deep in the lower tail (seen from u below about 1e-84,
// e.g. PERT(0.7, 0.95, 1.05) at u = 1e-300) where the answer is below 1e-16.
// There the tail's leading term I_x = x^alpha / (alpha B(alpha, beta)) (1 + O(x))
// inverts to x = (u alpha B)^(1/alpha) with absolute error O(x^2); mirrored
// in the upper tail.
double exact_unit_beta_quantile(double alpha, double beta, double u) {
  try {
    return boost::math::ibeta_inv(alpha, beta, u, QuietPolicy());
  } catch (const std::exception&) {
    const QuietPolicy policy;
    const double log_beta_function = boost::math::lgamma(alpha, policy) + boost::math::lgamma(beta, policy) -
                                     boost::math::lgamma(alpha + beta, policy);
    if (u <= 0.5) return std::exp((std::log(u) + std::log(alpha) + log_beta_function) / alpha);
    return 1.0 - std::exp((std::log1p(-u) + std::log(beta) + log_beta_function) / beta);
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Standard normal
// ---------------------------------------------------------------------------

// Phi(z) = erfc(-z / sqrt 2) / 2 (Abramowitz & Stegun 26.2.29). erfc keeps full
// relative accuracy in the lower tail, where 1 + erf(z / sqrt 2) would cancel.
double standard_normal_cdf(double z) {
  if (std::isnan(z)) return kNaN;
  if (z == -kInfinity) return 0.0;
  if (z == kInfinity) return 1.0;
  return 0.5 * boost::math::erfc(-z / boost::math::constants::root_two<double>(), QuietPolicy());
}

// Phi^-1(u) by Wichura's algorithm AS 241 (PPND16; Applied Statistics 37(3),
// 1988, 477-484): rational approximations of degree 7/7 in three regions:
// |u - 1/2| <= 0.425, in (u - 1/2)^2; else, with r = sqrt(-log(min(u, 1-u))),
// r <= 5 (down to u = 1.4e-11) and r > 5. Quoted at about 1e-16 relative;
// tests/statistical/quantile_accuracy_test.cpp measures at most 8e-16 (3.5
// ulp) against a 50-digit reference from u = 1e-300 to 1/2. It replaced
// Boost's erfc_inv on the sampling path (about 1.7 times faster here).
// 1 - u is exact for u in [1/2, 1] (Sterbenz lemma), so the upper tail has the
// same relative accuracy as the lower tail, and q(1-u) = -q(u) exactly
// whenever 1-u is representable. Horner's rule, no FMA (-ffp-contract=off).
// The tails' logarithm is the project's own (detail::natural_log, fdlibm's
// algorithm, < 1 ulp; natural_log.h), so that the block form's vector loop
// gives the scalar function's bits. It replaced glibc's log in December 2026;
// the two differ in the last bit for about 3% of tail arguments, so up to
// about four normal scores in a thousand changed in their last bits.
namespace {

// AS 241's central region, q = u - 1/2 with |q| <= 0.425.
inline double central_normal_quantile(double q) {
  const double r = 0.180625 - q * q;
  const double numerator =
      ((((((2.5090809287301226727e+03 * r + 3.3430575583588128105e+04) * r + 6.7265770927008700853e+04) * r +
          4.5921953931549871457e+04) * r + 1.3731693765509461125e+04) * r + 1.9715909503065514427e+03) * r +
       1.3314166789178437745e+02) * r + 3.3871328727963666080e+00;
  const double denominator =
      ((((((5.2264952788528545610e+03 * r + 2.8729085735721942674e+04) * r + 3.9307895800092710610e+04) * r +
          2.1213794301586595867e+04) * r + 5.3941960214247511077e+03) * r + 6.8718700749205790830e+02) * r +
       4.2313330701600911252e+01) * r + 1.0;
  return q * numerator / denominator;
}

// AS 241's tails, given r = sqrt(-log(min(u, 1-u))): |z| for r <= 5 (down to
// u = 1.4e-11) and for r > 5, as numerator and denominator: the one division
// is of the selected pair (the same value as dividing both and selecting, at
// half the divisions in a vector loop, where both forms are computed).
struct Ratio {
  double numerator, denominator;
};

inline Ratio near_tail_ratio(double r) {
  r -= 1.6;
  return {((((((7.74545014278341407640e-04 * r + 2.27238449892691845833e-02) * r + 2.41780725177450611770e-01) * r +
              1.27045825245236838258e+00) * r + 3.64784832476320460504e+00) * r + 5.76949722146069140550e+00) * r +
           4.63033784615654529590e+00) * r + 1.42343711074968357734e+00,
          ((((((1.05075007164441684324e-09 * r + 5.47593808499534494600e-04) * r + 1.51986665636164571966e-02) * r +
              1.48103976427480074590e-01) * r + 6.89767334985100004550e-01) * r + 1.67638483018380384940e+00) * r +
           2.05319162663775882187e+00) * r + 1.0};
}

inline Ratio far_tail_ratio(double r) {
  r -= 5.0;
  return {((((((2.01033439929228813265e-07 * r + 2.71155556874348757815e-05) * r + 1.24266094738807843860e-03) * r +
              2.65321895265761230930e-02) * r + 2.96560571828504891230e-01) * r + 1.78482653991729133580e+00) * r +
           5.46378491116411436990e+00) * r + 6.65790464350110377720e+00,
          ((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-07) * r + 1.84631831751005468180e-05) * r +
              7.86869131145613259100e-04) * r + 1.48753612908506148525e-02) * r + 1.36929880922735805310e-01) * r +
           5.99832206555887937690e-01) * r + 1.0};
}

// |z| in the tails from r; no branch.
inline double tail_normal_quantile(double r) {
  const Ratio near = near_tail_ratio(r), far = far_tail_ratio(r);
  const bool is_near = r <= 5.0;
  return (is_near ? near.numerator : far.numerator) / (is_near ? near.denominator : far.denominator);
}

}  // namespace

double standard_normal_quantile(double u) {
  if (std::isnan(u)) return kNaN;
  if (u <= 0.0) return -kInfinity;
  if (u >= 1.0) return kInfinity;
  const double q = u - 0.5;
  if (std::fabs(q) <= 0.425) return central_normal_quantile(q);
  const double z = tail_normal_quantile(std::sqrt(-detail::natural_log(q < 0.0 ? u : 1.0 - u)));
  return q < 0.0 ? -z : z;
}

// The same operations as the scalar function in the same order (no FMA), so the
// same bits; only the branches move out of the loops that do the arithmetic.
// Every lane gets the central form. The lanes outside the central region (about
// 15%: tails, 0, 1, NaN and subnormals) are listed from bit masks (a step per listed lane), and the tail
// form runs as vectors on the list: the logarithm (detail::log_of_normal, the
// scalar function's logarithm without its branches), both tail polynomials for
// every listed lane and a select. (Before, glibc's log was called lane by lane:
// a 4·10^6-trial R1 run on one thread spent 4.75% of its time there.)
// 0, 1, NaN and subnormal u, which the sampler never gives, are redone by the
// scalar function.
MCRISK_VECTOR_CLONES
void standard_normal_quantile_block(const double* u, double* z, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) z[i] = central_normal_quantile(u[i] - 0.5);  // every lane, needed or not
  constexpr std::size_t kChunk = 256;
  // The list is padded to a multiple of kPad (the widest vector, AVX-512's eight doubles) with lane 0, so the
  // tail loop runs whole vectors, never its scalar remainder (with some 38 lanes listed of 256, the
  // remainder was a fifth of them). The padding's results are not read.
  constexpr std::size_t kPad = 8;
  static_assert(kChunk % kPad == 0, "a padded list fits in the chunk");
  // Not zeroed: every element read is written first (zeroing them, 4.6 KiB a call,
  // was a fifth of this function's time in a streaming R1 run).
  std::array<std::uint16_t, kChunk> outside;  // offsets from the chunk's start
  std::array<double, kChunk> tail;
  for (std::size_t start = 0; start < n; start += kChunk) {
    const std::size_t stop = std::min(n, start + kChunk);
    // Listed from a bit mask per 64 lanes: the comparisons as vectors, then one step per listed lane
    // (a step per lane, storing its offset and adding 0 or 1, was a fifth of this function's time).
    std::size_t count = 0;
    for (std::size_t word = start; word < stop; word += 64) {
      const std::size_t width = std::min<std::size_t>(64, stop - word);
      std::uint64_t mask = 0;
      for (std::size_t j = 0; j < width; ++j) mask |= std::uint64_t(!(std::fabs(u[word + j] - 0.5) <= 0.425)) << j;
      for (; mask != 0; mask &= mask - 1) outside[count++] = std::uint16_t(word - start + std::size_t(std::countr_zero(mask)));
    }
    const std::size_t padded = (count + kPad - 1) / kPad * kPad;
    for (std::size_t k = count; k < padded; ++k) outside[k] = 0;
    const double* chunk = u + start;
    for (std::size_t k = 0; k < padded; ++k) {
      const double v = chunk[outside[k]];
      const double q = v - 0.5;
      const double magnitude = tail_normal_quantile(std::sqrt(-detail::log_of_normal(q < 0.0 ? v : 1.0 - v)));
      tail[k] = q < 0.0 ? -magnitude : magnitude;
    }
    for (std::size_t k = 0; k < count; ++k) {
      const double v = chunk[outside[k]];
      z[start + outside[k]] = v >= 0x1p-1022 && v < 1.0 ? tail[k] : standard_normal_quantile(v);
    }
  }
}

// ---------------------------------------------------------------------------
// Named constructors
// ---------------------------------------------------------------------------

Distribution Distribution::constant(double value) {
  if (!std::isfinite(value)) reject("constant needs a finite value", "value " + exact(value));
  Distribution d;
  d.family_ = DistributionFamily::Constant;
  d.a_ = value;
  d.description_ = "Constant(" + brief(value) + ")";
  return d;
}

Distribution Distribution::normal(double mean, double sd) {
  if (!all_finite({mean, sd}) || !(sd > 0.0)) {
    reject("normal needs finite mean and sd > 0", "mean " + exact(mean) + ", sd " + exact(sd));
  }
  Distribution d;
  d.family_ = DistributionFamily::Normal;
  d.a_ = mean;
  d.b_ = sd;
  d.description_ = "Normal(mean " + brief(mean) + ", sd " + brief(sd) + ")";
  return d;
}

// Two conditions x_lo = mean + sd z_lo and x_hi = mean + sd z_hi, z = Phi^-1(p):
// sd = (x_hi - x_lo) / (z_hi - z_lo), mean = x_lo - sd z_lo.
Distribution Distribution::normal_from_percentiles(double p_lo, double x_lo, double p_hi, double x_hi) {
  check_percentiles("normal_from_percentiles", p_lo, x_lo, p_hi, x_hi, /*positive_x=*/false);
  const double z_lo = standard_normal_quantile(p_lo);
  const double z_hi = standard_normal_quantile(p_hi);
  const double sd = (x_hi - x_lo) / (z_hi - z_lo);
  const double mean = x_lo - sd * z_lo;
  if (!all_finite({mean, sd}) || !(sd > 0.0)) {
    reject("normal_from_percentiles needs percentiles that give a finite mean and sd > 0",
           "p_lo " + exact(p_lo) + ", x_lo " + exact(x_lo) + ", p_hi " + exact(p_hi) + ", x_hi " + exact(x_hi) +
               " (mean " + exact(mean) + ", sd " + exact(sd) + ")");
  }
  return normal(mean, sd);
}

Distribution Distribution::lognormal_median(double median, double sigma) {
  if (!all_finite({median, sigma}) || !(median > 0.0) || !(sigma > 0.0)) {
    reject("lognormal needs finite median > 0 and sigma > 0", "median " + exact(median) + ", sigma " + exact(sigma));
  }
  Distribution d;
  d.family_ = DistributionFamily::LogNormal;
  d.a_ = median;
  d.b_ = sigma;
  d.c_ = std::log(median);
  d.description_ = "LogNormal(median " + brief(median) + ", sigma " + brief(sigma) + ")";
  return d;
}

// Moments of the lognormal (Johnson, Kotz & Balakrishnan, Continuous Univariate
// Distributions vol. 1, ch. 14): E X = e^(mu + sigma^2/2),
// Var X = (E X)^2 (e^(sigma^2) - 1). Solving: sigma^2 = log(1 + sd^2/mean^2),
// mu = log(mean) - sigma^2/2, so median = e^mu = mean e^(-sigma^2/2).
// log1p and the ratio (sd/mean)^2 avoid cancellation and overflow.
Distribution Distribution::lognormal_mean_sd(double mean, double sd) {
  if (!all_finite({mean, sd}) || !(mean > 0.0) || !(sd > 0.0)) {
    reject("lognormal_mean_sd needs finite mean > 0 and sd > 0", "mean " + exact(mean) + ", sd " + exact(sd));
  }
  const double ratio = sd / mean;
  const double sigma_squared = std::log1p(ratio * ratio);
  const double median = mean * std::exp(-0.5 * sigma_squared);
  const double sigma = std::sqrt(sigma_squared);
  if (!all_finite({median, sigma}) || !(median > 0.0) || !(sigma > 0.0)) {
    reject("lognormal_mean_sd needs mean and sd that give a finite median > 0 and sigma > 0",
           "mean " + exact(mean) + ", sd " + exact(sd));
  }
  return lognormal_median(median, sigma);
}

// As normal_from_percentiles on the log scale: log x = mu + sigma z.
Distribution Distribution::lognormal_from_percentiles(double p_lo, double x_lo, double p_hi, double x_hi) {
  check_percentiles("lognormal_from_percentiles", p_lo, x_lo, p_hi, x_hi, /*positive_x=*/true);
  const double z_lo = standard_normal_quantile(p_lo);
  const double z_hi = standard_normal_quantile(p_hi);
  const double log_lo = std::log(x_lo);
  const double sigma = (std::log(x_hi) - log_lo) / (z_hi - z_lo);
  const double median = std::exp(log_lo - sigma * z_lo);
  if (!all_finite({median, sigma}) || !(median > 0.0) || !(sigma > 0.0)) {
    reject("lognormal_from_percentiles needs percentiles that give a finite median > 0 and sigma > 0",
           "p_lo " + exact(p_lo) + ", x_lo " + exact(x_lo) + ", p_hi " + exact(p_hi) + ", x_hi " + exact(x_hi) +
               " (median " + exact(median) + ", sigma " + exact(sigma) + ")");
  }
  return lognormal_median(median, sigma);
}

Distribution Distribution::uniform(double min, double max) {
  if (!all_finite({min, max}) || !(min < max) || !std::isfinite(max - min)) {
    reject("uniform needs finite min < max", "min " + exact(min) + ", max " + exact(max));
  }
  Distribution d;
  d.family_ = DistributionFamily::Uniform;
  d.a_ = min;
  d.b_ = max;
  d.description_ = "Uniform(min " + brief(min) + ", max " + brief(max) + ")";
  return d;
}

Distribution Distribution::triangular(double min, double mode, double max) {
  if (!all_finite({min, mode, max}) || !(min < max) || !(min <= mode && mode <= max) || !std::isfinite(max - min)) {
    reject("triangular needs finite min < max and min <= mode <= max",
           "min " + exact(min) + ", mode " + exact(mode) + ", max " + exact(max));
  }
  Distribution d;
  d.family_ = DistributionFamily::Triangular;
  d.a_ = min;
  d.b_ = mode;
  d.c_ = max;
  d.description_ = "Triangular(min " + brief(min) + ", mode " + brief(mode) + ", max " + brief(max) + ")";
  return d;
}

// Modified PERT (Vose, Risk Analysis, 3rd ed., sec. III.7): a beta on
// [min, max] with alpha = 1 + lambda (mode-min)/(max-min) and
// beta = 1 + lambda (max-mode)/(max-min); its mean is
// (min + lambda mode + max) / (lambda + 2).
Distribution Distribution::pert(double min, double mode, double max, double lambda) {
  if (!all_finite({min, mode, max, lambda}) || !(min < max) || !(min <= mode && mode <= max) || !(lambda > 0.0) ||
      !std::isfinite(max - min)) {
    reject("pert needs finite min < max, min <= mode <= max and lambda > 0",
           "min " + exact(min) + ", mode " + exact(mode) + ", max " + exact(max) + ", lambda " + exact(lambda));
  }
  const double range = max - min;
  Distribution d;
  d.family_ = DistributionFamily::Pert;
  d.a_ = 1.0 + lambda * (mode - min) / range;
  d.b_ = 1.0 + lambda * (max - mode) / range;
  d.c_ = min;
  d.d_ = max;
  d.beta_table_ = detail::BetaQuantileTable::build(d.a_, d.b_);
  d.description_ = "PERT(min " + brief(min) + ", mode " + brief(mode) + ", max " + brief(max) +
                   (lambda == 4.0 ? std::string() : ", lambda " + brief(lambda)) + ")";
  return d;
}

Distribution Distribution::beta(double alpha, double beta, double min, double max) {
  if (!all_finite({alpha, beta, min, max}) || !(alpha > 0.0) || !(beta > 0.0) || !(min < max) ||
      !std::isfinite(max - min)) {
    reject("beta needs finite alpha > 0, beta > 0 and min < max",
           "alpha " + exact(alpha) + ", beta " + exact(beta) + ", min " + exact(min) + ", max " + exact(max));
  }
  Distribution d;
  d.family_ = DistributionFamily::Beta;
  d.a_ = alpha;
  d.b_ = beta;
  d.c_ = min;
  d.d_ = max;
  d.beta_table_ = detail::BetaQuantileTable::build(alpha, beta);
  d.description_ = "Beta(alpha " + brief(alpha) + ", beta " + brief(beta);
  if (min != 0.0 || max != 1.0) d.description_ += ", min " + brief(min) + ", max " + brief(max);
  d.description_ += ")";
  return d;
}

Distribution Distribution::bernoulli(double p) {
  if (!std::isfinite(p) || !(0.0 <= p && p <= 1.0)) reject("bernoulli needs finite 0 <= p <= 1", "p " + exact(p));
  Distribution d;
  d.family_ = DistributionFamily::Bernoulli;
  d.a_ = p;
  d.description_ = "Bernoulli(p " + brief(p) + ")";
  return d;
}

Distribution Distribution::discrete(std::vector<double> values, std::vector<double> probabilities) {
  if (values.size() != probabilities.size()) {
    reject("discrete needs as many probabilities as values", std::to_string(values.size()) + " values and " +
                                                                  std::to_string(probabilities.size()) +
                                                                  " probabilities");
  }
  if (values.empty()) reject("discrete needs at least one value", "no values");
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]) || !std::isfinite(probabilities[i])) {
      reject("discrete needs finite values and probabilities",
             "value " + exact(values[i]) + " with probability " + exact(probabilities[i]));
    }
    if (!(probabilities[i] >= 0.0)) {
      reject("discrete needs probabilities >= 0",
             "probability " + exact(probabilities[i]) + " for value " + exact(values[i]));
    }
  }
  const double total = std::accumulate(probabilities.begin(), probabilities.end(), 0.0);
  if (!(std::fabs(total - 1.0) <= 1e-9)) {
    reject("discrete needs probabilities summing to 1 (within 1e-9)", "probabilities summing to " + exact(total));
  }

  // Sort by value, carrying each probability along.
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t l, std::size_t r) { return values[l] < values[r]; });
  std::vector<double> sorted_values(values.size()), sorted_probabilities(values.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    sorted_values[i] = values[order[i]];
    // Divide by the total so the distribution is exactly normalised: the
    // tolerated 1e-9 of rounding in the input must not leave F short of 1.
    sorted_probabilities[i] = probabilities[order[i]] / total;
  }
  for (std::size_t i = 1; i < sorted_values.size(); ++i) {
    if (sorted_values[i] == sorted_values[i - 1]) {
      reject("discrete needs distinct values", "value " + exact(sorted_values[i]) + " more than once");
    }
  }

  Distribution d;
  d.family_ = DistributionFamily::Discrete;
  d.cumulative_.resize(sorted_values.size());
  double running = 0.0;
  std::size_t first_positive = sorted_values.size(), last_positive = 0;
  for (std::size_t i = 0; i < sorted_values.size(); ++i) {
    running += sorted_probabilities[i];
    d.cumulative_[i] = running;
    if (sorted_probabilities[i] > 0.0) {
      first_positive = std::min(first_positive, i);
      last_positive = i;
    }
  }
  // F reaches exactly 1 at the last value that carries probability, so the
  // binary search in quantile() always lands on a value with positive mass.
  for (std::size_t i = last_positive; i < d.cumulative_.size(); ++i) d.cumulative_[i] = 1.0;

  double mean = 0.0;
  for (std::size_t i = 0; i < sorted_values.size(); ++i) mean += sorted_probabilities[i] * sorted_values[i];
  double variance = 0.0;  // second pass about the mean: no cancellation
  for (std::size_t i = 0; i < sorted_values.size(); ++i) {
    const double deviation = sorted_values[i] - mean;
    variance += sorted_probabilities[i] * deviation * deviation;
  }
  d.a_ = sorted_values[first_positive];
  d.b_ = sorted_values[last_positive];
  d.c_ = mean;
  d.d_ = variance;

  d.description_ = "Discrete(";
  for (std::size_t i = 0; i < sorted_values.size(); ++i) {
    if (i > 0) d.description_ += ", ";
    d.description_ += brief(sorted_values[i]) + ": " + brief(sorted_probabilities[i]);
  }
  d.description_ += ")";
  d.values_ = std::move(sorted_values);
  return d;
}

// ---------------------------------------------------------------------------
// Sampling
// ---------------------------------------------------------------------------

// The smallest x with F(x) >= u. u <= 0 and u >= 1 give the support bounds
// (the limits of the inverse CDF); NaN propagates.
double Distribution::quantile(double u) const {
  if (beta_table_) return tabulated_quantile(u);
  if (std::isnan(u)) return kNaN;
  if (u <= 0.0) return min();
  if (u >= 1.0) return max();
  switch (family_) {
    case DistributionFamily::Constant:
      return a_;
    case DistributionFamily::Normal:
      return a_ + b_ * standard_normal_quantile(u);
    case DistributionFamily::LogNormal:
      return a_ * detail::exponential(b_ * standard_normal_quantile(u));
    case DistributionFamily::Uniform:
      // min + (max-min) u can round above max when u is within an ulp of 1.
      return std::min(a_ + (b_ - a_) * u, b_);
    case DistributionFamily::Triangular: {
      // Inverse of the piecewise-quadratic CDF (Johnson, Kotz & Balakrishnan,
      // vol. 2, ch. 26.9): below F(mode) = (mode-min)/(max-min) the left
      // branch, above it the right branch written in 1-u for tail accuracy.
      // Each branch is kept inside [min, max] at both ends: with the mode at an end, the far end's
      // value can round past the other end (Triangular(-7.475, 12, 12) at u = 1 - 2^-53 gave
      // 12.000000000000002), and a draw outside the support is wrong (plans fold on max()).
      const double range = c_ - a_;
      const double at_mode = (b_ - a_) / range;
      if (u < at_mode) return std::min(c_, std::max(a_, a_ + std::sqrt(u * range * (b_ - a_))));
      return std::max(a_, std::min(c_, c_ - std::sqrt((1.0 - u) * range * (c_ - b_))));
    }
    case DistributionFamily::Pert:
    case DistributionFamily::Beta:
      return scale_unit_beta(exact_unit_beta_quantile(a_, b_, u));  // no table (shapes outside its range)
    case DistributionFamily::Bernoulli:
      // F(0) = 1-p, so the smallest x with F(x) >= u is 1 exactly when u > 1-p.
      return u > 1.0 - a_ ? 1.0 : 0.0;
    case DistributionFamily::Discrete: {
      // First value whose cumulative probability reaches u.
      const auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), u);
      const auto index = static_cast<std::size_t>(it - cumulative_.begin());
      return index < values_.size() ? values_[index] : b_;
    }
  }
  return kNaN;
}

// min + (max-min) B for B in [0, 1], never above max (the product can round up).
double Distribution::scale_unit_beta(double unit) const { return std::min(c_ + (d_ - c_) * unit, d_); }

// PERT and beta with a table (quantile_table.h): B = table(Phi^-1(u)) inside
// the table, Boost's exact inverse outside it (u below Phi(-8.5) = 9.5e-18;
// every double u < 1 has Phi^-1(u) < 8.3, inside the table).
double Distribution::tabulated_quantile(double u) const {
  if (std::isnan(u)) return kNaN;
  if (u <= 0.0) return c_;
  if (u >= 1.0) return d_;
  const double z = standard_normal_quantile(u);
  if (detail::BetaQuantileTable::covers(z)) return scale_unit_beta(beta_table_->at_normal_score(z));
  return scale_unit_beta(exact_unit_beta_quantile(a_, b_, u));
}

// The table is a function of the score: read it at z, skipping Phi and Phi^-1.
double Distribution::tabulated_from_normal_score(double z) const {
  if (detail::BetaQuantileTable::covers(z)) return scale_unit_beta(beta_table_->at_normal_score(z));
  return tabulated_quantile(standard_normal_cdf(z));  // |z| > 8.5, +-inf or NaN
}

namespace {

// The block forms' scalar redo of rare lanes: redo(i) for each i < n where handled(i) is false, looked
// for lane by lane only when a count of such lanes (a vector loop: handled is branch-free) is not zero.
// A loop testing every lane with a branch was a fifth of from_normal_score_block's time; the lanes it
// finds (|z| > 8.5 for the PERT table, u outside (0, 1)) the sampler all but never gives.
template <typename Handled, typename Redo>
[[gnu::always_inline]] inline void redo_unhandled(std::size_t n, Handled handled, Redo redo) {
  std::size_t unhandled = 0;
  for (std::size_t i = 0; i < n; ++i) unhandled += handled(i) ? 0 : 1;
  if (unhandled == 0) return;
  for (std::size_t i = 0; i < n; ++i) {
    if (!handled(i)) redo(i);
  }
}

// u in (0, 1) (NaN is not), without a branch.
[[gnu::always_inline]] inline bool in_open_unit_interval(double u) { return (u > 0.0) & (u < 1.0); }

}  // namespace

// tabulated_from_normal_score() of every lane where the table covers the score,
// as vectors (the table read at the score moved into it; z and x distinct): the
// caller redoes the lanes outside it. Always inlined so that the vector clones of
// its callers vectorise it.
[[gnu::always_inline]] inline void Distribution::table_block(const double* __restrict z, double* __restrict x, std::size_t n) const {
  const double* coefficients = beta_table_->coefficients();
  const double low = c_, high = d_;
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = std::min(low + (high - low) * detail::BetaQuantileTable::at_normal_score(coefficients, z[i]), high);  // scale_unit_beta()
  }
}

// Normal and lognormal are defined through the standard normal score itself
// (X = mean + sd Z, X = median exp(sigma Z)), so they skip Phi and Phi^-1:
// cheaper, and exact in the tails where Phi(z) would round to 1. Tabulated
// PERT and beta read their table at z directly (it is a function of the score).
double Distribution::from_normal_score(double z) const {
  if (beta_table_) return tabulated_from_normal_score(z);
  switch (family_) {
    case DistributionFamily::Normal:
      return a_ + b_ * z;
    case DistributionFamily::LogNormal:
      return a_ * detail::exponential(b_ * z);
    default:
      return quantile(standard_normal_cdf(z));
  }
}

// The block forms give the scalar forms' bits whatever the block size (tested
// by tests/unit/golden_values_test.cpp and the block-size conformance tests):
// the same operations in the same order, with the dispatch taken out of the
// loop, branches turned into selects where the families allow, and the edge
// cases (u outside (0, 1), NaN) redone by the scalar form afterwards.
MCRISK_VECTOR_CLONES
void Distribution::quantile_block(const double* u, double* x, std::size_t n) const {
  if (beta_table_) {
    // tabulated_quantile() with Phi^-1 over the block: the table where it covers the score, else the scalar path.
    constexpr std::size_t kChunk = 256;
    alignas(64) double z[kChunk];
    for (std::size_t begin = 0; begin < n; begin += kChunk) {
      const std::size_t m = std::min(kChunk, n - begin);
      standard_normal_quantile_block(u + begin, z, m);
      table_block(z, x + begin, m);
      // Where the table does not cover the score, tabulated_quantile() of u itself, as in quantile().
      redo_unhandled(m, [&](std::size_t i) { return detail::BetaQuantileTable::covers(z[i]); },
                     [&](std::size_t i) { x[begin + i] = tabulated_quantile(u[begin + i]); });
    }
    return;
  }
  switch (family_) {
    case DistributionFamily::Triangular: {
      // quantile()'s two branches as selects, so the loop has no branch to mispredict.
      // Every operand is computed for both sides and selected, so the loop vectorises.
      const double low = a_, mode = b_, high = c_;
      const double range = high - low, at_mode = (mode - low) / range, left_width = mode - low, right_width = high - mode;
      for (std::size_t i = 0; i < n; ++i) {
        const double p = u[i];
        const bool left = p < at_mode;
        const double s = std::sqrt((left ? p : 1.0 - p) * range * (left ? left_width : right_width));
        const double from_low = low + s, from_high = high - s;
        const double left_bounded = low < from_low ? from_low : low;        // std::max(low, low + s)
        const double right_bounded = from_high < high ? from_high : high;  // std::min(high, high - s)
        const double left_value = left_bounded < high ? left_bounded : high;     // std::min(high, ...)
        const double right_value = low < right_bounded ? right_bounded : low;    // std::max(low, ...)
        x[i] = left ? left_value : right_value;
      }
      break;
    }
    case DistributionFamily::Normal:
    case DistributionFamily::LogNormal:
      standard_normal_quantile_block(u, x, n);
      from_normal_score_block(x, x, n);  // lane by lane, so in place is safe
      break;
    case DistributionFamily::Uniform:
      for (std::size_t i = 0; i < n; ++i) x[i] = std::min(a_ + (b_ - a_) * u[i], b_);
      break;
    default:
      for (std::size_t i = 0; i < n; ++i) x[i] = quantile(u[i]);
      return;
  }
  // u outside (0, 1) and NaN: the scalar form's edge cases.
  redo_unhandled(n, [&](std::size_t i) { return in_open_unit_interval(u[i]); }, [&](std::size_t i) { x[i] = quantile(u[i]); });
}

MCRISK_VECTOR_CLONES
void Distribution::from_normal_score_block(const double* z, double* x, std::size_t n) const {
  if (beta_table_) {
    // The block form reads the scores after writing x: where a caller passes z == x (in place, as the
    // other families allow) they are copied a chunk at a time first.
    const bool in_place = util::overlaps(z, n, static_cast<const double*>(x), n);
    constexpr std::size_t kChunk = 256;
    alignas(64) double copied[kChunk];
    for (std::size_t begin = 0; begin < n; begin += kChunk) {
      const std::size_t m = std::min(kChunk, n - begin);
      const double* scores = z + begin;
      if (in_place) {
        std::copy(z + begin, z + begin + m, copied);
        scores = copied;
      }
      table_block(scores, x + begin, m);
      redo_unhandled(m, [&](std::size_t i) { return detail::BetaQuantileTable::covers(scores[i]); },
                     [&](std::size_t i) { x[begin + i] = tabulated_from_normal_score(scores[i]); });
    }
    return;
  }
  switch (family_) {
    case DistributionFamily::Normal:
      for (std::size_t i = 0; i < n; ++i) x[i] = a_ + b_ * z[i];
      break;
    case DistributionFamily::LogNormal: {
      // exp as vectors (detail::exp_in_range: glibc's bits), the rare argument it does not cover by the
      // scalar form. The arguments are kept a chunk at a time: z may be x (in place).
      constexpr std::size_t kChunk = 256;
      alignas(64) double arguments[kChunk];
      for (std::size_t begin = 0; begin < n; begin += kChunk) {
        const std::size_t m = std::min(kChunk, n - begin);
        for (std::size_t i = 0; i < m; ++i) arguments[i] = b_ * z[begin + i];
        for (std::size_t i = 0; i < m; ++i) x[begin + i] = a_ * detail::exp_in_range(arguments[i]);
        redo_unhandled(m, [&](std::size_t i) { return detail::exp_covers(arguments[i]); },
                       [&](std::size_t i) { x[begin + i] = a_ * detail::exponential(arguments[i]); });
      }
      break;
    }
    default:
      for (std::size_t i = 0; i < n; ++i) x[i] = from_normal_score(z[i]);
  }
}

bool Distribution::prefers_normal_score() const {
  return family_ == DistributionFamily::Normal || family_ == DistributionFamily::LogNormal;
}

// ---------------------------------------------------------------------------
// CDF and moments
// ---------------------------------------------------------------------------

double Distribution::cdf(double x) const {
  if (std::isnan(x)) return kNaN;
  switch (family_) {
    case DistributionFamily::Constant:
      return x < a_ ? 0.0 : 1.0;
    case DistributionFamily::Normal:
      return standard_normal_cdf((x - a_) / b_);
    case DistributionFamily::LogNormal:
      if (x <= 0.0) return 0.0;
      if (x == kInfinity) return 1.0;
      return standard_normal_cdf((std::log(x) - c_) / b_);
    case DistributionFamily::Uniform:
      if (x <= a_) return 0.0;
      if (x >= b_) return 1.0;
      return (x - a_) / (b_ - a_);
    case DistributionFamily::Triangular: {
      if (x <= a_) return 0.0;
      if (x >= c_) return 1.0;
      const double range = c_ - a_;
      if (x <= b_) return (x - a_) * (x - a_) / (range * (b_ - a_));
      return 1.0 - (c_ - x) * (c_ - x) / (range * (c_ - b_));
    }
    case DistributionFamily::Pert:
    case DistributionFamily::Beta:
      if (x <= c_) return 0.0;
      if (x >= d_) return 1.0;
      return boost::math::ibeta(a_, b_, (x - c_) / (d_ - c_), QuietPolicy());
    case DistributionFamily::Bernoulli:
      if (x < 0.0) return 0.0;
      if (x < 1.0) return 1.0 - a_;
      return 1.0;
    case DistributionFamily::Discrete: {
      // Cumulative probability of the last value <= x.
      const auto it = std::upper_bound(values_.begin(), values_.end(), x);
      if (it == values_.begin()) return 0.0;
      return cumulative_[static_cast<std::size_t>(it - values_.begin()) - 1];
    }
  }
  return kNaN;
}

double Distribution::mean() const {
  switch (family_) {
    case DistributionFamily::Constant:  // the value
    case DistributionFamily::Normal:    // the mean
      return a_;
    case DistributionFamily::LogNormal:
      return a_ * std::exp(0.5 * b_ * b_);  // median e^(sigma^2/2)
    case DistributionFamily::Uniform:
      return 0.5 * (a_ + b_);
    case DistributionFamily::Triangular:
      return (a_ + b_ + c_) / 3.0;
    case DistributionFamily::Pert:
    case DistributionFamily::Beta:
      return c_ + (d_ - c_) * a_ / (a_ + b_);  // min + (max-min) alpha/(alpha+beta)
    case DistributionFamily::Bernoulli:
      return a_;
    case DistributionFamily::Discrete:
      return c_;
  }
  return kNaN;
}

double Distribution::variance() const {
  switch (family_) {
    case DistributionFamily::Constant:
      return 0.0;
    case DistributionFamily::Normal:
      return b_ * b_;
    case DistributionFamily::LogNormal: {
      // median^2 e^(sigma^2) (e^(sigma^2) - 1); expm1 keeps small sigma accurate.
      const double s2 = b_ * b_;
      return a_ * a_ * std::exp(s2) * std::expm1(s2);
    }
    case DistributionFamily::Uniform:
      return (b_ - a_) * (b_ - a_) / 12.0;
    case DistributionFamily::Triangular:
      // (a^2 + b^2 + c^2 - ab - ac - bc)/18, written in differences from min
      // so that a location shift does not cancel digits.
      {
        const double m = b_ - a_, r = c_ - a_;
        return (m * m + r * r - m * r) / 18.0;
      }
    case DistributionFamily::Pert:
    case DistributionFamily::Beta: {
      // (max-min)^2 alpha beta / ((alpha+beta)^2 (alpha+beta+1))
      const double range = d_ - c_, sum = a_ + b_;
      return range * range * a_ * b_ / (sum * sum * (sum + 1.0));
    }
    case DistributionFamily::Bernoulli:
      return a_ * (1.0 - a_);
    case DistributionFamily::Discrete:
      return d_;
  }
  return kNaN;
}

double Distribution::min() const {
  switch (family_) {
    case DistributionFamily::Constant:
      return a_;
    case DistributionFamily::Normal:
      return -kInfinity;
    case DistributionFamily::LogNormal:
      return 0.0;
    case DistributionFamily::Uniform:
    case DistributionFamily::Triangular:
      return a_;
    case DistributionFamily::Pert:
    case DistributionFamily::Beta:
      return c_;
    case DistributionFamily::Bernoulli:
      return a_ < 1.0 ? 0.0 : 1.0;  // p = 1 puts all mass on 1
    case DistributionFamily::Discrete:
      return a_;
  }
  return kNaN;
}

double Distribution::max() const {
  switch (family_) {
    case DistributionFamily::Constant:
      return a_;
    case DistributionFamily::Normal:
    case DistributionFamily::LogNormal:
      return kInfinity;
    case DistributionFamily::Uniform:
      return b_;
    case DistributionFamily::Triangular:
      return c_;
    case DistributionFamily::Pert:
    case DistributionFamily::Beta:
      return d_;
    case DistributionFamily::Bernoulli:
      return a_ > 0.0 ? 1.0 : 0.0;  // p = 0 puts all mass on 0
    case DistributionFamily::Discrete:
      return b_;
  }
  return kNaN;
}

std::string Distribution::describe() const { return description_; }

}  // namespace mcrisk::model
