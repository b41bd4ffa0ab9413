#pragma once
// Where a piece of the model came from, and the error a user sees when the
// config is wrong: always file, line, column and key, then what was expected.

#include <stdexcept>
#include <string>

namespace mcrisk::config {

//! A place in a config file: 1-based line and column, and the dotted key path.
struct SourceLocation {
  std::string file;
  int line = 0;    //!< 1-based; 0 when unknown
  int column = 0;  //!< 1-based; 0 when unknown
  std::string key; //!< e.g. "drivers.grant_cut.distribution.mode"

  //! "file:line:column: key" (parts that are unknown are left out).
  std::string describe() const;
};

//! An invalid config. what() reads "file:line:col: key: message".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(SourceLocation where, const std::string& message);
  const SourceLocation& where() const { return where_; }
  //! The message without the location prefix.
  const std::string& message() const { return message_; }

 private:
  SourceLocation where_;
  std::string message_;
};

}  // namespace mcrisk::config
