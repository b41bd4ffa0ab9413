// Construction of the beta quantile table; the method and its error bound are
// described in quantile_table.h.

#include "quantile_table.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "mcrisk/model/distribution.h"

namespace mcrisk::model::detail {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// The lower p-quantile w of Beta(s, t): I_w(s, t) = p, for p in (0, 1/2] (p
// may be as small as 1e-17). Boost's ibeta_inv is the starting point; in the
// far tails of some shapes it stops short of convergence (Boost 1.74 gives
// 4.8e-248 for Beta(1.05, 0.75) at p = 9.5e-18, where the answer is about
// 1e-16), so the start is polished by Newton's method on
// log I_w(s, t) = log p in log w, which is nearly linear in the tail
// (I_w ~ w^s / (s B(s, t)), whose root also serves as a start where it is
// nearer than Boost's), converging in a few steps. The forward ibeta is
// accurate to a few ulp. Returns NaN if the result does not reproduce p to
// 1e-12 relative.
double lower_quantile(double s, double t, double p, double log_beta_function) {
  const QuietPolicy policy;
  const double log_p = std::log(p);
  // Start from Boost's answer or from the tail's leading term, whichever is
  // nearer in log I.
  const auto miss = [&](double x) {
    return x > 0.0 && x < 1.0 ? std::fabs(std::log(boost::math::ibeta(s, t, x, policy)) - log_p) : kInfinity;
  };
  double w = 0.0;
  try {
    w = boost::math::ibeta_inv(s, t, p, policy);
  } catch (const std::exception&) {
    // Boost 1.74's root finder can throw whatever the policy (see
    // exact_unit_beta_quantile in distribution.cpp): start from the tail term.
  }
  const double tail = std::exp((log_p + std::log(s) + log_beta_function) / s);
  if (!(miss(w) <= miss(tail))) w = tail;
  if (!(w > 0.0 && w < 1.0)) w = 0.5;
  for (int iteration = 0; iteration < 30; ++iteration) {
    const double cdf = boost::math::ibeta(s, t, w, policy);
    const double density = boost::math::ibeta_derivative(s, t, w, policy);
    if (!(cdf > 0.0 && density > 0.0)) break;
    // d log I / d log w = w f(w) / I(w); a step changes w by at most a factor e.
    const double step = std::clamp((std::log(cdf) - log_p) * cdf / (w * density), -1.0, 1.0);
    double next = w * std::exp(-step);
    if (!(next < 1.0)) next = 0.5 * (w + 1.0);
    const bool converged = std::fabs(step) <= 1e-15 || next == w;
    w = next;
    if (converged) break;
  }
  const double cdf = boost::math::ibeta(s, t, w, policy);
  if (!(w > 0.0 && w < 1.0) || !(std::fabs(cdf - p) <= 1e-12 * p)) return std::numeric_limits<double>::quiet_NaN();
  return w;
}

}  // namespace

bool BetaQuantileTable::supports(double alpha, double beta) {
  return alpha >= kMinShape && alpha <= kMaxShape && beta >= kMinShape && beta <= kMaxShape;
}

std::shared_ptr<const BetaQuantileTable> BetaQuantileTable::build(double alpha, double beta) {
  if (!supports(alpha, beta)) return nullptr;
  const QuietPolicy policy;
  const std::size_t knots = kCells + 1;
  const double h = 1.0 / kCellsPerUnit;
  // log B(alpha, beta) through lgamma: B itself underflows for large shapes.
  const double log_beta_function = boost::math::lgamma(alpha, policy) + boost::math::lgamma(beta, policy) -
                                   boost::math::lgamma(alpha + beta, policy);
  const double log_root_two_pi = 0.5 * std::log(2.0 * boost::math::constants::pi<double>());

  std::vector<double> value(knots), slope(knots), curvature(knots);
  for (std::size_t k = 0; k < knots; ++k) {
    const double z = -kScoreLimit + static_cast<double>(k) * h;  // exact: multiples of 1/32 below 16
    // The smaller tail is solved directly: x for z <= 0; 1 - x, the lower
    // quantile of Beta(beta, alpha) at Phi(-z), for z > 0. So log x and
    // log(1 - x) below are both accurate.
    double x = 0.0, y = 0.0, log_x = 0.0, log_y = 0.0;  // y = 1 - x
    if (z <= 0.0) {
      x = lower_quantile(alpha, beta, standard_normal_cdf(z), log_beta_function);
      y = 1.0 - x;
      log_x = std::log(x);
      log_y = std::log1p(-x);
    } else {
      y = lower_quantile(beta, alpha, standard_normal_cdf(-z), log_beta_function);
      x = 1.0 - y;
      log_x = std::log1p(-y);
      log_y = std::log(y);
    }
    if (!(x >= 0.0 && y >= 0.0)) return nullptr;  // NaN: Boost did not converge; stay exact
    // dx/dz = phi(z) / f(x), in logs: phi and f are both tiny in the tails.
    double log_density = -log_beta_function;
    if (alpha != 1.0) log_density += (alpha - 1.0) * log_x;
    if (beta != 1.0) log_density += (beta - 1.0) * log_y;
    const double dx = std::exp(-0.5 * z * z - log_root_two_pi - log_density);
    // d/dz of phi(z)/f(x(z)) = dx (-z - dx f'(x)/f(x)), f'/f = (alpha-1)/x - (beta-1)/(1-x).
    const double d2x = dx * (-z - dx * ((alpha - 1.0) / x - (beta - 1.0) / y));
    if (!(std::isfinite(dx) && std::isfinite(d2x))) return nullptr;
    if (k > 0 && x < value[k - 1]) return nullptr;  // cannot happen for a CDF; stay exact if it does
    value[k] = x;
    slope[k] = dx;
    curvature[k] = d2x;
  }

  // Quintic Hermite on each cell in t in [0, 1]: p(0) = p0, p'(0) = d0,
  // p''(0) = s0, p(1) = p1, p'(1) = d1, p''(1) = s1, where d = h dx/dz and
  // s = h^2 d2x/dz2. p(t) = sum c_i t^i with
  //   c0 = p0, c1 = d0, c2 = s0/2,
  //   c3 = 10 D - 6 d0 - 4 d1 - (3 s0 - s1)/2,
  //   c4 = -15 D + 8 d0 + 7 d1 + (3 s0 - 2 s1)/2,
  //   c5 = 6 D - 3 (d0 + d1) - (s0 - s1)/2,      D = p1 - p0.
  auto table = std::make_shared<BetaQuantileTable>();
  table->coefficients_.resize(kCells * kCoefficients);
  for (std::size_t k = 0; k < kCells; ++k) {
    const double p0 = value[k], p1 = value[k + 1];
    const double d0 = h * slope[k], d1 = h * slope[k + 1];
    const double s0 = h * h * curvature[k], s1 = h * h * curvature[k + 1];
    const double delta = p1 - p0;
    double* c = table->coefficients_.data() + k;  // power-major: coefficient j at c[j * kCells]
    c[0] = p0;
    c[kCells] = d0;
    c[2 * kCells] = 0.5 * s0;
    c[3 * kCells] = 10.0 * delta - 6.0 * d0 - 4.0 * d1 - 0.5 * (3.0 * s0 - s1);
    c[4 * kCells] = -15.0 * delta + 8.0 * d0 + 7.0 * d1 + 0.5 * (3.0 * s0 - 2.0 * s1);
    c[5 * kCells] = 6.0 * delta - 3.0 * (d0 + d1) - 0.5 * (s0 - s1);
  }
  return table;
}

}  // namespace mcrisk::model::detail
