# Writes OUTPUT (a header) with the git commit of SOURCE_DIR, "-dirty" when
# tracked files differ from it, or "unknown" outside a git checkout. Run at
# every build (not at configure time) so the commit is never stale; the file is
# rewritten only when its text changes, so an unchanged commit rebuilds nothing.
find_package(Git QUIET)
set(commit "unknown")
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse HEAD
                  OUTPUT_VARIABLE head RESULT_VARIABLE head_result OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(head_result EQUAL 0 AND head)
    set(commit ${head})
    execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} diff --quiet HEAD --
                    RESULT_VARIABLE dirty_result OUTPUT_QUIET ERROR_QUIET)
    if(NOT dirty_result EQUAL 0)
      set(commit "${commit}-dirty")
    endif()
  endif()
endif()
set(text "#pragma once\n// Generated at build time by engine/cmake/build_info.cmake; do not edit.\n#define MCRISK_ENGINE_COMMIT \"${commit}\"\n#define MCRISK_BUILD_TYPE \"${BUILD_TYPE}\"\n#define MCRISK_COMPILER \"${COMPILER}\"\n")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUTPUT} "${text}")
endif()
