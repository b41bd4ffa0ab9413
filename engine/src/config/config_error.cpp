#include "mcrisk/config/config_error.h"

namespace mcrisk::config {

std::string SourceLocation::describe() const {
  std::string text = file.empty() ? std::string("<config>") : file;
  if (line > 0) {
    text += ":" + std::to_string(line);
    if (column > 0) text += ":" + std::to_string(column);
  }
  if (!key.empty()) text += ": " + key;
  return text;
}

ConfigError::ConfigError(SourceLocation where, const std::string& message)
    : std::runtime_error(where.describe() + ": " + message), where_(std::move(where)), message_(message) {}

}  // namespace mcrisk::config
