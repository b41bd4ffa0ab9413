#pragma once
// The report stage's machine-readable outputs (summary.json, schema
// "mcrisk.summary/1"; summary.csv) and the table printed on the terminal.

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/run_summary.h"

namespace mcrisk::report {

//! The summary as JSON, schema "mcrisk.summary/1" (documented in docs/summary-schema.md).
nlohmann::json summary_to_json(const statistics::RunSummary& summary);

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
