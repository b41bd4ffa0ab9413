// Scenarios (issue 4): named overrides applied when the plan is compiled, run
// on the base case's trials. Promises tested here: a fixed driver is fixed in
// every trial (also when a trial is replayed alone); a scenario shares the base
// case's trials (a scenario that changes nothing is bit-identical to the base,
// and a fix leaves every other driver's draws bit-identical); a fix at a
// percentile is the marginal's quantile; hazard 1 forces an event and switching
// an event off removes it; config errors carry file:line:col and key.

#include <gtest/gtest.h>

#include "bit_identity.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "mcrisk/config/config_error.h"
#include "mcrisk/config/model_loader.h"
#include "mcrisk/model/distribution.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/scenarios.h"

namespace {

using namespace mcrisk;
using model::ScenarioOverride;

const std::string kR1 = std::string(MCRISK_SOURCE_DIR) + "/configs/triborough_2010.yaml";

using mcrisk::testing::same_bits;
using mcrisk::testing::same_outputs;
class R1Scenarios : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { model_ = new model::Model(config::load_model(kR1)); }
  static void TearDownTestSuite() { delete model_; }

  static simulation::RunSettings settings(int threads = 0) {
    simulation::RunSettings s;
    s.trials = 3000;
    s.seed = 20100706;
    s.threads = threads;
    return s;
  }
  static simulation::TrialOutputs run(const simulation::PlanAdjustments& adjustments, int threads = 0) {
    return simulation::simulate(simulation::EvaluationPlan::compile(*model_, adjustments), settings(threads));
  }
  static simulation::PlanAdjustments scenario(const std::string& name) {
    const model::Scenario* found = model_->find_scenario(name);
    EXPECT_NE(found, nullptr) << name;
    return statistics::scenario_adjustments(*found);
  }
  static std::size_t component(const std::string& label) {
    for (std::size_t c = 0; c < model_->components.size(); ++c)
      if (model_->components[c].label == label) return c;
    ADD_FAILURE() << "no component " << label;
    return 0;
  }
  static std::size_t driver(const std::string& name) { return std::size_t(model_->find_driver(name) - model_->drivers.data()); }
  static std::size_t option(const std::string& id) {
    for (std::size_t o = 0; o < model_->options.size(); ++o)
      if (model_->options[o].id == id) return o;
    ADD_FAILURE() << "no option " << id;
    return 0;
  }

  static model::Model* model_;
};
model::Model* R1Scenarios::model_ = nullptr;

TEST_F(R1Scenarios, ShipsTheReportsStatedRisks) {
  for (const char* name : {"deep_grant_cut", "high_demand_growth", "partner_withdraws_year_1", "redundancies_at_top"}) {
    EXPECT_NE(model_->find_scenario(name), nullptr) << name;
  }
}

TEST_F(R1Scenarios, FixedDriverIsFixedInEveryTrialAndInReplay) {
  const auto adjustments = scenario("deep_grant_cut");
  const auto outputs = run(adjustments);
  const std::size_t c = component("grant_cut");
  for (std::size_t k = 0; k < outputs.trials; ++k) ASSERT_EQ(outputs.drivers[c][k], 0.35) << "trial " << k;
  const auto plan = simulation::EvaluationPlan::compile(*model_, adjustments);
  for (std::uint64_t k : {0u, 17u, 2999u}) {
    const auto record = simulation::replay_trial(plan, settings(), k);
    EXPECT_EQ(record.components[c], 0.35);
    for (std::size_t o = 0; o < model_->options.size(); ++o) EXPECT_EQ(record.total_net[o], outputs.total_net[o][k]);
  }
  // Every other driver's draws are the base case's (common random numbers),
  // including demand_pressure[2011/12], which is correlated with grant_cut.
  const auto base = run({});
  for (std::size_t other = 0; other < model_->components.size(); ++other) {
    if (other != c) {
      EXPECT_TRUE(same_bits(outputs.drivers[other], base.drivers[other])) << model_->components[other].label;
    }
  }
  // and the outputs differ: the cut bites.
  EXPECT_FALSE(same_bits(outputs.total_net[0], base.total_net[0]));
}

TEST_F(R1Scenarios, ScenarioThatChangesNothingIsBitIdenticalToTheBase) {
  simulation::PlanAdjustments nothing;
  ScenarioOverride scale;
  scale.kind = ScenarioOverride::Kind::Affine;
  scale.driver = driver("post_factor");
  nothing.overrides.push_back(scale);  // x 1 + 0
  ScenarioOverride hazard;             // 1A's own hazard, set again
  hazard.kind = ScenarioOverride::Kind::Hazard;
  hazard.event = 0;
  hazard.option = option("1A");
  hazard.value = 0.03;
  nothing.overrides.push_back(hazard);
  EXPECT_TRUE(same_outputs(run(nothing, 1), run({}, 2)));
}

