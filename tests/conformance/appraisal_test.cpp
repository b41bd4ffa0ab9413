// Exact answers for the appraisal layer: the Green Book discount schedule, the
// benefit-cost ratio, targets and optimism bias, each on a tiny deterministic
// model (constant drivers) whose figures are worked out by hand below; and the
// promises of the run machinery around them: running to a precision is
// deterministic, and Latin hypercube and Sobol runs are bit-identical on any
// thread count and block size, replayable trial by trial, and grow by whole
// replicates.

#include <gtest/gtest.h>

#include "bit_identity.h"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "mcrisk/config/config_error.h"
#include "mcrisk/config/model_loader.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/convergence.h"
#include "mcrisk/statistics/run_summary.h"

#include "r1_model.h"

namespace {

using namespace mcrisk;

model::Model load(const std::string& text) { return config::load_model_from_text(text, "appraisal_test.yaml"); }

using mcrisk::testing::same_bits;
using mcrisk::testing::same_outputs;
bool same_double(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

// ---- Green Book discounting ------------------------------------------------

// factor(t) is a product of t divisions and the hand figures use pow: they
// agree to a few units in the last place (relative 1e-15 at t = 80), so
// compare relatively to 1e-13.
void expect_factor(double actual, double expected) { EXPECT_NEAR(actual, expected, 1e-13 * expected); }

TEST(GreenBook, ScheduleBandsAtYears30_31_76) {
  const auto schedule = model::DiscountSchedule::green_book(0);
  EXPECT_EQ(schedule.factor(0), 1.0);
  EXPECT_DOUBLE_EQ(schedule.factor(1), 1 / 1.035);
  expect_factor(schedule.factor(30), 1 / std::pow(1.035, 30));
  // Year 31 is the first at 3.0%: years 1..30 at 3.5%, year 31 at 3.0%.
  expect_factor(schedule.factor(31), 1 / std::pow(1.035, 30) / 1.03);
  expect_factor(schedule.factor(75), 1 / std::pow(1.035, 30) / std::pow(1.03, 45));
  // Year 76 is the first at 2.5%: years 31..75 (45 of them) at 3.0%.
  expect_factor(schedule.factor(76), 1 / std::pow(1.035, 30) / std::pow(1.03, 45) / 1.025);
  expect_factor(schedule.factor(80), 1 / std::pow(1.035, 30) / std::pow(1.03, 45) / std::pow(1.025, 5));
  // Exactly: the schedule divides by (1 + rate) year by year.
  double by_year = 1.0;
  for (std::size_t k = 1; k <= 100; ++k) {
    by_year /= 1.0 + (k <= 30 ? 0.035 : k <= 75 ? 0.030 : 0.025);
    EXPECT_TRUE(same_double(schedule.factor(k), by_year)) << "year " << k;
  }
}

TEST(GreenBook, BaseYearShiftsTheSchedule) {
  const auto base0 = model::DiscountSchedule::green_book(0);
  const auto base3 = model::DiscountSchedule::green_book(3);
  EXPECT_EQ(base3.factor(3), 1.0);
  // The bands count years from the base year: the same divisions, bit for bit.
  for (std::size_t t : {4u, 10u, 33u, 34u, 78u, 79u, 90u}) EXPECT_TRUE(same_double(base3.factor(t), base0.factor(t - 3))) << "year " << t;
  // Years before the base year are compounded forward at the first band's rate.
  EXPECT_DOUBLE_EQ(base3.factor(0), 1.035 * 1.035 * 1.035);
  EXPECT_DOUBLE_EQ(base3.factor(2), 1.035);
}

// A four-year appraisal. Planned: r = 1 (the trials draw r = 0.9 always).
//   A: gross [0, 100, 200, 300], costs 250 phased [0.6, 0.4, 0, 0] = [150, 100, 0, 0]
//   B: gross [50, 50, 50, 50], capex 0: no costs at all
std::string appraisal_yaml(const std::string& green_book = "") {
  return R"yaml(
mcrisk: 1
model:
  name: tiny appraisal
  currency: GBP
  years: ["2024/25", "2025/26", "2026/27", "2027/28"]
  discount_rate: 0.05
)yaml" + green_book + R"yaml(
parameters:
  capex: 250
drivers:
  r: {distribution: {type: constant, value: 0.9}, planned: 1.0}
savings_items:
  s:
    factors: ["r"]
cost_items:
  c:
    amount: capex
options:
  A:
    savings: {s: [0, 100, 200, 300]}
    cost_phasing: [0.6, 0.4, 0, 0]
  B:
    parameters: {capex: 0}
    savings: {s: [50, 50, 50, 50]}
    cost_phasing: [1, 0, 0, 0]
)yaml";
}

TEST(GreenBook, PlannedNpvAndBenefitCostRatioByHand) {
  const auto model = load(appraisal_yaml());
  EXPECT_EQ(model.green_book.base_year, 0u);
  ASSERT_EQ(model.green_book.bands.size(), 3u);
  const auto plan = simulation::EvaluationPlan::compile(model);
  const auto planned = simulation::planned_case(plan);
  const double d[4] = {1.0, 1 / 1.035, 1 / (1.035 * 1.035), 1 / (1.035 * 1.035 * 1.035)};
  for (std::size_t t = 0; t < 4; ++t) EXPECT_DOUBLE_EQ(plan.green_book_factor[t], d[t]);
  const double benefits = 100 * d[1] + 200 * d[2] + 300 * d[3];
  const double costs = 150 + 100 * d[1];
  EXPECT_NEAR(planned.pv_benefits[0], benefits, 1e-9);
  EXPECT_NEAR(planned.pv_costs[0], costs, 1e-9);
  EXPECT_NEAR(planned.npv_green_book[0], benefits - costs, 1e-9);
  // The flat rate (5%) is a different figure: -150 + 0 + 200/1.05^2 + 300/1.05^3.
  EXPECT_NEAR(planned.npv[0], -150 + 200 / (1.05 * 1.05) + 300 / (1.05 * 1.05 * 1.05), 1e-9);
  EXPECT_NEAR(planned.total_net[0], 350, 1e-9);
  EXPECT_NEAR(planned.npv_green_book[1], 50 * (d[0] + d[1] + d[2] + d[3]), 1e-9);

  simulation::RunSettings settings;
  settings.trials = 64;
  const auto outputs = simulation::simulate(plan, settings);
  const auto options = statistics::summarise_options(model, plan, outputs, {});
  ASSERT_EQ(options.size(), 2u);
  const auto& a = options[0];
  EXPECT_NEAR(a.planned_npv_green_book, benefits - costs, 1e-9);
  ASSERT_TRUE(a.bcr.defined);
  EXPECT_NEAR(a.bcr.planned, benefits / costs, 1e-12);
  // Every trial draws r = 0.9: benefits are 0.9 of the plan's, costs are the plan's.
  EXPECT_NEAR(a.bcr.ratio.mean, 0.9 * benefits / costs, 1e-12);
  EXPECT_NEAR(a.bcr.ratio.percentile(5), 0.9 * benefits / costs, 1e-12);
  EXPECT_NEAR(a.npv_green_book.mean, 0.9 * benefits - costs, 1e-9);
  EXPECT_EQ(a.bcr.below_one.value, 0.9 * benefits / costs < 1 ? 1.0 : 0.0);
  // B has no costs: its ratio has no finite value, so it is not defined.
  EXPECT_FALSE(options[1].bcr.defined);
  EXPECT_NEAR(options[1].planned_npv_green_book, 50 * (d[0] + d[1] + d[2] + d[3]), 1e-9);
}

TEST(GreenBook, CustomScheduleAndBaseYearFromConfig) {
  const auto model = load(appraisal_yaml(R"yaml(  green_book:
    base_year: "2025/26"
    schedule:
      - {from: 0, rate: 0.05}
      - {from: 2, rate: 0.01}
)yaml"));
  EXPECT_EQ(model.green_book.base_year, 1u);
  ASSERT_EQ(model.green_book.bands.size(), 2u);
  EXPECT_EQ(model.green_book.bands[1].from_year, 2u);
  EXPECT_EQ(model.green_book.bands[1].rate, 0.01);
  const auto plan = simulation::EvaluationPlan::compile(model);
  // 2024/25 is before the base year: compounded forward one year at 5%.
  // 2026/27 is 1 year after the base (5%), 2027/28 is 2 years after (1%).
  const double d[4] = {1.05, 1.0, 1 / 1.05, 1 / 1.05 / 1.01};
  for (std::size_t t = 0; t < 4; ++t) EXPECT_DOUBLE_EQ(plan.green_book_factor[t], d[t]) << "year " << t;
  const auto planned = simulation::planned_case(plan);
  const double benefits = 100 * d[1] + 200 * d[2] + 300 * d[3];
  const double costs = 150 * d[0] + 100 * d[1];
  EXPECT_NEAR(planned.npv_green_book[0], benefits - costs, 1e-9);
  simulation::RunSettings settings;
  settings.trials = 16;
  const auto options = statistics::summarise_options(model, plan, simulation::simulate(plan, settings), {});
  EXPECT_NEAR(options[0].bcr.planned, benefits / costs, 1e-12);
  EXPECT_NEAR(options[0].planned_npv_green_book, benefits - costs, 1e-9);
}

TEST(GreenBook, ScheduleConfigErrors) {
  const auto fails = [](const std::string& block) {
    EXPECT_THROW(load(appraisal_yaml(block)), config::ConfigError) << block;
  };
  fails("  green_book: {base_year: \"2031/32\"}\n");                                            // not a model year
  fails("  green_book: {schedule: [{from: 1, rate: 0.03}]}\n");                                 // first band not from 0
  fails("  green_book: {schedule: [{from: 0, rate: 0.03}, {from: 5, rate: 0.02}, {from: 5, rate: 0.01}]}\n");  // not increasing
  fails("  green_book: {schedule: [{from: 0, rate: -1}]}\n");                                   // rate <= -1
  fails("  green_book: {schedule: []}\n");                                                      // empty
  fails("  green_book: {base_year: \"2024/25\", rate: 0.03}\n");                                // unknown key
}

// ---- Targets ---------------------------------------------------------------

// Three years, rate 10%. A (r = 1 in plan and trials): gross [0, 100, 200],
// cost [150, 0, 0], net [-150, 100, 200], total 150, npv -150 + 100/1.1 + 200/1.21.
// B (q = 0.8 in the trials, 1 in the plan): planned gross [0, 50, 50], net
// [-150, 50, 50], total -50; in the trials gross [0, 40, 40], total -70.
constexpr const char* kTargetsModel = R"yaml(
mcrisk: 1
model:
  name: targets
  years: [y0, y1, y2]
  discount_rate: 0.1
drivers:
  r: {distribution: {type: constant, value: 1.0}, planned: 1.0}
  q: {distribution: {type: constant, value: 0.8}, planned: 1.0}
savings_items:
  s: {factors: ["r"]}
  u: {factors: ["q"]}
cost_items:
  c: {amount: 150}
options:
  A:
    savings: {s: [0, 100, 200]}
    cost_phasing: [1, 0, 0]
  B:
    savings: {u: [0, 50, 50]}
    cost_phasing: [1, 0, 0]
targets:
  net_y1:
    measure: net
    year: y1
    at_least: 80
  gross_y2:
    measure: gross
    year: y2
    at_least: 150
  total:
    at_least: 0
  npv:
    measure: npv
    at_least: 0
  plan_total:
    measure: total_net
    at_least: planned
  plan_gross_y1:
    measure: gross
    year: y1
    at_least: planned
)yaml";

TEST(Targets, DeterministicModelHasProbabilitiesZeroOrOne) {
  const auto model = load(kTargetsModel);
  ASSERT_EQ(model.targets.size(), 6u);
  EXPECT_EQ(model.targets[0].measure, model::Target::Measure::NetInYear);
  EXPECT_EQ(model.targets[0].year, 1u);
  EXPECT_EQ(model.targets[1].measure, model::Target::Measure::GrossInYear);
  EXPECT_EQ(model.targets[1].year, 2u);
  EXPECT_EQ(model.targets[2].measure, model::Target::Measure::TotalNet);
  EXPECT_EQ(model.targets[3].measure, model::Target::Measure::Npv);
  EXPECT_TRUE(model.targets[4].at_least_planned);
  EXPECT_TRUE(model.targets[5].at_least_planned);
  const auto plan = simulation::EvaluationPlan::compile(model);
  simulation::RunSettings settings;
  settings.trials = 500;
  const auto outputs = simulation::simulate(plan, settings);
  const auto options = statistics::summarise_options(model, plan, outputs, {});
  ASSERT_EQ(options.size(), 2u);

  struct Expected {
    const char* name;
    double threshold_a, probability_a, threshold_b, probability_b;
  };
  // A meets every target; B none (net in y1 40 < 80, gross in y2 40 < 150,
  // total -70 < 0, npv < 0, total -70 < its plan's -50, gross in y1 40 < its plan's 50).
  // A's plan targets hold with equality: its trials are its plan exactly.
  const Expected expected[] = {{"net_y1", 80, 1, 80, 0},       {"gross_y2", 150, 1, 150, 0}, {"total", 0, 1, 0, 0},
                               {"npv", 0, 1, 0, 0},            {"plan_total", 150, 1, -50, 0},
                               {"plan_gross_y1", 100, 1, 50, 0}};
  for (std::size_t k = 0; k < 6; ++k) {
    const auto& e = expected[k];
    for (std::size_t o = 0; o < 2; ++o) {
      const auto& target = options[o].targets.at(k);
      EXPECT_EQ(target.name, e.name);
      EXPECT_NEAR(target.threshold, o == 0 ? e.threshold_a : e.threshold_b, 1e-9) << e.name << " option " << o;
      EXPECT_EQ(target.probability.value, o == 0 ? e.probability_a : e.probability_b) << e.name << " option " << o;
      EXPECT_TRUE(target.probability.ci95.contains(target.probability.value)) << e.name;
      EXPECT_GE(target.probability.ci95.low, 0.0);
      EXPECT_LE(target.probability.ci95.high, 1.0);
    }
  }
  // The hand figures behind the table above.
  EXPECT_NEAR(outputs.total_net_of(0)[0], 150, 1e-9);
  EXPECT_NEAR(outputs.npv_of(0)[0], -150 + 100 / 1.1 + 200 / 1.21, 1e-9);
  EXPECT_NEAR(outputs.total_net_of(1)[0], -70, 1e-9);
  EXPECT_NEAR(outputs.gross_of(1, 1)[0], 40, 1e-9);
}

TEST(Targets, ConfigErrors) {
  const auto with_targets = [](const std::string& targets) {
    std::string text = kTargetsModel;
    return text.substr(0, text.find("targets:")) + "targets:\n" + targets;
  };
  EXPECT_NO_THROW(load(with_targets("  t: {measure: net, year: y2, at_least: 0}\n")));
  EXPECT_THROW(load(with_targets("  t: {measure: net, at_least: 0}\n")), config::ConfigError);                 // needs a year
  EXPECT_THROW(load(with_targets("  t: {measure: total_net, year: y1, at_least: 0}\n")), config::ConfigError); // year not allowed
  EXPECT_THROW(load(with_targets("  t: {measure: gross, year: y9, at_least: 0}\n")), config::ConfigError);     // not a year
  EXPECT_THROW(load(with_targets("  t: {measure: profit, at_least: 0}\n")), config::ConfigError);              // unknown measure
  EXPECT_THROW(load(with_targets("  t: {measure: npv}\n")), config::ConfigError);                              // no threshold
  EXPECT_THROW(load(with_targets("  t: {at_least: lots}\n")), config::ConfigError);                            // not a number
}

// ---- Optimism bias ---------------------------------------------------------

// Three years. Item s starts in y1 (planned [0, 120, 120]); item v starts in
// y0 ([60, 60, 60]); item w starts in y2 with its own 3-month delay. Costs: 100
// phased [0.5, 0.5, 0]. A certain event in y0 costs 40 (not subject to the uplift).
std::string bias_yaml(const std::string& bias) {
  return R"yaml(
mcrisk: 1
model:
  name: optimism bias
  years: [y0, y1, y2]
  discount_rate: 0
sets:
  sites: [one]
drivers:
  r: {distribution: {type: constant, value: 1.0}, planned: 1.0}
savings_items:
  s: {factors: ["r"]}
  v: {factors: ["r"]}
  w:
    factors: ["r"]
    delay_months: 3
cost_items:
  c: {amount: 100}
events:
  failure:
    slots: sites
    years: [y0]
    cost: 40
options:
  A:
    savings: {s: [0, 120, 120], v: [60, 60, 60], w: [0, 0, 120]}
    cost_phasing: [0.5, 0.5, 0]
    events:
      failure: {slots: [one], hazard: 1, loss_fraction: 0}
)yaml" + bias;
}

