// Promises the engine makes about R1 and any model: the plan reproduces the
// report to the pound, results are bit-identical on any number of threads and
// any block size, and replaying one trial gives exactly what the run stored.

#include <gtest/gtest.h>

#include "bit_identity.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "mcrisk/config/model_loader.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/run_summary.h"

#include "r1_model.h"

namespace {

using namespace mcrisk;

using mcrisk::testing::r1;

using mcrisk::testing::same_bits;
simulation::TrialOutputs run(std::size_t trials, int threads, std::size_t block_size, std::uint64_t seed = 20100706) {
  simulation::RunSettings settings;
  settings.trials = trials;
  settings.seed = seed;
  settings.threads = threads;
  settings.block_size = block_size;
  return simulation::simulate(r1().plan, settings);
}

// Appendix 5 and 8 and the executive summary's section 5 of the July 2010
// report (seeds/002): total net savings 2010/11 to 2013/14 by option, with
// Appendix 5's unrounded annual savings (see shared/reference-model.md).
TEST(R1Plan, TotalsEqualTheReportToThePound) {
  const auto planned = simulation::planned_case(r1().plan);
  const double expected[] = {757840, 1162640, 2195020, 2614020};
  ASSERT_EQ(planned.total_net.size(), 4u);
  for (std::size_t o = 0; o < 4; ++o) {
    EXPECT_NEAR(planned.total_net[o], expected[o], 1e-6) << "option " << r1().model.options[o].id;
  }
}

TEST(R1Plan, YearByYearEqualsTheReportTables) {
  const auto planned = simulation::planned_case(r1().plan);
  // Exec section 5 cost table (net of gross savings) with App 5's unrounded gross.
  const double gross[4][4] = {{0, 335000, 335000, 335000},
                              {0, 525000, 525000, 525000},
                              {0, 622000, 1006000, 1515000},
                              {0, 622000, 1006000, 1934000}};
  const double cost[4][4] = {{247160, 0, 0, 0}, {412360, 0, 0, 0}, {412360, 535620, 0, 0}, {412360, 267810, 267810, 0}};
  for (std::size_t o = 0; o < 4; ++o) {
    for (std::size_t t = 0; t < 4; ++t) {
      EXPECT_NEAR(planned.gross[o][t], gross[o][t], 1e-6) << "option " << o << " year " << t;
      EXPECT_NEAR(planned.cost[o][t], cost[o][t], 1e-6) << "option " << o << " year " << t;
      EXPECT_NEAR(planned.net[o][t], gross[o][t] - cost[o][t], 1e-6);
    }
  }
}

TEST(R1Plan, NpvDiscountsAtTheGreenBookRate) {
  const auto planned = simulation::planned_case(r1().plan);
  for (std::size_t o = 0; o < 4; ++o) {
    double npv = 0;
    for (std::size_t t = 0; t < 4; ++t) npv += planned.net[o][t] / std::pow(1.035, double(t));
    EXPECT_NEAR(planned.npv[o], npv, 1e-6);
  }
}

// Availability clamp((12 (t - s + 1) - delay) / 12, 0, 1) is a column only where the delay can
// cut the year: where even the longest delay the driver can draw leaves the item running all
// year, it is the constant 1 (no program). Education's delay is at most 9 months and starts in
// 2011/12, so only that year has a column; a 15-month delay reaches into the second year, not
// the third. A scenario that shifts the delay makes its bound unknown: every year is a column.
TEST(R1Plan, AvailabilityIsAColumnOnlyWhereTheDelayCanCutTheYear) {
  const auto availability_columns = [](const simulation::EvaluationPlan& plan, const std::string& item, const std::string& option) {
    std::vector<std::string> years;
    for (const auto& program : plan.programs) {
      const std::string& label = program.label;
      if (label.rfind(item + " availability (option " + option + ",", 0) == 0) years.push_back(label);
    }
    return years;
  };
  const auto education = availability_columns(r1().plan, "education", "1A");
  ASSERT_EQ(education.size(), 1u);
  EXPECT_NE(education[0].find("2011/12"), std::string::npos) << education[0];
  const auto out_of_school = availability_columns(r1().plan, "out_of_school", "2");  // starts 2011/12, delay up to 15 months
  ASSERT_EQ(out_of_school.size(), 2u);
  EXPECT_NE(out_of_school[0].find("2011/12"), std::string::npos) << out_of_school[0];
  EXPECT_NE(out_of_school[1].find("2012/13"), std::string::npos) << out_of_school[1];

  model::ScenarioOverride shift;
  shift.kind = model::ScenarioOverride::Kind::Affine;
  shift.driver = std::size_t(std::find_if(r1().model.drivers.begin(), r1().model.drivers.end(),
                                          [](const model::Driver& driver) { return driver.name == "delay_months"; }) -
                             r1().model.drivers.begin());
  ASSERT_LT(shift.driver, r1().model.drivers.size());
  shift.shift = 1.0;
  simulation::PlanAdjustments adjustments;
  adjustments.overrides.push_back(shift);
  const auto shifted = simulation::EvaluationPlan::compile(r1().model, adjustments);
  EXPECT_EQ(availability_columns(shifted, "education", "1A").size(), 3u);
}

// The planned case writes each driver's planned value into its column, and a planned delay need
// not lie in the driver's support: the fold must hold for it too. Education's delay planned at 15
// months (its support ends at 9) leaves option 1A three months of 2012/13: 0.75 of 335,000.
TEST(R1Plan, AvailabilityOfAPlannedDelayBeyondTheSupport) {
  model::Model changed = r1().model;
  const auto delay = std::find_if(changed.drivers.begin(), changed.drivers.end(), [](const model::Driver& driver) { return driver.name == "delay_months"; });
  ASSERT_NE(delay, changed.drivers.end());
  delay->planned.at(0) = 15;  // education, the first cluster
  const auto planned = simulation::planned_case(simulation::EvaluationPlan::compile(changed));
  EXPECT_EQ(planned.gross[0][1], 0.0);                  // 2011/12: (12 - 15) / 12 clamps to 0
  EXPECT_NEAR(planned.gross[0][2], 0.75 * 335000, 1e-6);  // 2012/13: (24 - 15) / 12
  EXPECT_NEAR(planned.gross[0][3], 335000, 1e-6);         // 2013/14: (36 - 15) / 12 clamps to 1
}

TEST(Determinism, BitIdenticalOnOneTwoAndEightThreads) {
  const auto one = run(20000, 1, 256);
  const auto two = run(20000, 2, 256);
  const auto eight = run(20000, 8, 256);
  EXPECT_TRUE(same_bits(one.total_net, two.total_net));
  EXPECT_TRUE(same_bits(one.total_net, eight.total_net));
  EXPECT_TRUE(same_bits(one.npv, eight.npv));
  EXPECT_TRUE(same_bits(one.net_by_year, eight.net_by_year));
  EXPECT_TRUE(same_bits(one.drivers, eight.drivers));
  EXPECT_TRUE(same_bits(one.npv_green_book, eight.npv_green_book));
  EXPECT_TRUE(same_bits(one.pv_costs, eight.pv_costs));
  EXPECT_TRUE(same_bits(one.gross_by_year, eight.gross_by_year));
}

TEST(Determinism, BlockSizeDoesNotChangeAnyBit) {
  const auto reference = run(5000, 2, 256);
  for (std::size_t block : {1u, 7u, 64u, 1000u}) {
    const auto other = run(5000, 2, block);
    EXPECT_TRUE(same_bits(reference.total_net, other.total_net)) << "block size " << block;
    EXPECT_TRUE(same_bits(reference.net_by_year, other.net_by_year)) << "block size " << block;
  }
}

TEST(Determinism, SummaryIsBitIdenticalAcrossThreadCounts) {
  statistics::RunInfo info;
  const auto a = statistics::summarise_run(r1().model, r1().plan, run(10000, 1, 256), info);
  const auto b = statistics::summarise_run(r1().model, r1().plan, run(10000, 2, 128), info);
  for (std::size_t o = 0; o < a.options.size(); ++o) {
    EXPECT_EQ(std::memcmp(&a.options[o].total_net.mean, &b.options[o].total_net.mean, sizeof(double)), 0);
    EXPECT_EQ(a.options[o].total_net.percentile(10), b.options[o].total_net.percentile(10));
    EXPECT_EQ(a.options[o].total_net.expected_shortfall_5, b.options[o].total_net.expected_shortfall_5);
    EXPECT_EQ(a.options[o].prob_best.value, b.options[o].prob_best.value);
    EXPECT_EQ(a.options[o].total_net.percentiles[1].ci95.low, b.options[o].total_net.percentiles[1].ci95.low);
  }
}

TEST(Determinism, LongerRunsExtendShorterOnes) {
  // Trial k depends only on (seed, k): a run of 2000 trials starts with the run of 1000.
  const auto short_run = run(1000, 2, 256);
  const auto long_run = run(2000, 2, 256);
  for (std::size_t o = 0; o < short_run.options; ++o) {
    EXPECT_EQ(std::memcmp(short_run.total_net_of(o), long_run.total_net_of(o), 1000 * sizeof(double)), 0);
  }
}

TEST(Determinism, ExtendingARunEqualsRunningItWhole) {
  simulation::RunSettings settings;
  settings.seed = 11;
  settings.trials = 1000;
  auto grown = simulation::simulate(r1().plan, settings);
  simulation::extend(r1().plan, settings, 2500, grown);
  simulation::extend(r1().plan, settings, 4000, grown);
  settings.trials = 4000;
  const auto whole = simulation::simulate(r1().plan, settings);
  EXPECT_EQ(grown.trials, 4000u);
  EXPECT_TRUE(same_bits(grown.total_net, whole.total_net));
  EXPECT_TRUE(same_bits(grown.net_by_year, whole.net_by_year));
  EXPECT_TRUE(same_bits(grown.drivers, whole.drivers));
}

TEST(Determinism, DifferentSeedsGiveDifferentResults) {
  const auto a = run(1000, 2, 256, 1);
  const auto b = run(1000, 2, 256, 2);
  EXPECT_FALSE(same_bits(a.total_net, b.total_net));
}

TEST(Replay, EqualsTheFullRunsTrialBitForBit) {
  const std::uint64_t seed = 20100706;
  const auto outputs = run(3000, 2, 256, seed);
  for (std::uint64_t k : {0ull, 1ull, 255ull, 256ull, 1234ull, 2999ull}) {
    const auto record = simulation::replay_trial(r1().plan, seed, k);
    for (std::size_t o = 0; o < outputs.options; ++o) {
      EXPECT_EQ(std::memcmp(&record.total_net[o], outputs.total_net_of(o) + k, sizeof(double)), 0) << "trial " << k;
      EXPECT_EQ(std::memcmp(&record.npv[o], outputs.npv_of(o) + k, sizeof(double)), 0) << "trial " << k;
      for (std::size_t t = 0; t < outputs.years; ++t) {
        EXPECT_EQ(std::memcmp(&record.net[o][t], outputs.net_of(o, t) + k, sizeof(double)), 0);
        EXPECT_EQ(record.net[o][t], record.gross[o][t] - record.cost[o][t]);
      }
    }
    for (std::size_t c = 0; c < outputs.components; ++c) {
      EXPECT_EQ(std::memcmp(&record.components[c], outputs.driver_of(c) + k, sizeof(double)), 0);
    }
  }
}

// The trial's own arithmetic, recomputed by hand from its drawn drivers with
// the formulas of shared/reference-model.md, equals the engine's.
TEST(R1Model, OneTrialFollowsTheReferenceFormulas) {
  const auto& model = r1().model;
  const auto record = simulation::replay_trial(r1().plan, 7, 42);
  auto value = [&](const std::string& label) {
    for (std::size_t c = 0; c < model.components.size(); ++c)
      if (model.components[c].label == label) return record.components[c];
    ADD_FAILURE() << "no component " << label;
    return 0.0;
  };
  // Option 1B, year 2011/12: education only, starts in year 1.
  const double r = value("realisation[education]");
  const double delay = value("delay_months[education]");
  const double g1 = value("demand_pressure[2011/12]");
  const double grant = value("grant_cut");
  const double avail = std::clamp((12.0 - delay) / 12.0, 0.0, 1.0);
  const double gross = 525000.0 * r * (1 - 3 * g1) * (1 - 0.5 * grant) * avail;
  // No withdrawal in year 1 can affect year-1 savings (retention counts earlier years only).
  EXPECT_NEAR(record.gross[1][1], gross, 1e-6 * std::abs(gross));
  // Option 1B costs in 2010/11: round(9 u) A + 40660 m.
  const double posts = std::round(9 * value("post_factor"));
  const double cost0 = posts * value("unit_redundancy_cost") + 40660 * value("pm_overrun");
  EXPECT_NEAR(record.cost[1][0], cost0, 1e-6 * cost0);
}

}  // namespace
