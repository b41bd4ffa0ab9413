#pragma once
// A YAML mapping that remembers which keys were read, so that every key the
// loader did not ask for is reported as an error (pbrt's ReportUnused): a typo
// never silently drops a risk. Private to the config stage.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mcrisk/config/config_error.h"

namespace mcrisk::config {

//! The largest config file read: 1 MiB.
inline constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;
//! The deepest nesting of mappings and lists accepted.
inline constexpr int kMaxConfigDepth = 64;

//! Parses a config's YAML text, first checking it as a stream of parser events:
//! no more than kMaxConfigBytes, one document, no anchors or aliases (yaml-cpp
//! expands aliases, so a few lines could build an enormous model), nesting no
//! deeper than kMaxConfigDepth. Syntax errors and each of these are ConfigErrors
//! with file:line:column and the key path.
YAML::Node parse_config_yaml(const std::string& text, const std::string& file);

//! "1,048,576".
std::string with_thousands(std::uint64_t value);

//! Location of a node in the file, with the key path that led to it.
SourceLocation location_of(const YAML::Node& node, const std::string& file, const std::string& key);

//! Reads the scalar `node` as a finite number; error at its location if it is not one.
double read_number(const YAML::Node& node, const std::string& file, const std::string& key);
//! Reads the scalar `node` as a whole number in [low, high]: "1,000", "1.5",
//! ".nan" or "1e30" are errors ("expected a whole number of <what> ...").
std::uint64_t read_whole_number(const YAML::Node& node, const std::string& file, const std::string& key,
                                const std::string& what, std::uint64_t low, std::uint64_t high,
                                const std::string& range_text);
//! Reads a scalar as text.
std::string read_text(const YAML::Node& node, const std::string& file, const std::string& key);
//! Reads a sequence of numbers.
std::vector<double> read_numbers(const YAML::Node& node, const std::string& file, const std::string& key);
//! Reads a sequence of strings.
std::vector<std::string> read_texts(const YAML::Node& node, const std::string& file, const std::string& key);

class YamlMap {
 public:
  //! node must be a mapping (error otherwise, naming what the mapping was for).
  YamlMap(const YAML::Node& node, std::string file, std::string key_path, const std::string& what);

  bool has(const std::string& key) const;
  //! The value at key; error naming the key if missing.
  YAML::Node required(const std::string& key);
  //! The value at key, or an undefined node.
  YAML::Node optional(const std::string& key);
  double number(const std::string& key);
  std::optional<double> optional_number(const std::string& key);
  std::string text(const std::string& key);
  std::string optional_text(const std::string& key, const std::string& fallback = "");
  //! The key path of a child, e.g. "drivers.grant_cut.planned".
  std::string child_path(const std::string& key) const;
  SourceLocation location() const;
  SourceLocation location(const std::string& key) const;
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  //! The keys in file order.
  std::vector<std::string> keys() const;
  //! Errors on the first key that was never read, listing the keys allowed here.
  void reject_unknown_keys(const std::vector<std::string>& allowed) const;

 private:
  YAML::Node node_;
  std::string file_;
  std::string path_;
  std::set<std::string> read_;
};

}  // namespace mcrisk::config
