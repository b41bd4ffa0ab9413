// Sobol indices against benchmarks with exact answers: Ishigami, the Sobol
// g-function and a linear model (configs/analytic/). Fixed seeds; each
// tolerance is stated beside its assertion, as a bound on the absolute error
// of an index at the stated N (several bootstrap standard errors at that N).

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "config_edit.h"
#include "mcrisk/config/model_loader.h"
#include "mcrisk/statistics/sobol_indices.h"

namespace {

using namespace mcrisk;

model::Model load(const std::string& relative_path) { return config::load_model(std::string(MCRISK_SOURCE_DIR) + "/" + relative_path); }

statistics::SobolAnalysis analyse(const model::Model& model, std::size_t trials, std::uint64_t seed, std::size_t bootstrap = 1000) {
  simulation::RunSettings settings;
  settings.seed = seed;
  return statistics::sobol_indices(model, settings, {trials, bootstrap});
}

struct Exact {
  std::vector<double> first_order, total;
};

// Ishigami and Homma (1990), a = 7, b = 0.1: V1 = (1 + b pi^4/5)^2 / 2,
// V2 = a^2/8, V13 = 8 b^2 pi^8 / 225, V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2.
Exact ishigami_exact() {
  const double a = 7, b = 0.1, pi = M_PI;
  const double v = a * a / 8 + b * std::pow(pi, 4) / 5 + b * b * std::pow(pi, 8) / 18 + 0.5;
  const double v1 = 0.5 * std::pow(1 + b * std::pow(pi, 4) / 5, 2), v2 = a * a / 8, v13 = 8 * b * b * std::pow(pi, 8) / 225;
  return {{v1 / v, v2 / v, 0.0}, {(v1 + v13) / v, v2 / v, v13 / v}};
}

// Sobol' g-function: V_i = 1/(3 (1 + a_i)^2), V = prod (1 + V_i) - 1,
// S_i = V_i / V, ST_i = V_i prod_{j != i} (1 + V_j) / V.
Exact g_function_exact(const std::vector<double>& a) {
  std::vector<double> partial;
  double product = 1;
  for (double a_i : a) {
    partial.push_back(1 / (3 * (1 + a_i) * (1 + a_i)));
    product *= 1 + partial.back();
  }
  const double v = product - 1;
  Exact exact;
  for (double v_i : partial) {
    exact.first_order.push_back(v_i / v);
    exact.total.push_back(v_i * product / (1 + v_i) / v);
  }
  return exact;
}

// How many of the 95% intervals hold the exact value.
int covered(const statistics::OptionSobol& option, const Exact& exact) {
  int count = 0;
  for (std::size_t i = 0; i < option.indices.size(); ++i) {
    count += option.indices[i].first_order.ci95.contains(exact.first_order[i]);
    count += option.indices[i].total.ci95.contains(exact.total[i]);
  }
  return count;
}

void expect_near_exact(const statistics::SobolAnalysis& analysis, const Exact& exact, double tolerance) {
  const auto& option = analysis.options.at(0);
  ASSERT_EQ(option.indices.size(), exact.first_order.size());
  for (std::size_t i = 0; i < option.indices.size(); ++i) {
    const auto& index = option.indices[i];
    const std::string name = analysis.groups[index.group].name;
    EXPECT_NEAR(index.first_order.value, exact.first_order[i], tolerance) << name << " first order";
    EXPECT_NEAR(index.total.value, exact.total[i], tolerance) << name << " total";
    // A percentile interval of a resampled estimate holds the estimate here
    // (the bootstrap distribution is centred on it, and not skewed enough).
    EXPECT_TRUE(index.first_order.ci95.contains(index.first_order.value)) << name;
    EXPECT_TRUE(index.total.ci95.contains(index.total.value)) << name;
  }
}

// Ishigami at N = 2^16 (327,680 model runs), seed 1990: every index within
// 0.02 of the exact value (the bootstrap standard errors at this N are at
// most about 0.006). The intervals' coverage is the next test's.
TEST(SobolIndices, IshigamiMatchesTheClosedForm) {
  const auto analysis = analyse(load("configs/analytic/ishigami.yaml"), std::size_t{1} << 16, 1990);
  ASSERT_EQ(analysis.groups.size(), 3u);
  EXPECT_EQ(analysis.groups[0].name, "x1");
  EXPECT_EQ(analysis.model_runs, (std::size_t{1} << 16) * 5);
  const Exact exact = ishigami_exact();
  expect_near_exact(analysis, exact, 0.02);
  // x1 and x3 interact (ST1 > S1, ST3 > S3 = 0): the first-order indices sum to 1 - V13/V = 0.756.
  EXPECT_NEAR(analysis.options[0].sum_first_order.value, 1 - exact.total[2], 0.03);
  EXPECT_NEAR(analysis.options[0].variance, 13.844587940719254, 0.2);
}

// The 95% bootstrap intervals hold the exact indices about 95% of the time:
// pooled over seeds 1 to 20 at N = 2^14 (the six intervals of one seed are not
// independent, so one seed says little: 4 of 6 happens), at least 108 of the
// 120 hold it (90%; the count is binomial(120, 0.95) if independent, mean 114,
// standard deviation 2.4). Over seeds 1 to 40 the count was 229 of 240.
TEST(SobolIndices, IshigamiIntervalsCoverAtTheirLevel) {
  const model::Model ishigami = load("configs/analytic/ishigami.yaml");
  const Exact exact = ishigami_exact();
  int held = 0, intervals = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto analysis = analyse(ishigami, std::size_t{1} << 14, seed);
    held += covered(analysis.options.at(0), exact);
    intervals += 6;
  }
  EXPECT_GE(held, 108) << "of " << intervals << " intervals";
}

