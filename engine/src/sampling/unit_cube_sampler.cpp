#include "mcrisk/sampling/unit_cube_sampler.h"

#include "monte_carlo_stream.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace mcrisk::sampling {

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

// The stream and its vector kernels are in monte_carlo_stream.h: fill() and uniform() are its two forms.
void IndependentSampler::fill(std::uint64_t first_trial, std::size_t n, double* u, std::size_t stride) const {
  detail::fill_monte_carlo(detail::fastest_stream_kernel(), seed_, first_trial, n, dimensions_, u, stride);
}

double IndependentSampler::uniform(std::uint64_t trial, std::size_t dimension) const {
  if (dimension >= dimensions_) throw std::out_of_range("dimension beyond the sampler's");
  return detail::monte_carlo_uniform(seed_, trial, dimension);
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
