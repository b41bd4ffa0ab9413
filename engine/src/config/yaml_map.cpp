#include "yaml_map.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

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

// Checks the parser's events before any node is built: anchors and aliases,
// nesting depth and a second document are errors, located and with the key path.
class ConfigEventChecker : public YAML::EventHandler {
 public:
  explicit ConfigEventChecker(const std::string& file) : file_(file) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      throw ConfigError(where(mark, ""), "a config file holds one YAML document; a second one starts here ('---')");
    }
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor, nullptr); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override {
    throw ConfigError(where(mark, current_path()),
                      "YAML aliases ('*name') are not allowed; write the value out in full");
  }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor, const std::string& value) override {
    leaf(mark, anchor, &value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(mark, anchor, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open(mark, anchor, true);
  }
  void OnMapEnd() override { close(); }
  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    throw ConfigError(where(mark, current_path()), "YAML anchors ('&" + name +
                                                       "') and aliases are not allowed (an alias can expand a small "
                                                       "file into an enormous model); write each value out in full");
  }

 private:
  struct Frame {
    bool map = false;
    bool expecting_key = true;  // maps: the next node is a key
    std::string key;            // maps: the key of the value being read
    std::size_t index = 0;      // lists: the index of the next item
    std::string path;
  };

  SourceLocation where(const YAML::Mark& mark, const std::string& key) const {
    return {file_, mark.line >= 0 ? mark.line + 1 : 0, mark.line >= 0 ? mark.column + 1 : 0, key};
  }
  // The key path of the node that starts now.
  std::string current_path() const {
    if (stack_.empty()) return "";
    const Frame& top = stack_.back();
    if (!top.map) return top.path + "[" + std::to_string(top.index) + "]";
    if (top.expecting_key) return top.path;
    return top.path.empty() ? top.key : top.path + "." + top.key;
  }
  void check_anchor(const YAML::Mark& mark, YAML::anchor_t anchor) const {
    if (anchor != YAML::NullAnchor) {
      throw ConfigError(where(mark, current_path()), "YAML anchors and aliases are not allowed; write each value out in full");
    }
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string* value) {
    check_anchor(mark, anchor);
    finished(value ? *value : std::string("~"));
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool map) {
    check_anchor(mark, anchor);
    Frame frame;
    frame.map = map;
    frame.path = current_path();
    stack_.push_back(std::move(frame));
    if (stack_.size() > static_cast<std::size_t>(kMaxConfigDepth)) {
      throw ConfigError(where(mark, stack_.back().path), "mappings and lists are nested more than " +
                                                             std::to_string(kMaxConfigDepth) + " levels deep");
    }
  }
  void close() {
    if (!stack_.empty()) stack_.pop_back();
    finished("?");
  }
  // A node has been read completely: it was a key, a value or a list item.
  void finished(const std::string& text) {
    if (stack_.empty()) return;
    Frame& top = stack_.back();
    if (!top.map) {
      ++top.index;
    } else if (top.expecting_key) {
      top.key = text;
      top.expecting_key = false;
    } else {
      top.expecting_key = true;
    }
  }

  const std::string& file_;
  int documents_ = 0;
  std::vector<Frame> stack_;
};

}  // namespace

std::string with_thousands(std::uint64_t value) {
  std::string digits = std::to_string(value);
  for (auto at = static_cast<std::ptrdiff_t>(digits.size()) - 3; at > 0; at -= 3) digits.insert(static_cast<std::size_t>(at), ",");
  return digits;
}

YAML::Node parse_config_yaml(const std::string& text, const std::string& file) {
  if (text.size() > kMaxConfigBytes) {
    throw ConfigError({file, 0, 0, ""}, "the config file is " + with_thousands(text.size()) +
                                            " bytes; the limit is 1 MiB (" + with_thousands(kMaxConfigBytes) + " bytes)");
  }
  try {
    {
      std::istringstream stream(text);
      YAML::Parser parser(stream);
      ConfigEventChecker checker(file);
      while (parser.HandleNextDocument(checker)) {
      }
    }
    return YAML::Load(text);
  } catch (const YAML::ParserException& error) {
    SourceLocation where{file, error.mark.line + 1, error.mark.column + 1, ""};
    throw ConfigError(where, "YAML syntax error: " + error.msg);
  }
}

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

std::uint64_t read_whole_number(const YAML::Node& node, const std::string& file, const std::string& key,
                                const std::string& what, std::uint64_t low, std::uint64_t high,
                                const std::string& range_text) {
  const std::string expected = "expected a whole number of " + what + " " + range_text;
  if (!node.IsScalar()) throw ConfigError(location_of(node, file, key), expected + ", got " + kind_of(node));
  const std::string& text = node.Scalar();
  // Digits, optionally with a fraction of zeros or an exponent ("1e6"): no signs,
  // no thousands separators, no hexadecimal, no .nan or .inf.
  const bool plain = !text.empty() && std::isdigit(static_cast<unsigned char>(text[0])) &&
                     text.find_first_not_of("0123456789.eE+") == std::string::npos;
  char* end = nullptr;
  const double value = plain ? std::strtod(text.c_str(), &end) : 0.0;
  if (!plain || end != text.c_str() + text.size() || !std::isfinite(value) || value != std::floor(value) ||
      value < static_cast<double>(low) || value > static_cast<double>(high)) {
    throw ConfigError(location_of(node, file, key), expected + ", got '" + text + "'");
  }
  return static_cast<std::uint64_t>(value);
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
