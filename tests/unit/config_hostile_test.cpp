// Hostile and mistaken configs, beyond the corpus of config_error_test.cpp:
// files over 1 MiB, YAML anchors and aliases (no billion laughs), nesting deeper
// than 64 levels, a second YAML document, numbers that are not whole where a
// whole number is expected, NaN and infinity in every YAML spelling, trial
// counts of 0 or beyond the cap, empty models, and every input the fuzzer
// (tests/fuzz/config_fuzzer.cpp) has found to misbehave. Each case checks the
// exact 1-based line and column, the key path and the words of the message.

#include <gtest/gtest.h>

#include "config_edit.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
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

const std::string kBase = R"(mcrisk: 1
model:
  name: Hostile base
  description: A small model that loads and compiles.
  years: [Y1, Y2]
  discount_rate: 0.035
run:
  trials: 1000
  seed: 7
drivers:
  grant_cut:
    distribution: {type: uniform, min: 0, max: 0.3}
    planned: 0
  delay:
    distribution: {type: normal, p10: 1, p90: 6}
    planned: 0
  realisation:
    distribution: {type: pert, min: 0.5, mode: 0.9, max: 1.0}
    planned: 1
derived:
  grant_factor: 1 - 0.5 * grant_cut
savings_items:
  service:
    factors: [realisation, grant_factor]
    delay_months: delay
cost_items:
  redundancy: {count: 3, unit_cost: 40000}
options:
  A:
    savings:
      service: [100, 1000]
    cost_phasing: [1, 0]
  B:
    savings:
      service: [0, 2000]
    cost_phasing: [0.5, 0.5]
)";

// ---- helpers (as in config_error_test.cpp) ---------------------------------------

using mcrisk::testing::position_at;
using mcrisk::testing::position_of;
using mcrisk::testing::Position;
using mcrisk::testing::with;

model::Model load(const std::string& text) { return config::load_model_from_text(text, "bad.yaml"); }

ConfigError load_error(const std::string& text) {
  try {
    load(text);
  } catch (const ConfigError& error) {
    return error;
  }
  ADD_FAILURE() << "the config loaded without error";
  return ConfigError({}, "");
}

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
  std::string prefix = "bad.yaml";
  if (at.line > 0) prefix += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
  prefix += ": ";
  if (!key.empty()) prefix += key + ": ";
  EXPECT_EQ(std::string(error.what()), prefix + error.message());
}

// ---- the base model ------------------------------------------------------------

TEST(ConfigHostile, BaseModelLoadsAndCompiles) {
  model::Model model;
  ASSERT_NO_THROW(model = load(kBase));
  EXPECT_EQ(model.drivers.size(), 3u);
  EXPECT_EQ(model.options.size(), 2u);
  EXPECT_EQ(model.run.trials, 1000u);
  EXPECT_NO_THROW(simulation::EvaluationPlan::compile(model));
}

// ---- size -------------------------------------------------------------------------

TEST(ConfigHostile, TextOverOneMiBIsRejectedWithItsSize) {
  const std::string text = kBase + "#" + std::string((1u << 20) - kBase.size() - 1, 'x') + "\n";  // 1 MiB + 1 byte
  ASSERT_EQ(text.size(), (1u << 20) + 1);
  expect_error(load_error(text), {0, 0}, "", {"1,048,577 bytes", "the limit is 1 MiB", "1,048,576 bytes"});
}

TEST(ConfigHostile, TextOfExactlyOneMiBLoads) {
  std::string text = kBase + "#";
  text += std::string((1u << 20) - text.size() - 1, 'x') + "\n";
  ASSERT_EQ(text.size(), 1u << 20);
  EXPECT_NO_THROW(load(text));
}

TEST(ConfigHostile, FileOverOneMiBIsRejectedBeforeItIsRead) {
  const auto path = std::filesystem::temp_directory_path() / ("mcrisk_big_" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(path, std::ios::binary);
    out << kBase;
    out << "#" << std::string(2'000'000 - kBase.size() - 2, 'x') << "\n";
  }
  ASSERT_EQ(std::filesystem::file_size(path), 2'000'000u);
  try {
    config::load_model(path);
    ADD_FAILURE() << "a 2 MB config loaded";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.where().file, path.string());
    EXPECT_EQ(std::string(error.what()), path.string() + ": the config file is 2,000,000 bytes; the limit is 1 MiB (1,048,576 bytes)");
  }
  std::filesystem::remove(path);
}

