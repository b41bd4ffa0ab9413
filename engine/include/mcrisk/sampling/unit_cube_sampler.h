#pragma once
// Samplers emit points of the unit cube (0,1)^d, one per trial; transforms
// (sampling/driver_transform.h) turn them into the model's drivers. A point is
// a pure function of (seed, trial index, dimension), so any thread count, any
// block size and `mcrisk replay --trial K` see the same numbers.

#include <cstddef>
#include <cstdint>
#include <string>

namespace mcrisk::sampling {

//! The sampling methods `--sampling` accepts.
enum class SamplingMethod { MonteCarlo };

//! Parses "mc"; throws std::invalid_argument naming the accepted methods.
SamplingMethod parse_sampling_method(const std::string& name);
std::string to_string(SamplingMethod method);

//! Independent uniforms from Random123's Philox4x64-10, a counter-based
//! generator: the counter is (trial, dimension / 4), the key is the seed, and
//! each call yields the four dimensions of one group (Salmon et al., SC'11).
class IndependentSampler {
 public:
  IndependentSampler(std::uint64_t seed, std::size_t dimensions);

  //! Fills u[d * stride + i] for trials first_trial + i, i < n, every dimension d.
  void fill(std::uint64_t first_trial, std::size_t n, double* u, std::size_t stride) const;
  //! The uniform of one (trial, dimension); equal to what fill() writes there.
  double uniform(std::uint64_t trial, std::size_t dimension) const;
  std::size_t dimensions() const { return dimensions_; }

 private:
  std::uint64_t seed_;
  std::size_t dimensions_;
};

}  // namespace mcrisk::sampling