TEST(OptimismBias, UpliftWithMitigationMultipliesCostItemsBy1_1) {
  const auto model = load(bias_yaml("optimism_bias: {cost_uplift: 0.2, mitigation: 0.5, rationale: test}\n"));
  ASSERT_TRUE(model.optimism_bias.has_value());
  const auto& bias = *model.optimism_bias;
  EXPECT_EQ(bias.cost_uplift, 0.2);
  EXPECT_EQ(bias.mitigation, 0.5);
  EXPECT_EQ(bias.effective_cost_multiplier(), 1.1);  // 1 + 0.2 (1 - 0.5) rounds to the double 1.1 itself
  EXPECT_EQ(bias.effective_delay_months(), 0.0);

  const auto base = simulation::planned_case(simulation::EvaluationPlan::compile(model));
  const auto adjusted_plan = simulation::EvaluationPlan::compile(model, {1.1, 0});
  const auto adjusted = simulation::planned_case(adjusted_plan);
  const auto via_model = simulation::planned_case(
      simulation::EvaluationPlan::compile(model, {bias.effective_cost_multiplier(), bias.effective_delay_months()}));
  EXPECT_NEAR(base.cost[0][0], 50, 1e-12);
  EXPECT_NEAR(base.cost[0][1], 50, 1e-12);
  for (std::size_t t = 0; t < 3; ++t) {
    EXPECT_DOUBLE_EQ(adjusted.cost[0][t], 1.1 * base.cost[0][t]) << "year " << t;
    EXPECT_EQ(adjusted.gross[0][t], base.gross[0][t]) << "year " << t;  // benefits untouched
    EXPECT_TRUE(same_double(via_model.cost[0][t], adjusted.cost[0][t]));
  }
  EXPECT_DOUBLE_EQ(adjusted.total_net[0], base.total_net[0] - 10);

  // In a trial the event happens in y0 (hazard 1) and its cost is not uplifted.
  simulation::RunSettings settings;
  settings.trials = 4;
  const auto trial = simulation::replay_trial(adjusted_plan, settings, 2);
  EXPECT_DOUBLE_EQ(trial.cost[0][0], 1.1 * 50 + 40);
  EXPECT_DOUBLE_EQ(trial.cost[0][1], 1.1 * 50);
}

