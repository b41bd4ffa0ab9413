#pragma once
// The config stage: a YAML file in, a validated model out. Every error names
// file, line, column and key and says what was expected; unknown keys are
// errors. The language is documented in docs/config-language.md.

#include <filesystem>
#include <string>

#include "mcrisk/model/model.h"

namespace mcrisk::config {

//! Reads and validates a model config. Throws ConfigError.
model::Model load_model(const std::filesystem::path& file);

//! Same, from text (file_name is used in error messages and in the model).
model::Model load_model_from_text(const std::string& yaml_text, const std::string& file_name);

//! Adds the scenarios of an overlay file (top-level `scenarios:` only, the same
//! syntax as in a config) to a loaded model. Throws ConfigError with locations
//! in the overlay.
model::Model add_scenarios(model::Model model, const std::filesystem::path& file);
//! Same, from text.
model::Model add_scenarios_from_text(model::Model model, const std::string& yaml_text, const std::string& file_name);

}  // namespace mcrisk::config