// ---- anchors and aliases ----------------------------------------------------------

TEST(ConfigHostile, AnchorOnAScalarIsRejected) {
  const std::string text = with(kBase, "grant_factor: 1 - 0.5", "grant_factor: &g 1 - 0.5");
  expect_error(load_error(text), position_of(text, "&g"), "derived.grant_factor", {"anchors ('&g')", "not allowed", "write each value out"});
}

TEST(ConfigHostile, AnchorOnAMappingIsRejected) {
  const std::string text = with(kBase, "distribution: {type: uniform", "distribution: &flat {type: uniform");
  expect_error(load_error(text), position_of(text, "&flat"), "drivers.grant_cut.distribution", {"anchors ('&flat')"});
}

TEST(ConfigHostile, MergeKeyWithAnAliasIsRejectedAtTheAnchor) {
  const std::string text = with(kBase, "    cost_phasing: [1, 0]\n", "    cost_phasing: &phasing [1, 0]\n") ;
  const std::string aliased = with(text, "    cost_phasing: [0.5, 0.5]\n", "    cost_phasing: *phasing\n");
  expect_error(load_error(aliased), position_of(aliased, "&phasing"), "options.A.cost_phasing", {"anchors ('&phasing')"});
}

TEST(ConfigHostile, BillionLaughsIsRejectedAtOnceAtTheFirstAnchor) {
  std::string text = "mcrisk: 1\nlol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 10; ++i) {
    text += "lol" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 9; ++j) text += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
    text += "]\n";
  }
  const auto started = std::chrono::steady_clock::now();
  expect_error(load_error(text), position_of(text, "&a0"), "lol0", {"anchors ('&a0')", "not allowed"});
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
}

TEST(ConfigHostile, AliasWithoutAnAnchorIsASyntaxError) {
  const std::string text = with(kBase, "    cost_phasing: [0.5, 0.5]\n", "    cost_phasing: *nowhere\n");
  expect_error(load_error(text), position_of(text, "*nowhere"), "", {"YAML syntax error", "anchor"});
}

// ---- nesting ------------------------------------------------------------------------

//! kBase with the description replaced by `levels` nested flow lists.
std::string nested_description(int levels) {
  return with(kBase, "description: A small model that loads and compiles.",
              "description: " + std::string(static_cast<std::size_t>(levels), '[') + "x" +
                  std::string(static_cast<std::size_t>(levels), ']'));
}

TEST(ConfigHostile, NestingDeeperThan64LevelsIsRejected) {
  // The top mapping is level 1 and `model` level 2, so the 63rd '[' opens level 65.
  const std::string text = nested_description(100);
  const auto first = text.find("[[");
  std::string key = "model.description";
  for (int i = 0; i < 62; ++i) key += "[0]";
  expect_error(load_error(text), position_at(text, first + 62), key, {"nested more than 64 levels"});
}

TEST(ConfigHostile, NestingOf64LevelsIsParsedAndThenTypeChecked) {
  const std::string text = nested_description(62);  // deepest list at level 64
  expect_error(load_error(text), position_of(text, "description: [", 13), "model.description", {"expected text, got a list"});
}

TEST(ConfigHostile, DeeplyNestedMappingsAreRejectedWithoutExhaustingTheStack) {
  std::string text = "mcrisk: 1\nmodel: ";
  for (int i = 0; i < 100000; ++i) text += "{a: ";
  const std::string error = load_error(text).message();
  EXPECT_NE(error.find("nested more than 64 levels"), std::string::npos) << error;
}

TEST(ConfigHostile, DeeplyNestedBlockMappingsAreRejected) {
  std::string text = "model:\n";
  for (int i = 1; i <= 70; ++i) text += std::string(static_cast<std::size_t>(i), ' ') + "k" + std::to_string(i) + ":\n";
  std::string key = "model";
  for (int i = 1; i <= 63; ++i) key += ".k" + std::to_string(i);
  // Level 65 is the mapping that starts at key k64 (line 65, indented 64 spaces).
  expect_error(load_error(text), {65, 65}, key, {"nested more than 64 levels"});
}

// ---- one document -------------------------------------------------------------------

TEST(ConfigHostile, SecondYamlDocumentIsRejected) {
  const std::string text = kBase + "---\nrun: {trials: 5}\n";
  expect_error(load_error(text), position_of(text, "---\n"), "", {"one YAML document", "second"});
}

