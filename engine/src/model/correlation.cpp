// Correlation matrices of the Gaussian copula (see correlation.h).
//
// Validation names the drivers at fault because a user who typed a 20x20
// matrix by hand needs to know which of its 190 numbers to change, not merely
// that "the matrix is not positive definite". The repair is opt-in: it changes
// the user's numbers, so it must never happen silently.

#include "mcrisk/model/correlation.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mcrisk::model {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// A matrix read from YAML or computed by code may be off in the last digits;
// that is rounding, not the user's mistake, so the structural checks allow it.
constexpr double kDiagonalTolerance = 1e-12;
constexpr double kSymmetryTolerance = 1e-12;

// Up to this many variables the culprit search tries every 3x3 principal
// submatrix (n^3/6 tiny factorisations, about 34,000 at n = 60); beyond it the
// search reads the eigenvector of the smallest eigenvalue instead.
constexpr Index kMaxVariablesForTripleSearch = 60;

// Variables whose component in that eigenvector is larger than this share of
// the largest component are the ones that carry the violation.
constexpr double kEigenvectorShare = 0.1;

// How many times nearest_correlation may raise its eigenvalue floor before it
// gives up trying to meet min_eigenvalue exactly (it meets it in one or two).
constexpr int kMaxFloorAdjustments = 64;

// Shortest decimal that reads back as the same double, so a message quotes
// what the user wrote ("0.3", not "0.29999999999999999").
std::string exact_text(double value) {
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

// Three significant digits: enough to judge how far from valid a matrix is.
std::string rounded_text(double value) {
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                    std::chars_format::general, 3);
  return std::string(buffer.data(), result.ptr);
}

const std::string& name_of(const std::vector<std::string>& names, Index index) {
  return names[static_cast<std::size_t>(index)];
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

void require_shape(const MatrixXd& r, const std::vector<std::string>& names) {
  if (r.rows() != r.cols()) {
    throw std::invalid_argument("a correlation matrix must be square, but this one is " +
                                std::to_string(r.rows()) + "x" + std::to_string(r.cols()));
  }
  if (names.size() != static_cast<std::size_t>(r.rows())) {
    throw std::invalid_argument("the correlation matrix has " + std::to_string(r.rows()) +
                                " rows but " + std::to_string(names.size()) +
                                " variable names were given; expected one name per row");
  }
}

// The element-wise checks, in the order a user would fix them: a number that
// is not a number, then the diagonal, then symmetry, then the range [-1, 1].
void check_entries(const MatrixXd& r, const std::vector<std::string>& names) {
  const Index n = r.rows();
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < n; ++j) {
      if (std::isfinite(r(i, j))) continue;
      if (i == j) {
        throw CorrelationError("correlation of " + name_of(names, i) + " with itself is " +
                                   exact_text(r(i, j)) + "; it must be 1",
                               {name_of(names, i)});
      }
      throw CorrelationError("correlation between " + name_of(names, i) + " and " +
                                 name_of(names, j) + " is " + exact_text(r(i, j)) +
                                 "; expected a finite number between -1 and 1",
                             {name_of(names, i), name_of(names, j)});
    }
  }
  for (Index i = 0; i < n; ++i) {
    if (std::abs(r(i, i) - 1.0) > kDiagonalTolerance) {
      throw CorrelationError("correlation of " + name_of(names, i) + " with itself is " +
                                 exact_text(r(i, i)) +
                                 "; it must be 1 (the diagonal of a correlation matrix is all ones)",
                             {name_of(names, i)});
    }
  }
  for (Index i = 0; i < n; ++i) {
    for (Index j = i + 1; j < n; ++j) {
      if (std::abs(r(i, j) - r(j, i)) > kSymmetryTolerance) {
        throw CorrelationError("correlation between " + name_of(names, i) + " and " +
                                   name_of(names, j) + " is " + exact_text(r(i, j)) +
                                   " but between " + name_of(names, j) + " and " +
                                   name_of(names, i) + " is " + exact_text(r(j, i)) +
                                   "; a correlation matrix must be symmetric",
                               {name_of(names, i), name_of(names, j)});
      }
    }
  }
  for (Index i = 0; i < n; ++i) {
    for (Index j = i + 1; j < n; ++j) {
      if (std::abs(r(i, j)) > 1.0) {
        throw CorrelationError("correlation between " + name_of(names, i) + " and " +
                                   name_of(names, j) + " is " + exact_text(r(i, j)) +
                                   "; a correlation must lie between -1 and 1",
                               {name_of(names, i), name_of(names, j)});
      }
    }
  }
}

