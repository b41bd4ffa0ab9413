// Comparing two runs: the noise rule (z from both standard errors, |z| > 3),
// bit-identical figures, the differences between two config texts, and the
// figures and standard errors read from a summary.

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "mcrisk/store/run_comparison.h"
#include "mcrisk/store/run_record.h"

namespace mcrisk {
namespace {

using store::RunRecord;

RunRecord run_with_mean(double mean, double se) {
  RunRecord run;
  run.config_sha256 = "same";
  run.options.push_back({"A", mean, se, 10, 1, 20, 30, 1, 0.1, 0.01, 0, 0.5});
  return run;
}

const store::FigureChange& figure(const store::RunComparison& comparison, const std::string& measure) {
  for (const auto& f : comparison.figures)
    if (f.measure == measure) return f;
  throw std::runtime_error("no " + measure);
}

TEST(RunComparison, ZScoreUsesBothStandardErrors) {
  // z = (110 - 100) / sqrt(3^2 + 4^2) = 2: within noise.
  const auto within = store::compare_runs(run_with_mean(100, 3), run_with_mean(110, 4));
  EXPECT_DOUBLE_EQ(figure(within, "mean").z, 2.0);
  EXPECT_FALSE(figure(within, "mean").beyond_noise);
  EXPECT_EQ(within.beyond_noise, 0u);
  // z = 30 / 5 = 6: beyond.
  const auto beyond = store::compare_runs(run_with_mean(100, 3), run_with_mean(130, 4));
  EXPECT_DOUBLE_EQ(figure(beyond, "mean").z, 6.0);
  EXPECT_TRUE(figure(beyond, "mean").beyond_noise);
  EXPECT_EQ(beyond.beyond_noise, 1u);
  // Exactly at the threshold is not beyond it: z = 15 / 5 = 3.
  EXPECT_FALSE(figure(store::compare_runs(run_with_mean(100, 3), run_with_mean(115, 4)), "mean").beyond_noise);
}

TEST(RunComparison, IdenticalFiguresAndZeroErrors) {
  const auto same = store::compare_runs(run_with_mean(100, 3), run_with_mean(100, 3));
  for (const auto& f : same.figures) {
    EXPECT_TRUE(f.identical) << f.measure;
    EXPECT_EQ(f.z, 0.0);
  }
  // No noise at all (a constant model) and a difference: infinitely many SEs.
  const auto exact = store::compare_runs(run_with_mean(100, 0), run_with_mean(100.5, 0));
  EXPECT_TRUE(std::isinf(figure(exact, "mean").z));
  EXPECT_TRUE(figure(exact, "mean").beyond_noise);
}

TEST(RunComparison, UnknownStandardErrorsGiveNoVerdict) {
  const auto comparison = store::compare_runs(run_with_mean(100, std::nan("")), run_with_mean(200, 3));
  EXPECT_TRUE(std::isnan(figure(comparison, "mean").z));
  EXPECT_FALSE(figure(comparison, "mean").beyond_noise);
  EXPECT_TRUE(store::comparison_to_json(comparison, {}, {})["figures"][0]["z"].is_null());
}

TEST(RunComparison, OptionsInOnlyOneRunAreListed) {
  RunRecord a = run_with_mean(1, 1), b = run_with_mean(1, 1);
  b.options[0].option = "B";
  const auto comparison = store::compare_runs(a, b);
  EXPECT_TRUE(comparison.figures.empty());
  EXPECT_EQ(comparison.options_only_in_a, std::vector<std::string>{"A"});
  EXPECT_EQ(comparison.options_only_in_b, std::vector<std::string>{"B"});
}

TEST(RunComparison, SettingsThatDifferAreListed) {
  RunRecord a = run_with_mean(1, 1), b = run_with_mean(1, 1);
  a.seed = 1;
  b.seed = 2;
  b.scenario = "deep_grant_cut";
  const auto comparison = store::compare_runs(a, b);
  ASSERT_EQ(comparison.settings.size(), 2u);
  EXPECT_EQ(comparison.settings[0].key, "scenario");
  EXPECT_EQ(comparison.settings[0].a, "(base case)");
  EXPECT_EQ(comparison.settings[0].b, "deep_grant_cut");
  EXPECT_EQ(comparison.settings[1].key, "seed");
  EXPECT_EQ(comparison.settings[1].a, "1");
  EXPECT_EQ(comparison.settings[1].b, "2");
}

TEST(RunComparison, ConfigDifferencesByKeyPath) {
  const std::string a = "model: {name: M, discount_rate: 0.035}\nrun: {trials: 100}\nlist: [1, 2, 3]\ndrivers:\n  g: {type: pert, min: 0, mode: 1, max: 2}\n";
  const std::string b = "# a comment\nmodel: {name: M, discount_rate: 0.03}\nrun: {trials: 100, seed: 4}\nlist: [1, 5]\ndrivers:\n  g: {type: pert, min: 0, mode: 1, max: 2}\n";
  const auto differences = store::diff_config_texts(a, b);
  ASSERT_EQ(differences.size(), 4u);
  EXPECT_EQ(differences[0].key, "model.discount_rate");
  EXPECT_EQ(differences[0].a, "0.035");
  EXPECT_EQ(differences[0].b, "0.03");
  EXPECT_EQ(differences[1].key, "run.seed");
  EXPECT_EQ(differences[1].a, "(absent)");
  EXPECT_EQ(differences[1].b, "4");
  EXPECT_EQ(differences[2].key, "list[1]");
  EXPECT_EQ(differences[3].key, "list[2]");
  EXPECT_EQ(differences[3].b, "(absent)");
  EXPECT_TRUE(store::diff_config_texts(a, "# only a comment differs\n" + a).empty());
  EXPECT_THROW(store::diff_config_texts(a, "a: [unclosed"), std::runtime_error);
}

TEST(RunComparison, ConfigTextsComparedWhenBothKnown) {
  RunRecord a = run_with_mean(1, 1), b = run_with_mean(1, 1);
  a.config_sha256 = "x";
  b.config_sha256 = "y";
  a.config_text = "run: {seed: 1}\n";
  const auto unknown = store::compare_runs(a, b);
  EXPECT_FALSE(unknown.config_texts_known);
  EXPECT_NE(store::format_comparison(unknown, a, b).find("not available"), std::string::npos);
  b.config_text = "run: {seed: 2}\n";
  const auto known = store::compare_runs(a, b);
  ASSERT_EQ(known.config.size(), 1u);
  EXPECT_EQ(known.config[0].key, "run.seed");
  EXPECT_NE(store::format_comparison(known, a, b).find("run.seed: 1 -> 2"), std::string::npos);
}

TEST(RunRecord, FiguresAndStandardErrorsFromASummary) {
  const nlohmann::json summary = nlohmann::json::parse(R"({
    "schema": "mcrisk.summary/1",
    "model": {"config_file": "c.yaml", "config_sha256": "abc"},
    "run": {"trials": 1000, "seed": 7, "threads": 2, "sampling": "lhs", "replicate_size": 100, "engine_version": "0.1.0",
            "engine_commit": "deadbeef", "wall_seconds": 0.5},
    "statistics": {"mode": "exact", "memory_estimate_bytes": 5},
    "option_order": ["Z", "A"],
    "options": {
      "A": {"total_net": {"mean": 1, "mean_se": 0.1, "percentiles": {"P10": -1, "P50": 1, "P90": 3},
            "percentiles_ci95": {"P10": [-1.98, -0.02], "P90": [2, 4]}, "prob_loss": 0.2, "prob_loss_ci95": [0.1, 0.3],
            "expected_shortfall_5": -2}, "prob_best": 0.25},
      "Z": {"total_net": {"mean": 2, "mean_se": 0.2, "percentiles": {"P10": 0, "P50": 2, "P90": 4},
            "percentiles_ci95": {"P10": [0, 0], "P90": [4, 4]}, "prob_loss": 0, "prob_loss_ci95": [0, 0],
            "expected_shortfall_5": 0}, "prob_best": 0.75}}})");
  const RunRecord run = store::record_from_summary(summary);
  EXPECT_EQ(run.config_path, "c.yaml");
  EXPECT_EQ(run.seed, 7u);
  EXPECT_EQ(run.trials, 1000u);
  EXPECT_EQ(run.replicate_size, 100u);
  EXPECT_EQ(run.engine_commit, "deadbeef");
  EXPECT_EQ(run.trials_per_second, 2000.0);
  ASSERT_EQ(run.options.size(), 2u);
  EXPECT_EQ(run.options[0].option, "Z");  // option_order, not the object's key order
  const auto& a = run.options[1];
  EXPECT_NEAR(a.p10_se, 0.98 / 1.959963984540054, 1e-12);
  EXPECT_NEAR(a.p90_se, 1 / 1.959963984540054, 1e-12);
  EXPECT_NEAR(a.prob_loss_se, 0.1 / 1.959963984540054, 1e-12);
  EXPECT_EQ(a.prob_best, 0.25);
  // The results hash ignores how the run was made (threads, wall time, path, memory estimate), not what it found.
  nlohmann::json other = summary;
  other["run"]["threads"] = 1;
  other["run"]["wall_seconds"] = 9;
  other["model"]["config_file"] = "elsewhere/c.yaml";
  other["statistics"]["memory_estimate_bytes"] = 6;
  EXPECT_EQ(store::results_sha256(other), run.results_sha256);
  other["options"]["A"]["total_net"]["mean"] = 1.0000000000000002;
  EXPECT_NE(store::results_sha256(other), run.results_sha256);
  nlohmann::json broken = summary;
  broken["options"]["A"]["total_net"].erase("mean_se");
  try {
    store::record_from_summary(broken);
    FAIL();
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "summary.options.A.total_net: no \"mean_se\"");
  }
}

}  // namespace
}  // namespace mcrisk
