// `mcrisk sensitivity` and `mcrisk run --sensitivity` as a user runs them: the
// tornado, Sobol indices with their note and intervals, switching values, the
// flags that size or skip them, and the JSON they write.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "command_line.h"

namespace {

namespace fs = std::filesystem;
using mcrisk::testing::CommandResult;
using mcrisk::testing::fresh_directory;
using mcrisk::testing::read_json;
using mcrisk::testing::run_mcrisk;
using mcrisk::testing::kR1;

const std::string kLinear = std::string(MCRISK_SOURCE_DIR) + "/configs/analytic/linear_tornado.yaml";
TEST(SensitivityCli, PrintsAndWritesTornadoSobolAndSwitchingValues) {
  const auto directory = fresh_directory("sensitivity");
  const auto result =
      run_mcrisk("sensitivity " + kR1 + " -n 2000 --sobol-trials 1024 --bootstrap 50 --switching-trials 1000 -o " + directory.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const char* text : {"Sobol indices of total net savings: N = 1024", "50 resamples", "correlated drivers are treated as one group",
                           "demand_pressure + grant_cut *", "event partner_withdrawal", "Switching values", "none in range",
                           "downside drivers"}) {
    EXPECT_NE(result.output.find(text), std::string::npos) << text << "\n" << result.output;
  }
  const auto json = read_json(directory / "sensitivity.json");
  EXPECT_EQ(json["schema"], "mcrisk.sensitivity/1");
  const auto& sobol = json["sobol"];
  EXPECT_EQ(sobol["trials"], 1024);
  EXPECT_EQ(sobol["model_runs"], 1024 * (9 + 2));
  EXPECT_EQ(sobol["bootstrap_resamples"], 50);
  ASSERT_EQ(sobol["groups"].size(), 9u);
  EXPECT_TRUE(sobol["groups"][2]["correlated"].get<bool>());
  const auto& index = sobol["options"]["2"]["indices"][0];
  EXPECT_LE(index["first_order_ci95"][0].get<double>(), index["first_order_ci95"][1].get<double>());
  const auto& switching = json["switching_values"];
  EXPECT_EQ(switching["measure"], "npv_green_book");
  EXPECT_EQ(switching["trials"], 1000);
  EXPECT_EQ(switching["range_percentiles"][0], 0.5);
  EXPECT_EQ(switching["ranking"]["best"], "3");
  fs::remove_all(directory);
}

TEST(SensitivityCli, NoSobolAndNoSwitchingSkipThem) {
  const auto directory = fresh_directory("sensitivity_skip");
  const auto result = run_mcrisk("sensitivity " + kLinear + " -n 1000 --no-sobol --no-switching -o " + directory.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find("Sobol indices"), std::string::npos);
  EXPECT_EQ(result.output.find("Switching values"), std::string::npos);
  const auto json = read_json(directory / "sensitivity.json");
  EXPECT_FALSE(json.contains("sobol"));
  EXPECT_FALSE(json.contains("switching_values"));
  EXPECT_EQ(json["options"]["linear"]["ranking"]["by_mean"][0], "x4");
  fs::remove_all(directory);
}

TEST(SensitivityCli, RunWithSensitivityAddsTheSectionToSummaryJson) {
  const auto directory = fresh_directory("run_sensitivity");
  const auto result =
      run_mcrisk("run " + kLinear + " -n 2000 --sensitivity --sobol-trials 512 --bootstrap 20 -o " + directory.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("Drivers that move each option's total most"), std::string::npos) << result.output;
  const auto json = read_json(directory / "summary.json");
  ASSERT_TRUE(json.contains("sensitivity"));
  EXPECT_EQ(json["sensitivity"]["sobol"]["trials"], 512);
  EXPECT_EQ(json["sensitivity"]["switching_values"]["trials"], 2000);  // min(trials, 20000)
  fs::remove_all(directory);
}

TEST(SensitivityCli, TooFewSobolTrialsIsAUsageError) {
  const auto result = run_mcrisk("sensitivity " + kLinear + " --sobol-trials 1");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("--sobol-trials"), std::string::npos) << result.output;
}

}  // namespace
