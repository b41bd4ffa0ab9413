#pragma once
// Correlation matrices of the Gaussian copula: validation that names the
// drivers at fault, the Cholesky factor the sampler applies, and an opt-in
// repair to the nearest correlation matrix (Higham 2002).

#include <Eigen/Dense>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mcrisk::model {

//! A matrix that is not a valid correlation matrix; what() names the variables involved.
class CorrelationError : public std::invalid_argument {
 public:
  CorrelationError(std::string message, std::vector<std::string> involved)
      : std::invalid_argument(std::move(message)), involved_(std::move(involved)) {}
  //! Names of the variables whose entries make the matrix invalid.
  const std::vector<std::string>& involved() const { return involved_; }

 private:
  std::vector<std::string> involved_;
};

//! Checks symmetry, unit diagonal, entries in [-1, 1] and positive definiteness.
//! names[i] labels row i. Throws CorrelationError naming the variables involved:
//! for an indefinite matrix, the variables carrying the eigenvector of the
//! smallest eigenvalue (the smallest principal submatrix that is not PD when found).
void validate_correlation(const Eigen::MatrixXd& r, const std::vector<std::string>& names);

//! Lower Cholesky factor L (R = L L^T) of a validated correlation matrix.
Eigen::MatrixXd cholesky_factor(const Eigen::MatrixXd& r, const std::vector<std::string>& names);

//! Nearest correlation matrix in the Frobenius norm (Higham 2002, alternating
//! projections with Dykstra's correction), nudged so that it is positive definite
//! with smallest eigenvalue >= min_eigenvalue.
Eigen::MatrixXd nearest_correlation(const Eigen::MatrixXd& r, double min_eigenvalue = 1e-8,
                                    double tolerance = 1e-12, int max_iterations = 1000);

}  // namespace mcrisk::model
