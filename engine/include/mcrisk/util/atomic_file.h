#pragma once
// Results are never left half-written: text goes to a temporary file beside
// the target, is flushed, and is renamed over the target in one step.

#include <filesystem>
#include <string_view>

namespace mcrisk::util {

//! Writes contents to path atomically (temporary file + rename). Throws std::runtime_error naming the path.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace mcrisk::util
