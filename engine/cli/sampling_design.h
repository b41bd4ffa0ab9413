#pragma once
// How `run` and `batch` turn --sampling and --replicates into run settings.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

#include "mcrisk/sampling/unit_cube_sampler.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/convergence.h"

namespace mcrisk::cli {

// Stratified points (lhs, sobol) are not independent within a replicate: the
// run is R replicates of M points, and every interval comes from the spread
// over replicates. Sets the sampler in settings and rounds its trials to whole
// replicates; returns how intervals are to be computed.
inline statistics::IntervalDesign apply_sampling(const std::string& method, std::size_t replicates, simulation::RunSettings& settings) {
  settings.sampling = sampling::parse_sampling_method(method);
  if (settings.sampling == sampling::SamplingMethod::MonteCarlo) return {};
  std::size_t per_replicate = std::max<std::size_t>(settings.trials / replicates, 1);
  if (settings.sampling == sampling::SamplingMethod::Sobol) {
    std::size_t power = 1;
    while (power * 2 <= per_replicate) power *= 2;
    per_replicate = power;  // Sobol nets balance at powers of two
  }
  if (per_replicate * replicates != settings.trials) {
    spdlog::warn("{} sampling runs whole replicates: {} x {} = {} trials instead of {}", method, replicates, per_replicate,
                 per_replicate * replicates, settings.trials);
  }
  settings.replicate_size = per_replicate;
  settings.trials = per_replicate * replicates;
  return {per_replicate};
}

}  // namespace mcrisk::cli