TEST(OptimismBias, BenefitDelayShiftsEveryItemsStart) {
  const auto model = load(bias_yaml("optimism_bias: {benefit_delay_months: 6}\n"));
  EXPECT_EQ(model.optimism_bias->effective_cost_multiplier(), 1.0);
  EXPECT_EQ(model.optimism_bias->effective_delay_months(), 6.0);
  const auto base = simulation::planned_case(simulation::EvaluationPlan::compile(model));
  // Without the bias: s [0, 120, 120], v [60, 60, 60], w [0, 0, 120 (12 - 3)/12 = 90].
  EXPECT_NEAR(base.gross[0][0], 60, 1e-12);
  EXPECT_NEAR(base.gross[0][1], 180, 1e-12);
  EXPECT_NEAR(base.gross[0][2], 270, 1e-12);
  const auto delayed = simulation::planned_case(simulation::EvaluationPlan::compile(model, {1.0, 6}));
  // Six months later: each item gets half of its first year; s's first year is y1,
  // v's is y0; w runs (12 - 3 - 6) = 3 months of y2.
  EXPECT_NEAR(delayed.gross[0][0], 30, 1e-12);        // v: 60 / 2
  EXPECT_NEAR(delayed.gross[0][1], 60 + 60, 1e-12);   // s: 120 / 2, v: 60
  EXPECT_NEAR(delayed.gross[0][2], 120 + 60 + 30, 1e-12);
  for (std::size_t t = 0; t < 3; ++t) EXPECT_EQ(delayed.cost[0][t], base.cost[0][t]);

  // Mitigation halves the delay: 3 months, so s gets 3/4 of y1.
  const auto mitigated = load(bias_yaml("optimism_bias: {benefit_delay_months: 6, mitigation: 0.5}\n"));
  EXPECT_EQ(mitigated.optimism_bias->effective_delay_months(), 3.0);
  const auto three = simulation::planned_case(simulation::EvaluationPlan::compile(mitigated, {1.0, 3}));
  EXPECT_NEAR(three.gross[0][1], 90 + 60, 1e-12);
  EXPECT_NEAR(three.gross[0][2], 120 + 60 + 120 * 6.0 / 12, 1e-12);
}

