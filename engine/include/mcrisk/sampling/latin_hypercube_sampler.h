#pragma once
// Replicated Latin hypercube sampling (McKay, Beckman & Conover 1979; Owen's
// replicated designs). A run is R independent replicates of M points: trial k
// is point i = k mod M of replicate r = k / M. In replicate r each dimension d
// has its own random permutation pi_{r,d} of the M strata, and point i takes
//   u = (pi_{r,d}(i) + J) / M
// with J a jitter in (0,1). The permutation is computed per index with no
// storage (Kensler 2013, as pbrt-v4's PermutationElement), so every uniform is
// a pure function of (seed, M, trial, dimension).

#include <cstddef>
#include <cstdint>

namespace mcrisk::sampling {

//! Latin hypercube points in (0,1)^d, in independent replicates of M points.
class LatinHypercubeSampler {
 public:
  //! The largest replicate size: permutations work on 32-bit indices.
  static constexpr std::uint64_t max_replicate_size = 0xffffffffULL;

  //! Throws std::invalid_argument unless 1 <= replicate_size <= max_replicate_size.
  LatinHypercubeSampler(std::uint64_t seed, std::size_t dimensions, std::uint64_t replicate_size);

  //! Fills u[d * stride + j] for trials first_trial + j, j < n, every dimension d.
  //! Blocks may straddle replicates.
  void fill(std::uint64_t first_trial, std::size_t n, double* u, std::size_t stride) const;
  //! The uniform of one (trial, dimension); equal to what fill() writes there.
  double uniform(std::uint64_t trial, std::size_t dimension) const;

  //! pi_{r,d}(index): the stratum that point `index` of `replicate` takes in `dimension`.
  std::uint64_t stratum(std::uint64_t replicate, std::size_t dimension, std::uint64_t index) const;
  //! (stratum + J) / M, J made from the leading bits of jitter_bits. Strictly
  //! inside (stratum / M, (stratum + 1) / M) for every input: see the .cpp.
  double stratified_uniform(std::uint64_t stratum, std::uint64_t jitter_bits) const;

  std::size_t dimensions() const { return dimensions_; }
  std::uint64_t replicate_size() const { return replicate_size_; }

 private:
  std::uint32_t permutation_seed(std::uint64_t replicate, std::size_t dimension) const;
  double jitter(std::uint64_t bits) const;  // J in (0,1), see the .cpp

  std::uint64_t seed_;
  std::size_t dimensions_;
  std::uint64_t replicate_size_;
  int jitter_shift_;     // 65 - b: keeps the leading b - 1 bits (b: the jitter's precision)
  double jitter_scale_;  // 2^-b
};

}  // namespace mcrisk::sampling
