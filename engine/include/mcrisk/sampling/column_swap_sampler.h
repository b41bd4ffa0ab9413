#pragma once
// The points of a Saltelli design (Saltelli et al. 2010) for Sobol indices:
// matrices A and B of N independent points of (0,1)^d, and A_B^i, which is A
// with the dimensions of input group i taken from B. All three are views of
// one point set of 2d dimensions: row j of A is dimensions [0, d) of its point
// j, row j of B is dimensions [d, 2d). A ColumnSwapSampler reads dimension k
// of each point from the source's dimension k, or from k + d where its mask
// says "take from B". Swapping whole dimensions (before the Gaussian copula
// and the marginal transforms) keeps every point uniform on the cube, so
// A_B^i is a valid model input whatever the mask.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace mcrisk::sampling {

class UnitCubeSampler;

//! Points of (0,1)^d mixing the two halves of a 2d-dimensional sampler by a dimension mask.
class ColumnSwapSampler {
 public:
  //! `from_b[k]`: dimension k comes from B (source dimension k + d) instead of
  //! A (source dimension k), with d = from_b.size(). Throws std::invalid_argument
  //! unless the source has exactly 2d dimensions.
  ColumnSwapSampler(std::shared_ptr<const UnitCubeSampler> source, std::vector<bool> from_b);

  //! Fills u[k * stride + i] for trials first_trial + i, i < n, every dimension k < d.
  void fill(std::uint64_t first_trial, std::size_t n, double* u, std::size_t stride) const;
  //! The uniform of one (trial, dimension); equal to what fill() writes there.
  double uniform(std::uint64_t trial, std::size_t dimension) const;

  std::size_t dimensions() const { return from_b_.size(); }
  const UnitCubeSampler& source() const { return *source_; }

 private:
  std::size_t source_dimension(std::size_t dimension) const { return from_b_[dimension] ? dimension + from_b_.size() : dimension; }

  std::shared_ptr<const UnitCubeSampler> source_;
  std::vector<bool> from_b_;
};

}  // namespace mcrisk::sampling
