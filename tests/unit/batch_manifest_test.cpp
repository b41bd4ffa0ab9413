// Batch manifests: the expansion config x scenario x seed x trials x sampling,
// defaults and paths, and every error with its exact file:line:column, key
// path and what was expected.

#include <gtest/gtest.h>

#include <string>

#include "config_edit.h"
#include "mcrisk/config/batch_manifest.h"
#include "mcrisk/config/config_error.h"

namespace mcrisk {
namespace {

using config::ConfigError;

const std::string kManifest = R"(mcrisk_batch: 1
out: results/nightly
defaults: {trials: 5000, seed: 3, sampling: mc, replicates: 8, statistics: auto, threads: 2}
runs:
  - config: a.yaml
    scenario: [base, deep_grant_cut]
    seed: [1, 2]
    sampling: [mc, sobol]
  - config: [b.yaml, /abs/c.yaml]
    trials: 100
    statistics: streaming
  - name: again
    config: a.yaml
)";

config::BatchManifest load(const std::string& text) { return config::load_batch_manifest_from_text(text, "m.yaml", "/base"); }

// The error of loading text: the whole what() text.
std::string error_of(const std::string& text) {
  try {
    load(text);
  } catch (const ConfigError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

TEST(BatchManifest, ExpandsEveryEntryToTheProductOfItsLists) {
  const auto manifest = load(kManifest);
  EXPECT_EQ(manifest.out, std::filesystem::path("/base/results/nightly"));
  EXPECT_EQ(manifest.threads, 2);
  ASSERT_EQ(manifest.runs.size(), 2u * 2u * 2u + 2u + 1u);
  const auto& first = manifest.runs[0];
  EXPECT_EQ(first.name, "a-s1-n5000-mc");
  EXPECT_EQ(first.config, std::filesystem::path("/base/a.yaml"));
  EXPECT_EQ(first.scenario, "");
  EXPECT_EQ(first.seed, 1u);
  EXPECT_EQ(first.trials, 5000u);
  EXPECT_EQ(first.replicates, 8u);
  EXPECT_EQ(first.statistics, "auto");
  EXPECT_EQ(first.where.line, 5);
  EXPECT_EQ(manifest.runs[1].name, "a-s1-n5000-sobol");
  EXPECT_EQ(manifest.runs[4].name, "a-deep_grant_cut-s1-n5000-mc");
  EXPECT_EQ(manifest.runs[4].scenario, "deep_grant_cut");
  EXPECT_EQ(manifest.runs[8].name, "b-s3-n100-mc");
  EXPECT_EQ(manifest.runs[8].statistics, "streaming");
  EXPECT_EQ(manifest.runs[9].config, std::filesystem::path("/abs/c.yaml"));
  EXPECT_EQ(manifest.runs[10].name, "again-s3-n5000-mc");
}

TEST(BatchManifest, SeedAndTrialsDefaultToTheConfigsOwn) {
  const auto manifest = load("runs:\n  - config: r1.yaml\n");
  ASSERT_EQ(manifest.runs.size(), 1u);
  EXPECT_FALSE(manifest.runs[0].seed);
  EXPECT_FALSE(manifest.runs[0].trials);
  EXPECT_EQ(manifest.runs[0].name, "r1-mc");
  EXPECT_EQ(manifest.out, std::filesystem::path("results/m"));  // results/<manifest name>, from the current folder
}

TEST(BatchManifest, UnknownKeysAreErrorsListingTheAllowedOnes) {
  EXPECT_EQ(error_of(testing::with(kManifest, "    seed: [1, 2]", "    seeds: [1, 2]")),
            "m.yaml:7:5: runs[0].seeds: unknown key 'seeds'; expected one of: name, config, scenario, seed, trials, sampling, replicates, "
            "statistics");
  EXPECT_EQ(error_of(testing::with(kManifest, "out: results/nightly", "output: results/nightly")),
            "m.yaml:2:1: output: unknown key 'output'; expected one of: mcrisk_batch, out, defaults, runs");
  EXPECT_EQ(error_of(testing::with(kManifest, "threads: 2}", "thread: 2}")),
            "m.yaml:3:82: defaults.thread: unknown key 'thread'; expected one of: trials, seed, sampling, replicates, statistics, threads");
}

TEST(BatchManifest, BadValuesSayWhatWasExpected) {
  EXPECT_EQ(error_of(testing::with(kManifest, "sampling: [mc, sobol]", "sampling: [mc, sobl]")),
            "m.yaml:8:20: runs[0].sampling[1]: expected mc, lhs or sobol, got 'sobl'");
  EXPECT_EQ(error_of(testing::with(kManifest, "trials: 100", "trials: 0")),
            "m.yaml:10:13: runs[1].trials: expected a whole number of trials >= 1 and at most 10^10, got '0'");
  EXPECT_EQ(error_of(testing::with(kManifest, "seed: [1, 2]", "seed: [1, -2]")),
            "m.yaml:7:15: runs[0].seed[1]: expected a whole number of a seed (0 to 2^64 - 1), got '-2'");
  EXPECT_EQ(error_of(testing::with(kManifest, "statistics: streaming", "statistics: fast")),
            "m.yaml:11:17: runs[1].statistics: expected auto, exact or streaming, got 'fast'");
  EXPECT_EQ(error_of(testing::with(kManifest, "seed: [1, 2]", "seed: []")),
            "m.yaml:7:11: runs[0].seed: expected a value or a non-empty list, got an empty list");
  EXPECT_EQ(error_of(testing::with(kManifest, "mcrisk_batch: 1", "mcrisk_batch: 2")),
            "m.yaml:1:15: mcrisk_batch: this mcrisk reads batch manifest version 1; got '2'");
}

TEST(BatchManifest, MissingAndEmptyPartsAreErrors) {
  EXPECT_EQ(error_of(""), "m.yaml:1:1: the batch manifest is empty");
  EXPECT_EQ(error_of("out: x\n"), "m.yaml:1:1: missing required key 'runs'");
  EXPECT_EQ(error_of("runs: []\n"), "m.yaml:1:7: runs: expected a non-empty list of runs ({config, scenario, seed, trials, sampling})");
  EXPECT_EQ(error_of("runs:\n  - seed: 1\n"), "m.yaml:2:5: runs[0]: missing required key 'config'");
  EXPECT_EQ(error_of("runs:\n  - config: {a: 1}\n"), "m.yaml:2:13: runs[0].config: expected text, got a mapping");
  EXPECT_EQ(error_of("runs:\n  - a.yaml\n"),
            "m.yaml:2:5: runs[0]: expected a mapping (a run: config, and optionally name, scenario, seed, trials, sampling, replicates, "
            "statistics), got 'a.yaml'");
}

TEST(BatchManifest, ARunMadeTwiceIsAnError) {
  EXPECT_EQ(error_of("runs:\n  - {config: a.yaml, seed: 1}\n  - {config: a.yaml, seed: [2, 1]}\n"),
            "m.yaml:3:5: runs[1]: this entry makes run 'a-s1-mc' again (first made by m.yaml:2:5: runs[0]); give the entry a different "
            "`name:` or remove the repeat");
}

TEST(BatchManifest, AMissingFileIsAnErrorNamingIt) {
  try {
    config::load_batch_manifest("/no/such/manifest.yaml");
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("/no/such/manifest.yaml: cannot read the batch manifest: ", 0), 0u) << error.what();
  }
}

}  // namespace
}  // namespace mcrisk
