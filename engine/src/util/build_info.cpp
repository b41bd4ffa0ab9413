#include "mcrisk/util/build_info.h"

// Generated at every build (engine/cmake/build_info.cmake). Only this file
// includes it, so a new commit recompiles one small file.
#include "mcrisk/build_info_generated.h"

namespace mcrisk::util {

std::string engine_commit() { return MCRISK_ENGINE_COMMIT; }
std::string build_type() { return MCRISK_BUILD_TYPE; }
std::string compiler() { return MCRISK_COMPILER; }

}  // namespace mcrisk::util