// ---- whole numbers --------------------------------------------------------------------

TEST(ConfigHostile, TrialsWithAThousandsSeparator) {
  const std::string text = with(kBase, "trials: 1000", "trials: 1,000");
  expect_error(load_error(text), position_of(text, "1,000"), "run.trials", {"expected a whole number of trials", "got '1,000'"});
}

TEST(ConfigHostile, TrialsWithAFraction) {
  const std::string text = with(kBase, "trials: 1000", "trials: 1.5");
  expect_error(load_error(text), position_of(text, "1.5"), "run.trials", {"expected a whole number of trials", "got '1.5'"});
}

TEST(ConfigHostile, TrialsNotANumber) {
  const std::string text = with(kBase, "trials: 1000", "trials: .nan");
  expect_error(load_error(text), position_of(text, ".nan"), "run.trials", {"expected a whole number of trials", "got '.nan'"});
}

TEST(ConfigHostile, TrialsInfinite) {
  const std::string text = with(kBase, "trials: 1000", "trials: .inf");
  expect_error(load_error(text), position_of(text, ".inf"), "run.trials", {"expected a whole number of trials", "got '.inf'"});
}

TEST(ConfigHostile, TrialsNegative) {
  const std::string text = with(kBase, "trials: 1000", "trials: -5");
  expect_error(load_error(text), position_of(text, "-5"), "run.trials", {"expected a whole number of trials", ">= 1", "got '-5'"});
}

TEST(ConfigHostile, TrialsInHexadecimal) {
  const std::string text = with(kBase, "trials: 1000", "trials: 0x10");
  expect_error(load_error(text), position_of(text, "0x10"), "run.trials", {"expected a whole number of trials", "got '0x10'"});
}

TEST(ConfigHostile, TrialsZero) {
  const std::string text = with(kBase, "trials: 1000", "trials: 0");
  expect_error(load_error(text), position_of(text, "0\n  seed"), "run.trials", {"expected a whole number of trials", ">= 1", "got '0'"});
}

TEST(ConfigHostile, TrialsBeyondTheCapNameTheCap) {
  const std::string text = with(kBase, "trials: 1000", "trials: 10000000001");
  expect_error(load_error(text), position_of(text, "10000000001"), "run.trials",
               {"at most the cap of 10^10 (10,000,000,000)", "got '10000000001'"});
}

TEST(ConfigHostile, TrialsAsAList) {
  const std::string text = with(kBase, "trials: 1000", "trials: [1000]");
  expect_error(load_error(text), position_of(text, "[1000]"), "run.trials", {"expected a whole number of trials", "got a list"});
}

