// `mcrisk run --samples`, `mcrisk report` and their errors, as a user runs them.
// (The report itself is checked in a real browser by report_browser_test.py.)

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
using mcrisk::testing::read_text;
using mcrisk::testing::run_mcrisk;
using mcrisk::testing::run_command;
using mcrisk::testing::kR1;

TEST(ReportCli, SamplesHoldEveryTrialsTotalPerOptionInTrialOrder) {
  const fs::path out = fresh_directory("samples");
  const auto result = run_mcrisk("run " + kR1 + " --trials 1000 --seed 3 --samples --quiet --out " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::ifstream in(out / "samples.csv");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "trial,1A,1B,2,3");
  std::size_t rows = 0;
  double sum_3 = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string field;
    std::getline(fields, field, ',');
    EXPECT_EQ(std::stoul(field), rows);
    double value = 0;
    for (int column = 0; column < 4; ++column) {
      ASSERT_TRUE(std::getline(fields, field, ','));
      value = std::stod(field);
    }
    sum_3 += value;
    ++rows;
  }
  EXPECT_EQ(rows, 1000u);
  const auto summary = nlohmann::json::parse(read_text(out / "summary.json"));
  EXPECT_NEAR(sum_3 / 1000.0, summary["options"]["3"]["total_net"]["mean"].get<double>(), 1e-6);
  EXPECT_FALSE(fs::exists(out / "report.html"));
  fs::remove_all(out);
}

TEST(ReportCli, ReportWithoutSamplesSaysHowToGetThem) {
  const fs::path out = fresh_directory("nosamples");
  ASSERT_EQ(run_mcrisk("run " + kR1 + " --trials 500 --quiet --out " + out.string()).exit_code, 0);
  const auto result = run_mcrisk("report " + out.string() + " --config " + kR1);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("samples.csv"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("--samples"), std::string::npos) << result.output;
  fs::remove_all(out);
}

TEST(ReportCli, ReportRefusesAConfigOtherThanTheRunsOne) {
  const fs::path out = fresh_directory("otherconfig");
  ASSERT_EQ(run_mcrisk("run " + kR1 + " --trials 500 --samples --quiet --out " + out.string()).exit_code, 0);
  const fs::path other = out / "other.yaml";
  std::ofstream(other) << read_text(kR1) << "\n# edited\n";
  const auto result = run_mcrisk("report " + out.string() + " --config " + other.string());
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("is not the one the run"), std::string::npos) << result.output;
  fs::remove_all(out);
}

TEST(ReportCli, ReportWritesHtmlChartsWorkbookAndModelOutline) {
  const fs::path out = fresh_directory("full");
  ASSERT_EQ(run_mcrisk("run " + kR1 + " --trials 2000 --samples --quiet --out " + out.string()).exit_code, 0);
  const auto result = run_mcrisk("report " + out.string() + " --config " + kR1);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find((out / "report.html").string()), std::string::npos) << result.output;
  for (const char* chart : {"distribution", "s_curves", "fan", "tornado"}) {
    EXPECT_GT(fs::file_size(out / "charts" / (std::string(chart) + ".png")), 1000u) << chart;
    EXPECT_GT(fs::file_size(out / "charts" / (std::string(chart) + ".svg")), 1000u) << chart;
  }
  const std::string workbook = read_text(out / "summary.xlsx");
  ASSERT_GT(workbook.size(), 4u);
  EXPECT_EQ(workbook.substr(0, 2), "PK");  // a zip, as every .xlsx is
  const auto outline = nlohmann::json::parse(read_text(out / "model.json"));
  EXPECT_EQ(outline["schema"], "mcrisk.model_outline/1");
  EXPECT_EQ(outline["drivers"].size(), 9u);
  EXPECT_FALSE(outline["drivers"][0]["rationale"].get<std::string>().empty());
  EXPECT_EQ(outline["events"][0]["name"], "partner_withdrawal");
  // The same inputs give the same report, byte for byte.
  const std::string first = read_text(out / "report.html");
  ASSERT_EQ(run_mcrisk("report " + out.string() + " --config " + kR1).exit_code, 0);
  EXPECT_EQ(read_text(out / "report.html"), first);
  // No temporary files left behind.
  for (const auto& entry : fs::recursive_directory_iterator(out)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  }
  fs::remove_all(out);
}

TEST(ReportCli, MissingPythonIsAClearError) {
  const fs::path out = fresh_directory("nopython");
  ASSERT_EQ(run_mcrisk("run " + kR1 + " --trials 500 --samples --quiet --out " + out.string()).exit_code, 0);
  const auto result = run_command("MCRISK_PYTHON=/nonexistent/python3 " + std::string(MCRISK_BINARY) + " report " + out.string() + " --config " + kR1);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("python3-matplotlib"), std::string::npos) << result.output;
  fs::remove_all(out);
}

TEST(ReportCli, ProgressLinesAreLoggedWhenStderrIsNotATerminal) {
  const fs::path out = fresh_directory("progress");
  const auto result = run_mcrisk("run " + kR1 + " --trials 20000 --log-level info --out " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("mcrisk: info: progress 100%: 20000/20000 trials"), std::string::npos) << result.output;
  fs::remove_all(out);
}

}  // namespace