// The smallest principal submatrices that can fail to be positive definite are
// the 2x2 ones, and once every entry is in [-1, 1] those fail exactly when a
// correlation is +-1. They are checked before (and independently of) the full
// factorisation because rounding can let a singular matrix through Cholesky
// with a pivot of 1e-17, and the user's intent there is clear anyway.
void check_perfect_correlations(const MatrixXd& r, const std::vector<std::string>& names) {
  const Index n = r.rows();
  for (Index i = 0; i < n; ++i) {
    for (Index j = i + 1; j < n; ++j) {
      if (std::abs(r(i, j)) != 1.0) continue;
      const bool positive = r(i, j) > 0.0;
      throw CorrelationError(
          name_of(names, i) + " and " + name_of(names, j) + " are perfectly correlated (" +
              exact_text(r(i, j)) +
              "), which makes the matrix singular, not positive definite: use one driver for both" +
              (positive ? "" : " (one the mirror of the other)") + ", or a correlation " +
              (positive ? "below 1" : "above -1"),
          {name_of(names, i), name_of(names, j)});
    }
  }
}

// Among the 3x3 principal submatrices that are not positive definite, the one
// with the most negative eigenvalue: the three correlations that contradict
// each other most plainly (e.g. A~B and B~C strongly positive, A~C negative).
std::optional<std::array<Index, 3>> most_impossible_triple(const MatrixXd& r) {
  const Index n = r.rows();
  std::optional<std::array<Index, 3>> worst;
  double worst_eigenvalue = std::numeric_limits<double>::infinity();
  for (Index i = 0; i < n; ++i) {
    for (Index j = i + 1; j < n; ++j) {
      for (Index k = j + 1; k < n; ++k) {
        Eigen::Matrix3d triple;
        triple << r(i, i), r(i, j), r(i, k),
                  r(j, i), r(j, j), r(j, k),
                  r(k, i), r(k, j), r(k, k);
        const Eigen::LLT<Eigen::Matrix3d> factor(triple);
        if (factor.info() == Eigen::Success) continue;
        const Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> spectrum(triple,
                                                                     Eigen::EigenvaluesOnly);
        const double smallest = spectrum.eigenvalues()(0);
        if (smallest < worst_eigenvalue) {
          worst_eigenvalue = smallest;
          worst = std::array<Index, 3>{i, j, k};
        }
      }
    }
  }
  return worst;
}

// The error for a matrix whose Cholesky factorisation failed: find the
// smallest set of variables that explains it (pairs were already ruled out by
// check_perfect_correlations), and quote the smallest eigenvalue, which says
// how far the matrix is from valid.
CorrelationError not_positive_definite(const MatrixXd& r, const std::vector<std::string>& names) {
  const Eigen::SelfAdjointEigenSolver<MatrixXd> spectrum(r);
  const double smallest_eigenvalue = spectrum.eigenvalues()(0);

  std::vector<Index> culprits;
  if (r.rows() <= kMaxVariablesForTripleSearch) {
    if (const auto triple = most_impossible_triple(r)) {
      culprits.assign(triple->begin(), triple->end());
    }
  }
  if (culprits.empty()) {
    // No 3x3 submatrix explains the failure (or n is too large to search):
    // the eigenvector of the smallest eigenvalue is the direction in which the
    // implied variance is negative; its large components are the variables
    // whose correlations combine into the impossibility.
    const VectorXd direction = spectrum.eigenvectors().col(0).cwiseAbs();
    const double largest_component = direction.maxCoeff();
    for (Index i = 0; i < direction.size(); ++i) {
      if (direction(i) > kEigenvectorShare * largest_component) culprits.push_back(i);
    }
  }

  std::vector<std::string> involved;
  involved.reserve(culprits.size());
  for (const Index index : culprits) involved.push_back(name_of(names, index));
  // The message is built before `involved` is moved into the error: the order
  // in which constructor arguments are evaluated is unspecified.
  std::string message = "correlations among " + joined(involved) +
                        " are not jointly possible (the matrix is not positive definite; "
                        "smallest eigenvalue " +
                        rounded_text(smallest_eigenvalue) +
                        "). Change them, or ask for the nearest valid matrix with `model.correlation_repair: nearest`";
  return CorrelationError(std::move(message), std::move(involved));
}

