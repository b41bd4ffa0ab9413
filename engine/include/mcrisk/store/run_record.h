#pragma once
// Turning a run's summary (summary.json, schema mcrisk.summary/1) into what the
// run history keeps: headline figures with standard errors, the run's facts,
// and a hash of its results for bit-identity checks.

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "mcrisk/store/run_history.h"

namespace mcrisk::store {

//! The record of a successful run from its summary JSON (report::summary_to_json).
//! Fills the run's facts, figures and results_sha256; leaves status "ok" and the
//! command, batch, scenario, summary path and config text to the caller.
RunRecord record_from_summary(const nlohmann::json& summary);

//! SHA-256 (hex) of everything in a summary except the facts of how it was run
//! (the "run" block, the config's path, the memory estimate): two runs with the
//! same hash have bit-identical results.
std::string results_sha256(const nlohmann::json& summary);

//! A run read back from a summary.json file (for `mcrisk compare`), with the
//! config's text when the file it names still has the recorded SHA-256.
//! Throws std::runtime_error naming the file and the missing field.
RunRecord record_from_summary_file(const std::filesystem::path& file);

//! The config's text if the file exists, is at most 1 MiB and hashes to
//! expected_sha256 (any hash when empty); otherwise an empty string.
std::string read_config_text(const std::filesystem::path& file, const std::string& expected_sha256);


}  // namespace mcrisk::store