TEST(OptimismBias, ConfigErrors) {
  EXPECT_NO_THROW(load(bias_yaml("optimism_bias: {cost_uplift: 0.24, benefit_delay_months: 3, mitigation: 1}\n")));
  EXPECT_THROW(load(bias_yaml("optimism_bias: {cost_uplift: 0.2, mitigation: 1.5}\n")), config::ConfigError);
  EXPECT_THROW(load(bias_yaml("optimism_bias: {cost_uplift: 0.2, mitigation: -0.1}\n")), config::ConfigError);
  EXPECT_THROW(load(bias_yaml("optimism_bias: {cost_uplift: -0.2}\n")), config::ConfigError);
  EXPECT_THROW(load(bias_yaml("optimism_bias: {benefit_delay_months: -1}\n")), config::ConfigError);
  EXPECT_THROW(load(bias_yaml("optimism_bias: {mitigation: 0.5}\n")), config::ConfigError);  // adjusts nothing
  EXPECT_THROW(load(bias_yaml("optimism_bias: {cost_uplift: 0.2, uplift: 0.1}\n")), config::ConfigError);
  EXPECT_THROW(load(bias_yaml("optimism_bias: {cost_uplift: lots}\n")), config::ConfigError);
}

// ---- Running to a precision (R1) -------------------------------------------