// The whole validation; returns the Cholesky factorisation it had to compute
// anyway so that cholesky_factor does not factorise twice.
Eigen::LLT<MatrixXd> validated_factorisation(const MatrixXd& r,
                                             const std::vector<std::string>& names) {
  require_shape(r, names);
  check_entries(r, names);
  check_perfect_correlations(r, names);
  Eigen::LLT<MatrixXd> factorisation(r);
  if (factorisation.info() != Eigen::Success) throw not_positive_definite(r, names);
  return factorisation;
}

MatrixXd symmetric_part(const MatrixXd& a) { return 0.5 * (a + a.transpose()); }

// Projection onto the positive semidefinite cone in the Frobenius norm:
// clip the negative eigenvalues to zero (Higham 2002, Theorem 3.2 with W = I).
MatrixXd project_onto_psd_cone(const MatrixXd& a) {
  const Eigen::SelfAdjointEigenSolver<MatrixXd> spectrum(a);
  const MatrixXd& vectors = spectrum.eigenvectors();
  const VectorXd clipped = spectrum.eigenvalues().cwiseMax(0.0);
  return symmetric_part(vectors * clipped.asDiagonal() * vectors.transpose());
}

// True when the matrix (symmetric, unit diagonal by construction) would pass
// validate_correlation: no entry rounded to +-1 and Cholesky succeeds.
bool factorises_as_correlation(const MatrixXd& a) {
  const Index n = a.rows();
  for (Index i = 0; i < n; ++i) {
    for (Index j = i + 1; j < n; ++j) {
      if (!(std::abs(a(i, j)) < 1.0)) return false;
    }
  }
  return Eigen::LLT<MatrixXd>(a).info() == Eigen::Success;
}

// Alternating projections give a matrix that is only positive semidefinite
// (its smallest eigenvalue is ~0 whenever the input was invalid), which the
// Cholesky factorisation rejects. Raise the eigenvalues to a floor and rescale
// to unit diagonal, C = D^{-1/2} A D^{-1/2} with D = diag(A). Rescaling can
// lower the smallest eigenvalue by at most the factor max_i D_ii, so when that
// bound falls short of min_eigenvalue the floor is raised by the shortfall
// (with a hair of margin, as raising it also raises D slightly) and the lift
// repeated; one repeat suffices in practice. For a matrix that is already
// valid nothing is clipped and D = I up to rounding, so it comes back as it was.
// A min_eigenvalue at rounding level (below ~1e-14) is met only up to rounding,
// and one too small for Cholesky to see is raised until the result factorises.
MatrixXd lift_to_positive_definite(const MatrixXd& a, double min_eigenvalue) {
  constexpr double kMargin = 1.0 + 1e-6;
  const Eigen::SelfAdjointEigenSolver<MatrixXd> spectrum(a);
  const MatrixXd& vectors = spectrum.eigenvectors();
  const double rounding_floor =
      static_cast<double>(a.rows()) * std::numeric_limits<double>::epsilon();
  double floor = min_eigenvalue;
  MatrixXd result;
  for (int attempt = 0; attempt <= kMaxFloorAdjustments; ++attempt) {
    const VectorXd lifted = spectrum.eigenvalues().cwiseMax(floor);
    const MatrixXd raised = vectors * lifted.asDiagonal() * vectors.transpose();
    const VectorXd diagonal = raised.diagonal();
    const VectorXd inverse_sqrt = diagonal.cwiseSqrt().cwiseInverse();
    result = symmetric_part(inverse_sqrt.asDiagonal() * raised * inverse_sqrt.asDiagonal());
    result.diagonal().setOnes();

    const double smallest_eigenvalue_bound = lifted.minCoeff() / diagonal.maxCoeff();
    const bool bound_holds = smallest_eigenvalue_bound >= min_eigenvalue;
    const bool factorises = factorises_as_correlation(result);
    if (bound_holds && factorises) break;
    // Either the bound fell short: raise the floor by the shortfall. Or the
    // floor is below what Cholesky can see through rounding (errors of order
    // n * epsilon in the reconstructed matrix): lift it to that scale, then
    // tenfold per attempt.
    const double shortfall_floor = floor * (min_eigenvalue / smallest_eigenvalue_bound) * kMargin;
    floor = factorises ? shortfall_floor
                       : std::max({10.0 * floor, shortfall_floor, rounding_floor});
  }
  return result;
}

}  // namespace