// g-function, d = 8, a = (0, 1, 4.5, 9, 99, 99, 99, 99), at N = 2^15 (327,680
// model runs), seed 1993: every index within 0.02 of the exact value (the
// largest bootstrap standard error at this N is about 0.006), and at least 14
// of the 16 intervals hold the exact value.
TEST(SobolIndices, GFunctionMatchesTheClosedForm) {
  const auto analysis = analyse(load("configs/analytic/sobol_g.yaml"), std::size_t{1} << 15, 1993);
  ASSERT_EQ(analysis.groups.size(), 8u);
  const Exact exact = g_function_exact({0, 1, 4.5, 9, 99, 99, 99, 99});
  expect_near_exact(analysis, exact, 0.02);
  EXPECT_GE(covered(analysis.options[0], exact), 14) << "of 16 intervals";
  // The order of importance is the order of a_i.
  const auto& indices = analysis.options[0].indices;
  EXPECT_GT(indices[0].total.value, indices[1].total.value);
  EXPECT_GT(indices[1].total.value, indices[2].total.value);
  EXPECT_GT(indices[2].total.value, indices[4].total.value);
}

// Additive model with independent inputs: S_i = ST_i = b_i^2 Var(x_i) / Var(Y)
// (see the config). Jansen's total estimator is exact term by term here
// (f(A) - f(A_B^i) = b_i (a_i - b_i)), so its error is the sampling error of a
// variance ratio: within 0.02 at N = 2^14, seed 42.
TEST(SobolIndices, LinearModelIndicesAreTheVarianceShares) {
  const auto analysis = analyse(load("configs/analytic/linear_tornado.yaml"), std::size_t{1} << 14, 42, 200);
  const double var_x4 = 400 * (std::exp(0.25) - 1) * std::exp(0.25);
  const std::vector<double> shares = {75, 4 * 84.0 / 18, 4, var_x4, 6};
  const double variance = 75 + 4 * 84.0 / 18 + 4 + var_x4 + 6;
  ASSERT_EQ(analysis.groups.size(), 5u);
  EXPECT_EQ(analysis.groups[4].name, "x5");
  EXPECT_EQ(analysis.groups[4].dimensions.size(), 2u);  // both components in one input
  for (std::size_t i = 0; i < shares.size(); ++i) {
    EXPECT_NEAR(analysis.options[0].indices[i].first_order.value, shares[i] / variance, 0.02) << i;
    EXPECT_NEAR(analysis.options[0].indices[i].total.value, shares[i] / variance, 0.02) << i;
  }
  EXPECT_NEAR(analysis.options[0].sum_total.value, 1.0, 0.03);
}

