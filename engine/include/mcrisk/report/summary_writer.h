#pragma once
// The report stage's machine-readable outputs (summary.json, schema
// "mcrisk.summary/1"; summary.csv) and the table printed on the terminal.

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/run_summary.h"
#include "mcrisk/statistics/scenarios.h"
#include "mcrisk/statistics/sensitivity.h"

namespace mcrisk::report {

//! The summary as JSON, schema "mcrisk.summary/1" (documented in docs/summary-schema.md).
nlohmann::json summary_to_json(const statistics::RunSummary& summary);

//! Same, with extra top-level sections (e.g. "sensitivity") added to summary.json.
void write_summary(const statistics::RunSummary& summary, const std::filesystem::path& directory, const nlohmann::json& extra_sections);

//! The base case and scenarios side by side, schema "mcrisk.scenarios/1".
nlohmann::json scenarios_to_json(const statistics::ScenarioComparison& comparison);
//! Writes DIR/scenarios.json atomically, creating DIR.
void write_scenarios(const statistics::ScenarioComparison& comparison, const std::filesystem::path& directory);
//! Per scenario and option: mean, P10, P90, P(loss) and their change against the base case.
std::string format_scenarios_table(const statistics::ScenarioComparison& comparison);

//! The tornado and rank correlations per option (summary.json's "sensitivity", and sensitivity.json's body).
nlohmann::json sensitivity_to_json(const statistics::SensitivityAnalysis& analysis);
//! Writes DIR/sensitivity.json (schema "mcrisk.sensitivity/1") atomically, creating DIR.
void write_sensitivity(const statistics::SensitivityAnalysis& analysis, const model::Model& model, const std::filesystem::path& directory);
//! Per option, drivers ranked by the swing of the mean (and, below, of P10 and ES5: the downside drivers).
std::string format_sensitivity_table(const statistics::SensitivityAnalysis& analysis, const std::string& currency);

//! One row per option and measure (total_net, npv).
std::string summary_to_csv(const statistics::RunSummary& summary);

//! Writes DIR/summary.json and DIR/summary.csv atomically, creating DIR.
void write_summary(const statistics::RunSummary& summary, const std::filesystem::path& directory);

//! Per-trial total net savings, in trial order: a header "trial,<option id>,...",
//! then one row per trial (shortest round-trip decimals), for re-plotting.
std::string samples_to_csv(const statistics::RunSummary& summary, const simulation::TrialOutputs& outputs);

//! Writes DIR/samples.csv atomically, creating DIR.
void write_samples(const statistics::RunSummary& summary, const simulation::TrialOutputs& outputs, const std::filesystem::path& directory);

//! The headline table for a terminal: per option, plan, mean with CI, P10/P50/P90, P(loss), ES5, P(best).
std::string format_summary_table(const statistics::RunSummary& summary);

//! Per-option, per-year gross, costs and net of one trial or of the plan.
std::string format_trial(const model::Model& model, const simulation::TrialRecord& record, bool show_drivers);

//! Money with thousands separators, rounded to the pound: "1,162,640".
std::string format_money(double amount);

}  // namespace mcrisk::report
