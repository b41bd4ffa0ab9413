#include "yaml_map.h"

#include <cmath>
#include <cstdlib>

namespace mcrisk::config {

namespace {

std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "nothing";
  }
}

std::string join(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) text += (text.empty() ? "" : ", ") + word;
  return text;
}

}  // namespace

SourceLocation location_of(const YAML::Node& node, const std::string& file, const std::string& key) {
  SourceLocation where{file, 0, 0, key};
  if (node.IsDefined()) {
    const YAML::Mark mark = node.Mark();
    if (mark.line >= 0) {
      where.line = mark.line + 1;
      where.column = mark.column + 1;
    }
  }
  return where;
}

double read_number(const YAML::Node& node, const std::string& file, const std::string& key) {
  if (!node.IsScalar()) throw ConfigError(location_of(node, file, key), "expected a number, got " + kind_of(node));
  const std::string& text = node.Scalar();
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value)) {
    throw ConfigError(location_of(node, file, key), "expected a finite number, got '" + text + "'");
  }
  return value;
}

std::string read_text(const YAML::Node& node, const std::string& file, const std::string& key) {
  if (!node.IsScalar()) throw ConfigError(location_of(node, file, key), "expected text, got " + kind_of(node));
  return node.Scalar();
}

std::vector<double> read_numbers(const YAML::Node& node, const std::string& file, const std::string& key) {
  if (!node.IsSequence()) throw ConfigError(location_of(node, file, key), "expected a list of numbers, got " + kind_of(node));
  std::vector<double> values;
  for (std::size_t i = 0; i < node.size(); ++i) {
    values.push_back(read_number(node[i], file, key + "[" + std::to_string(i) + "]"));
  }
  return values;
}

std::vector<std::string> read_texts(const YAML::Node& node, const std::string& file, const std::string& key) {
  if (!node.IsSequence()) throw ConfigError(location_of(node, file, key), "expected a list, got " + kind_of(node));
  std::vector<std::string> values;
  for (std::size_t i = 0; i < node.size(); ++i) {
    values.push_back(read_text(node[i], file, key + "[" + std::to_string(i) + "]"));
  }
  return values;
}

YamlMap::YamlMap(const YAML::Node& node, std::string file, std::string key_path, const std::string& what)
    : node_(node), file_(std::move(file)), path_(std::move(key_path)) {
  if (!node_.IsMap()) {
    throw ConfigError(location_of(node_, file_, path_), "expected a mapping (" + what + "), got " + kind_of(node_));
  }
  // YAML parsers keep only one of two equal keys: a repeated line would be dropped without a word.
  std::set<std::string> seen;
  for (const auto& entry : node_) {
    if (!entry.first.IsScalar()) {
      throw ConfigError(location_of(entry.first, file_, path_), "expected a name as key, got " + kind_of(entry.first));
    }
    const std::string& key = entry.first.Scalar();
    if (!seen.insert(key).second) {
      throw ConfigError(location_of(entry.first, file_, child_path(key)), "duplicate key '" + key + "'; each key may be given once");
    }
  }
}

bool YamlMap::has(const std::string& key) const { return node_[key].IsDefined(); }

std::string YamlMap::child_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

SourceLocation YamlMap::location() const { return location_of(node_, file_, path_); }

SourceLocation YamlMap::location(const std::string& key) const {
  const YAML::Node child = node_[key];
  return child.IsDefined() ? location_of(child, file_, child_path(key)) : location_of(node_, file_, child_path(key));
}

YAML::Node YamlMap::required(const std::string& key) {
  read_.insert(key);
  YAML::Node child = node_[key];
  if (!child.IsDefined()) throw ConfigError(location(), "missing required key '" + key + "'");
  if (child.IsNull()) {
    // The key is there with nothing after it: point at the key, not at the mapping.
    for (const auto& entry : node_) {
      if (entry.first.Scalar() == key) throw ConfigError(location_of(entry.first, file_, child_path(key)), "required key '" + key + "' has no value");
    }
  }
  return child;
}

YAML::Node YamlMap::optional(const std::string& key) {
  read_.insert(key);
  return node_[key];
}

double YamlMap::number(const std::string& key) { return read_number(required(key), file_, child_path(key)); }

std::optional<double> YamlMap::optional_number(const std::string& key) {
  const YAML::Node child = optional(key);
  if (!child.IsDefined()) return std::nullopt;
  return read_number(child, file_, child_path(key));
}

std::string YamlMap::text(const std::string& key) { return read_text(required(key), file_, child_path(key)); }

std::string YamlMap::optional_text(const std::string& key, const std::string& fallback) {
  const YAML::Node child = optional(key);
  if (!child.IsDefined()) return fallback;
  return read_text(child, file_, child_path(key));
}

std::vector<std::string> YamlMap::keys() const {
  std::vector<std::string> names;
  for (const auto& entry : node_) names.push_back(entry.first.as<std::string>());
  return names;
}

void YamlMap::reject_unknown_keys(const std::vector<std::string>& allowed) const {
  for (const auto& entry : node_) {
    const std::string key = entry.first.as<std::string>();
    if (read_.count(key) == 0) {
      throw ConfigError(location_of(entry.first, file_, child_path(key)),
                        "unknown key '" + key + "'; expected one of: " + join(allowed));
    }
  }
}

}  // namespace mcrisk::config
