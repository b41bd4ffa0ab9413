// Sensitivity analysis on R1 (issue 4): the Sobol design's promises — the
// input groups (correlated drivers merged, one group per event), A equal to
// the base run's trials, and the same bits on one and two threads for the
// indices and their bootstrap intervals.

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "bit_identity.h"
#include "mcrisk/config/model_loader.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/sobol_indices.h"

namespace {

using namespace mcrisk;

const std::string kR1 = std::string(MCRISK_SOURCE_DIR) + "/configs/triborough_2010.yaml";

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(SobolDesign, R1GroupsMergeCorrelatedDriversAndKeepEventsWhole) {
  const auto model = config::load_model(kR1);
  const auto plan = simulation::EvaluationPlan::compile(model);
  const auto groups = statistics::sobol_groups(model, plan);
  std::vector<std::string> names;
  for (const auto& group : groups) names.push_back(group.name);
  EXPECT_EQ(names, (std::vector<std::string>{"realisation", "delay_months", "demand_pressure + grant_cut", "post_factor",
                                             "unit_redundancy_cost", "pm_overrun", "alliance_factor", "disaggregation_cost",
                                             "event partner_withdrawal"}));
  EXPECT_TRUE(groups[2].correlated);
  EXPECT_FALSE(groups[0].correlated);  // correlated only within itself: one driver, one group anyway
  EXPECT_EQ(groups[0].dimensions.size(), 7u);
  EXPECT_EQ(groups[2].dimensions.size(), 4u);
  EXPECT_EQ(groups.back().dimensions.size(), 3u * 4u);  // 3 slots x 4 years
  EXPECT_EQ(groups.back().event, "partner_withdrawal");
}

TEST(SobolDesign, AIsTheBaseRunsFirstTrials) {
  const auto model = config::load_model(kR1);
  const auto plan = simulation::EvaluationPlan::compile(model);
  simulation::RunSettings settings;
  settings.trials = 2000;
  settings.seed = 20100706;
  const auto base = simulation::simulate(plan, settings);
  const auto source = sampling::UnitCubeSampler::create(sampling::SamplingMethod::MonteCarlo, settings.seed, 2 * plan.dimension_count, 1);
  const auto a = simulation::simulate(plan, sampling::UnitCubeSampler::column_swap(source, std::vector<bool>(plan.dimension_count, false)),
                                      settings);
  EXPECT_TRUE(mcrisk::testing::same_outputs(base, a));
  EXPECT_THROW(simulation::simulate(plan, source, settings), std::invalid_argument);  // 2d dimensions: not the plan's
}

TEST(SobolDesign, SameBitsOnOneAndTwoThreads) {
  const auto model = config::load_model(kR1);
  simulation::RunSettings settings;
  settings.seed = 20100706;
  settings.threads = 1;
  const statistics::SobolSettings sobol{2048, 100};
  const auto one = statistics::sobol_indices(model, settings, sobol);
  settings.threads = 2;
  settings.block_size = 100;  // nor does the block size matter
  const auto two = statistics::sobol_indices(model, settings, sobol);
  ASSERT_EQ(one.options.size(), two.options.size());
  for (std::size_t o = 0; o < one.options.size(); ++o) {
    EXPECT_TRUE(same_bits(one.options[o].variance, two.options[o].variance));
    for (std::size_t i = 0; i < one.options[o].indices.size(); ++i) {
      const auto& x = one.options[o].indices[i];
      const auto& y = two.options[o].indices[i];
      for (const auto& [p, q] : {std::pair{x.first_order, y.first_order}, std::pair{x.total, y.total}}) {
        EXPECT_TRUE(same_bits(p.value, q.value)) << one.options[o].option << " " << one.groups[i].name;
        EXPECT_TRUE(same_bits(p.ci95.low, q.ci95.low));
        EXPECT_TRUE(same_bits(p.ci95.high, q.ci95.high));
      }
    }
    EXPECT_TRUE(same_bits(one.options[o].sum_first_order.ci95.low, two.options[o].sum_first_order.ci95.low));
  }
  EXPECT_EQ(one.model_runs, 2048u * (9 + 2));
}

}  // namespace