TEST_F(R1Scenarios, ScenarioOnOneOptionsDriverLeavesTheOthersBitIdentical) {
  // alliance_factor only reaches option 3 (in_alliance = 1).
  simulation::PlanAdjustments adjustments;
  ScenarioOverride fix;
  fix.kind = ScenarioOverride::Kind::FixValue;
  fix.driver = driver("alliance_factor");
  fix.value = 0.8;
  adjustments.overrides.push_back(fix);
  const auto scenario_run = run(adjustments);
  const auto base = run({});
  for (const char* id : {"1A", "1B", "2"}) EXPECT_TRUE(same_bits(scenario_run.total_net[option(id)], base.total_net[option(id)])) << id;
  EXPECT_FALSE(same_bits(scenario_run.total_net[option("3")], base.total_net[option("3")]));
}

TEST_F(R1Scenarios, FixAtPercentileIsTheMarginalsQuantile) {
  const auto outputs = run(scenario("redundancies_at_top"));
  const std::size_t cost = component("unit_redundancy_cost");
  const double p95 = model_->drivers[driver("unit_redundancy_cost")].marginals[0].quantile(0.95);
  EXPECT_NEAR(p95, 41300 * std::exp(0.20 * 1.6448536269514722), 1e-3);
  for (std::size_t k = 0; k < outputs.trials; ++k) ASSERT_EQ(outputs.drivers[cost][k], p95);
  for (std::size_t k = 0; k < outputs.trials; ++k) ASSERT_EQ(outputs.drivers[component("post_factor")][k], 1.5);

  // A whole AR(1) series at its P90: every year at mean + sd z_0.9 (the series is stationary).
  simulation::PlanAdjustments adjustments;
  ScenarioOverride fix;
  fix.kind = ScenarioOverride::Kind::FixPercentile;
  fix.driver = driver("demand_pressure");
  fix.value = 90;
  adjustments.overrides.push_back(fix);
  const auto series = run(adjustments);
  const double expected = 0.02 + 0.03 * model::standard_normal_quantile(0.9);
  for (const char* year : {"demand_pressure[2011/12]", "demand_pressure[2012/13]", "demand_pressure[2013/14]"}) {
    for (std::size_t k = 0; k < series.trials; k += 97) ASSERT_EQ(series.drivers[component(year)][k], expected) << year;
  }
}

TEST_F(R1Scenarios, ShiftMovesEveryTrialByTheShift) {
  const auto shifted = run(scenario("high_demand_growth"));
  const auto base = run({});
  for (const char* year : {"demand_pressure[2011/12]", "demand_pressure[2013/14]"}) {
    const std::size_t c = component(year);
    for (std::size_t k = 0; k < base.trials; ++k) ASSERT_EQ(shifted.drivers[c][k], base.drivers[c][k] * 1.0 + 0.03) << year;
  }
}

TEST_F(R1Scenarios, HazardOneForcesTheEventAndEventOffRemovesIt) {
  const auto forced = run(scenario("partner_withdraws_year_1"));
  const auto off = run(scenario("no_partner_withdrawal"));
  const std::size_t t1 = 1, t2 = 2, partner_1 = component("disaggregation_cost[partner_1]");
  for (const char* id : {"1A", "1B", "2"}) {
    const std::size_t o = option(id);
    for (std::size_t k = 0; k < forced.trials; ++k) {
      // Withdrawal in 2011/12: its cost then, and half the savings lost from 2012/13 (loss fraction 0.5).
      const double forced_cost = forced.gross_of(o, t1)[k] - forced.net_of(o, t1)[k];
      const double off_cost = off.gross_of(o, t1)[k] - off.net_of(o, t1)[k];
      ASSERT_NEAR(forced_cost - off_cost, forced.drivers[partner_1][k], 1e-6 * forced.drivers[partner_1][k]) << id << " trial " << k;
      ASSERT_EQ(forced.gross_of(o, t2)[k], 0.5 * off.gross_of(o, t2)[k]) << id << " trial " << k;
    }
  }
  // Switching the event off equals a model in which no option is exposed to it.
  model::Model unexposed = *model_;
  for (auto& o : unexposed.options) o.events.clear();
  EXPECT_TRUE(same_outputs(off, simulation::simulate(simulation::EvaluationPlan::compile(unexposed), settings())));
}