TEST(ConfigHostile, TrialsAtTheCapAndInExponentFormLoad) {
  EXPECT_EQ(load(with(kBase, "trials: 1000", "trials: 10000000000")).run.trials, 10'000'000'000u);
  EXPECT_EQ(load(with(kBase, "trials: 1000", "trials: 1e6")).run.trials, 1'000'000u);
  EXPECT_EQ(load(with(kBase, "trials: 1000", "trials: 2000.0")).run.trials, 2'000u);
}

TEST(ConfigHostile, SeedWithAThousandsSeparator) {
  const std::string text = with(kBase, "seed: 7", "seed: 7,000");
  expect_error(load_error(text), position_of(text, "7,000"), "run.seed", {"expected a whole number seed", "'7,000'"});
}

TEST(ConfigHostile, SeedWithAFraction) {
  const std::string text = with(kBase, "seed: 7", "seed: 7.5");
  expect_error(load_error(text), position_of(text, "7.5"), "run.seed", {"expected a whole number seed", "'7.5'"});
}

TEST(ConfigHostile, SeedNotANumber) {
  const std::string text = with(kBase, "seed: 7", "seed: .nan");
  expect_error(load_error(text), position_of(text, ".nan"), "run.seed", {"expected a whole number seed", "'.nan'"});
}

TEST(ConfigHostile, SeedBeyondSixtyFourBits) {
  const std::string text = with(kBase, "seed: 7", "seed: 18446744073709551616");
  expect_error(load_error(text), position_of(text, "18446744073709551616"), "run.seed", {"expected a whole number seed", "2^64-1"});
}

// ---- NaN and infinity anywhere numeric --------------------------------------------------

struct NonFinite {
  std::string_view from;
  std::string_view to;
  std::string_view value;  // as it appears in the edited text
  std::string key;
};

TEST(ConfigHostile, NanAndInfinityInEverySpellingAreRejected) {
  const NonFinite cases[] = {
      {"discount_rate: 0.035", "discount_rate: .nan", ".nan", "model.discount_rate"},
      {"discount_rate: 0.035", "discount_rate: .NaN", ".NaN", "model.discount_rate"},
      {"discount_rate: 0.035", "discount_rate: nan", "nan", "model.discount_rate"},
      {"max: 0.3}", "max: .inf}", ".inf", "drivers.grant_cut.distribution.max"},
      {"max: 0.3}", "max: .Inf}", ".Inf", "drivers.grant_cut.distribution.max"},
      {"min: 0, max", "min: -.inf, max", "-.inf", "drivers.grant_cut.distribution.min"},
      {"min: 0, max", "min: -inf, max", "-inf", "drivers.grant_cut.distribution.min"},
      {"p90: 6}", "p90: infinity}", "infinity", "drivers.delay.distribution.p90"},
      {"p90: 6}", "p90: 1e400}", "1e400", "drivers.delay.distribution.p90"},
      {"    planned: 1\n", "    planned: .NAN\n", ".NAN", "drivers.realisation.planned"},
      {"service: [100, 1000]", "service: [100, .inf]", ".inf", "options.A.savings.service[1]"},
      {"cost_phasing: [0.5, 0.5]", "cost_phasing: [.nan, 0.5]", ".nan", "options.B.cost_phasing[0]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.to));
    const std::string text = with(kBase, c.from, c.to);
    expect_error(load_error(text), position_of(text, c.to, static_cast<int>(c.to.find(c.value))), c.key,
                 {"expected a finite number", "'" + std::string(c.value) + "'"});
  }
}

TEST(ConfigHostile, InfiniteNumberInAnExpression) {
  const std::string text = with(kBase, "grant_factor: 1 - 0.5 * grant_cut", "grant_factor: 1 - 1e400 * grant_cut");
  const ConfigError error = load_error(text);
  EXPECT_EQ(error.where().key, "derived.grant_factor");
  EXPECT_EQ(error.where().line, position_of(text, "1e400").line);
  EXPECT_EQ(error.where().column, position_of(text, "1e400").column);
  EXPECT_NE(error.message().find("out of range"), std::string::npos) << error.what();
}

// ---- empty models -------------------------------------------------------------------------

TEST(ConfigHostile, NoDrivers) {
  const std::string start = kBase.substr(0, kBase.find("drivers:\n"));
  const std::string text = start + "drivers: {}\n" + kBase.substr(kBase.find("derived:\n"));
  expect_error(load_error(text), position_of(text, "{}\n"), "drivers", {"expected at least one driver"});
}

TEST(ConfigHostile, NoOptions) {
  const std::string text = kBase.substr(0, kBase.find("options:\n")) + "options: {}\n";
  expect_error(load_error(text), position_of(text, "{}\n"), "options", {"expected at least one option"});
}

TEST(ConfigHostile, OptionsWithoutAValue) {
  const std::string text = kBase.substr(0, kBase.find("options:\n")) + "options:\n";
  expect_error(load_error(text), position_of(text, "options:"), "options", {"'options' has no value"});
}

TEST(ConfigHostile, DriversAsAList) {
  const std::string start = kBase.substr(0, kBase.find("drivers:\n"));
  const std::string text = start + "drivers: []\n" + kBase.substr(kBase.find("derived:\n"));
  expect_error(load_error(text), position_of(text, "[]\n"), "drivers", {"expected a mapping", "a list"});
}

TEST(ConfigHostile, OnlyAVersion) {
  expect_error(load_error("mcrisk: 1\n"), {1, 1}, "", {"missing required key 'model'"});
}

// ---- keys -------------------------------------------------------------------------------------

TEST(ConfigHostile, DuplicateTopLevelSection) {
  const std::string text = kBase + "run:\n  trials: 5\n";
  expect_error(load_error(text), position_of(text, "run:\n  trials: 5"), "run", {"duplicate key 'run'"});
}

TEST(ConfigHostile, ListAsAKey) {
  const std::string text = with(kBase, "  grant_factor: 1 - 0.5 * grant_cut\n", "  grant_factor: 1 - 0.5 * grant_cut\n  ? [a, b]\n  : 1\n");
  expect_error(load_error(text), position_of(text, "[a, b]"), "derived", {"expected a name as key", "a list"});
}

}  // namespace
}  // namespace mcrisk
