// A corpus of bad configs: one test per kind of error the config stage
// (config::load_model_from_text) or the plan compiler (EvaluationPlan::compile)
// must report. Each test checks the exact 1-based line and column, the key path
// and the essential words of what was expected. Every bad config is a small
// edit of one valid base model, which is itself checked to load and compile.

#include <gtest/gtest.h>

#include "config_edit.h"

#include <initializer_list>
#include <string>
#include <string_view>

#include "mcrisk/config/config_error.h"
#include "mcrisk/config/model_loader.h"
#include "mcrisk/model/model.h"
#include "mcrisk/simulation/evaluation_plan.h"

namespace mcrisk {
namespace {

using config::ConfigError;

// Two years, one set, drivers over the set and over years (ar1), correlations,
// derived quantities, savings items with factors and delay_months, a count x
// unit_cost cost item, an event with slots and two options.
const std::string kBase = R"(mcrisk: 1

model:
  name: Base model
  description: A small model that loads and compiles.
  currency: GBP
  years: [Y1, Y2]
  discount_rate: 0.035

run:
  trials: 1000
  seed: 7

sets:
  team: [alpha, beta]

parameters:
  exposure: 1
  posts: 0

drivers:
  realisation:
    over: team
    distribution: {type: pert, min: 0.5, mode: 0.9, max: 1.0}
    elements:
      beta: {type: triangular, min: 0.4, mode: 0.8, max: 1.0}
    planned: 1
  pressure:
    over: years
    years: [Y2]
    distribution: {type: ar1, mean: 0.02, sd: 0.03, rho: 0.5}
    planned: 0
  grant_cut:
    distribution: {type: uniform, min: 0, max: 0.3}
    planned: 0
  unit_cost:
    distribution: {type: lognormal, median: 40000, sigma: 0.2}
    planned: 40000
  delay:
    distribution: {type: normal, p10: 1, p90: 6}
    planned: 0
  exit_cost:
    over: team
    distribution: {type: lognormal, median: 100000, sigma: 0.5}
    planned: {alpha: 100000, beta: 90000}

correlations:
  - among: realisation
    rho: 0.3
  - between: [grant_cut, "pressure[Y2]"]
    rho: 0.4

derived:
  demand_factor: 1 - exposure * pressure[t]
  grant_factor: 1 - 0.5 * grant_cut

savings_items:
  service:
    factors:
      - realisation[alpha]
      - demand_factor
      - grant_factor
    delay_months: delay
  support:
    factors:
      - realisation[beta]
      - grant_factor

cost_items:
  redundancy:
    count: round(posts * 1.2)
    unit_cost: unit_cost

events:
  withdrawal:
    slots: team
    years: [Y2]
    cost: exit_cost[slot]

options:
  A:
    description: Option A
    parameters: {exposure: 2, posts: 5}
    savings:
      service: [0, 1000]
      support: [500, 500]
    cost_phasing: [1, 0]
    events:
      withdrawal: {slots: [alpha], hazard: 0.05, loss_fraction: 0.5}
  B:
    parameters: {posts: 8}
    savings:
      service: [0, 2000]
    cost_phasing: {weights: [3, 1]}
    events:
      withdrawal: {slots: [alpha, beta], hazard: [0, 0.1], loss_fraction: 0.25}
)";

// ---- helpers ---------------------------------------------------------------

using mcrisk::testing::position_of;
using mcrisk::testing::Position;
using mcrisk::testing::with;

model::Model load(const std::string& text) { return config::load_model_from_text(text, "bad.yaml"); }

//! The ConfigError that loading `text` throws.
ConfigError load_error(const std::string& text) {
  try {
    load(text);
  } catch (const ConfigError& error) {
    return error;
  }
  ADD_FAILURE() << "the config loaded without error";
  return ConfigError({}, "");
}

//! The ConfigError that compiling `text` throws (it must load without error).
ConfigError compile_error(const std::string& text) {
  model::Model model;
  try {
    model = load(text);
  } catch (const ConfigError& error) {
    ADD_FAILURE() << "the config should load and fail only at compile time; got: " << error.what();
    return error;
  }
  try {
    simulation::EvaluationPlan::compile(model);
  } catch (const ConfigError& error) {
    return error;
  }
  ADD_FAILURE() << "the config compiled without error";
  return ConfigError({}, "");
}

//! The error is at `at` in bad.yaml, under `key`, its message has every word,
//! and what() reads "bad.yaml:line:col: key: message".
void expect_error(const ConfigError& error, Position at, const std::string& key,
                  std::initializer_list<std::string_view> words) {
  SCOPED_TRACE(error.what());
  EXPECT_EQ(error.where().file, "bad.yaml");
  EXPECT_EQ(error.where().line, at.line);
  EXPECT_EQ(error.where().column, at.column);
  EXPECT_EQ(error.where().key, key);
  for (const auto word : words) {
    EXPECT_NE(error.message().find(word), std::string::npos) << "message lacks '" << word << "'";
  }
  std::string prefix = "bad.yaml:" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": ";
  if (!key.empty()) prefix += key + ": ";
  EXPECT_EQ(std::string(error.what()), prefix + error.message());
}

// ---- the base model ----------------------------------------------------------

TEST(ConfigError, BaseModelLoadsAndCompiles) {
  model::Model model;
  ASSERT_NO_THROW(model = load(kBase));
  EXPECT_EQ(model.years.size(), 2u);
  EXPECT_EQ(model.sets.size(), 1u);
  EXPECT_EQ(model.drivers.size(), 6u);
  EXPECT_EQ(model.correlations.size(), 2u);
  EXPECT_EQ(model.derived.size(), 2u);
  EXPECT_EQ(model.savings_items.size(), 2u);
  EXPECT_EQ(model.cost_items.size(), 1u);
  EXPECT_EQ(model.events.size(), 1u);
  ASSERT_EQ(model.options.size(), 2u);
  EXPECT_EQ(model.run.trials, 1000u);
  EXPECT_EQ(model.run.seed, 7u);
  // {weights: [3, 1]} is normalised.
  ASSERT_EQ(model.options[1].cost_phasing.size(), 1u);
  EXPECT_DOUBLE_EQ(model.options[1].cost_phasing[0][0], 0.75);
  EXPECT_DOUBLE_EQ(model.options[1].cost_phasing[0][1], 0.25);
  simulation::EvaluationPlan plan;
  ASSERT_NO_THROW(plan = simulation::EvaluationPlan::compile(model));
  EXPECT_FALSE(plan.copula_repaired);
  EXPECT_EQ(plan.option_count, 2u);
}

// ---- YAML and the file as a whole ----------------------------------------------

TEST(ConfigError, YamlSyntaxErrorReportsTheParserPosition) {
  // An unclosed flow sequence: the parser gives up at the ':' of the next top-level key.
  const std::string text = with(kBase, "  seed: 7\n", "  seed: [7\n");
  expect_error(load_error(text), position_of(text, "sets:\n", 4), "", {"YAML syntax error", "end of sequence flow not found"});
}

TEST(ConfigError, YamlMappingValueInPlainScalar) {
  const std::string text = with(kBase, "name: Base model", "name: Base: model");
  expect_error(load_error(text), position_of(text, "Base: model", 4), "", {"YAML syntax error", "illegal map value"});
}

TEST(ConfigError, EmptyFile) {
  expect_error(load_error(""), {1, 1}, "", {"empty"});
  expect_error(load_error("# only a comment\n"), {1, 1}, "", {"empty"});
}

TEST(ConfigError, TopLevelIsNotAMapping) {
  expect_error(load_error("- a\n- b\n"), {1, 1}, "", {"expected a mapping", "a list"});
}

TEST(ConfigError, UnsupportedLanguageVersion) {
  const std::string text = with(kBase, "mcrisk: 1", "mcrisk: 2");
  expect_error(load_error(text), {1, 9}, "mcrisk", {"version 1", "got 2"});
}

TEST(ConfigError, UnknownTopLevelKey) {
  const std::string text = with(kBase, "\nrun:\n", "\nmonte_carlo: {}\nrun:\n");
  expect_error(load_error(text), position_of(text, "monte_carlo"), "monte_carlo",
               {"unknown key 'monte_carlo'", "expected one of", "drivers", "options"});
}

TEST(ConfigError, DuplicateKeyInAMapping) {
  // YAML parsers keep one of two equal keys; a second line must not be silently dropped.
  const std::string text = with(kBase, "      support: [500, 500]\n", "      support: [500, 500]\n      service: [0, 900]\n");
  expect_error(load_error(text), position_of(text, "service: [0, 900]"), "options.A.savings.service",
               {"duplicate key 'service'"});
}

TEST(ConfigError, KeyWithoutAValue) {
  const std::string text = with(kBase, "  grant_cut:\n    distribution: {type: uniform, min: 0, max: 0.3}\n    planned: 0\n", "  grant_cut:\n");
  expect_error(load_error(text), position_of(text, "grant_cut:\n"), "drivers.grant_cut", {"'grant_cut' has no value"});
}

// ---- model and run -------------------------------------------------------------

TEST(ConfigError, MissingModelName) {
  const std::string text = with(kBase, "  name: Base model\n", "");
  expect_error(load_error(text), position_of(text, "description: A small"), "model", {"missing required key 'name'"});
}

TEST(ConfigError, MissingModelYears) {
  const std::string text = with(kBase, "  years: [Y1, Y2]\n", "");
  expect_error(load_error(text), position_of(text, "name: Base model"), "model", {"missing required key 'years'"});
}

TEST(ConfigError, MissingDrivers) {
  const std::string start = kBase.substr(0, kBase.find("drivers:\n"));
  const std::string rest = kBase.substr(kBase.find("correlations:\n"));
  const std::string text = start + rest;
  expect_error(load_error(text), {1, 1}, "", {"missing required key 'drivers'"});
}

TEST(ConfigError, TextWhereANumberIsExpected) {
  const std::string text = with(kBase, "discount_rate: 0.035", "discount_rate: high");
  expect_error(load_error(text), position_of(text, "high"), "model.discount_rate", {"expected a finite number", "'high'"});
}

TEST(ConfigError, MappingWhereAListIsExpected) {
  const std::string text = with(kBase, "years: [Y1, Y2]", "years: {first: Y1, second: Y2}");
  expect_error(load_error(text), position_of(text, "{first"), "model.years", {"expected a list", "a mapping"});
}

TEST(ConfigError, UnknownYearLabel) {
  const std::string text = with(kBase, "    years: [Y2]\n    distribution: {type: ar1",
                                "    years: [Y2, Y3]\n    distribution: {type: ar1");
  expect_error(load_error(text), position_of(text, "Y3"), "drivers.pressure.years[1]",
               {"'Y3' is not one of the model's years", "Y1, Y2"});
}

TEST(ConfigError, DriverOverNoYears) {
  const std::string text = with(kBase, "    years: [Y2]\n    distribution: {type: ar1", "    years: []\n    distribution: {type: ar1");
  expect_error(load_error(text), position_of(text, "[]\n"), "drivers.pressure.years", {"at least one year"});
}

TEST(ConfigError, DuplicateYearLabel) {
  const std::string text = with(kBase, "years: [Y1, Y2]", "years: [Y1, Y2, Y1]");
  expect_error(load_error(text), position_of(text, "Y1]"), "model.years[2]", {"duplicate year label 'Y1'"});
}

TEST(ConfigError, ZeroTrials) {
  const std::string text = with(kBase, "trials: 1000", "trials: 0");
  expect_error(load_error(text), position_of(text, "0\n  seed"), "run.trials", {"whole number of trials", ">= 1"});
}

TEST(ConfigError, TooManyTrials) {
  const std::string text = with(kBase, "trials: 1000", "trials: 1e30");
  expect_error(load_error(text), position_of(text, "1e30"), "run.trials", {"whole number of trials"});
}

TEST(ConfigError, NegativeSeed) {
  const std::string text = with(kBase, "seed: 7", "seed: -1");
  expect_error(load_error(text), position_of(text, "-1"), "run.seed", {"whole number seed", "'-1'"});
}

// ---- sets and names ----------------------------------------------------------------

TEST(ConfigError, DuplicateSetElement) {
  const std::string text = with(kBase, "team: [alpha, beta]", "team: [alpha, beta, alpha]");
  expect_error(load_error(text), position_of(text, "beta, alpha]", 6), "sets.team[2]", {"duplicate element 'alpha'"});
}

TEST(ConfigError, NameUsedByADriverAndAParameter) {
  const std::string text = with(kBase, "  posts: 0\n", "  posts: 0\n  grant_cut: 0\n");
  expect_error(load_error(text), position_of(text, "grant_cut: 0\n"), "parameters.grant_cut",
               {"'grant_cut' names both a driver and a parameter", "unique"});
}

TEST(ConfigError, ReservedNameForADriver) {
  const std::string text = with(kBase, "  grant_cut:\n", "  t:\n    distribution: {type: uniform, min: 0, max: 1}\n    planned: 0\n  grant_cut:\n");
  expect_error(load_error(text), position_of(text, "  t:\n", 2), "drivers.t", {"'t' is reserved", "another driver name"});
}

TEST(ConfigError, InvalidIdentifier) {
  const std::string text = with(kBase, "  grant_cut:\n", "  grant-cut:\n");
  expect_error(load_error(text), position_of(text, "grant-cut:"), "drivers.grant-cut", {"not a valid driver name", "letters, digits and _"});
}

// ---- drivers and distributions ------------------------------------------------------

TEST(ConfigError, UnknownKeyInADriver) {
  const std::string text = with(kBase, "  grant_cut:\n", "  grant_cut:\n    source: the report\n");
  expect_error(load_error(text), position_of(text, "source:"), "drivers.grant_cut.source",
               {"unknown key 'source'", "distribution", "planned", "rationale"});
}

TEST(ConfigError, YearsOnADriverNotOverYears) {
  const std::string text = with(kBase, "  grant_cut:\n", "  grant_cut:\n    years: [Y2]\n");
  expect_error(load_error(text), position_of(text, "years: [Y2]\n    distribution: {type: uniform"), "drivers.grant_cut.years",
               {"'years'", "over: years"});
}

TEST(ConfigError, UnknownKeyInADistribution) {
  const std::string text = with(kBase, "{type: uniform, min: 0, max: 0.3}", "{type: uniform, min: 0, max: 0.3, mode: 0.1}");
  expect_error(load_error(text), position_of(text, "mode: 0.1"), "drivers.grant_cut.distribution.mode",
               {"unknown key 'mode'", "min", "max"});
}

TEST(ConfigError, MissingPlanned) {
  const std::string text = with(kBase, "    distribution: {type: uniform, min: 0, max: 0.3}\n    planned: 0\n",
                                "    distribution: {type: uniform, min: 0, max: 0.3}\n");
  expect_error(load_error(text), position_of(text, "distribution: {type: uniform"), "drivers.grant_cut",
               {"missing required key 'planned'"});
}

TEST(ConfigError, MissingDistribution) {
  // A missing key is reported at the mapping that lacks it: its first key.
  const std::string text = with(kBase, "    distribution: {type: uniform, min: 0, max: 0.3}\n", "");
  const Position name = position_of(text, "  grant_cut:\n");
  expect_error(load_error(text), {name.line + 1, 5}, "drivers.grant_cut",
               {"missing required key 'distribution'"});
}

TEST(ConfigError, PertWithoutMode) {
  const std::string text = with(kBase, "{type: pert, min: 0.5, mode: 0.9, max: 1.0}", "{type: pert, min: 0.5, max: 1.0}");
  expect_error(load_error(text), position_of(text, "{type: pert"), "drivers.realisation.distribution",
               {"missing required key 'mode'"});
}

TEST(ConfigError, UnknownDistributionType) {
  const std::string text = with(kBase, "{type: uniform, min: 0, max: 0.3}", "{type: unifrom, min: 0, max: 0.3}");
  expect_error(load_error(text), position_of(text, "unifrom"), "drivers.grant_cut.distribution.type",
               {"unknown distribution type 'unifrom'", "uniform", "pert", "lognormal"});
}

TEST(ConfigError, PertModeOutsideItsRange) {
  const std::string text = with(kBase, "{type: pert, min: 0.5, mode: 0.9, max: 1.0}", "{type: pert, min: 0.5, mode: 1.2, max: 1.0}");
  expect_error(load_error(text), position_of(text, "{type: pert"), "drivers.realisation.distribution", {"min <= mode <= max"});
}

TEST(ConfigError, LognormalSigmaNotPositive) {
  const std::string text = with(kBase, "median: 40000, sigma: 0.2", "median: 40000, sigma: 0");
  expect_error(load_error(text), position_of(text, "{type: lognormal, median: 40000"), "drivers.unit_cost.distribution",
               {"sigma > 0"});
}

TEST(ConfigError, NormalPercentilesOutOfOrder) {
  const std::string text = with(kBase, "{type: normal, p10: 1, p90: 6}", "{type: normal, p10: 6, p90: 1}");
  expect_error(load_error(text), position_of(text, "{type: normal"), "drivers.delay.distribution", {"x_lo < x_hi"});
}

TEST(ConfigError, MalformedPercentileKey) {
  const std::string text = with(kBase, "{type: normal, p10: 1, p90: 6}", "{type: normal, p10: 1, p90: 6, p.5: 3}");
  expect_error(load_error(text), position_of(text, "p.5"), "drivers.delay.distribution.p.5", {"unknown key 'p.5'", "p10, p90"});
}

TEST(ConfigError, Ar1WithNonPositiveSd) {
  const std::string text = with(kBase, "sd: 0.03, rho: 0.5", "sd: -0.03, rho: 0.5");
  expect_error(load_error(text), position_of(text, "-0.03"), "drivers.pressure.distribution.sd", {"sd > 0"});
}

TEST(ConfigError, UnknownSetInOver) {
  const std::string text = with(kBase, "    over: team\n    distribution: {type: pert", "    over: teams\n    distribution: {type: pert");
  expect_error(load_error(text), position_of(text, "teams"), "drivers.realisation.over", {"unknown set 'teams'", "years", "team"});
}

TEST(ConfigError, ElementNotInSet) {
  const std::string text = with(kBase, "      beta: {type: triangular", "      gamma: {type: triangular");
  expect_error(load_error(text), position_of(text, "gamma"), "drivers.realisation.elements.gamma",
               {"'gamma' is not an element of team", "alpha, beta"});
}

TEST(ConfigError, DriverOverASetMissingAnElementsDistribution) {
  const std::string text = with(kBase, "    distribution: {type: pert, min: 0.5, mode: 0.9, max: 1.0}\n", "");
  // At the 'elements' mapping, i.e. its first entry.
  expect_error(load_error(text), position_of(text, "beta: {type: triangular"), "drivers.realisation.elements",
               {"no distribution for element 'alpha'"});
}

TEST(ConfigError, PlannedMapMissingAnElement) {
  const std::string text = with(kBase, "planned: {alpha: 100000, beta: 90000}", "planned: {alpha: 100000}");
  expect_error(load_error(text), position_of(text, "{alpha: 100000}"), "drivers.exit_cost.planned",
               {"no planned value for element 'beta'"});
}

// ---- correlations -------------------------------------------------------------------------

TEST(ConfigError, CorrelationOutsideMinusOneToOne) {
  const std::string text = with(kBase, "rho: 0.4\n", "rho: 1.4\n");
  expect_error(load_error(text), position_of(text, "1.4"), "correlations[1].rho", {"between -1 and 1"});
}

TEST(ConfigError, CorrelationNamingAnUnknownDriver) {
  const std::string text = with(kBase, "among: realisation", "among: realization");
  expect_error(load_error(text), position_of(text, "realization"), "correlations[0].among",
               {"unknown driver 'realization'", "realisation", "grant_cut"});
}

TEST(ConfigError, CorrelationNamingAnUnknownElement) {
  const std::string text = with(kBase, "\"pressure[Y2]\"", "\"pressure[Y1]\"");
  expect_error(load_error(text), position_of(text, "\"pressure[Y1]\""), "correlations[1].between[1]",
               {"'Y1' is not an element of pressure", "Y2"});
}

TEST(ConfigError, SamePairWithDifferentValues) {
  const std::string text = with(kBase, "    rho: 0.4\n", "    rho: 0.4\n  - between: [\"pressure[Y2]\", grant_cut]\n    rho: 0.5\n");
  expect_error(load_error(text), position_of(text, "[\"pressure[Y2]\", grant_cut]"), "correlations[2].between",
               {"given twice with different values", "grant_cut", "pressure[Y2]"});
}

// Three drivers with rho 0.9, 0.9 and -0.9: every pair is valid, the matrix is not.
// (A flow sequence cannot hold a plain '[': a subscripted component is quoted.)
const std::string kNotPositiveDefinite = with(kBase, "    rho: 0.4\n",
                                              "    rho: 0.4\n"
                                              "  - between: [unit_cost, delay]\n    rho: 0.9\n"
                                              "  - between: [delay, \"exit_cost[alpha]\"]\n    rho: 0.9\n"
                                              "  - between: [unit_cost, \"exit_cost[alpha]\"]\n    rho: -0.9\n");

TEST(ConfigError, CorrelationMatrixNotPositiveDefinite) {
  const std::string& text = kNotPositiveDefinite;
  const ConfigError error = compile_error(text);
  expect_error(error, position_of(text, "[unit_cost, delay]"), "correlations[2].between",
               {"unit_cost", "delay", "exit_cost[alpha]"});
  // The copula's other components are not to blame.
  EXPECT_EQ(error.message().find("grant_cut"), std::string::npos);
  EXPECT_EQ(error.message().find("realisation"), std::string::npos);
}

TEST(ConfigError, CorrelationRepairNearestAcceptsTheSameMatrix) {
  const std::string text = with(kNotPositiveDefinite, "  discount_rate: 0.035\n",
                                "  discount_rate: 0.035\n  correlation_repair: nearest\n");
  model::Model model;
  ASSERT_NO_THROW(model = load(text));
  simulation::EvaluationPlan plan;
  ASSERT_NO_THROW(plan = simulation::EvaluationPlan::compile(model));
  EXPECT_TRUE(plan.copula_repaired);
}

// ---- savings, costs, options -----------------------------------------------------------

TEST(ConfigError, SavingsListWithTheWrongNumberOfYears) {
  const std::string text = with(kBase, "service: [0, 2000]", "service: [0, 2000, 2000]");
  expect_error(load_error(text), position_of(text, "[0, 2000, 2000]"), "options.B.savings.service",
               {"expected 2 values, one per year", "Y1, Y2", "got 3"});
}

TEST(ConfigError, UnknownSavingsItemInAnOption) {
  const std::string text = with(kBase, "      support: [500, 500]", "      suport: [500, 500]");
  expect_error(load_error(text), position_of(text, "suport"), "options.A.savings.suport",
               {"unknown savings item 'suport'", "service, support"});
}

TEST(ConfigError, UnknownOptionParameter) {
  const std::string text = with(kBase, "{exposure: 2, posts: 5}", "{exposure: 2, post: 5}");
  expect_error(load_error(text), position_of(text, "post: 5"), "options.A.parameters.post",
               {"unknown parameter 'post'", "exposure, posts"});
}

TEST(ConfigError, UnknownKeyInAnOption) {
  const std::string text = with(kBase, "    description: Option A\n", "    description: Option A\n    budget: 100\n");
  expect_error(load_error(text), position_of(text, "budget"), "options.A.budget",
               {"unknown key 'budget'", "savings", "cost_phasing", "events"});
}

TEST(ConfigError, CostPhasingNotSummingToOne) {
  const std::string text = with(kBase, "cost_phasing: [1, 0]", "cost_phasing: [0.6, 0.3]");
  expect_error(load_error(text), position_of(text, "[0.6, 0.3]"), "options.A.cost_phasing",
               {"must sum to 1", "0.9", "weights"});
}

TEST(ConfigError, CostPhasingWeightsAreNormalised) {
  const std::string text = with(kBase, "cost_phasing: [1, 0]", "cost_phasing: {weights: [0.6, 0.3]}");
  model::Model model;
  ASSERT_NO_THROW(model = load(text));
  EXPECT_DOUBLE_EQ(model.options[0].cost_phasing[0][0], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(model.options[0].cost_phasing[0][1], 1.0 / 3.0);
}

TEST(ConfigError, CostPhasingWithoutCostItems) {
  const std::string text = with(kBase, "cost_items:\n  redundancy:\n    count: round(posts * 1.2)\n    unit_cost: unit_cost\n\n", "");
  expect_error(load_error(text), position_of(text, "cost_phasing: [1, 0]"), "options.A.cost_phasing",
               {"'cost_phasing' applies only", "cost_items"});
}

TEST(ConfigError, CostItemWithoutUnitCost) {
  const std::string text = with(kBase, "    unit_cost: unit_cost\n", "");
  expect_error(load_error(text), position_of(text, "count: round"), "cost_items.redundancy", {"'count' and 'unit_cost'", "'amount'"});
}

TEST(ConfigError, SavingsItemWithNothingIsACertainItem) {
  const std::string text = with(kBase, "  support:\n    factors:\n      - realisation[beta]\n      - grant_factor\n", "  support:\n");
  model::Model model;
  ASSERT_NO_THROW(model = load(text));
  ASSERT_EQ(model.savings_items.size(), 2u);
  EXPECT_TRUE(model.savings_items[1].factors.empty());
  EXPECT_NO_THROW(simulation::EvaluationPlan::compile(model));
}

// ---- events ---------------------------------------------------------------------------

TEST(ConfigError, UnknownKeyInAnEventExposure) {
  const std::string text = with(kBase, "hazard: 0.05, loss_fraction: 0.5}", "hazard: 0.05, loss: 0.5}");
  expect_error(load_error(text), position_of(text, "loss: 0.5"), "options.A.events.withdrawal.loss",
               {"unknown key 'loss'", "slots, hazard, loss_fraction"});
}

TEST(ConfigError, HazardOutsideZeroToOne) {
  const std::string text = with(kBase, "hazard: 0.05", "hazard: 1.05");
  expect_error(load_error(text), position_of(text, "1.05"), "options.A.events.withdrawal.hazard", {"probability", "between 0 and 1"});
}

TEST(ConfigError, HazardListOutsideZeroToOne) {
  const std::string text = with(kBase, "hazard: [0, 0.1]", "hazard: [0, -0.1]");
  expect_error(load_error(text), position_of(text, "-0.1"), "options.B.events.withdrawal.hazard[1]",
               {"probability", "between 0 and 1"});
}

TEST(ConfigError, LossFractionAboveOne) {
  const std::string text = with(kBase, "loss_fraction: 0.25", "loss_fraction: 1.25");
  expect_error(load_error(text), position_of(text, "1.25"), "options.B.events.withdrawal.loss_fraction",
               {"fraction of savings", "between 0 and 1"});
}

TEST(ConfigError, EventSlotNotInTheSet) {
  const std::string text = with(kBase, "slots: [alpha, beta]", "slots: [alpha, gamma]");
  expect_error(load_error(text), position_of(text, "gamma"), "options.B.events.withdrawal.slots[1]",
               {"'gamma' is not an element of team", "alpha, beta"});
}

TEST(ConfigError, EventSlotGivenTwice) {
  const std::string text = with(kBase, "slots: [alpha, beta]", "slots: [alpha, alpha]");
  expect_error(load_error(text), position_of(text, "[alpha, alpha]", 8), "options.B.events.withdrawal.slots[1]", {"duplicate slot 'alpha'"});
}

TEST(ConfigError, EventOverAnUnknownSet) {
  const std::string text = with(kBase, "    slots: team\n", "    slots: teams\n");
  expect_error(load_error(text), position_of(text, "teams"), "events.withdrawal.slots", {"unknown set 'teams'", "team"});
}

TEST(ConfigError, UnknownEventInAnOption) {
  const std::string text = with(kBase, "      withdrawal: {slots: [alpha], hazard", "      withdrawl: {slots: [alpha], hazard");
  expect_error(load_error(text), position_of(text, "withdrawl"), "options.A.events.withdrawl",
               {"unknown event 'withdrawl'", "withdrawal"});
}

// ---- expressions -----------------------------------------------------------------------

TEST(ConfigError, ExpressionSyntaxErrorInAPlainScalar) {
  const std::string text = with(kBase, "grant_factor: 1 - 0.5 * grant_cut", "grant_factor: 1 - 0.5 * * grant_cut");
  // The column is that of the second '*', inside the expression.
  expect_error(load_error(text), position_of(text, "* * grant_cut", 2), "derived.grant_factor", {"1 - 0.5 * * grant_cut"});
}

TEST(ConfigError, ExpressionSyntaxErrorInAQuotedScalar) {
  const std::string text = with(kBase, "grant_factor: 1 - 0.5 * grant_cut", "grant_factor: \"1 - 0.5 * * grant_cut\"");
  // Same expression, one column further right: the opening quote.
  expect_error(load_error(text), position_of(text, "* * grant_cut", 2), "derived.grant_factor", {"1 - 0.5 * * grant_cut"});
}

TEST(ConfigError, ExpressionSyntaxErrorInAListItem) {
  const std::string text = with(kBase, "      - realisation[beta]\n", "      - realisation[beta] % 2\n");
  expect_error(load_error(text), position_of(text, "% 2"), "savings_items.support.factors[0]", {"%"});
}

TEST(ConfigError, ExpressionSyntaxErrorInABlockScalar) {
  // The text of a block scalar starts on the line after '>', at its indentation.
  const std::string text = with(kBase, "grant_factor: 1 - 0.5 * grant_cut", "grant_factor: >\n    1 - 0.5 * * grant_cut");
  const ConfigError error = load_error(text);
  expect_error(error, position_of(text, "* * grant_cut", 2), "derived.grant_factor", {"in '1 - 0.5 * * grant_cut'"});
}

TEST(ConfigError, UnknownNameInABlockScalar) {
  const std::string text = with(kBase, "grant_factor: 1 - 0.5 * grant_cut", "grant_factor: |\n\n    1 - 0.5 * grant_cutt");
  expect_error(compile_error(text), position_of(text, "grant_cutt"), "derived.grant_factor", {"unknown name 'grant_cutt'"});
}

TEST(ConfigError, UnknownNameInAnExpression) {
  const std::string text = with(kBase, "grant_factor: 1 - 0.5 * grant_cut", "grant_factor: 1 - 0.5 * grant_cutt");
  expect_error(compile_error(text), position_of(text, "grant_cutt"), "derived.grant_factor",
               {"unknown name 'grant_cutt'", "grant_cut", "realisation", "demand_factor", "exposure"});
}

TEST(ConfigError, UnknownNameInAnUnusedDerivedQuantity) {
  // Never referenced, but still checked: a typo must not hide in a dead definition.
  const std::string text = with(kBase, "  grant_factor: 1 - 0.5 * grant_cut\n",
                                "  grant_factor: 1 - 0.5 * grant_cut\n  spare: 2 * grant_cutt\n");
  expect_error(compile_error(text), position_of(text, "grant_cutt"), "derived.spare", {"unknown name 'grant_cutt'"});
}

TEST(ConfigError, DriverOverASetWithoutSubscript) {
  const std::string text = with(kBase, "      - realisation[beta]\n", "      - realisation\n");
  expect_error(compile_error(text), position_of(text, "realisation\n      - grant_factor\n\ncost"), "savings_items.support.factors[0]",
               {"indexed over team", "realisation[<element>]"});
}

TEST(ConfigError, SubscriptElementThatDoesNotExist) {
  const std::string text = with(kBase, "      - realisation[beta]\n", "      - 0.5 * realisation[gamma]\n");
  expect_error(compile_error(text), position_of(text, "realisation[gamma]"), "savings_items.support.factors[0]",
               {"'gamma' is not an element of realisation", "alpha, beta"});
}

TEST(ConfigError, YearIndexedDriverAtAYearItDoesNotCover) {
  // pressure covers Y2 only; a saving in Y1 evaluates demand_factor, hence pressure[t], at t = 0.
  const std::string text = with(kBase, "service: [0, 1000]", "service: [700, 1000]");
  expect_error(compile_error(text), position_of(text, "pressure[t]"), "derived.demand_factor",
               {"no value for year Y1", "t = 0", "option A"});
}

TEST(ConfigError, DerivedQuantityThatDependsOnItself) {
  const std::string text = with(kBase, "grant_factor: 1 - 0.5 * grant_cut", "grant_factor: 1 - 0.5 * grant_cut * demand_factor");
  const std::string cyclic = with(text, "demand_factor: 1 - exposure * pressure[t]", "demand_factor: grant_factor - exposure * pressure[t]");
  expect_error(compile_error(cyclic), position_of(cyclic, "grant_factor - exposure"), "derived.demand_factor",
               {"depends on itself", "demand_factor", "grant_factor"});
}

}  // namespace
}  // namespace mcrisk