TEST_F(R1Scenarios, CompareScenariosReportsChangesAgainstTheBase) {
  const model::Scenario* deep = model_->find_scenario("deep_grant_cut");
  const auto comparison = statistics::compare_scenarios(*model_, settings(), {deep});
  ASSERT_EQ(comparison.scenarios.size(), 1u);
  const auto& result = comparison.scenarios[0];
  ASSERT_EQ(result.options.size(), model_->options.size());
  for (const auto& option_result : result.options) {
    EXPECT_LT(option_result.change.mean, 0) << option_result.option;  // a deeper cut always costs savings
    EXPECT_GE(option_result.change.prob_loss, 0) << option_result.option;
  }
  EXPECT_EQ(result.overrides.at(0), "fix grant_cut at 0.35");
}

// ---- config errors -----------------------------------------------------------

const std::string kSmall = R"(mcrisk: 1
model: {name: Small, years: [Y1, Y2], discount_rate: 0}
sets:
  slot_set: [s1, s2]
drivers:
  grant_cut: {distribution: {type: uniform, min: 0, max: 0.4}, planned: 0}
  cost: {over: slot_set, distribution: {type: uniform, min: 1, max: 2}, planned: 1}
savings_items:
  item: {factors: [1 - grant_cut]}
events:
  withdrawal: {slots: slot_set, years: [Y2], cost: "cost[slot]"}
options:
  a:
    savings: {item: [10, 10]}
    events:
      withdrawal: {slots: [s1], hazard: 0.1, loss_fraction: 0.5}
scenarios:
)";

config::ConfigError error_of(const std::string& scenarios) {
  try {
    config::load_model_from_text(kSmall + scenarios, "small.yaml");
  } catch (const config::ConfigError& error) {
    return error;
  }
  ADD_FAILURE() << "no error for:\n" << scenarios;
  return config::ConfigError({}, "");
}

void expect_error(const std::string& scenarios, int line, int column, const std::string& key, const std::string& words) {
  const auto error = error_of(scenarios);
  EXPECT_EQ(error.where().file, "small.yaml");
  EXPECT_EQ(error.where().line, line) << error.what();
  EXPECT_EQ(error.where().column, column) << error.what();
  EXPECT_EQ(error.where().key, key) << error.what();
  EXPECT_NE(error.message().find(words), std::string::npos) << error.what();
}

TEST(ScenarioConfig, ValidScenariosLoad) {
  const auto model = config::load_model_from_text(kSmall + R"(  cut:
    description: deep cut
    overrides:
      - fix: {driver: grant_cut, percentile: 90}
      - fix: {driver: "cost[s2]", value: 1.5}
      - shift: {driver: cost, element: s1, by: 0.1}
      - scale: {driver: grant_cut, by: 1.2}
      - hazard: {event: withdrawal, option: a, slots: [s1], years: [Y2], value: 1}
      - event_off: withdrawal
)", "small.yaml");
  ASSERT_EQ(model.scenarios.size(), 1u);
  const auto& overrides = model.scenarios[0].overrides;
  ASSERT_EQ(overrides.size(), 6u);
  EXPECT_EQ(overrides[0].kind, ScenarioOverride::Kind::FixPercentile);
  EXPECT_EQ(overrides[1].element, std::optional<std::size_t>(1));
  EXPECT_EQ(overrides[2].element, std::optional<std::size_t>(0));
  EXPECT_EQ(overrides[2].shift, 0.1);
  EXPECT_EQ(overrides[3].scale, 1.2);
  EXPECT_EQ(overrides[4].years, std::vector<std::size_t>{1});
  EXPECT_EQ(overrides[5].value, 0.0);
  // fix at P90 then x 1.2: U(0, 0.4) at 0.36, times 1.2.
  const auto plan = simulation::EvaluationPlan::compile(model, statistics::scenario_adjustments(model.scenarios[0]));
  const auto record = simulation::replay_trial(plan, 1, 5);
  EXPECT_NEAR(record.components[0], 0.36 * 1.2, 1e-12);
  EXPECT_EQ(record.components[2], 1.5);
}

TEST(ScenarioConfig, UnknownDriver) {
  expect_error("  s:\n    overrides:\n      - fix: {driver: grant_cutt, value: 0.3}\n", 20, 23, "scenarios.s.overrides[0].fix.driver",
               "unknown driver 'grant_cutt'");
}

