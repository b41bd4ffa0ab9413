// libFuzzer harness over config loading and validation: any bytes go through
// config::load_model_from_text and, if they load, EvaluationPlan::compile.
// A ConfigError is the expected answer to a bad config, as is any other
// std::exception (unless MCRISK_FUZZ_STRICT=1, which makes an exception that is
// not a ConfigError a finding, since the user would see an error without a
// location). A crash, a hang, a leak or a sanitizer report is a finding: add
// the input to tests/unit/config_hostile_test.cpp as a regression case.
// Built and run by scripts/fuzz (clang, -fsanitize=fuzzer,address,undefined).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "mcrisk/config/config_error.h"
#include "mcrisk/config/model_loader.h"
#include "mcrisk/simulation/evaluation_plan.h"

namespace {

bool strict() {
  static const bool value = [] {
    const char* setting = std::getenv("MCRISK_FUZZ_STRICT");  // NOLINT(concurrency-mt-unsafe): read once
    return setting != nullptr && std::string(setting) == "1";
  }();
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const mcrisk::model::Model model = mcrisk::config::load_model_from_text(text, "fuzz.yaml");
    const mcrisk::simulation::EvaluationPlan plan = mcrisk::simulation::EvaluationPlan::compile(model);
    static_cast<void>(plan);
  } catch (const mcrisk::config::ConfigError&) {
    // The expected answer to a bad config.
  } catch (const std::exception& error) {
    if (strict()) {
      std::fprintf(stderr, "exception without a location (not a ConfigError): %s\n", error.what());
      std::abort();
    }
  }
  return 0;
}