void validate_correlation(const Eigen::MatrixXd& r, const std::vector<std::string>& names) {
  validated_factorisation(r, names);
}

Eigen::MatrixXd cholesky_factor(const Eigen::MatrixXd& r, const std::vector<std::string>& names) {
  return validated_factorisation(r, names).matrixL();
}

// Higham, N. J. (2002), "Computing the nearest correlation matrix — a problem
// from finance", IMA J. Numer. Anal. 22, 329-343, Algorithm 3.3 with W = I:
// alternate the projection onto the PSD cone S and onto the unit-diagonal set
// U. U is affine, so plain projection onto it is exact; S is a convex cone, so
// Dykstra's correction is applied before projecting onto it — without the
// correction the iteration converges to some correlation matrix, not the
// nearest one.
Eigen::MatrixXd nearest_correlation(const Eigen::MatrixXd& r, double min_eigenvalue,
                                    double tolerance, int max_iterations) {
  if (r.rows() != r.cols()) {
    throw std::invalid_argument("nearest_correlation needs a square matrix, but this one is " +
                                std::to_string(r.rows()) + "x" + std::to_string(r.cols()));
  }
  if (!r.allFinite()) {
    throw std::invalid_argument("nearest_correlation needs finite entries; fix the NaN or infinity first");
  }
  if (!(min_eigenvalue > 0.0 && min_eigenvalue < 1.0)) {
    throw std::invalid_argument("nearest_correlation: min_eigenvalue is " + exact_text(min_eigenvalue) +
                                "; expected a value in (0, 1), e.g. 1e-8");
  }
  if (!(tolerance > 0.0)) {
    throw std::invalid_argument("nearest_correlation: tolerance is " + exact_text(tolerance) +
                                "; expected a positive number, e.g. 1e-12");
  }
  if (max_iterations < 1) {
    throw std::invalid_argument("nearest_correlation: max_iterations is " +
                                std::to_string(max_iterations) + "; expected at least 1");
  }
  if (r.rows() == 0) return r;

  // The skew-symmetric part of the input is orthogonal to every symmetric
  // matrix in the Frobenius inner product, so the nearest correlation matrix
  // to r is the nearest one to its symmetric part.
  MatrixXd iterate = symmetric_part(r);
  MatrixXd dykstra_correction = MatrixXd::Zero(r.rows(), r.cols());
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    const MatrixXd corrected = iterate - dykstra_correction;
    const MatrixXd on_psd_cone = project_onto_psd_cone(corrected);
    dykstra_correction = on_psd_cone - corrected;
    MatrixXd next = on_psd_cone;
    next.diagonal().setOnes();  // projection onto U
    const double change = (next - iterate).norm();
    iterate = std::move(next);
    if (change < tolerance) break;
  }
  return lift_to_positive_definite(iterate, min_eigenvalue);
}

}  // namespace mcrisk::model
