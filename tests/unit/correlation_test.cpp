// Correlation validation, Cholesky factor and nearest-correlation repair.
// The validation tests check *which* variables are named, because naming the
// culprits is the point of the validator; the repair tests check against
// Higham's published example.

#include "mcrisk/model/correlation.h"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrisk::model {
namespace {

using Eigen::MatrixXd;

// The error validate_correlation throws, or nothing when it accepts r.
std::optional<CorrelationError> rejection(const MatrixXd& r, const std::vector<std::string>& names) {
  try {
    validate_correlation(r, names);
  } catch (const CorrelationError& error) {
    return error;
  }
  return std::nullopt;
}

bool mentions(const CorrelationError& error, const std::string& text) {
  return std::string(error.what()).find(text) != std::string::npos;
}

MatrixXd valid_3x3() {
  MatrixXd r(3, 3);
  r << 1.0, 0.3, -0.2,
       0.3, 1.0, 0.5,
      -0.2, 0.5, 1.0;
  return r;
}

// Strong positive A~B and B~C with strong negative A~C: impossible together.
MatrixXd classic_indefinite_3x3() {
  MatrixXd r(3, 3);
  r << 1.0, 0.9, -0.9,
       0.9, 1.0, 0.9,
      -0.9, 0.9, 1.0;
  return r;
}

const std::vector<std::string> kCostNames{"cost", "schedule", "scope"};

double smallest_eigenvalue(const MatrixXd& r) {
  return Eigen::SelfAdjointEigenSolver<MatrixXd>(r, Eigen::EigenvaluesOnly).eigenvalues()(0);
}

TEST(CorrelationValidation, AcceptsValidMatrix) {
  EXPECT_NO_THROW(validate_correlation(valid_3x3(), kCostNames));
  EXPECT_NO_THROW(validate_correlation(MatrixXd::Identity(4, 4), {"a", "b", "c", "d"}));
}

TEST(CorrelationValidation, CholeskyFactorReproducesMatrixAndIsLowerTriangular) {
  const MatrixXd r = valid_3x3();
  const MatrixXd lower = cholesky_factor(r, kCostNames);
  ASSERT_EQ(lower.rows(), 3);
  ASSERT_EQ(lower.cols(), 3);
  EXPECT_LE((lower * lower.transpose() - r).cwiseAbs().maxCoeff(), 1e-12);
  for (Eigen::Index i = 0; i < 3; ++i) {
    EXPECT_GT(lower(i, i), 0.0);
    for (Eigen::Index j = i + 1; j < 3; ++j) EXPECT_EQ(lower(i, j), 0.0) << "entry " << i << "," << j;
  }
}

TEST(CorrelationValidation, CholeskyFactorRejectsInvalidMatrix) {
  EXPECT_THROW(cholesky_factor(classic_indefinite_3x3(), kCostNames), CorrelationError);
}

TEST(CorrelationValidation, RejectsAsymmetryNamingBothVariablesAndValues) {
  MatrixXd r = valid_3x3();
  r(0, 1) = 0.3;
  r(1, 0) = 0.4;
  const auto error = rejection(r, kCostNames);
  ASSERT_TRUE(error.has_value());
  EXPECT_TRUE(mentions(*error, "correlation between cost and schedule is 0.3 but between schedule and cost is 0.4"))
      << error->what();
  EXPECT_TRUE(mentions(*error, "symmetric")) << error->what();
  EXPECT_EQ(error->involved(), (std::vector<std::string>{"cost", "schedule"}));
}

TEST(CorrelationValidation, ToleratesAsymmetryAtRoundingLevel) {
  MatrixXd r = valid_3x3();
  r(1, 0) += 1e-15;
  EXPECT_NO_THROW(validate_correlation(r, kCostNames));
}

TEST(CorrelationValidation, RejectsEntryOutOfRangeNamingBothVariables) {
  MatrixXd r = MatrixXd::Identity(3, 3);
  r(1, 2) = r(2, 1) = 1.2;
  const auto error = rejection(r, kCostNames);
  ASSERT_TRUE(error.has_value());
  EXPECT_TRUE(mentions(*error, "schedule")) << error->what();
  EXPECT_TRUE(mentions(*error, "scope")) << error->what();
  EXPECT_TRUE(mentions(*error, "1.2")) << error->what();
  EXPECT_TRUE(mentions(*error, "between -1 and 1")) << error->what();
  EXPECT_EQ(error->involved(), (std::vector<std::string>{"schedule", "scope"}));
}

// A diagonal entry concerns one variable only, so exactly that one is named.
TEST(CorrelationValidation, RejectsBadDiagonalNamingTheVariable) {
  MatrixXd r = valid_3x3();
  r(1, 1) = 0.9;
  const auto error = rejection(r, kCostNames);
  ASSERT_TRUE(error.has_value());
  EXPECT_TRUE(mentions(*error, "correlation of schedule with itself is 0.9")) << error->what();
  EXPECT_TRUE(mentions(*error, "must be 1")) << error->what();
  EXPECT_EQ(error->involved(), (std::vector<std::string>{"schedule"}));
}

TEST(CorrelationValidation, RejectsNaNNamingBothVariables) {
  MatrixXd r = valid_3x3();
  r(0, 2) = std::numeric_limits<double>::quiet_NaN();  // only one side: non-finite is checked first
  const auto error = rejection(r, kCostNames);
  ASSERT_TRUE(error.has_value());
  EXPECT_TRUE(mentions(*error, "correlation between cost and scope is nan")) << error->what();
  EXPECT_TRUE(mentions(*error, "finite")) << error->what();
  EXPECT_EQ(error->involved(), (std::vector<std::string>{"cost", "scope"}));
}

TEST(CorrelationValidation, RejectsClassicIndefiniteTripleNamingAllThree) {
  const auto error = rejection(classic_indefinite_3x3(), {"grant_cut", "demand", "realisation"});
  ASSERT_TRUE(error.has_value());
  EXPECT_TRUE(mentions(*error, "not positive definite")) << error->what();
  EXPECT_TRUE(mentions(*error, "grant_cut, demand, realisation")) << error->what();
  // The eigenvalues are 1.9 (twice) and -0.8, eigenvector (1, -1, 1).
  EXPECT_TRUE(mentions(*error, "smallest eigenvalue -0.8")) << error->what();
  EXPECT_TRUE(mentions(*error, "`model.correlation_repair: nearest`")) << error->what();
  EXPECT_EQ(error->involved(), (std::vector<std::string>{"grant_cut", "demand", "realisation"}));
}

TEST(CorrelationValidation, NamesExactlyTheImpossibleTripleInsideALargerMatrix) {
  MatrixXd r = MatrixXd::Identity(5, 5);
  r.block(2, 2, 3, 3) = classic_indefinite_3x3();
  r(0, 1) = r(1, 0) = 0.4;  // a valid pair elsewhere, to be left out of the blame
  const auto error = rejection(r, {"a", "b", "c", "d", "e"});
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->involved(), (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_TRUE(mentions(*error, "correlations among c, d, e are not jointly possible")) << error->what();
}

// "a" is correlated with "b" (0.3), so the eigenvector of the smallest
// eigenvalue leans on "a" too (component ~0.17 of the largest); but every
// triple containing "a" is possible, and the smallest impossible set, the one
// to report, is {b, c, d}.
TEST(CorrelationValidation, NamesTheImpossibleTripleAndNotAVariableCorrelatedWithIt) {
  MatrixXd r = MatrixXd::Identity(4, 4);
  r.block(1, 1, 3, 3) = classic_indefinite_3x3();
  r(0, 1) = r(1, 0) = 0.3;
  const auto error = rejection(r, {"a", "b", "c", "d"});
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->involved(), (std::vector<std::string>{"b", "c", "d"}));
}

TEST(CorrelationValidation, NamesThePairThatIsPerfectlyCorrelated) {
  MatrixXd r(3, 3);
  r << 1.0, 0.5, 1.0,
       0.5, 1.0, 0.5,
       1.0, 0.5, 1.0;
  const auto error = rejection(r, {"a", "b", "c"});
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->involved(), (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(mentions(*error, "a and c are perfectly correlated (1)")) << error->what();
  EXPECT_TRUE(mentions(*error, "use one driver for both")) << error->what();
  EXPECT_TRUE(mentions(*error, "not positive definite")) << error->what();
}

TEST(CorrelationValidation, NamesThePairThatIsPerfectlyAnticorrelated) {
  MatrixXd r = MatrixXd::Identity(3, 3);
  r(1, 2) = r(2, 1) = -1.0;
  const auto error = rejection(r, {"a", "b", "c"});
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->involved(), (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(mentions(*error, "perfectly correlated (-1)")) << error->what();
  EXPECT_TRUE(mentions(*error, "above -1")) << error->what();
}

// Equicorrelation rho is valid iff rho > -1/(n-1): at rho = -0.34 every
// triple is fine (> -1/2) but the four together are not (< -1/3), so the
// culprits come from the eigenvector (1, 1, 1, 1) of the smallest eigenvalue.
TEST(CorrelationValidation, NamesAllVariablesOfAnImpossibilityNoTripleExplains) {
  const double rho = -0.34;
  MatrixXd r = MatrixXd::Constant(4, 4, rho);
  r.diagonal().setOnes();
  const auto error = rejection(r, {"a", "b", "c", "d"});
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->involved(), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_TRUE(mentions(*error, "not positive definite")) << error->what();
}

// Above 60 variables the triple search gives way to the eigenvector; with the
// rest independent, the eigenvector still points at exactly the three.
TEST(CorrelationValidation, LargeMatrixNamesTheImpossibleTripleFromTheEigenvector) {
  constexpr Eigen::Index kSize = 61;
  MatrixXd r = MatrixXd::Identity(kSize, kSize);
  r.block(10, 10, 3, 3) = classic_indefinite_3x3();
  std::vector<std::string> names;
  for (Eigen::Index i = 0; i < kSize; ++i) names.push_back("x" + std::to_string(i));
  const auto error = rejection(r, names);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->involved(), (std::vector<std::string>{"x10", "x11", "x12"}));
}

TEST(CorrelationValidation, ShapeMistakesAreInvalidArguments) {
  EXPECT_THROW(validate_correlation(MatrixXd::Identity(2, 3), {"a", "b"}), std::invalid_argument);
  EXPECT_THROW(validate_correlation(MatrixXd::Identity(3, 3), {"a", "b"}), std::invalid_argument);
}

// Higham (2002), Section 4: the nearest correlation matrix to
// [[1, 1, 0], [1, 1, 1], [0, 1, 1]] is, to four places, the matrix below.
TEST(NearestCorrelation, ReproducesHighamsPublishedExample) {
  MatrixXd a(3, 3);
  a << 1, 1, 0,
       1, 1, 1,
       0, 1, 1;
  MatrixXd published(3, 3);
  published << 1.0, 0.7607, 0.1573,
               0.7607, 1.0, 0.7607,
               0.1573, 0.7607, 1.0;
  const MatrixXd nearest = nearest_correlation(a, 1e-10);
  EXPECT_LE((nearest - published).cwiseAbs().maxCoeff(), 1e-4) << nearest;
}

TEST(NearestCorrelation, RepairedIndefiniteMatrixIsValidAndCloserThanIdentity) {
  const MatrixXd a = classic_indefinite_3x3();
  const double min_eigenvalue = 1e-8;
  const MatrixXd repaired = nearest_correlation(a, min_eigenvalue);
  EXPECT_NO_THROW(validate_correlation(repaired, {"grant_cut", "demand", "realisation"}));
  for (Eigen::Index i = 0; i < 3; ++i) EXPECT_EQ(repaired(i, i), 1.0);
  EXPECT_GE(smallest_eigenvalue(repaired), min_eigenvalue * (1.0 - 1e-9));
  EXPECT_LT((repaired - a).norm(), (MatrixXd::Identity(3, 3) - a).norm());
  // It must also be no farther than a simple valid guess: shrinking halfway to I.
  const MatrixXd shrunk = 0.5 * (a + MatrixXd::Identity(3, 3));
  ASSERT_NO_THROW(validate_correlation(shrunk, {"grant_cut", "demand", "realisation"}));
  EXPECT_LT((repaired - a).norm(), (shrunk - a).norm());
}

TEST(NearestCorrelation, LeavesAValidMatrixUnchanged) {
  const MatrixXd r = valid_3x3();
  const MatrixXd nearest = nearest_correlation(r);
  EXPECT_LE((nearest - r).cwiseAbs().maxCoeff(), 1e-10) << nearest;
}

TEST(NearestCorrelation, RepairsAPerfectCorrelationIntoAValidMatrix) {
  MatrixXd r = MatrixXd::Identity(3, 3);
  r(0, 1) = r(1, 0) = 1.0;
  const MatrixXd repaired = nearest_correlation(r);
  EXPECT_NO_THROW(validate_correlation(repaired, {"a", "b", "c"}));
  EXPECT_GT(repaired(0, 1), 0.9999);
}

TEST(NearestCorrelation, RejectsNonsensicalArguments) {
  EXPECT_THROW(nearest_correlation(MatrixXd::Identity(2, 3)), std::invalid_argument);
  EXPECT_THROW(nearest_correlation(MatrixXd::Identity(3, 3), 0.0), std::invalid_argument);
  EXPECT_THROW(nearest_correlation(MatrixXd::Identity(3, 3), 1e-8, 0.0), std::invalid_argument);
  EXPECT_THROW(nearest_correlation(MatrixXd::Identity(3, 3), 1e-8, 1e-12, 0), std::invalid_argument);
}

}  // namespace
}  // namespace mcrisk::model
