#pragma once
// Randomised Sobol points in replicates (Owen's replicated designs with a
// random digital shift). A run is R independent replicates of M = 2^m points:
// trial k is point i = k mod M of replicate r = k / M. Point i is point i of
// the Sobol sequence (Joe & Kuo 2008 direction numbers, as Boost.Random's
// `boost::random::sobol` has them; point 0 is the origin), as 64-bit integer
// coordinates x_{i,d}. Replicate r XORs dimension d with a 64-bit shift s_{r,d}
// from Philox(seed, r, d) and maps the result to (0,1):
//   u = u01fixedpt(x_{i,d} XOR s_{r,d}).
// The first M points form a (t,m,s)-net, and a digital shift keeps every
// elementary interval's count, so each replicate is stratified like the net
// (one point per interval of width 1/M in every dimension), and each point is
// uniform on (0,1)^d: the replicate means are independent unbiased estimates.

#include <cstddef>
#include <cstdint>
#include <memory>

namespace mcrisk::sampling {

//! Digitally shifted Sobol points in (0,1)^d, in independent replicates of 2^m points.
class SobolSampler {
 public:
  //! The number of dimensions Boost.Random's Sobol table supports.
  static constexpr std::size_t max_dimensions = 3667;

  //! Throws std::invalid_argument if replicate_size is not a power of two or
  //! dimensions exceeds max_dimensions.
  SobolSampler(std::uint64_t seed, std::size_t dimensions, std::uint64_t replicate_size);

  //! Fills u[d * stride + j] for trials first_trial + j, j < n, every dimension d.
  //! Blocks may straddle replicates.
  void fill(std::uint64_t first_trial, std::size_t n, double* u, std::size_t stride) const;
  //! The uniform of one (trial, dimension); equal to what fill() writes there.
  double uniform(std::uint64_t trial, std::size_t dimension) const;

  //! s_{r,d}: the digital shift of `replicate` in `dimension`.
  std::uint64_t digital_shift(std::uint64_t replicate, std::size_t dimension) const;

  std::size_t dimensions() const { return dimensions_; }
  std::uint64_t replicate_size() const { return replicate_size_; }

 private:
  struct Generator;  // a boost::random::sobol at its start, copied by each fill()

  std::uint64_t seed_;
  std::size_t dimensions_;
  std::uint64_t replicate_size_;
  std::shared_ptr<const Generator> generator_;  // immutable, shared by copies; null if no dimensions
};

}  // namespace mcrisk::sampling
