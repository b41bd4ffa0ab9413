#include "mcrisk/sampling/latin_hypercube_sampler.h"

#include "permutation.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>

namespace mcrisk::sampling {

// The jitter. With J = u01fixedpt(bits) (53 bits) the sum pi + J is rounded
// for pi >= 1, and J = 1 - 2^-53 rounds it up to pi + 1: u = (M-1+J)/M becomes
// exactly 1.0. So J carries only b = 53 - bit_width(M) bits, as u01fixedpt
// does at that width: J = (2 t + 1) 2^-b with t the leading b - 1 bits, an odd
// multiple of 2^-b in (0,1). Then:
//  - pi + J is exact (pi < M < 2^bit_width(M), and J needs b bits after the point);
//  - its distance to the nearest integer is at least 2^-b;
//  - so (pi + J)/M is at least 2^-b / M > 2^-53 from both stratum edges, and
//    the division rounds by at most 2^-54 (the quotient is below 1): the result
//    lies strictly inside (pi/M, (pi+1)/M), hence in (0,1).
// The grid 2^-b / M is finer than 2^-52, near the resolution of a double.
LatinHypercubeSampler::LatinHypercubeSampler(std::uint64_t seed, std::size_t dimensions, std::uint64_t replicate_size)
    : seed_(seed), dimensions_(dimensions), replicate_size_(replicate_size) {
  if (replicate_size < 1 || replicate_size > max_replicate_size) {
    throw std::invalid_argument("Latin hypercube replicate size must be between 1 and " +
                                std::to_string(max_replicate_size) + ", got " + std::to_string(replicate_size));
  }
  const int precision = 53 - static_cast<int>(std::bit_width(replicate_size));  // b: 21 .. 52
  jitter_shift_ = 65 - precision;                                               // t: the leading b - 1 bits
  jitter_scale_ = std::ldexp(1.0, -precision);
}

std::uint32_t LatinHypercubeSampler::permutation_seed(std::uint64_t replicate, std::size_t dimension) const {
  // Philox as a hash of (seed, replicate, dimension); the low 32 bits are
  // Kensler's p.
  const auto bits = detail::philox_draw(seed_, detail::kLatinPermutationTag, replicate, dimension / 4);
  return static_cast<std::uint32_t>(bits.v[dimension % 4]);
}

std::uint64_t LatinHypercubeSampler::stratum(std::uint64_t replicate, std::size_t dimension, std::uint64_t index) const {
  if (index >= replicate_size_) throw std::out_of_range("point index beyond the replicate size");
  return detail::permutation_element(static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(replicate_size_),
                                     permutation_seed(replicate, dimension));
}

double LatinHypercubeSampler::jitter(std::uint64_t bits) const {
  return static_cast<double>(2 * (bits >> jitter_shift_) + 1) * jitter_scale_;
}

double LatinHypercubeSampler::stratified_uniform(std::uint64_t stratum, std::uint64_t jitter_bits) const {
  return (static_cast<double>(stratum) + jitter(jitter_bits)) / static_cast<double>(replicate_size_);
}

void LatinHypercubeSampler::fill(std::uint64_t first_trial, std::size_t n, double* u, std::size_t stride) const {
  const auto l = static_cast<std::uint32_t>(replicate_size_);
  for (std::size_t group = 0; group * 4 < dimensions_; ++group) {
    const std::size_t first_dimension = group * 4;
    const std::size_t width = std::min<std::size_t>(4, dimensions_ - first_dimension);
    detail::for_each_replicate_piece(
        first_trial, n, replicate_size_, [&](std::uint64_t replicate, std::uint64_t first_index, std::size_t offset, std::size_t count) {
          // One hash per (replicate, group) gives the four dimensions' permutations.
          const auto seeds = detail::philox_draw(seed_, detail::kLatinPermutationTag, replicate, group);
          const detail::Permutation permutations[4] = {
              {l, static_cast<std::uint32_t>(seeds.v[0])}, {l, static_cast<std::uint32_t>(seeds.v[1])},
              {l, static_cast<std::uint32_t>(seeds.v[2])}, {l, static_cast<std::uint32_t>(seeds.v[3])}};
          for (std::size_t j = offset; j < offset + count; ++j) {
            const auto index = static_cast<std::uint32_t>(first_index + (j - offset));
            const auto jitters = detail::philox_draw(seed_, detail::kLatinJitterTag, first_trial + j, group);
            for (std::size_t lane = 0; lane < width; ++lane) {
              u[(first_dimension + lane) * stride + j] = stratified_uniform(permutations[lane](index), jitters.v[lane]);
            }
          }
        });
  }
}

double LatinHypercubeSampler::uniform(std::uint64_t trial, std::size_t dimension) const {
  if (dimension >= dimensions_) throw std::out_of_range("dimension beyond the sampler's");
  const std::uint64_t replicate = trial / replicate_size_;
  const std::uint64_t index = trial % replicate_size_;
  const auto jitters = detail::philox_draw(seed_, detail::kLatinJitterTag, trial, dimension / 4);
  return stratified_uniform(stratum(replicate, dimension, index), jitters.v[dimension % 4]);
}

}  // namespace mcrisk::sampling
