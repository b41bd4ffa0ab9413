#pragma once
// The model as the report's method appendix and the workbook's assumptions
// sheet show it: every driver with its distribution, planned value and
// rationale, every correlation, event, target and item, as plain JSON
// (DIR/model.json, schema "mcrisk.model_outline/1"). The charts script reads
// it beside summary.json, so the report needs no C++ knowledge of the model.

#include <nlohmann/json.hpp>

#include "mcrisk/model/model.h"

namespace mcrisk::report {

//! The outline of a model, schema "mcrisk.model_outline/1".
nlohmann::json model_outline_to_json(const model::Model& model);

}  // namespace mcrisk::report
