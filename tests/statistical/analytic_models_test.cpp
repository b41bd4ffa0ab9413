// Whole runs of the analytic configs in configs/analytic/, against their
// closed forms. Fixed seeds; tolerances are stated as multiples of the Monte
// Carlo standard error of each estimate.

#include <gtest/gtest.h>

#include <cmath>

#include "mcrisk/config/model_loader.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/run_summary.h"

namespace {

using namespace mcrisk;

statistics::RunSummary run_config(const std::string& relative_path, std::size_t trials, std::uint64_t seed) {
  const auto model = config::load_model(std::string(MCRISK_SOURCE_DIR) + "/" + relative_path);
  const auto plan = simulation::EvaluationPlan::compile(model);
  simulation::RunSettings settings;
  settings.trials = trials;
  settings.seed = seed;
  return statistics::summarise_run(model, plan, simulation::simulate(plan, settings), {});
}

// Ishigami: E[Y] = 3.5, Var[Y] = 13.844587940719254 (Ishigami and Homma 1990).
TEST(AnalyticModels, IshigamiMeanAndVariance) {
  const std::size_t n = 200000;
  const auto summary = run_config("configs/analytic/ishigami.yaml", n, 1990);
  const auto& y = summary.options.at(0).total_net;
  const double variance = 13.844587940719254;
  // Mean within 4 standard errors sqrt(Var/n).
  EXPECT_NEAR(y.mean, 3.5, 4 * std::sqrt(variance / double(n)));
  // Variance: the SE of a sample variance is sqrt((mu4 - sigma^4)/n); Ishigami's
  // kurtosis mu4/sigma^4 is about 3.51 (estimated from 400000 draws), so at
  // n = 200000 four SEs are 4 sqrt(2.51/n) sigma^2 = 0.196.
  EXPECT_NEAR(y.sd * y.sd, variance, 0.2);
}

// net = 1000 (x + y) - 1500 ~ Normal(0, 700) exactly (see the config's comment).
TEST(AnalyticModels, CorrelatedNormalsEveryStatistic) {
  const std::size_t n = 200000;
  const auto summary = run_config("configs/analytic/correlated_normals.yaml", n, 7);
  const auto& s = summary.options.at(0).total_net;
  const double sd = 700.0;
  EXPECT_NEAR(s.mean, 0.0, 4 * sd / std::sqrt(double(n)));
  EXPECT_NEAR(s.sd, sd, 4 * sd / std::sqrt(2.0 * double(n)));  // SE of a normal sample's sd: sigma / sqrt(2n)
  // P(loss) = 0.5; binomial SE sqrt(p(1-p)/n).
  EXPECT_NEAR(s.prob_loss, 0.5, 4 * std::sqrt(0.25 / double(n)));
  // P10 = -1.2815515655446004 sd; SE of a sample quantile: sqrt(p(1-p)/n) / f(x_p).
  const double z10 = -1.2815515655446004;
  const double density = std::exp(-0.5 * z10 * z10) / (sd * std::sqrt(2 * M_PI));
  EXPECT_NEAR(s.percentile(10), z10 * sd, 4 * std::sqrt(0.09 / double(n)) / density);
  EXPECT_NEAR(s.percentile(50), 0.0, 4 * std::sqrt(0.25 / double(n)) / (1 / (sd * std::sqrt(2 * M_PI))));
  // ES5 = -sd phi(z_0.05) / 0.05 = -1443.88; its SE is about sd * 1.2 / sqrt(0.05 n): allow 4 of those.
  const double z05 = 1.6448536269514722;
  const double es = -sd * std::exp(-0.5 * z05 * z05) / std::sqrt(2 * M_PI) / 0.05;
  EXPECT_NEAR(s.expected_shortfall_5, es, 4 * sd * 1.2 / std::sqrt(0.05 * double(n)));
  // The mean's CI is mean +- 1.96 SE.
  EXPECT_NEAR(s.mean_ci95_high - s.mean, 1.959963984540054 * s.mean_se, 1e-9);
  // One option is always the best of one.
  EXPECT_EQ(summary.options.at(0).prob_best.value, 1.0);
}

}  // namespace
