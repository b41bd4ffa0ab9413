#include "mcrisk/sampling/unit_cube_sampler.h"

#include "permutation.h"

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
void IndependentSampler::fill(std::uint64_t first_trial, std::size_t n, double* u, std::size_t stride) const {
  for (std::size_t group = 0; group * 4 < dimensions_; ++group) {
    const std::size_t first_dimension = group * 4;
    const std::size_t width = std::min<std::size_t>(4, dimensions_ - first_dimension);
    if (width == 4) {
      // Whole groups (all but perhaps the last) with the four rows named: the
      // loop keeps its pointers in registers instead of recomputing and spilling them.
      double* row0 = u + first_dimension * stride;
      double *row1 = row0 + stride, *row2 = row1 + stride, *row3 = row2 + stride;
      for (std::size_t i = 0; i < n; ++i) {
        const auto bits = draw(seed_, first_trial + i, group);
        row0[i] = r123::u01fixedpt<double>(bits.v[0]);
        row1[i] = r123::u01fixedpt<double>(bits.v[1]);
        row2[i] = r123::u01fixedpt<double>(bits.v[2]);
        row3[i] = r123::u01fixedpt<double>(bits.v[3]);
      }
      continue;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const auto bits = draw(seed_, first_trial + i, group);
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
