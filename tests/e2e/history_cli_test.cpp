// `mcrisk batch`, `mcrisk history` and `mcrisk compare` as a user runs them,
// and how `run` records into the run history.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "command_line.h"
#include "config_edit.h"

namespace {

namespace fs = std::filesystem;
using mcrisk::testing::CommandResult;
using mcrisk::testing::run_mcrisk;
using mcrisk::testing::kR1;

// Every run the e2e tests make is recorded in a temporary history, never in the
// user's own, also when this program is run by hand (ctest sets MCRISK_HISTORY too).
const bool kHistoryIsolated = [] {
  ::setenv("MCRISK_HISTORY", (fs::temp_directory_path() / ("mcrisk_e2e_history_" + std::to_string(::getpid()) + ".sqlite")).c_str(), 0);
  return true;
}();

// An empty directory of the test's own, created.
fs::path fresh_directory(const std::string& name) {
  const fs::path directory = mcrisk::testing::fresh_directory(name);
  fs::create_directories(directory);
  return directory;
}

nlohmann::json parse(const CommandResult& result) {
  try {
    return nlohmann::json::parse(result.output);
  } catch (const std::exception& error) {
    ADD_FAILURE() << "not JSON (" << error.what() << "):\n" << result.output;
    return {};
  }
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(BatchCli, CarriesOnPastAFailingRunReportsEachAndExitsNonZero) {
  const fs::path folder = fresh_directory("batch");
  const fs::path history = folder / "h.sqlite";
  write(folder / "batch.yaml", "mcrisk_batch: 1\nout: out\ndefaults: {trials: 2000, seed: 11}\nruns:\n"
                               "  - config: " + kR1 + "\n    scenario: no_such_scenario\n"
                               "  - config: " + kR1 + "\n");
  const auto result = run_mcrisk("batch " + (folder / "batch.yaml").string() + " --threads 2 --history " + history.string() + " --label b1");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  // The status table: the failed run with its reason, the good run with where its results are.
  EXPECT_NE(result.output.find("triborough_2010-no_such_scenario-s11-n2000-mc  FAILED"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("unknown scenario 'no_such_scenario'"), std::string::npos);
  EXPECT_NE(result.output.find("triborough_2010-s11-n2000-mc                   ok"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("1 of 2 run(s) succeeded, 1 failed"), std::string::npos);
  const fs::path summary = folder / "out" / "triborough_2010-s11-n2000-mc" / "summary.json";
  ASSERT_TRUE(fs::exists(summary));
  EXPECT_EQ(nlohmann::json::parse(read(summary))["run"]["seed"], 11);
  EXPECT_FALSE(nlohmann::json::parse(read(summary))["run"]["engine_commit"].get<std::string>().empty());
  EXPECT_FALSE(fs::exists(folder / "out" / "triborough_2010-no_such_scenario-s11-n2000-mc" / "summary.json"));

  // Both are in the history, the failed one as failed, in the batch's label.
  const auto listed = parse(run_mcrisk("history --json --batch b1 --history " + history.string()));
  ASSERT_EQ(listed["runs"].size(), 2u) << listed.dump(2);
  const auto& good = listed["runs"][0];
  const auto& bad = listed["runs"][1];
  EXPECT_EQ(good["status"], "ok");
  EXPECT_EQ(good["command"], "batch");
  EXPECT_EQ(good["seed"], 11);
  EXPECT_EQ(good["trials"], 2000);
  EXPECT_EQ(good["threads"], 2);
  EXPECT_EQ(good["config_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(good["options"].size(), 4u);
  EXPECT_GT(good["trials_per_second"].get<double>(), 0);
  EXPECT_FALSE(good["engine_commit"].get<std::string>().empty());
  EXPECT_EQ(bad["status"], "failed");
  EXPECT_EQ(bad["scenario"], "no_such_scenario");
  EXPECT_NE(bad["error"].get<std::string>().find("unknown scenario"), std::string::npos);
}

TEST(BatchCli, AnInvalidManifestRunsNothing) {
  const fs::path folder = fresh_directory("bad_manifest");
  write(folder / "batch.yaml", "runs:\n  - config: x.yaml\n    sampling: lhx\n");
  const auto result = run_mcrisk("batch " + (folder / "batch.yaml").string() + " --history " + (folder / "h.sqlite").string());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("batch.yaml:3:15: runs[0].sampling: expected mc, lhs or sobol, got 'lhx'"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(folder / "h.sqlite"));
}

TEST(HistoryCli, RunIsRecordedAndListedWithFilters) {
  const fs::path folder = fresh_directory("list");
  const std::string history = " --history " + (folder / "h.sqlite").string();
  ASSERT_EQ(run_mcrisk("run " + kR1 + " -n 1000 -s 1 -q -o " + (folder / "a").string() + history).exit_code, 0);
  ASSERT_EQ(run_mcrisk("run " + kR1 + " -n 1000 -s 2 -q -o " + (folder / "b").string() + history).exit_code, 0);
  EXPECT_EQ(run_mcrisk("run /no/such/config.yaml" + history).exit_code, 1);
  const auto table = run_mcrisk("history" + history);
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.output.find("3 run(s) shown"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("failed: /no/such/config.yaml: cannot open the config file"), std::string::npos) << table.output;
  const auto newest = parse(run_mcrisk("history --json --limit 1" + history));
  ASSERT_EQ(newest["runs"].size(), 1u);
  EXPECT_EQ(newest["runs"][0]["status"], "failed");
  const auto r1_only = parse(run_mcrisk("history --json --config triborough" + history));
  ASSERT_EQ(r1_only["runs"].size(), 2u);
  EXPECT_EQ(r1_only["runs"][0]["seed"], 2);
  EXPECT_EQ(r1_only["runs"][0]["summary"], (folder / "b" / "summary.json").string());
  // --no-history records nothing, and recording changes no result: run 1 and this one are bit-identical.
  ASSERT_EQ(run_mcrisk("run " + kR1 + " -n 1000 -s 1 -q --no-history -o " + (folder / "c").string()).exit_code, 0);
  EXPECT_EQ(parse(run_mcrisk("history --json" + history))["runs"].size(), 3u);
  EXPECT_TRUE(parse(run_mcrisk("compare 1 " + (folder / "c").string() + " --json" + history))["results_identical"].get<bool>());
  // --version names the engine's commit.
  EXPECT_NE(run_mcrisk("--version").output.find("(commit "), std::string::npos);
}

TEST(HistoryCli, AHistoryThatCannotBeWrittenWarnsByDefaultAndFailsWhenChosen) {
  const fs::path folder = fresh_directory("unwritable");
  // The default location (here $MCRISK_HISTORY) unusable: a warning, the run succeeds.
  const auto warned = run_mcrisk("run " + kR1 + " -n 1000 -q -o " + (folder / "a").string(), "MCRISK_HISTORY=/proc/none/h.sqlite");
  EXPECT_EQ(warned.exit_code, 0) << warned.output;
  EXPECT_NE(warned.output.find("warning: the run is not recorded in the run history"), std::string::npos) << warned.output;
  EXPECT_TRUE(fs::exists(folder / "a" / "summary.json"));
  // Chosen with --history: an error (exit 1), though the results are written.
  const auto failed = run_mcrisk("run " + kR1 + " -n 1000 -q -o " + (folder / "b").string() + " --history /proc/none/h.sqlite");
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_NE(failed.output.find("error: could not record the run in the run history given with --history"), std::string::npos) << failed.output;
  EXPECT_TRUE(fs::exists(folder / "b" / "summary.json"));
}

TEST(HistoryCli, ScenariosAreRecordedOnePerScenarioWithoutStandardErrors) {
  const fs::path folder = fresh_directory("scenarios");
  const std::string history = " --history " + (folder / "h.sqlite").string();
  ASSERT_EQ(run_mcrisk("scenarios " + kR1 + " -n 1000 -s 4 --only deep_grant_cut -o " + (folder / "s").string() + history).exit_code, 0);
  const auto listed = parse(run_mcrisk("history --json" + history));
  ASSERT_EQ(listed["runs"].size(), 2u);
  EXPECT_EQ(listed["runs"][0]["command"], "scenarios");
  EXPECT_EQ(listed["runs"][0]["scenario"], "deep_grant_cut");
  EXPECT_EQ(listed["runs"][1]["scenario"], "");
  EXPECT_EQ(listed["runs"][1]["seed"], 4);
  EXPECT_TRUE(listed["runs"][1]["options"][0]["mean_se"].is_null());  // unknown, not zero
  const auto compared = run_mcrisk("compare 1 2" + history);
  EXPECT_EQ(compared.exit_code, 0) << compared.output;
  EXPECT_NE(compared.output.find("changed (no standard error to judge noise)"), std::string::npos) << compared.output;
}

TEST(CompareCli, SameSeedTwiceIsIdentical) {
  const fs::path folder = fresh_directory("same");
  const std::string history = " --history " + (folder / "h.sqlite").string();
  ASSERT_EQ(run_mcrisk("run " + kR1 + " -n 3000 -s 5 -t 1 -q -o " + (folder / "a").string() + history).exit_code, 0);
  ASSERT_EQ(run_mcrisk("run " + kR1 + " -n 3000 -s 5 -t 2 -q -o " + (folder / "b").string() + history).exit_code, 0);
  const auto result = parse(run_mcrisk("compare 1 2 --json" + history));
  EXPECT_TRUE(result["results_identical"].get<bool>());
  EXPECT_EQ(result["beyond_noise"], 0);
  ASSERT_EQ(result["figures"].size(), 16u);
  for (const auto& figure : result["figures"]) {
    EXPECT_TRUE(figure["identical"].get<bool>()) << figure.dump();
    EXPECT_EQ(figure["change"], 0.0);
  }
  EXPECT_TRUE(result["config"].empty());
  // From the two summary.json files, the same answer.
  const auto files = run_mcrisk("compare " + (folder / "a").string() + " " + (folder / "b" / "summary.json").string());
  EXPECT_EQ(files.exit_code, 0);
  EXPECT_NE(files.output.find("0 of 16 figures beyond noise; the results are bit-identical"), std::string::npos) << files.output;
  EXPECT_NE(files.output.find("|z| > 3"), std::string::npos);
}

TEST(CompareCli, DifferentSeedsAreWithinNoise) {
  const fs::path folder = fresh_directory("seeds");
  const std::string history = " --history " + (folder / "h.sqlite").string();
  ASSERT_EQ(run_mcrisk("run " + kR1 + " -n 4000 -s 1 -q -o " + (folder / "a").string() + history).exit_code, 0);
  ASSERT_EQ(run_mcrisk("run " + kR1 + " -n 4000 -s 2 -q -o " + (folder / "b").string() + history).exit_code, 0);
  const auto result = run_mcrisk("compare 1 2 --fail-on-change" + history);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("0 of 16 figures beyond noise."), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("seed: 1 -> 2"), std::string::npos);
  EXPECT_NE(result.output.find("config: the same text (same SHA-256)"), std::string::npos);
}

TEST(CompareCli, AScenarioWithARealChangeIsFlaggedAndTheConfigDifferenceNamed) {
  const fs::path folder = fresh_directory("scenario");
  const std::string history = " --history " + (folder / "h.sqlite").string();
  write(folder / "batch.yaml", "defaults: {trials: 4000, seed: 3}\nruns:\n  - config: " + kR1 + "\n    scenario: [base, deep_grant_cut]\n");
  ASSERT_EQ(run_mcrisk("batch " + (folder / "batch.yaml").string() + history).exit_code, 0);
  const auto result = run_mcrisk("compare 1 2 --json --fail-on-change" + history);
  EXPECT_EQ(result.exit_code, 3) << result.output;
  const auto comparison = parse(result);
  EXPECT_GT(comparison["beyond_noise"].get<int>(), 0);
  bool mean_flagged = false;
  for (const auto& figure : comparison["figures"])
    if (figure["measure"] == "mean" && figure["beyond_noise"].get<bool>() && figure["change"].get<double>() < 0) mean_flagged = true;
  EXPECT_TRUE(mean_flagged) << comparison.dump(2);
  ASSERT_FALSE(comparison["settings"].empty());
  EXPECT_EQ(comparison["settings"][0]["key"], "scenario");
  EXPECT_EQ(comparison["settings"][0]["b"], "deep_grant_cut");

  // An edited config: the key that changed is named, from the texts kept in the history.
  const std::string edited = mcrisk::testing::with(read(kR1), "discount_rate: 0.035", "discount_rate: 0.05");
  write(folder / "edited.yaml", edited);
  ASSERT_EQ(run_mcrisk("run " + (folder / "edited.yaml").string() + " -n 4000 -s 3 -q -o " + (folder / "e").string() + history).exit_code, 0);
  fs::remove(folder / "edited.yaml");  // the history has its text
  const auto differences = run_mcrisk("compare 1 3" + history);
  EXPECT_EQ(differences.exit_code, 0) << differences.output;
  EXPECT_NE(differences.output.find("model.discount_rate: 0.035 -> 0.05"), std::string::npos) << differences.output;
}

TEST(CompareCli, BadReferencesAreClearErrors) {
  const fs::path folder = fresh_directory("bad_refs");
  const std::string history = " --history " + (folder / "h.sqlite").string();
  const auto missing = run_mcrisk("compare 7 8" + history);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("no run 7 in the run history"), std::string::npos) << missing.output;
  const auto no_file = run_mcrisk("compare " + (folder / "nothing.json").string() + " 1" + history);
  EXPECT_EQ(no_file.exit_code, 1);
  EXPECT_NE(no_file.output.find("nothing.json: cannot open"), std::string::npos) << no_file.output;
}

}  // namespace
