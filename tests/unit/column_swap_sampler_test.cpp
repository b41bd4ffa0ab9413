// The column-swap sampler (sampling/column_swap_sampler.h): A_B^i reads each
// dimension from A or B as its mask says, block fills equal single uniforms,
// and a mismatched source is an error.

#include <gtest/gtest.h>

#include <cstddef>
#include <stdexcept>
#include <vector>

#include "mcrisk/sampling/unit_cube_sampler.h"

namespace {

using mcrisk::sampling::SamplingMethod;
using mcrisk::sampling::UnitCubeSampler;

TEST(ColumnSwapSampler, ReadsEachDimensionFromAOrBByItsMask) {
  for (const SamplingMethod method : {SamplingMethod::MonteCarlo, SamplingMethod::LatinHypercube, SamplingMethod::Sobol}) {
    const std::size_t d = 7;
    const auto source = UnitCubeSampler::create(method, 99, 2 * d, 64);
    const std::vector<bool> mask = {false, true, true, false, false, true, false};
    const auto swapped = UnitCubeSampler::column_swap(source, mask);
    EXPECT_EQ(swapped.dimensions(), d);
    EXPECT_EQ(swapped.method(), method);
    EXPECT_EQ(swapped.replicate_size(), 64u);
    const std::size_t n = 37, stride = 40, first = 1000;
    std::vector<double> u(d * stride, -1.0);
    swapped.fill(first, n, u.data(), stride);
    for (std::size_t k = 0; k < d; ++k) {
      for (std::size_t i = 0; i < n; ++i) {
        const double expected = source.uniform(first + i, mask[k] ? k + d : k);
        EXPECT_EQ(u[k * stride + i], expected) << "dimension " << k << " lane " << i;
        EXPECT_EQ(swapped.uniform(first + i, k), expected);
      }
      EXPECT_EQ(u[k * stride + n], -1.0) << "wrote past the block";
    }
  }
}

// With no dimension swapped, Monte Carlo A is the d-dimensional run's own
// points: Philox's counter is (trial, dimension / 2, tag), whatever the width.
TEST(ColumnSwapSampler, MonteCarloAIsTheBaseRunsPoints) {
  const std::size_t d = 10;
  const auto base = UnitCubeSampler::create(SamplingMethod::MonteCarlo, 5, d, 1);
  const auto a = UnitCubeSampler::column_swap(UnitCubeSampler::create(SamplingMethod::MonteCarlo, 5, 2 * d, 1), std::vector<bool>(d, false));
  for (std::uint64_t trial : {0ULL, 1ULL, 12345ULL})
    for (std::size_t k = 0; k < d; ++k) EXPECT_EQ(a.uniform(trial, k), base.uniform(trial, k));
}

TEST(ColumnSwapSampler, SourceMustHaveTwiceTheDimensions) {
  const auto source = UnitCubeSampler::create(SamplingMethod::MonteCarlo, 1, 9, 1);
  EXPECT_THROW(UnitCubeSampler::column_swap(source, std::vector<bool>(5, false)), std::invalid_argument);
  EXPECT_THROW(source.uniform(0, 9), std::out_of_range);
}

}  // namespace
