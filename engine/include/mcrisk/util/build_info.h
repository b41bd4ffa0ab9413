#pragma once
// Which build of the engine produced a result: recorded in summary.json and in
// the run history, so a changed figure can be traced to a changed engine.

#include <string>

namespace mcrisk::util {

//! The git commit the engine was built from ("<sha>-dirty" with local changes, "unknown" outside git).
std::string engine_commit();
//! CMake build type, e.g. "Release".
std::string build_type();
//! Compiler and version, e.g. "GNU 12.2.0".
std::string compiler();

}  // namespace mcrisk::util