using mcrisk::testing::r1;

statistics::PrecisionGoal mean_within_5000() {
  statistics::PrecisionGoal goal;
  goal.targets.push_back(statistics::PrecisionTarget::parse("5000"));
  goal.initial_trials = 2000;  // several rounds, not one
  return goal;
}

struct PrecisionRun {
  statistics::ConvergenceTrace trace;
  simulation::TrialOutputs outputs;
};

PrecisionRun run_to_precision(const statistics::PrecisionGoal& goal, int threads) {
  simulation::RunSettings settings;
  settings.seed = 20100706;
  settings.threads = threads;
  PrecisionRun run;
  run.trace = statistics::run_to_precision(r1().model, r1().plan, settings, goal, {}, run.outputs);
  return run;
}

bool same_trace(const statistics::ConvergenceTrace& a, const statistics::ConvergenceTrace& b) {
  if (a.converged != b.converged || a.steps.size() != b.steps.size()) return false;
  for (std::size_t s = 0; s < a.steps.size(); ++s) {
    const auto &x = a.steps[s], &y = b.steps[s];
    if (x.trials != y.trials || !same_double(x.worst_ratio, y.worst_ratio) || x.options.size() != y.options.size()) return false;
    for (std::size_t o = 0; o < x.options.size(); ++o) {
      if (x.options[o].option != y.options[o].option || !same_bits(x.options[o].target_half_widths, y.options[o].target_half_widths) ||
          !same_bits(x.options[o].target_limits, y.options[o].target_limits) ||
          !same_double(x.options[o].prob_loss_half_width, y.options[o].prob_loss_half_width)) {
        return false;
      }
    }
  }
  return true;
}

