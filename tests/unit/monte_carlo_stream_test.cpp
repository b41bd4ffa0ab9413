// Unit tests of the Monte Carlo stream (engine/src/sampling/monte_carlo_stream.h):
// the word-to-uniform map in closed form, the definition against Random123's
// Philox4x32-10 called directly, and every vector kernel this machine runs
// against the portable one, bit for bit, over block lengths that end inside a
// vector, trial counters that cross 2^32, odd dimension counts and strided rows.
// (The pinned bits of the stream: golden_values_test.cpp.)

#include <gtest/gtest.h>

#include <Random123/philox.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "../../engine/src/sampling/monte_carlo_stream.h"

namespace {

using namespace mcrisk::sampling::detail;

const char* name_of(StreamKernel kernel) {
  switch (kernel) {
    case StreamKernel::Portable: return "portable";
    case StreamKernel::Avx2: return "AVX2";
    case StreamKernel::Avx512: return "AVX-512";
  }
  return "?";
}

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

TEST(MonteCarloStream, WordsMapToTheMidpointsOfA52BitGrid) {
  // u = (floor(x / 2^12) + 1/2) 2^-52 for x = high 2^32 + low.
  EXPECT_EQ(uniform_from_words(0, 0), 0x1p-53);
  EXPECT_EQ(uniform_from_words(0, 0xfffU), 0x1p-53);  // the 12 low bits are dropped
  EXPECT_EQ(uniform_from_words(0, 0x1000U), 0x1p-52 + 0x1p-53);
  EXPECT_EQ(uniform_from_words(0x80000000U, 0), 0.5 + 0x1p-53);
  EXPECT_EQ(uniform_from_words(~0U, ~0U), 1.0 - 0x1p-53);
  EXPECT_LT(uniform_from_words(~0U, ~0U), 1.0);
  EXPECT_GT(uniform_from_words(0, 0), 0.0);
  // Exact against the closed form across the range (every value here is a double: 53 bits).
  std::uint64_t x = 0;
  for (int k = 0; k < 100000; ++k) {
    x += 0x9e3779b97f4a7c15ULL;  // Weyl sequence: every bit pattern region
    const double expected = (double(x >> 12) + 0.5) * 0x1p-52;
    ASSERT_EQ(uniform_from_words(std::uint32_t(x >> 32), std::uint32_t(x)), expected) << std::hex << x;
  }
}

TEST(MonteCarloStream, UniformIsPhilox4x32AtTheDefinedCounter) {
  const r123::Philox4x32 philox;
  for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{20100706}, ~std::uint64_t{0}}) {
    for (const std::uint64_t trial : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0xffffffff}, std::uint64_t{0x100000000}, ~std::uint64_t{0}}) {
      for (std::size_t dimension = 0; dimension < 7; ++dimension) {
        const r123::Philox4x32::ctr_type counter = {
            {std::uint32_t(trial), std::uint32_t(trial >> 32), std::uint32_t(dimension / 2), 0x6d63726bU}};
        const auto words = philox(counter, {{std::uint32_t(seed), std::uint32_t(seed >> 32)}});
        const double expected = dimension % 2 == 0 ? uniform_from_words(words.v[0], words.v[1]) : uniform_from_words(words.v[2], words.v[3]);
        EXPECT_TRUE(same_bits(monte_carlo_uniform(seed, trial, dimension), expected)) << "trial " << trial << " dimension " << dimension;
      }
    }
  }
}

// Every kernel, every length from 0 to 65 (AVX-512 does 32 trials a step, AVX2
// 8, the rest goes to the portable kernel) and a few long ones, first trials that
// put 2^32 inside a vector: each row equals the definition, and the padding of
// each strided row is left alone. Only the kernels this machine runs are
// tested here (an AVX2-only machine cannot test the AVX-512 one).
TEST(MonteCarloStream, EveryKernelWritesTheDefinitionBitForBit) {
  const double untouched = -1.0;
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 65; ++n) lengths.push_back(n);
  for (const std::size_t n : {255, 256, 257, 1000}) lengths.push_back(n);
  int kernels_run = 0;
  for (const StreamKernel kernel : {StreamKernel::Portable, StreamKernel::Avx2, StreamKernel::Avx512}) {
    if (!stream_kernel_available(kernel)) {
      std::printf("[ note     ] the %s kernel does not run on this machine: not tested here\n", name_of(kernel));
      continue;
    }
    ++kernels_run;
    for (const std::uint64_t seed : {std::uint64_t{1}, std::uint64_t{0xfedcba9876543210}}) {
      for (const std::uint64_t first_trial : {std::uint64_t{0}, std::uint64_t{0xffffffff} - 13, std::uint64_t{1} << 40}) {
        for (const std::size_t dimensions : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{37}}) {
          for (const std::size_t n : lengths) {
            const std::size_t stride = n + 3;
            std::vector<double> u(dimensions * stride, untouched);
            fill_monte_carlo(kernel, seed, first_trial, n, dimensions, u.data(), stride);
            for (std::size_t d = 0; d < dimensions; ++d) {
              for (std::size_t i = 0; i < n; ++i) {
                ASSERT_TRUE(same_bits(u[d * stride + i], monte_carlo_uniform(seed, first_trial + i, d)))
                    << name_of(kernel) << ": seed " << seed << " trial " << first_trial + i << " dimension " << d << " of " << dimensions << ", n " << n;
              }
              for (std::size_t i = n; i < stride; ++i) ASSERT_EQ(u[d * stride + i], untouched) << name_of(kernel) << " wrote past row " << d;
            }
          }
        }
      }
    }
  }
  EXPECT_GE(kernels_run, 1);
  EXPECT_TRUE(stream_kernel_available(fastest_stream_kernel()));
}

}  // namespace
