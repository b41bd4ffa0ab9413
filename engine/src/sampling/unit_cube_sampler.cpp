#include "mcrisk/sampling/unit_cube_sampler.h"

#include <Random123/philox.h>
#include <Random123/uniform.hpp>

#include <stdexcept>

namespace mcrisk::sampling {

namespace {

using Philox = r123::Philox4x64;

// A constant second key word keeps mcrisk's streams apart from any other use
// of Philox with the same seed ("mcrisk" in ASCII).
constexpr std::uint64_t kStreamTag = 0x6d637269736bULL;

inline Philox::ctr_type draw(std::uint64_t seed, std::uint64_t trial, std::uint64_t group) {
  Philox generator;
  const Philox::key_type key = {{seed, kStreamTag}};
  const Philox::ctr_type counter = {{trial, group, 0, 0}};
  return generator(counter, key);
}

}  // namespace

SamplingMethod parse_sampling_method(const std::string& name) {
  if (name == "mc") return SamplingMethod::MonteCarlo;
  throw std::invalid_argument("unknown sampling method '" + name + "'; expected: mc");
}

std::string to_string(SamplingMethod method) {
  switch (method) {
    case SamplingMethod::MonteCarlo: return "mc";
  }
  return "mc";
}

IndependentSampler::IndependentSampler(std::uint64_t seed, std::size_t dimensions)
    : seed_(seed), dimensions_(dimensions) {}

void IndependentSampler::fill(std::uint64_t first_trial, std::size_t n, double* u, std::size_t stride) const {
  for (std::size_t group = 0; group * 4 < dimensions_; ++group) {
    const std::size_t first_dimension = group * 4;
    const std::size_t width = std::min<std::size_t>(4, dimensions_ - first_dimension);
    for (std::size_t i = 0; i < n; ++i) {
      const auto bits = draw(seed_, first_trial + i, group);
      // u01fixedpt maps 64 bits to the open interval (0,1): no inverse CDF ever sees 0 or 1.
      for (std::size_t lane = 0; lane < width; ++lane) {
        u[(first_dimension + lane) * stride + i] = r123::u01fixedpt<double>(bits.v[lane]);
      }
    }
  }
}

double IndependentSampler::uniform(std::uint64_t trial, std::size_t dimension) const {
  if (dimension >= dimensions_) throw std::out_of_range("dimension beyond the sampler's");
  return r123::u01fixedpt<double>(draw(seed_, trial, dimension / 4).v[dimension % 4]);
}

}  // namespace mcrisk::sampling