TEST(Precision, SameSeedSameTrialsSameBitsAndLimitsReached) {
  const auto goal = mean_within_5000();
  EXPECT_EQ(goal.prob_loss_half_width, 0.005);
  const auto first = run_to_precision(goal, 2);
  const auto second = run_to_precision(goal, 2);
  ASSERT_TRUE(first.trace.converged);
  ASSERT_GE(first.trace.steps.size(), 2u) << "expected more than one round from 2000 initial trials";
  EXPECT_EQ(first.outputs.trials, second.outputs.trials);
  EXPECT_EQ(first.outputs.trials, first.trace.steps.back().trials);
  EXPECT_EQ(first.outputs.trials % goal.granularity, 0u);
  EXPECT_TRUE(same_outputs(first.outputs, second.outputs));
  EXPECT_TRUE(same_trace(first.trace, second.trace));

  // The last step meets every limit; the one before did not.
  const auto& last = first.trace.steps.back();
  EXPECT_LE(last.worst_ratio, 1.0);
  ASSERT_EQ(last.options.size(), r1().model.options.size());
  for (const auto& option : last.options) {
    ASSERT_EQ(option.target_half_widths.size(), 1u);
    EXPECT_EQ(option.target_limits.at(0), 5000.0);
    EXPECT_LE(option.target_half_widths[0], 5000.0) << option.option;
    EXPECT_LE(option.prob_loss_half_width, 0.005) << option.option;
  }
  EXPECT_GT(first.trace.steps[first.trace.steps.size() - 2].worst_ratio, 1.0);
  // The rounds grow, and the run is a prefix-extension: a plain run of the same trials is the same bits.
  for (std::size_t s = 1; s < first.trace.steps.size(); ++s) EXPECT_GT(first.trace.steps[s].trials, first.trace.steps[s - 1].trials);
  simulation::RunSettings settings;
  settings.seed = 20100706;
  settings.trials = first.outputs.trials;
  EXPECT_TRUE(same_outputs(first.outputs, simulation::simulate(r1().plan, settings)));
  // The half-widths reported are those of the summary of the final outputs.
  const auto summary = statistics::summarise(first.outputs.total_net[0]);
  EXPECT_TRUE(same_double(last.options[0].target_half_widths[0], (summary.mean_ci95_high - summary.mean_ci95_low) / 2));
  EXPECT_TRUE(same_double(last.options[0].prob_loss_half_width, summary.prob_loss_ci95.half_width()));
}

TEST(Precision, TraceIsTheSameOnOneAndTwoThreads) {
  const auto goal = mean_within_5000();
  const auto one = run_to_precision(goal, 1);
  const auto two = run_to_precision(goal, 2);
  EXPECT_TRUE(same_trace(one.trace, two.trace));
  EXPECT_TRUE(same_outputs(one.outputs, two.outputs));
}

