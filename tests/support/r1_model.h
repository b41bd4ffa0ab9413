#pragma once
// The R1 model (configs/triborough_2010.yaml), loaded and compiled once per
// test program: the model every conformance check and benchmark runs.

#include <string>

#include "mcrisk/config/model_loader.h"
#include "mcrisk/model/model.h"
#include "mcrisk/simulation/evaluation_plan.h"

namespace mcrisk::testing {

struct R1 {
  model::Model model = config::load_model(std::string(MCRISK_SOURCE_DIR) + "/configs/triborough_2010.yaml");
  simulation::EvaluationPlan plan = simulation::EvaluationPlan::compile(model);
};

inline const R1& r1() {
  static const R1 instance;
  return instance;
}

}  // namespace mcrisk::testing