TEST(ScenarioConfig, PercentileOutsideOpenInterval) {
  expect_error("  s:\n    overrides:\n      - fix: {driver: grant_cut, percentile: 100}\n", 20, 46, "scenarios.s.overrides[0].fix.percentile",
               "between 0 and 100");
}

TEST(ScenarioConfig, ValueAndPercentileBoth) {
  expect_error("  s:\n    overrides:\n      - fix: {driver: grant_cut, value: 1, percentile: 5}\n", 20, 14, "scenarios.s.overrides[0].fix",
               "exactly one of 'value'");
}

TEST(ScenarioConfig, UnknownElement) {
  expect_error("  s:\n    overrides:\n      - shift: {driver: cost, element: s3, by: 1}\n", 20, 40, "scenarios.s.overrides[0].shift.element",
               "'s3' is not an element of cost");
}

TEST(ScenarioConfig, UnknownOverrideKind) {
  expect_error("  s:\n    overrides:\n      - freeze: {driver: grant_cut}\n", 20, 9, "scenarios.s.overrides[0].freeze", "unknown override 'freeze'");
}

TEST(ScenarioConfig, UnknownKeyInOverride) {
  expect_error("  s:\n    overrides:\n      - scale: {driver: grant_cut, by: 2, bye: 3}\n", 20, 43, "scenarios.s.overrides[0].scale.bye", "bye");
}

TEST(ScenarioConfig, HazardOutsideZeroOne) {
  expect_error("  s:\n    overrides:\n      - hazard: {event: withdrawal, value: 1.5}\n", 20, 44, "scenarios.s.overrides[0].hazard.value",
               "between 0 and 1");
}

TEST(ScenarioConfig, HazardOnSlotNotExposed) {
  expect_error("  s:\n    overrides:\n      - hazard: {event: withdrawal, slots: [s2], value: 1}\n", 20, 45,
               "scenarios.s.overrides[0].hazard.slots[0]", "not exposed");
}

TEST(ScenarioConfig, HazardInYearNotAtRisk) {
  expect_error("  s:\n    overrides:\n      - hazard: {event: withdrawal, years: [Y1], value: 1}\n", 20, 45,
               "scenarios.s.overrides[0].hazard.years[0]", "not at risk in Y1");
}

TEST(ScenarioConfig, UnknownEventAndOption) {
  expect_error("  s:\n    overrides:\n      - event_off: withdrawl\n", 20, 20, "scenarios.s.overrides[0].event_off", "unknown event 'withdrawl'");
  expect_error("  s:\n    overrides:\n      - hazard: {event: withdrawal, option: b, value: 1}\n", 20, 45,
               "scenarios.s.overrides[0].hazard.option", "unknown option 'b'");
}

TEST(ScenarioConfig, ReservedAndDuplicateNames) {
  expect_error("  base:\n    overrides: []\n", 18, 3, "scenarios.base", "'base' is the base case");
  const auto model = config::load_model_from_text(kSmall + "  s:\n    overrides: []\n", "small.yaml");
  try {
    config::add_scenarios_from_text(model, "scenarios:\n  s:\n    overrides: []\n", "overlay.yaml");
    ADD_FAILURE() << "duplicate accepted";
  } catch (const config::ConfigError& error) {
    EXPECT_EQ(error.where().file, "overlay.yaml");
    EXPECT_EQ(error.where().line, 2);
    EXPECT_NE(error.message().find("duplicate scenario 's'"), std::string::npos) << error.what();
  }
}

TEST(ScenarioConfig, OverlayAddsScenariosAndRejectsOtherSections) {
  const auto model = config::load_model_from_text(kSmall + "  s:\n    overrides: []\n", "small.yaml");
  const auto with_overlay =
      config::add_scenarios_from_text(model, "mcrisk: 1\nscenarios:\n  t:\n    overrides:\n      - fix: {driver: grant_cut, value: 0.2}\n", "overlay.yaml");
  ASSERT_EQ(with_overlay.scenarios.size(), 2u);
  EXPECT_EQ(with_overlay.scenarios[1].name, "t");
  try {
    config::add_scenarios_from_text(model, "scenarios: {}\ndrivers: {}\n", "overlay.yaml");
    ADD_FAILURE() << "drivers accepted in an overlay";
  } catch (const config::ConfigError& error) {
    EXPECT_EQ(error.where().line, 2);
    EXPECT_NE(error.message().find("drivers"), std::string::npos) << error.what();
  }
}

}  // namespace