TEST(Precision, BudgetSpentBeforeTheGoal) {
  auto goal = mean_within_5000();
  goal.initial_trials = 1000;
  goal.max_trials = 2048;  // a multiple of the granularity, far below what 5000 needs
  const auto run = run_to_precision(goal, 2);
  EXPECT_FALSE(run.trace.converged);
  EXPECT_EQ(run.outputs.trials, 2048u);
  EXPECT_EQ(run.trace.steps.back().trials, 2048u);
  EXPECT_GT(run.trace.steps.back().worst_ratio, 1.0);
  // A budget below one granule is refused.
  goal.max_trials = 100;
  simulation::TrialOutputs outputs;
  EXPECT_THROW(statistics::run_to_precision(r1().model, r1().plan, {}, goal, {}, outputs), std::invalid_argument);
}

TEST(Precision, TargetParsing) {
  using statistics::PrecisionTarget;
  const auto absolute = PrecisionTarget::parse("25000");
  EXPECT_EQ(absolute.percentile, 0.0);
  EXPECT_EQ(absolute.half_width, 25000.0);
  EXPECT_FALSE(absolute.relative);
  const auto relative = PrecisionTarget::parse("1%");
  EXPECT_EQ(relative.percentile, 0.0);
  EXPECT_DOUBLE_EQ(relative.half_width, 0.01);
  EXPECT_TRUE(relative.relative);
  const auto p80 = PrecisionTarget::parse("P80:25000");
  EXPECT_EQ(p80.percentile, 80.0);
  EXPECT_EQ(p80.half_width, 25000.0);
  EXPECT_FALSE(p80.relative);
  const auto p80_relative = PrecisionTarget::parse("p80:2%");
  EXPECT_EQ(p80_relative.percentile, 80.0);
  EXPECT_DOUBLE_EQ(p80_relative.half_width, 0.02);
  EXPECT_TRUE(p80_relative.relative);
  for (const char* bad : {"", "-5", "P80", "P120:5", "abc", "0", "5%%", "P80:", "P:5", "P80:-1", "25000x"}) {
    EXPECT_THROW(PrecisionTarget::parse(bad), std::invalid_argument) << "'" << bad << "'";
  }
}

// ---- Latin hypercube and Sobol runs of R1 -----------------------------------

simulation::RunSettings replicated(sampling::SamplingMethod method, std::size_t replicates, int threads = 2, std::size_t block = 256) {
  simulation::RunSettings settings;
  settings.sampling = method;
  settings.replicate_size = 512;
  settings.trials = replicates * 512;
  settings.seed = 20100706;
  settings.threads = threads;
  settings.block_size = block;
  return settings;
}

class Replicated : public ::testing::TestWithParam<sampling::SamplingMethod> {};

TEST_P(Replicated, BitIdenticalOnAnyThreadCountAndBlockSize) {
  const auto reference = simulation::simulate(r1().plan, replicated(GetParam(), 5, 1, 256));
  EXPECT_EQ(reference.trials, 2560u);
  EXPECT_TRUE(same_outputs(reference, simulation::simulate(r1().plan, replicated(GetParam(), 5, 2, 256))));
  for (std::size_t block : {1u, 7u, 256u, 1000u}) {
    EXPECT_TRUE(same_outputs(reference, simulation::simulate(r1().plan, replicated(GetParam(), 5, 2, block)))) << "block size " << block;
  }
  // And not the plain MC trials, nor the other stratified method's.
  simulation::RunSettings mc = replicated(GetParam(), 5);
  mc.sampling = sampling::SamplingMethod::MonteCarlo;
  EXPECT_FALSE(same_bits(reference.total_net, simulation::simulate(r1().plan, mc).total_net));
}

TEST_P(Replicated, ReplayEqualsTheStoredTrialAcrossReplicateBoundaries) {
  const auto settings = replicated(GetParam(), 5);
  const auto outputs = simulation::simulate(r1().plan, settings);
  for (std::uint64_t k : {0ull, 1ull, 510ull, 511ull, 512ull, 513ull, 1023ull, 1024ull, 2047ull, 2048ull, 2559ull}) {
    const auto record = simulation::replay_trial(r1().plan, settings, k);
    for (std::size_t o = 0; o < outputs.options; ++o) {
      EXPECT_TRUE(same_double(record.total_net[o], outputs.total_net_of(o)[k])) << "trial " << k;
      EXPECT_TRUE(same_double(record.npv[o], outputs.npv_of(o)[k])) << "trial " << k;
      EXPECT_TRUE(same_double(record.npv_green_book[o], outputs.npv_green_book[o][k])) << "trial " << k;
      EXPECT_TRUE(same_double(record.pv_costs[o], outputs.pv_costs[o][k])) << "trial " << k;
      for (std::size_t t = 0; t < outputs.years; ++t) {
        EXPECT_TRUE(same_double(record.net[o][t], outputs.net_of(o, t)[k])) << "trial " << k;
        EXPECT_TRUE(same_double(record.gross[o][t], outputs.gross_of(o, t)[k])) << "trial " << k;
      }
    }
    for (std::size_t c = 0; c < outputs.components; ++c) {
      EXPECT_TRUE(same_double(record.components[c], outputs.driver_of(c)[k])) << "trial " << k << " component " << c;
    }
  }
}

