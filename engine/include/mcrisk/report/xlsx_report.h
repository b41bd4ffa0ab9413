#pragma once
// DIR/summary.xlsx for risk managers who work in a spreadsheet (libxlsxwriter):
// sheets Headline (per option: plan, mean with CI, percentiles, P(loss), ES,
// P(best), targets), By year (P10/P50/P90 of net savings per option and year),
// Comparisons (every pair on the same trials), Assumptions (drivers with
// distribution, planned value and rationale; correlations; events) and Run
// (trials, seed, sampling, engine version, config hash).

#include <filesystem>

#include <nlohmann/json.hpp>

namespace mcrisk::report {

//! Writes the workbook from summary.json ("mcrisk.summary/1") and the model
//! outline ("mcrisk.model_outline/1") to path, atomically (temporary + rename).
void write_summary_workbook(const nlohmann::json& summary, const nlohmann::json& model_outline, const std::filesystem::path& path);

}  // namespace mcrisk::report
