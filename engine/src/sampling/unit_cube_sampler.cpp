#include "mcrisk/sampling/unit_cube_sampler.h"

#include "permutation.h"

#include "mcrisk/util/vector_clones.h"

#include <Random123/uniform.hpp>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace mcrisk::sampling {

namespace {

// Key (seed, "mcrisk") keeps mcrisk's MC stream apart from any other use of
// Philox with the same seed, and from the LHS and Sobol streams.
inline detail::Philox::ctr_type draw(std::uint64_t seed, std::uint64_t trial, std::uint64_t group) {
  return detail::philox_draw(seed, detail::kMonteCarloTag, trial, group);
}

}  // namespace

SamplingMethod parse_sampling_method(const std::string& name) {
  if (name == "mc") return SamplingMethod::MonteCarlo;
  if (name == "lhs") return SamplingMethod::LatinHypercube;
  if (name == "sobol") return SamplingMethod::Sobol;
  throw std::invalid_argument("unknown sampling method '" + name + "'; expected one of: mc, lhs, sobol");
}

std::string to_string(SamplingMethod method) {
  switch (method) {
    case SamplingMethod::MonteCarlo: return "mc";
    case SamplingMethod::LatinHypercube: return "lhs";
    case SamplingMethod::Sobol: return "sobol";
  }
  return "mc";
}

IndependentSampler::IndependentSampler(std::uint64_t seed, std::size_t dimensions)
    : seed_(seed), dimensions_(dimensions) {}

// u01fixedpt maps 64 bits to the open interval (0,1): no inverse CDF ever sees 0 or 1.
// Two passes per chunk of trials: the Philox words first (scalar: a 64 x 64 ->
// 128-bit multiply has no vector form, but the clones for x86-64-v3/v4 use BMI2's
// mulx), then their conversion to doubles, which vectorises. One loop doing both
// converted one word at a time, and its spilled registers cost a fifth of the
// sampler's time. The bits are the same: the same words, the same conversion.
MCRISK_VECTOR_CLONES
void IndependentSampler::fill(std::uint64_t first_trial, std::size_t n, double* u, std::size_t stride) const {
  constexpr std::size_t kChunk = 256;
  alignas(64) std::uint64_t words[4][kChunk];
  for (std::size_t group = 0; group * 4 < dimensions_; ++group) {
    const std::size_t first_dimension = group * 4;
    const std::size_t width = std::min<std::size_t>(4, dimensions_ - first_dimension);
    for (std::size_t begin = 0; begin < n; begin += kChunk) {
      const std::size_t m = std::min(kChunk, n - begin);
      for (std::size_t i = 0; i < m; ++i) {
        const auto bits = draw(seed_, first_trial + begin + i, group);
        words[0][i] = bits.v[0];
        words[1][i] = bits.v[1];
        words[2][i] = bits.v[2];
        words[3][i] = bits.v[3];
      }
      for (std::size_t lane = 0; lane < width; ++lane) {
        double* row = u + (first_dimension + lane) * stride + begin;
        const std::uint64_t* lane_words = words[lane];
        for (std::size_t i = 0; i < m; ++i) row[i] = r123::u01fixedpt<double>(lane_words[i]);
      }
    }
  }
}

double IndependentSampler::uniform(std::uint64_t trial, std::size_t dimension) const {
  if (dimension >= dimensions_) throw std::out_of_range("dimension beyond the sampler's");
  return r123::u01fixedpt<double>(draw(seed_, trial, dimension / 4).v[dimension % 4]);
}

UnitCubeSampler::UnitCubeSampler(Sampler sampler, std::uint64_t replicate_size)
    : sampler_(std::move(sampler)), replicate_size_(replicate_size) {}

UnitCubeSampler UnitCubeSampler::create(SamplingMethod method, std::uint64_t seed, std::size_t dimensions,
                                        std::uint64_t replicate_size) {
  if (replicate_size == 0) throw std::invalid_argument("replicate size must be at least 1");
  switch (method) {
    case SamplingMethod::MonteCarlo:
      return UnitCubeSampler(IndependentSampler(seed, dimensions), replicate_size);
    case SamplingMethod::LatinHypercube:
      return UnitCubeSampler(LatinHypercubeSampler(seed, dimensions, replicate_size), replicate_size);
    case SamplingMethod::Sobol:
      return UnitCubeSampler(SobolSampler(seed, dimensions, replicate_size), replicate_size);
  }
  throw std::invalid_argument("unknown sampling method");
}

UnitCubeSampler UnitCubeSampler::column_swap(const UnitCubeSampler& source, std::vector<bool> from_b) {
  return UnitCubeSampler(ColumnSwapSampler(std::make_shared<const UnitCubeSampler>(source), std::move(from_b)), source.replicate_size());
}

void UnitCubeSampler::fill(std::uint64_t first_trial, std::size_t n, double* u, std::size_t stride) const {
  std::visit([&](const auto& sampler) { sampler.fill(first_trial, n, u, stride); }, sampler_);
}

double UnitCubeSampler::uniform(std::uint64_t trial, std::size_t dimension) const {
  return std::visit([&](const auto& sampler) { return sampler.uniform(trial, dimension); }, sampler_);
}

SamplingMethod UnitCubeSampler::method() const {
  if (const auto* swap = std::get_if<ColumnSwapSampler>(&sampler_)) return swap->source().method();
  if (std::holds_alternative<LatinHypercubeSampler>(sampler_)) return SamplingMethod::LatinHypercube;
  if (std::holds_alternative<SobolSampler>(sampler_)) return SamplingMethod::Sobol;
  return SamplingMethod::MonteCarlo;
}

std::size_t UnitCubeSampler::dimensions() const {
  return std::visit([](const auto& sampler) { return sampler.dimensions(); }, sampler_);
}

}  // namespace mcrisk::sampling
