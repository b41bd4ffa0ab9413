#pragma once
// Tabulated inverse CDF of the beta distribution (used by PERT and beta
// marginals), private to the model library.
//
// Method
// ------
// The table holds x(z) = F^-1(Phi(z)), the Beta(alpha, beta) quantile on [0, 1]
// as a function of the standard normal score z, on the uniform grid
// z_k = -8.5 + k/32, k = 0 .. 544 (544 cells, u from 9.5e-18 to 1 - 9.5e-18).
// In z the quantile is smooth in the tails as well as in the middle (x(z)
// behaves like exp(-z^2/(2 alpha)) as z -> -inf), so a uniform grid in z is
// dense in u where the quantile needs it: about 10 knots per decade of u at
// u = 1e-12, one knot every 0.0125 of u at u = 1/2. Each cell is the quintic
// Hermite interpolant of x, dx/dz and d2x/dz2 at its two knots, all exact:
//   x_k     = F^-1(Phi(z_k)), the smaller tail solved directly (x for z <= 0,
//             1 - x as the lower quantile of Beta(beta, alpha) at Phi(-z) for
//             z > 0): Boost's ibeta_inv, polished by Newton's method on the
//             forward ibeta and checked to reproduce Phi(z_k) to 1e-12 relative
//   dx/dz   = phi(z) / f(x)                          (f the beta density, in logs)
//   d2x/dz2 = dx/dz (-z - dx/dz ((alpha-1)/x - (beta-1)/(1-x)))
// in double precision with Boost.Math, once, when the Distribution is built
// (about 1 ms; the table is 26 KB, shared by copies of the Distribution). A
// cell is the six coefficients of its polynomial in
// t = (z - z_k) * 32 and evaluated by Horner's rule: a dozen flops, one
// truncation to find the cell, no search, no libm call.
//
// Error bound
// -----------
// The quintic Hermite remainder is h^6 / 46080 * max |x^(6)(z)| (h = 1/32:
// 1.3e-12 |x^(6)|), plus a few ulp of rounding. The bound the project states is
//     |table(u) - F^-1(u)| <= 1e-7   on the unit-scale variate, u in [1e-12, 1 - 1e-12],
// for alpha, beta in [0.5, 1000] (kMinShape, kMaxShape). It is tested by
// tests/statistical/quantile_accuracy_test.cpp: 200,000 u per shape (log-spaced
// into both tails, uniform in the middle) for every PERT and beta in configs/
// and for alpha, beta in {1.05, 1.5, 2, 3, 5, 10, 30}; 20,000 u per shape for
// 130 shapes spanning [0.5, 1000]. Largest errors measured: 2.4e-15 over the
// configs' shapes, 3.9e-14 over the grid, 8.6e-13 over the whole range (at
// Beta(0.5, 0.5), whose density is infinite at both ends): the table is five
// or more orders of magnitude inside the bound, and as accurate as Boost's
// ibeta_inv for the shapes in the configs.
//
// Outside the table the Distribution keeps Boost's exact ibeta_inv: shapes
// outside [0.5, 1000] (or a table whose knots Boost could not give, which the
// tests have not met), and scores beyond +-8.5 (u below 9.5e-18, or a
// correlated driver's score beyond 8.5).
//
// Determinism: evaluation is a pure function of z and the table, identical in
// scalar and block loops (no FMA: the project compiles with -ffp-contract=off).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <vector>

#include <boost/math/policies/policy.hpp>

