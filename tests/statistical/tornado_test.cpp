// The tornado and switching values on a linear model whose answers are known
// exactly (configs/analytic/linear_tornado.yaml):
//   Y = 100 + 3 x1 - 2 x2 + 0.5 x3 + 20 x4 + 6 (x5[a] + x5[b]).
// Holding x_i at a fixed value on the base case's trials moves every trial by
// the same amount, so every swing is b_i (q90 - q10) up to rounding.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>

#include "config_edit.h"
#include "mcrisk/config/model_loader.h"
#include "mcrisk/model/distribution.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/statistics/sensitivity.h"

namespace {

using namespace mcrisk;

const std::string kConfig = std::string(MCRISK_SOURCE_DIR) + "/configs/analytic/linear_tornado.yaml";

std::string config_text() {
  std::ifstream in(kConfig);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

simulation::RunSettings settings(std::size_t trials, int threads = 0) {
  simulation::RunSettings run;
  run.trials = trials;
  run.seed = 42;
  run.threads = threads;
  return run;
}

// b_i (q90 - q10) from the closed-form quantiles.
struct ExpectedBar {
  std::string driver;
  double swing;
};

std::vector<ExpectedBar> exact_swings() {
  const double z90 = 1.2815515655446004;
  return {
      {"x4", 20 * (std::exp(0.5 * z90) - std::exp(-0.5 * z90))},         // lognormal(median 1, sigma 0.5)
      {"x1", 3 * (9.0 - 1.0)},                                          // U(0, 10)
      {"x2", -2 * ((10 - std::sqrt(0.1 * 10 * 8)) - std::sqrt(0.1 * 10 * 2))},  // Tri(0, 2, 10)
      {"x5", 6 * 2 * (0.9 - 0.1)},                                      // both components of U(0, 1)
      {"x3", 0.5 * 2 * z90 * 4},                                        // N(5, 4)
  };
}

// Swings of the mean, P10 and ES5, their signs and the ranking, to 1e-9
// relative (rounding only: the trials are the same at P10 and P90).
TEST(Tornado, LinearModelSwingsAreExact) {
  const auto model = config::load_model(kConfig);
  statistics::SensitivityOptions options;
  options.sobol = false;
  options.switching = false;
  const auto analysis = statistics::analyse_sensitivity(model, settings(4000), options);
  ASSERT_EQ(analysis.options.size(), 1u);
  const auto& tornado = analysis.options[0].tornado;
  const auto expected = exact_swings();
  ASSERT_EQ(tornado.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& bar = tornado[i];
    EXPECT_EQ(bar.driver, expected[i].driver) << "rank " << i + 1;
    const double tolerance = 1e-9 * 200;  // the outputs are about 100-200
    EXPECT_NEAR(bar.swing_mean, expected[i].swing, tolerance) << bar.driver;
    EXPECT_NEAR(bar.swing_p10, expected[i].swing, tolerance) << bar.driver;
    EXPECT_NEAR(bar.swing_es5, expected[i].swing, tolerance) << bar.driver;
    EXPECT_EQ(bar.components, bar.driver == "x5" ? 2u : 1u);
    // The rank correlation has the coefficient's sign.
    EXPECT_EQ(bar.rank_correlation > 0, expected[i].swing > 0) << bar.driver;
  }
  // Ranked by |swing|: x2's negative swing ranks by its size.
  EXPECT_EQ(statistics::ranked_by(tornado, "p10")[2].driver, "x2");
}

// The linear model with a cost so that expected NPV crosses zero, and a second
// option worth a constant 5, so that the ranking can flip:
//   E[Y | x1 = q] = -30 + 3 q + E[rest], E[rest] = -2 (4) + 0.5 (5) + 20 e^{1/8} + 6 = 23.1630.
model::Model switching_model() {
  std::string text = mcrisk::testing::with(config_text(), "\"100 + 3 * x1", "\"-30 + 3 * x1");
  text = mcrisk::testing::with(text, "savings_items:\n", "savings_items:\n  flat:\n    factors: [\"1\"]\n");
  text += "  flat:\n    savings: {flat: [5]}\n";
  return config::load_model_from_text(text, "linear_switching.yaml");
}

double expected_npv_with(const model::Model& model, std::size_t driver, double percentile, std::size_t option, std::size_t trials) {
  const auto outputs =
      simulation::simulate(simulation::EvaluationPlan::compile(model, statistics::hold_at_percentile(driver, percentile)), settings(trials));
  double sum = 0;
  for (double x : outputs.npv_green_book[option]) sum += x;
  return sum / double(trials);
}

// Switching values at 20,000 trials, seed 42. The crossing percentile is
// within 1.25 points of the one the exact expectation gives (4 standard
// errors: E[rest] is estimated with SE 13.2 / sqrt(20000) = 0.093, i.e. 0.31
// points of x1's percentile); at the crossing the expected NPV on those trials
// is zero to 0.01 (the refinement's tolerance 0.01 points times the slope).
TEST(SwitchingValues, LinearModelCrossesWhereTheExpectationSays) {
  const auto model = switching_model();
  const std::size_t trials = 20000;
  statistics::SwitchingSettings switching;
  switching.trials = trials;
  const auto analysis = statistics::switching_values(model, settings(trials), switching);
  ASSERT_EQ(analysis.options.size(), 2u);
  EXPECT_EQ(analysis.best, "linear");
  EXPECT_EQ(analysis.runner_up, "flat");
  const double rest = -8 + 2.5 + 20 * std::exp(0.125) + 6;
  EXPECT_NEAR(analysis.options[0].base_expected_npv, -30 + 15 + rest, 4 * 15.8 / std::sqrt(double(trials)));

  // x1 ~ U(0, 10): zero at q = (30 - rest) / 3, i.e. p = 10 q.
  const auto& x1 = analysis.options[0].drivers[0];
  ASSERT_EQ(x1.crossings.size(), 1u);
  const double p_zero = 10 * (30 - rest) / 3;
  EXPECT_NEAR(x1.crossings[0].percentile, p_zero, 1.25);
  EXPECT_FALSE(x1.crossings[0].falling);  // negative below, positive above: NPV rises with x1
  EXPECT_DOUBLE_EQ(x1.crossings[0].values.at(0), model.component_quantile(0, x1.crossings[0].percentile / 100));
  EXPECT_NEAR(expected_npv_with(model, 0, x1.crossings[0].percentile, 0, trials), 0.0, 0.01);

  // x2 (coefficient -2): zero where -2 q2 = 30 - 15 - (rest + 8) - ... i.e.
  // E[Y | x2 = q] = -30 + 15 + (rest + 8) - 2 q = 0.
  const auto& x2 = analysis.options[0].drivers[1];
  ASSERT_EQ(x2.crossings.size(), 1u);
  EXPECT_TRUE(x2.crossings[0].falling);
  EXPECT_NEAR(x2.crossings[0].values[0], (-15 + rest + 8) / 2, 0.25);  // 4 SE of the level / slope 2
  EXPECT_NEAR(expected_npv_with(model, 1, x2.crossings[0].percentile, 0, trials), 0.0, 0.01);

  // x3 (0.5 x N(5, 4)) cannot move the mean by 8.16 within its P0.5..P99.5: none in range.
  EXPECT_TRUE(analysis.options[0].drivers[2].crossings.empty());
  // The flat option never crosses zero.
  for (const auto& value : analysis.options[1].drivers) EXPECT_TRUE(value.crossings.empty()) << value.driver;

  // Ranking: linear falls below the flat 5 where -30 + 3 q + rest = 5.
  const auto& flip = analysis.ranking_flip.at(0);
  ASSERT_EQ(flip.crossings.size(), 1u);
  EXPECT_NEAR(flip.crossings[0].percentile, 10 * (35 - rest) / 3, 1.25);
  EXPECT_FALSE(flip.crossings[0].falling);  // below it, flat leads; above it, linear regains the lead
  EXPECT_NEAR(expected_npv_with(model, 0, flip.crossings[0].percentile, 0, trials), 5.0, 0.01);

  // A driver over a set: both components at the crossing percentile.
  const auto& x5 = analysis.options[0].drivers[4];
  for (const auto& crossing : x5.crossings) EXPECT_EQ(crossing.values.size(), 2u);
}

// Same bits on one and two threads.
TEST(SwitchingValues, DeterministicAcrossThreads) {
  const auto model = switching_model();
  statistics::SwitchingSettings switching;
  switching.trials = 3000;
  const auto one = statistics::switching_values(model, settings(3000, 1), switching);
  const auto two = statistics::switching_values(model, settings(3000, 2), switching);
  ASSERT_EQ(one.options[0].drivers.size(), two.options[0].drivers.size());
  for (std::size_t d = 0; d < one.options[0].drivers.size(); ++d) {
    ASSERT_EQ(one.options[0].drivers[d].crossings.size(), two.options[0].drivers[d].crossings.size());
    for (std::size_t k = 0; k < one.options[0].drivers[d].crossings.size(); ++k) {
      EXPECT_EQ(one.options[0].drivers[d].crossings[k].percentile, two.options[0].drivers[d].crossings[k].percentile);
    }
  }
  EXPECT_EQ(one.model_runs, two.model_runs);
}

}  // namespace