TEST_P(Replicated, FiveReplicatesArePrefixOfTen) {
  // A replicate's points depend only on (seed, replicate, dimension, M), not on R.
  const auto five = simulation::simulate(r1().plan, replicated(GetParam(), 5));
  const auto ten = simulation::simulate(r1().plan, replicated(GetParam(), 10));
  ASSERT_EQ(ten.trials, 5120u);
  for (std::size_t o = 0; o < five.options; ++o) {
    EXPECT_EQ(std::memcmp(five.total_net_of(o), ten.total_net_of(o), five.trials * sizeof(double)), 0) << "option " << o;
    for (std::size_t t = 0; t < five.years; ++t) {
      EXPECT_EQ(std::memcmp(five.net_of(o, t), ten.net_of(o, t), five.trials * sizeof(double)), 0);
    }
  }
  for (std::size_t c = 0; c < five.components; ++c) {
    EXPECT_EQ(std::memcmp(five.driver_of(c), ten.driver_of(c), five.trials * sizeof(double)), 0) << "component " << c;
  }
  // Growing a run by whole replicates (as running to a precision does) gives the same bits as running it whole.
  auto grown = simulation::simulate(r1().plan, replicated(GetParam(), 2));
  simulation::extend(r1().plan, replicated(GetParam(), 2), 5 * 512, grown);
  simulation::extend(r1().plan, replicated(GetParam(), 2), 10 * 512, grown);
  EXPECT_TRUE(same_outputs(grown, ten));
}

TEST_P(Replicated, EveryStratumOnceInEachReplicate) {
  // The stratification the replicate intervals rely on: in each replicate, each
  // unit-cube dimension has exactly one point in each interval [j/M, (j+1)/M).
  const auto settings = replicated(GetParam(), 3);
  const auto sampler = simulation::make_sampler(r1().plan, settings);
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t d = 0; d < sampler.dimensions(); d += 7) {
      std::vector<int> count(512, 0);
      for (std::size_t i = 0; i < 512; ++i) {
        const double u = sampler.uniform(r * 512 + i, d);
        ASSERT_GT(u, 0.0);
        ASSERT_LT(u, 1.0);
        ++count[std::size_t(u * 512)];
      }
      for (int c : count) ASSERT_EQ(c, 1) << "replicate " << r << " dimension " << d;
    }
  }
}

TEST_P(Replicated, PrecisionRunGrowsByWholeReplicates) {
  auto settings = replicated(GetParam(), 2);
  statistics::PrecisionGoal goal;
  goal.targets.push_back(statistics::PrecisionTarget::parse("2%"));
  goal.prob_loss_half_width = 0.05;
  goal.initial_trials = 1024;
  goal.max_trials = 40 * 512;
  goal.granularity = 512;
  const statistics::IntervalDesign design{512};
  simulation::TrialOutputs a, b;
  const auto trace_a = statistics::run_to_precision(r1().model, r1().plan, settings, goal, design, a);
  settings.threads = 1;
  const auto trace_b = statistics::run_to_precision(r1().model, r1().plan, settings, goal, design, b);
  EXPECT_TRUE(same_trace(trace_a, trace_b));
  EXPECT_TRUE(same_outputs(a, b));
  for (const auto& step : trace_a.steps) EXPECT_EQ(step.trials % 512, 0u);
  settings.trials = a.trials;
  EXPECT_TRUE(same_outputs(a, simulation::simulate(r1().plan, settings)));
}

INSTANTIATE_TEST_SUITE_P(LhsAndSobol, Replicated,
                         ::testing::Values(sampling::SamplingMethod::LatinHypercube, sampling::SamplingMethod::Sobol),
                         [](const ::testing::TestParamInfo<sampling::SamplingMethod>& method) {
                           return method.param == sampling::SamplingMethod::LatinHypercube ? std::string("Lhs") : std::string("Sobol");
                         });

}  // namespace
