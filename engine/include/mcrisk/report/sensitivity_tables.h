#pragma once
// The Sobol indices and switching values as JSON (sections "sobol" and
// "switching_values" of sensitivity.json and of summary.json's "sensitivity")
// and as tables for the terminal. The tornado's own JSON and table are in
// summary_writer.h, which calls these.

#include <string>

#include <nlohmann/json.hpp>

#include "mcrisk/statistics/sobol_indices.h"
#include "mcrisk/statistics/switching_values.h"

namespace mcrisk::report {

//! Per option, every input group's first-order and total index with its interval, and the sums.
nlohmann::json sobol_to_json(const statistics::SobolAnalysis& analysis);
//! Per option, input groups by total index (largest first), with the group note.
std::string format_sobol_table(const statistics::SobolAnalysis& analysis);

//! Per option and driver, where expected NPV crosses zero; and where the two best options swap.
nlohmann::json switching_to_json(const statistics::SwitchingAnalysis& analysis);
//! The crossings found, and the drivers with none in range.
std::string format_switching_table(const statistics::SwitchingAnalysis& analysis, const std::string& currency);

}  // namespace mcrisk::report
