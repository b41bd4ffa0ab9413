#pragma once
// Editing a known-good config text in one place, and finding where an edit
// landed, for tests that assert an error's exact line and column.

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace mcrisk::testing {

//! `text` with the one occurrence of `from` replaced by `to` (a test error if
//! `from` is missing or not unique, so that an edit never lands in the wrong place).
inline std::string with(const std::string& text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  if (at == std::string::npos) {
    ADD_FAILURE() << "'" << from << "' is not in the config";
    return text;
  }
  if (text.find(from, at + 1) != std::string::npos) ADD_FAILURE() << "'" << from << "' occurs more than once";
  std::string result = text;
  result.replace(at, from.size(), to);
  return result;
}

struct Position {
  int line = 0;
  int column = 0;
};

//! 1-based position of the character at byte offset `at`.
inline Position position_at(const std::string& text, std::size_t at) {
  Position position{1, 1};
  for (std::size_t i = 0; i < at && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++position.line;
      position.column = 1;
    } else {
      ++position.column;
    }
  }
  return position;
}

//! 1-based line and column of the unique occurrence of `needle` in `text`,
//! moved `shift` characters right (to point inside the needle).
inline Position position_of(const std::string& text, std::string_view needle, int shift = 0) {
  const auto at = text.find(needle);
  if (at == std::string::npos) {
    ADD_FAILURE() << "'" << needle << "' is not in the config";
    return {};
  }
  if (text.find(needle, at + 1) != std::string::npos) ADD_FAILURE() << "'" << needle << "' occurs more than once";
  Position position = position_at(text, at);
  position.column += shift;
  return position;
}

}  // namespace mcrisk::testing