namespace mcrisk::model::detail {

namespace bmp = boost::math::policies;

// Boost.Math reports edge cases by throwing by default. We decide every edge
// ourselves (u outside (0,1), x outside the support, NaN) before calling Boost,
// so any remaining report would be an internal inconsistency; ignore_error
// makes Boost return its best value (or +-inf/NaN) silently instead of
// throwing or touching errno in the middle of a simulation loop.
//
// promote_double<false>: evaluate double functions in double rather than long
// double. Boost's double-precision rational approximations for erfc/erfc_inv
// and its ibeta/ibeta_inv are accurate to a few ulp (the tests check 1e-13
// relative round trips), they are several times faster, and results no longer
// depend on the width of long double (80-bit on x86, 128-bit software on
// AArch64), which keeps runs reproducible across platforms.
using QuietPolicy = bmp::policy<bmp::domain_error<bmp::ignore_error>, bmp::pole_error<bmp::ignore_error>,
                                bmp::overflow_error<bmp::ignore_error>, bmp::underflow_error<bmp::ignore_error>,
                                bmp::denorm_error<bmp::ignore_error>, bmp::evaluation_error<bmp::ignore_error>,
                                bmp::rounding_error<bmp::ignore_error>,
                                bmp::indeterminate_result_error<bmp::ignore_error>, bmp::promote_double<false>,
                                bmp::promote_float<false>>;

//! Beta(alpha, beta) quantile on [0, 1] as a function of the normal score, see above.
class BetaQuantileTable {
 public:
  static constexpr double kMinShape = 0.5;
  static constexpr double kMaxShape = 1000.0;
  static constexpr double kScoreLimit = 8.5;       //!< table covers z in [-8.5, 8.5]
  static constexpr double kCellsPerUnit = 32.0;    //!< h = 1/32 (exact knots)
  static constexpr std::size_t kCells = 544;       //!< 2 * 8.5 * 32
  static constexpr std::size_t kCoefficients = 6;  //!< quintic per cell

  //! True when both shapes are in [kMinShape, kMaxShape], where the table's bound is tested.
  static bool supports(double alpha, double beta);
  //! The table for Beta(alpha, beta), or nullptr if !supports(alpha, beta) or
  //! Boost returned a value the table cannot use (then the caller stays exact).
  static std::shared_ptr<const BetaQuantileTable> build(double alpha, double beta);

  //! True when z is inside the table (false for NaN).
  //! One comparison, no branch (NaN is not covered), so the block forms count uncovered lanes as vectors.
  static bool covers(double z) { return std::fabs(z) <= kScoreLimit; }

  //! x(z) = F^-1(Phi(z)) on [0, 1] where covers(z). Elsewhere z is first moved into the table (NaN to its
  //! low end) and the value is to be replaced by the caller. No branch: a loop of it vectorises in a
  //! vector clone of its caller, with one gather per coefficient (the coefficients are kept power-major for
  //! that: GCC 12 does not vectorise six reads at a stride of six, the cell-major form).
  double at_normal_score(double z) const { return at_normal_score(coefficients_.data(), z); }
  //! The same from the table's coefficients(), for block loops (the pointer read once, outside the loop).
  [[gnu::always_inline]] static double at_normal_score(const double* coefficients, double z) {
    double inside = z > -kScoreLimit ? z : -kScoreLimit;
    inside = inside < kScoreLimit ? inside : kScoreLimit;
    const double s = (inside + kScoreLimit) * kCellsPerUnit;
    std::size_t k = static_cast<std::size_t>(s);
    k = k < kCells ? k : kCells - 1;  // z = 8.5 exactly: the end of the last cell
    const double t = s - static_cast<double>(k);
    // Coefficient j of cell k at [j * kCells + k]: one row per power, each read at k.
    const double *c0 = coefficients, *c1 = c0 + kCells, *c2 = c1 + kCells, *c3 = c2 + kCells, *c4 = c3 + kCells, *c5 = c4 + kCells;
    const double x = c0[k] + t * (c1[k] + t * (c2[k] + t * (c3[k] + t * (c4[k] + t * c5[k]))));
    return std::min(std::max(x, 0.0), 1.0);
  }
  const double* coefficients() const { return coefficients_.data(); }

 private:
  std::vector<double> coefficients_;  // kCells * kCoefficients, power-major: coefficient j of cell k at [j * kCells + k]
};

}  // namespace mcrisk::model::detail