// Correlated drivers share their copula scores, so they are one input, named
// by both and flagged; the others stay single.
TEST(SobolGroups, CorrelatedDriversAreOneGroup) {
  const std::string text = mcrisk::testing::with(
      [] {
        std::ifstream in(std::string(MCRISK_SOURCE_DIR) + "/configs/analytic/linear_tornado.yaml");
        return std::string(std::istreambuf_iterator<char>(in), {});
      }(),
      "savings_items:", "correlations:\n  - between: [x1, x3]\n    rho: 0.6\nsavings_items:");
  const auto model = config::load_model_from_text(text, "linear_correlated.yaml");
  const auto plan = simulation::EvaluationPlan::compile(model);
  const auto groups = statistics::sobol_groups(model, plan);
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0].name, "x1 + x3");
  EXPECT_TRUE(groups[0].correlated);
  EXPECT_EQ(groups[0].dimensions, (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(groups[1].name, "x2");
  EXPECT_FALSE(groups[1].correlated);
  // Every dimension of the cube is in exactly one group.
  std::vector<int> seen(plan.dimension_count, 0);
  for (const auto& group : groups)
    for (std::size_t k : group.dimensions) ++seen[k];
  for (std::size_t k = 0; k < seen.size(); ++k) EXPECT_EQ(seen[k], 1) << "dimension " << k;
}

// The estimator on hand-made outputs: Y = X1 + 2 X2 with X1, X2 in {-1, 1}
// laid out so that every sum is known.
TEST(SobolEstimator, KnownSumsOnHandMadeRows) {
  // Rows j: A = (a1, a2), B = (b1, b2); A_B^1 = (b1, a2), A_B^2 = (a1, b2).
  const std::vector<std::array<double, 4>> rows = {{1, 1, -1, -1}, {-1, 1, 1, -1}, {1, -1, -1, 1}, {-1, -1, 1, 1}};
  std::vector<double> y_a, y_b;
  std::vector<std::vector<double>> y_ab(2);
  for (const auto& r : rows) {
    y_a.push_back(r[0] + 2 * r[1]);
    y_b.push_back(r[2] + 2 * r[3]);
    y_ab[0].push_back(r[2] + 2 * r[1]);
    y_ab[1].push_back(r[0] + 2 * r[3]);
  }
  const auto point = statistics::sobol_estimate(y_a, y_b, y_ab);
  // Pooled values (3, 1, -1, -3, -3, -1, 1, 3): mean 0, variance 40/7.
  EXPECT_DOUBLE_EQ(point.variance, 40.0 / 7);
  // Here b = -a in every row, so with Y = c1 X1 + c2 X2, f(A_B^i) - f(A) =
  // -2 c_i a_i and f(B) (f(A_B^i) - f(A)) = 2 c_i a_i (c1 a1 + c2 a2) = 2 c_i^2 +
  // 2 c1 c2 a1 a2; a1 a2 sums to 0 over the rows, so V_i = 2 c_i^2: 2 and 8.
  EXPECT_DOUBLE_EQ(point.first_order[0], 2.0 / (40.0 / 7));
  EXPECT_DOUBLE_EQ(point.first_order[1], 8.0 / (40.0 / 7));
  // Jansen: (1/2N) sum (2 c_i a_i)^2 = 2 c_i^2.
  EXPECT_DOUBLE_EQ(point.total[0], 2.0 / (40.0 / 7));
  EXPECT_DOUBLE_EQ(point.total[1], 8.0 / (40.0 / 7));
  EXPECT_THROW(statistics::sobol_estimate(y_a, {1.0}, y_ab), std::invalid_argument);
}

}  // namespace
