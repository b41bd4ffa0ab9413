// The mcrisk command as a risk manager runs it: exit codes, printed output and
// the files it writes.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "command_line.h"

namespace {

namespace fs = std::filesystem;
using mcrisk::testing::CommandResult;
using mcrisk::testing::fresh_directory;
using mcrisk::testing::read_json;
using mcrisk::testing::run_mcrisk;
using mcrisk::testing::kR1;

TEST(Cli, CheckPrintsAnOutlineAndSucceeds) {
  const auto result = run_mcrisk("check " + kR1);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("realisation over cluster"), std::string::npos);
  EXPECT_NE(result.output.find("partner_withdrawal"), std::string::npos);
  EXPECT_NE(result.output.find(": OK"), std::string::npos);
}

TEST(Cli, PlanPrintsTheReportsTotals) {
  const auto result = run_mcrisk("plan " + kR1);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  for (const char* total : {"757,840", "1,162,640", "2,195,020", "2,614,020"}) {
    EXPECT_NE(result.output.find(total), std::string::npos) << total;
  }
}

TEST(Cli, RunWritesSummaryJsonAndCsvWithTheDocumentedShape) {
  const fs::path out = fresh_directory("run");
  const auto result = run_mcrisk("run " + kR1 + " --trials 4000 --seed 5 --threads 2 --out " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("P(loss)"), std::string::npos);
  const auto summary = read_json(out / "summary.json");
  EXPECT_EQ(summary["schema"], "mcrisk.summary/1");
  EXPECT_EQ(summary["model"]["config_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(summary["run"]["trials"], 4000);
  EXPECT_EQ(summary["run"]["seed"], 5);
  EXPECT_EQ(summary["run"]["threads"], 2);
  EXPECT_EQ(summary["run"]["sampling"], "mc");
  EXPECT_TRUE(summary["run"].contains("engine_version"));
  EXPECT_TRUE(summary["run"].contains("wall_seconds"));
  for (const char* id : {"1A", "1B", "2", "3"}) {
    const auto& option = summary["options"][id];
    for (const char* measure : {"total_net", "npv"}) {
      const auto& s = option[measure];
      for (const char* key : {"mean", "mean_se", "sd", "prob_loss", "expected_shortfall_5"}) EXPECT_TRUE(s[key].is_number()) << id << measure << key;
      EXPECT_EQ(s["mean_ci95"].size(), 2u);
      EXPECT_LT(s["mean_ci95"][0].get<double>(), s["mean_ci95"][1].get<double>());
      for (const char* p : {"P5", "P10", "P50", "P80", "P90", "P95"}) EXPECT_TRUE(s["percentiles"][p].is_number()) << p;
      EXPECT_LE(s["percentiles"]["P5"].get<double>(), s["percentiles"]["P95"].get<double>());
    }
    EXPECT_GE(option["prob_best"].get<double>(), 0.0);
    // Every figure carries its interval.
    const auto& total = option["total_net"];
    for (const char* p : {"P5", "P10", "P50", "P80", "P90", "P95"}) {
      ASSERT_EQ(total["percentiles_ci95"][p].size(), 2u) << p;
      EXPECT_LE(total["percentiles_ci95"][p][0].get<double>(), total["percentiles"][p].get<double>()) << p;
      EXPECT_GE(total["percentiles_ci95"][p][1].get<double>(), total["percentiles"][p].get<double>()) << p;
    }
    for (const char* key : {"prob_loss_ci95", "expected_shortfall_5_ci95"}) EXPECT_EQ(total[key].size(), 2u) << key;
    EXPECT_EQ(option["prob_best_ci95"].size(), 2u);
    EXPECT_TRUE(option["npv_green_book"]["mean"].is_number());
    EXPECT_TRUE(option["bcr"]["defined"].get<bool>());
    EXPECT_GT(option["bcr"]["planned"].get<double>(), 1.0);
    ASSERT_EQ(option["by_year"].size(), 4u);
    EXPECT_EQ(option["by_year"][0]["year"], "2010/11");
    EXPECT_TRUE(option["by_year"][3]["net"]["P90"].is_number());
  }
  // Six pairs of four options, each with P(A > B) and its interval.
  ASSERT_EQ(summary["comparisons"].size(), 6u);
  EXPECT_EQ(summary["comparisons"][0]["a"], "1A");
  EXPECT_EQ(summary["comparisons"][0]["b"], "1B");
  EXPECT_EQ(summary["comparisons"][0]["prob_a_better_ci95"].size(), 2u);
  EXPECT_EQ(summary["model"]["green_book"]["base_year"], "2010/11");
  double best = 0;
  for (const char* id : {"1A", "1B", "2", "3"}) best += summary["options"][id]["prob_best"].get<double>();
  EXPECT_NEAR(best, 1.0, 1e-12);

  std::ifstream csv(out / "summary.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("option,measure,planned,mean", 0), 0u) << header;
  int rows = 0;
  for (std::string line; std::getline(csv, line);) ++rows;
  EXPECT_EQ(rows, 12);  // total_net, npv and npv_green_book for each of 4 options
  // Nothing half-written is left behind.
  for (const auto& entry : fs::directory_iterator(out)) EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos);
  fs::remove_all(out);
}

TEST(Cli, SameSeedGivesIdenticalSummariesOnDifferentThreadCounts) {
  const fs::path a = fresh_directory("a"), b = fresh_directory("b");
  ASSERT_EQ(run_mcrisk("run " + kR1 + " -q --trials 3000 --seed 9 --threads 1 --out " + a.string()).exit_code, 0);
  ASSERT_EQ(run_mcrisk("run " + kR1 + " -q --trials 3000 --seed 9 --threads 2 --out " + b.string()).exit_code, 0);
  auto ja = read_json(a / "summary.json"), jb = read_json(b / "summary.json");
  EXPECT_EQ(ja["options"], jb["options"]);
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(Cli, StreamingStatisticsAreStatedAndIdenticalOnDifferentThreadCounts) {
  const fs::path a = fresh_directory("stream_a"), b = fresh_directory("stream_b");
  ASSERT_EQ(run_mcrisk("run " + kR1 + " -q --trials 20000 --statistics streaming --threads 1 --out " + a.string()).exit_code, 0);
  ASSERT_EQ(run_mcrisk("run " + kR1 + " -q --trials 20000 --statistics streaming --threads 2 --out " + b.string()).exit_code, 0);
  auto ja = read_json(a / "summary.json"), jb = read_json(b / "summary.json");
  EXPECT_EQ(ja["options"], jb["options"]);
  EXPECT_EQ(ja["comparisons"], jb["comparisons"]);
  EXPECT_EQ(ja["statistics"]["mode"], "streaming");
  EXPECT_EQ(ja["statistics"]["quantile_sketch"]["precision_bits"], 12);
  EXPECT_GT(ja["statistics"]["quantile_sketch"]["max_rank_error"].get<double>(), 0.0);
  const fs::path c = fresh_directory("exact");
  ASSERT_EQ(run_mcrisk("run " + kR1 + " -q --trials 2000 --out " + c.string()).exit_code, 0);
  EXPECT_EQ(read_json(c / "summary.json")["statistics"]["mode"], "exact");
  for (const auto& dir : {a, b, c}) fs::remove_all(dir);
}

TEST(Cli, RunsBeyondTheMemoryCapAreRefusedBeforeTheyStart) {
  const fs::path out = fresh_directory("memcap");
  const auto refused = run_mcrisk("run " + kR1 + " -q --trials 50000000 --statistics exact --memory-limit 1 --out " + out.string());
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("GiB of memory, over the cap of 1.00 GiB"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(out / "summary.json"));
  const auto streaming_refused = run_mcrisk("run " + kR1 + " -q --trials 1000 --statistics streaming --samples --out " + out.string());
  EXPECT_NE(streaming_refused.exit_code, 0);
  EXPECT_NE(streaming_refused.output.find("--samples and --report need every trial"), std::string::npos) << streaming_refused.output;
  fs::remove_all(out);
}

TEST(Cli, ReplayPrintsDriversAndEachOptionsYears) {
  const auto result = run_mcrisk("replay " + kR1 + " --seed 3 --trial 17");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("Trial 17 of seed 3"), std::string::npos);
  EXPECT_NE(result.output.find("grant_cut"), std::string::npos);
  EXPECT_NE(result.output.find("Option 3"), std::string::npos);
}

TEST(Cli, ConfigErrorsExitNonZeroNamingFileLineAndKey) {
  const fs::path directory = fresh_directory("bad");
  fs::create_directories(directory);
  const fs::path bad = directory / "bad.yaml";
  std::ifstream in(kR1);
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  const std::string from = "{type: pert, min: 0.00, mode: 0.10, max: 0.35}";
  ASSERT_NE(yaml.find(from), std::string::npos);
  yaml.replace(yaml.find(from), from.size(), "{type: pert, min: 0.00, mode: 0.50, max: 0.35}");
  std::ofstream(bad) << yaml;
  const auto result = run_mcrisk("check " + bad.string());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find(bad.string() + ":"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("drivers.grant_cut.distribution"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("mode"), std::string::npos) << result.output;
  fs::remove_all(directory);
}

TEST(Cli, MissingConfigAndBadUsageFail) {
  EXPECT_NE(run_mcrisk("run /nonexistent/model.yaml").exit_code, 0);
  EXPECT_NE(run_mcrisk("run").exit_code, 0);
  EXPECT_NE(run_mcrisk("frobnicate").exit_code, 0);
}

}  // namespace
