#pragma once
// Samplers emit points of the unit cube (0,1)^d, one per trial; transforms
// (sampling/driver_transform.h) turn them into the model's drivers. A point is
// a pure function of (seed, method, replicate size, trial index, dimension),
// so any thread count, any block size and `mcrisk replay --trial K` see the
// same numbers.
//
// A run of N trials is R replicates of M points: trial k is point k mod M of
// replicate k / M. Latin hypercube and Sobol points are stratified within a
// replicate and independent across replicates, so the spread of the R
// replicate means gives an honest standard error (Owen's replicated designs),
// and a run grows by whole replicates. Independent (MC) points ignore M.

#include "mcrisk/sampling/column_swap_sampler.h"
#include "mcrisk/sampling/latin_hypercube_sampler.h"
#include "mcrisk/sampling/sobol_sampler.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace mcrisk::sampling {

//! The sampling methods `--sampling` accepts: mc, lhs, sobol.
enum class SamplingMethod { MonteCarlo, LatinHypercube, Sobol };

//! Parses "mc", "lhs" or "sobol"; throws std::invalid_argument naming the accepted methods.
SamplingMethod parse_sampling_method(const std::string& name);
std::string to_string(SamplingMethod method);

//! Independent uniforms from Philox4x32-10, a counter-based generator (Salmon
//! et al., SC'11): the counter is (trial, dimension / 2, a stream tag), the key
//! is the seed, and each call yields two dimensions of 52 bits. The exact
//! definition, and the vector kernels that compute a block of trials at a
//! time, are in src/sampling/monte_carlo_stream.h.
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

//! Any of the samplers, as a value: a closed set dispatched once per fill()
//! (one block of trials), never per trial. Cheap to copy; immutable.
class UnitCubeSampler {
 public:
  //! Throws std::invalid_argument if replicate_size is 0 or the method rejects
  //! it (LHS: at most 2^32 - 1; Sobol: a power of two) or the dimensions
  //! (Sobol: at most SobolSampler::max_dimensions).
  static UnitCubeSampler create(SamplingMethod method, std::uint64_t seed, std::size_t dimensions, std::uint64_t replicate_size);
  //! The points A (dimensions [0, d) of `source`) with the dimensions k where
  //! from_b[k] taken from B (dimensions [d, 2d)): Saltelli's A_B^i for Sobol
  //! indices (sampling/column_swap_sampler.h). d = from_b.size(); `source` must
  //! have 2d dimensions (std::invalid_argument otherwise).
  static UnitCubeSampler column_swap(const UnitCubeSampler& source, std::vector<bool> from_b);

  //! Fills u[d * stride + i] for trials first_trial + i, i < n, every dimension d.
  void fill(std::uint64_t first_trial, std::size_t n, double* u, std::size_t stride) const;
  //! The uniform of one (trial, dimension); equal to what fill() writes there.
  double uniform(std::uint64_t trial, std::size_t dimension) const;

  //! The method that made the points (a column swap's: its source's).
  SamplingMethod method() const;
  //! M: trial k belongs to replicate k / M.
  std::uint64_t replicate_size() const { return replicate_size_; }
  std::size_t dimensions() const;

 private:
  using Sampler = std::variant<IndependentSampler, LatinHypercubeSampler, SobolSampler, ColumnSwapSampler>;
  UnitCubeSampler(Sampler sampler, std::uint64_t replicate_size);

  Sampler sampler_;
  std::uint64_t replicate_size_;
};

}  // namespace mcrisk::sampling
