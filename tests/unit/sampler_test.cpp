// Unit tests of the unit-cube samplers (engine/src/sampling): the replicate
// structure and determinism contract shared by MC, Latin hypercube and Sobol
// points, the stratification each design promises, and the edges of (0,1).

#include "mcrisk/sampling/latin_hypercube_sampler.h"
#include "mcrisk/sampling/sobol_sampler.h"
#include "mcrisk/sampling/unit_cube_sampler.h"

// White-box: Kensler's permutation is a private helper of the samplers.
#include "../../engine/src/sampling/permutation.h"

#include <Random123/uniform.hpp>
#include <boost/random/sobol.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using mcrisk::sampling::IndependentSampler;
using mcrisk::sampling::LatinHypercubeSampler;
using mcrisk::sampling::parse_sampling_method;
using mcrisk::sampling::SamplingMethod;
using mcrisk::sampling::SobolSampler;
using mcrisk::sampling::UnitCubeSampler;
using mcrisk::sampling::detail::permutation_element;

__extension__ typedef unsigned __int128 uint128;

// floor(u * M), computed exactly, and whether u * M is an integer (u on a
// stratum edge). Floating-point u * M could round across an edge.
struct ExactStratum {
  std::uint64_t stratum;
  bool on_edge;
};

ExactStratum exact_stratum(double u, std::uint64_t m) {
  int exponent = 0;
  const double fraction = std::frexp(u, &exponent);                     // u = fraction 2^exponent
  const auto mantissa = static_cast<std::uint64_t>(std::ldexp(fraction, 53));  // u = mantissa 2^(exponent-53), exact
  const int shift = 53 - exponent;
  const uint128 product = uint128{mantissa} * m;  // u M = product / 2^shift
  if (shift >= 128) return {0, product == 0};
  if (shift <= 0) return {static_cast<std::uint64_t>(product << -shift), true};
  const uint128 mask = (uint128{1} << shift) - 1;
  return {static_cast<std::uint64_t>(product >> shift), (product & mask) == 0};
}

std::vector<double> fill_all(const UnitCubeSampler& sampler, std::uint64_t first, std::size_t n, std::size_t stride) {
  std::vector<double> u(sampler.dimensions() * stride, -1.0);
  sampler.fill(first, n, u.data(), stride);
  return u;
}

struct Design {
  SamplingMethod method;
  std::uint64_t replicate_size;
};

const std::vector<Design>& designs() {
  static const std::vector<Design> all = {
      {SamplingMethod::MonteCarlo, 10}, {SamplingMethod::LatinHypercube, 10}, {SamplingMethod::LatinHypercube, 1},
      {SamplingMethod::Sobol, 8},       {SamplingMethod::Sobol, 1},
  };
  return all;
}

std::string describe(const Design& design) {
  return to_string(design.method) + " M=" + std::to_string(design.replicate_size);
}

// ---------------------------------------------------------------------------
// SamplingMethod and the UnitCubeSampler wrapper.
// ---------------------------------------------------------------------------

TEST(SamplingMethod, ParsesTheThreeNamesAndRoundTrips) {
  EXPECT_EQ(parse_sampling_method("mc"), SamplingMethod::MonteCarlo);
  EXPECT_EQ(parse_sampling_method("lhs"), SamplingMethod::LatinHypercube);
  EXPECT_EQ(parse_sampling_method("sobol"), SamplingMethod::Sobol);
  for (auto method : {SamplingMethod::MonteCarlo, SamplingMethod::LatinHypercube, SamplingMethod::Sobol}) {
    EXPECT_EQ(parse_sampling_method(to_string(method)), method);
  }
}

TEST(SamplingMethod, RejectsOtherNamesListingTheAcceptedOnes) {
  for (const std::string name : {"", "MC", "Sobol", "random", "lhs ", "qmc"}) {
    try {
      (void)parse_sampling_method(name);
      ADD_FAILURE() << "accepted '" << name << "'";
    } catch (const std::invalid_argument& error) {
      EXPECT_THAT(error.what(), testing::HasSubstr("'" + name + "'"));
      EXPECT_THAT(error.what(), testing::HasSubstr("mc, lhs, sobol"));
    }
  }
}

TEST(UnitCubeSampler, ReportsMethodReplicateSizeAndDimensions) {
  for (const auto& design : designs()) {
    const auto sampler = UnitCubeSampler::create(design.method, 5, 9, design.replicate_size);
    EXPECT_EQ(sampler.method(), design.method) << describe(design);
    EXPECT_EQ(sampler.replicate_size(), design.replicate_size) << describe(design);
    EXPECT_EQ(sampler.dimensions(), 9u) << describe(design);
    EXPECT_THROW((void)sampler.uniform(0, 9), std::out_of_range) << describe(design);
  }
  for (auto method : {SamplingMethod::MonteCarlo, SamplingMethod::LatinHypercube, SamplingMethod::Sobol}) {
    EXPECT_THROW((void)UnitCubeSampler::create(method, 1, 3, 0), std::invalid_argument) << to_string(method);
  }
}

// MC through the wrapper is IndependentSampler, bit for bit, whatever M.
TEST(UnitCubeSampler, MonteCarloIsTheIndependentSamplerUnchanged) {
  const IndependentSampler plain(42, 7);
  for (std::uint64_t m : {1ULL, 10ULL, 1024ULL}) {
    const auto wrapped = UnitCubeSampler::create(SamplingMethod::MonteCarlo, 42, 7, m);
    const auto u = fill_all(wrapped, 1000000007ULL, 50, 50);
    for (std::size_t d = 0; d < 7; ++d) {
      for (std::size_t j = 0; j < 50; ++j) ASSERT_EQ(u[d * 50 + j], plain.uniform(1000000007ULL + j, d));
    }
  }
}

// ---------------------------------------------------------------------------
// The determinism contract, for every method: fill() writes uniform(trial, d)
// at u[d * stride + j]; blocks straddling replicates and any split of a range
// into blocks give the same bits; padding is never written.
// ---------------------------------------------------------------------------

TEST(UnitCubeSampler, FillEqualsUniformForEveryEntry) {
  const std::size_t dimensions = 7, n = 61, stride = 64;  // 7: a Philox group of 3 lanes
  for (const auto& design : designs()) {
    const auto sampler = UnitCubeSampler::create(design.method, 2024, dimensions, design.replicate_size);
    for (std::uint64_t first : {0ULL, 3ULL, (1ULL << 40) + 5}) {
      const auto u = fill_all(sampler, first, n, stride);
      for (std::size_t d = 0; d < dimensions; ++d) {
        for (std::size_t j = 0; j < stride; ++j) {
          if (j < n) {
            ASSERT_EQ(u[d * stride + j], sampler.uniform(first + j, d)) << describe(design) << " trial " << first + j << " dimension " << d;
          } else {
            ASSERT_EQ(u[d * stride + j], -1.0) << describe(design) << " padding written at dimension " << d;
          }
        }
      }
    }
  }
}

TEST(UnitCubeSampler, AnyBlockSplitGivesTheSameBits) {
  const std::size_t dimensions = 6, n = 97;
  const std::uint64_t first = 5;  // starts mid-replicate
  for (const auto& design : designs()) {
    const auto sampler = UnitCubeSampler::create(design.method, 77, dimensions, design.replicate_size);
    const auto whole = fill_all(sampler, first, n, n);
    for (std::size_t block : {1u, 2u, 3u, 7u, 8u, 10u, 13u, 32u, 96u}) {
      std::vector<double> pieces(dimensions * n, -1.0);
      for (std::size_t begin = 0; begin < n; begin += block) {
        sampler.fill(first + begin, std::min(block, n - begin), pieces.data() + begin, n);
      }
      ASSERT_EQ(pieces, whole) << describe(design) << " block " << block;
    }
    // Blocks filled concurrently, in any order, on any thread.
    std::vector<double> parallel(dimensions * n, -1.0);
    tbb::parallel_for(std::size_t{0}, n, std::size_t{5}, [&](std::size_t begin) {
      sampler.fill(first + begin, std::min<std::size_t>(5, n - begin), parallel.data() + begin, n);
    });
    ASSERT_EQ(parallel, whole) << describe(design) << " parallel";
  }
}

// Same seed, same design: same bits; another seed or another M: other bits.
TEST(UnitCubeSampler, PointsDependOnSeedAndReplicateSize) {
  for (auto method : {SamplingMethod::LatinHypercube, SamplingMethod::Sobol}) {
    const auto a = fill_all(UnitCubeSampler::create(method, 1, 4, 16), 0, 64, 64);
    EXPECT_EQ(a, fill_all(UnitCubeSampler::create(method, 1, 4, 16), 0, 64, 64)) << to_string(method);
    const auto other_seed = fill_all(UnitCubeSampler::create(method, 2, 4, 16), 0, 64, 64);
    const auto other_size = fill_all(UnitCubeSampler::create(method, 1, 4, 32), 0, 64, 64);
    std::size_t same_seed_equal = 0, same_size_equal = 0;
    for (std::size_t k = 0; k < a.size(); ++k) {
      same_seed_equal += a[k] == other_seed[k];
      same_size_equal += a[k] == other_size[k];
    }
    EXPECT_EQ(same_seed_equal, 0u) << to_string(method);
    // Sobol replicate 0 of M = 32 starts with the points and shift of M = 16's replicate 0.
    const std::size_t expected = method == SamplingMethod::Sobol ? 16u * 4u : 0u;
    EXPECT_EQ(same_size_equal, expected) << to_string(method);
  }
}

// 20 seeds x 4096 trials x 9 dimensions of each design, strictly inside (0,1).
TEST(UnitCubeSampler, EveryValueIsInsideTheOpenUnitInterval) {
  for (const auto& design : designs()) {
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      const auto sampler = UnitCubeSampler::create(design.method, seed, 9, design.replicate_size);
      const auto u = fill_all(sampler, 0, 4096, 4096);
      const auto [low, high] = std::minmax_element(u.begin(), u.end());
      ASSERT_GT(*low, 0.0) << describe(design) << " seed " << seed;
      ASSERT_LT(*high, 1.0) << describe(design) << " seed " << seed;
    }
  }
}

// ---------------------------------------------------------------------------
// Kensler's permutation.
// ---------------------------------------------------------------------------

void expect_bijection(std::uint32_t l, std::uint32_t p) {
  std::vector<char> seen(l, 0);
  for (std::uint32_t i = 0; i < l; ++i) {
    const std::uint32_t image = permutation_element(i, l, p);
    ASSERT_LT(image, l) << "l " << l << " p " << p << " i " << i;
    ASSERT_FALSE(seen[image]) << "l " << l << " p " << p << ": two elements map to " << image;
    seen[image] = 1;
  }
}

// Every l in 1..300 with seeds at the edges (0, 1, 2^31, 2^32 - 2, 2^32 - 1:
// the last two wrap Kensler's 32-bit offset) and random seeds, and a few large
// l: powers of two (no cycle walking), one more (the most cycle walking) and a prime.
TEST(SamplerPermutation, IsABijectionOfZeroToL) {
  std::vector<std::uint32_t> seeds = {0u, 1u, 0x80000000u, 0xfffffffeu, 0xffffffffu};
  for (std::uint64_t k = 0; k < 4; ++k) {
    seeds.push_back(static_cast<std::uint32_t>(mcrisk::sampling::detail::philox_draw(9, 9, k, 0).v[0]));
  }
  for (std::uint32_t l = 1; l <= 300; ++l) {
    for (std::uint32_t p : seeds) expect_bijection(l, p);
  }
  for (std::uint32_t l : {1u << 16, (1u << 16) + 1, 1000003u, 1u << 21, (1u << 21) + 1}) {
    expect_bijection(l, seeds.back());
  }
}

// The seed selects the permutation: on l = 1000, two seeds agree on about one
// element (Poisson(1) for independent permutations; 10 or more is a 1e-7 event).
TEST(SamplerPermutation, DifferentSeedsGiveDifferentPermutations) {
  const std::uint32_t l = 1000;
  for (std::uint32_t p = 0; p < 20; ++p) {
    std::size_t agree = 0;
    for (std::uint32_t i = 0; i < l; ++i) agree += permutation_element(i, l, p) == permutation_element(i, l, p + 0x9e3779b9u);
    EXPECT_LT(agree, 10u) << "seed " << p;
  }
}

// ---------------------------------------------------------------------------
// Latin hypercube.
// ---------------------------------------------------------------------------

// M = 1000, 3 replicates, 6 dimensions: in each replicate and dimension exactly
// one point per stratum [j/M, (j+1)/M), strictly inside it (exact arithmetic),
// and the stratum is stratum(r, d, i).
TEST(LatinHypercubeSampler, OnePointPerStratumInEveryReplicateAndDimension) {
  const std::uint64_t m = 1000;
  const std::size_t dimensions = 6, replicates = 3, n = m * replicates;
  const LatinHypercubeSampler sampler(31, dimensions, m);
  std::vector<double> u(dimensions * n);
  sampler.fill(0, n, u.data(), n);
  for (std::size_t r = 0; r < replicates; ++r) {
    for (std::size_t d = 0; d < dimensions; ++d) {
      std::vector<int> count(m, 0);
      for (std::size_t i = 0; i < m; ++i) {
        const auto [stratum, on_edge] = exact_stratum(u[d * n + r * m + i], m);
        ASSERT_FALSE(on_edge) << "replicate " << r << " dimension " << d << " point " << i;
        ASSERT_EQ(stratum, sampler.stratum(r, d, i));
        ++count[stratum];
      }
      EXPECT_EQ(std::count(count.begin(), count.end(), 1), static_cast<std::ptrdiff_t>(m)) << "replicate " << r << " dimension " << d;
    }
  }
}

// Replicates (and dimensions) have their own permutations: the strata of
// replicate 0 and replicate 1 agree on about one point of 1000.
TEST(LatinHypercubeSampler, ReplicatesAndDimensionsHaveDifferentPermutations) {
  const std::uint64_t m = 1000;
  const LatinHypercubeSampler sampler(8, 4, m);
  for (std::size_t d = 0; d < 4; ++d) {
    std::size_t same_across_replicates = 0, same_across_dimensions = 0;
    for (std::uint64_t i = 0; i < m; ++i) {
      same_across_replicates += sampler.stratum(0, d, i) == sampler.stratum(1, d, i);
      same_across_dimensions += sampler.stratum(0, d, i) == sampler.stratum(0, (d + 1) % 4, i);
    }
    EXPECT_LT(same_across_replicates, 10u) << "dimension " << d;
    EXPECT_LT(same_across_dimensions, 10u) << "dimension " << d;
  }
}

// The jitter at its extremes, for the first and last stratum of many M: the
// point stays strictly inside its stratum. The naive (M - 1 + u01fixedpt(~0)) / M
// rounds to exactly 1.0 at M = 1000, which is why the jitter has fewer bits.
TEST(LatinHypercubeSampler, ExtremeJittersStayStrictlyInsideTheStratum) {
  const double naive = (999.0 + r123::u01fixedpt<double>(~std::uint64_t{0})) / 1000.0;
  EXPECT_EQ(naive, 1.0);
  const std::vector<std::uint64_t> jitters = {0, 1, 1ULL << 63, (1ULL << 63) - 1, ~std::uint64_t{0}, ~std::uint64_t{0} << 11};
  for (std::uint64_t m : {1ULL, 2ULL, 3ULL, 7ULL, 1000ULL, 1024ULL, 1025ULL, 999999ULL, 1ULL << 31, (1ULL << 32) - 1}) {
    const LatinHypercubeSampler sampler(1, 1, m);
    for (std::uint64_t stratum : {std::uint64_t{0}, m / 2, m - 1}) {
      for (std::uint64_t bits : jitters) {
        const double u = sampler.stratified_uniform(stratum, bits);
        ASSERT_GT(u, 0.0) << "M " << m << " stratum " << stratum << " bits " << bits;
        ASSERT_LT(u, 1.0) << "M " << m << " stratum " << stratum << " bits " << bits;
        const auto exact = exact_stratum(u, m);
        ASSERT_EQ(exact.stratum, stratum) << "M " << m << " bits " << bits;
        ASSERT_FALSE(exact.on_edge) << "M " << m << " stratum " << stratum << " bits " << bits;
      }
    }
  }
}

TEST(LatinHypercubeSampler, RejectsReplicateSizesOutsideOneToTwoToThe32) {
  EXPECT_THROW(LatinHypercubeSampler(1, 2, 0), std::invalid_argument);
  EXPECT_THROW(LatinHypercubeSampler(1, 2, 1ULL << 32), std::invalid_argument);
  EXPECT_NO_THROW(LatinHypercubeSampler(1, 2, (1ULL << 32) - 1));
  EXPECT_NO_THROW(LatinHypercubeSampler(1, 0, 5).fill(0, 10, nullptr, 10));  // no dimensions: nothing to write
}

// ---------------------------------------------------------------------------
// Sobol.
// ---------------------------------------------------------------------------

// The standard Sobol point i (origin first) as Boost's engine gives it: Boost
// skips the origin, so point i >= 1 is Boost's element i - 1.
std::vector<std::uint64_t> boost_sobol_point(std::size_t dimensions, std::uint64_t i) {
  std::vector<std::uint64_t> x(dimensions, 0);
  if (i == 0) return x;
  boost::random::sobol engine(dimensions);
  engine.seed(i - 1);
  for (auto& coordinate : x) coordinate = engine();
  return x;
}

// Every value is u01fixedpt(x_{i,d} XOR s_{r,d}), bit for bit, with x from
// Boost's engine, for replicates 0 and 5, M = 64, 10 dimensions.
TEST(SobolSampler, PointsAreBoostsSobolPointsDigitallyShifted) {
  const std::uint64_t m = 64;
  const std::size_t dimensions = 10;
  const SobolSampler sampler(3, dimensions, m);
  for (std::uint64_t r : {0ULL, 5ULL}) {
    std::vector<double> u(dimensions * m);
    sampler.fill(r * m, m, u.data(), m);
    for (std::uint64_t i = 0; i < m; ++i) {
      const auto x = boost_sobol_point(dimensions, i);
      for (std::size_t d = 0; d < dimensions; ++d) {
        ASSERT_EQ(u[d * m + i], r123::u01fixedpt<double>(x[d] ^ sampler.digital_shift(r, d))) << "replicate " << r << " point " << i << " dimension " << d;
      }
    }
  }
}

// The indexing, independently of Boost: dimension 0 of the Sobol sequence is
// the van der Corput sequence in Gray-code order, x_i = bitreverse(gray(i)) /
// 2^64; point 0 is the origin. The shift cancels in u_i XOR u_0.
TEST(SobolSampler, FirstDimensionIsGrayCodedVanDerCorputFromTheOrigin) {
  const std::uint64_t m = 1024;
  const SobolSampler sampler(17, 1, m);
  std::vector<double> u(m);
  sampler.fill(0, m, u.data(), m);
  // u01fixedpt(y) = (1 | y >> 11) 2^-53: u 2^53 recovers y's leading 53 bits (the last forced to 1).
  const auto leading = [](double v) { return static_cast<std::uint64_t>(std::ldexp(v, 53)) >> 1; };  // y >> 12
  for (std::uint64_t i = 0; i < m; ++i) {
    const std::uint64_t gray = i ^ (i >> 1);
    std::uint64_t reversed = 0;
    for (int b = 0; b < 64; ++b) reversed |= ((gray >> b) & 1u) << (63 - b);
    ASSERT_EQ(leading(u[i]) ^ leading(u[0]), reversed >> 12) << "point " << i;
  }
}

// M = 2^10: in every replicate and every dimension, exactly one point per
// interval [j/M, (j+1)/M) (a (0,m,1)-net; u M is exact, M being a power of two).
TEST(SobolSampler, EachReplicateHasOnePointPerIntervalInEveryDimension) {
  const std::uint64_t m = 1024;
  const std::size_t dimensions = 12, replicates = 4, n = m * replicates;
  const SobolSampler sampler(99, dimensions, m);
  std::vector<double> u(dimensions * n);
  sampler.fill(0, n, u.data(), n);
  for (std::size_t r = 0; r < replicates; ++r) {
    for (std::size_t d = 0; d < dimensions; ++d) {
      std::vector<int> count(m, 0);
      for (std::size_t i = 0; i < m; ++i) ++count[static_cast<std::size_t>(u[d * n + r * m + i] * static_cast<double>(m))];
      EXPECT_EQ(std::count(count.begin(), count.end(), 1), static_cast<std::ptrdiff_t>(m)) << "replicate " << r << " dimension " << d;
    }
  }
}

// The first two Sobol dimensions form a (0,m,2)-net, and a digital shift
// preserves it: with M = 2^10, every elementary box of area 1/M
// (2^a x 2^(10-a) boxes, a = 0..10; a = 5 is the 32 x 32 grid) holds exactly
// M / 1024 = 1 point, in every replicate.
TEST(SobolSampler, FirstTwoDimensionsFormAZeroMTwoNetInEveryReplicate) {
  const std::uint64_t m = 1024;
  const std::size_t replicates = 4, n = m * replicates;
  const SobolSampler sampler(2718, 2, m);
  std::vector<double> u(2 * n);
  sampler.fill(0, n, u.data(), n);
  for (std::size_t r = 0; r < replicates; ++r) {
    for (int a = 0; a <= 10; ++a) {
      const double columns = std::ldexp(1.0, a), rows = std::ldexp(1.0, 10 - a);
      std::vector<int> count(m, 0);
      for (std::size_t i = 0; i < m; ++i) {
        const auto column = static_cast<std::size_t>(u[r * m + i] * columns);
        const auto row = static_cast<std::size_t>(u[n + r * m + i] * rows);
        ++count[column * static_cast<std::size_t>(rows) + row];
      }
      EXPECT_EQ(std::count(count.begin(), count.end(), 1), static_cast<std::ptrdiff_t>(m)) << "replicate " << r << " boxes 2^" << a << " x 2^" << 10 - a;
    }
  }
}

// Replicates share the Sobol points but not the shift: no value of replicate 1
// equals the same (point, dimension) of replicate 0, and the origin is interior.
TEST(SobolSampler, EachReplicateHasItsOwnShift) {
  const std::uint64_t m = 256;
  const std::size_t dimensions = 5;
  const SobolSampler sampler(4, dimensions, m);
  std::vector<double> u(dimensions * 2 * m);
  sampler.fill(0, 2 * m, u.data(), 2 * m);
  for (std::size_t d = 0; d < dimensions; ++d) {
    EXPECT_NE(sampler.digital_shift(0, d), sampler.digital_shift(1, d));
    for (std::size_t i = 0; i < m; ++i) ASSERT_NE(u[d * 2 * m + i], u[d * 2 * m + m + i]) << "dimension " << d << " point " << i;
    EXPECT_GT(u[d * 2 * m], 0.0);
    EXPECT_EQ(u[d * 2 * m], r123::u01fixedpt<double>(sampler.digital_shift(0, d)));  // the origin, shifted
  }
}

TEST(SobolSampler, RejectsReplicateSizesThatAreNotPowersOfTwo) {
  for (std::uint64_t m : {0ULL, 3ULL, 6ULL, 1000ULL, 1023ULL, (1ULL << 40) + 1}) {
    try {
      SobolSampler(1, 3, m);
      ADD_FAILURE() << "accepted M = " << m;
    } catch (const std::invalid_argument& error) {
      EXPECT_THAT(error.what(), testing::HasSubstr("power of two")) << m;
    }
  }
  for (std::uint64_t m : {1ULL, 2ULL, 1024ULL, 1ULL << 40}) EXPECT_NO_THROW(SobolSampler(1, 3, m)) << m;
  EXPECT_THROW((void)UnitCubeSampler::create(SamplingMethod::Sobol, 1, 3, 1000), std::invalid_argument);
}

TEST(SobolSampler, RejectsMoreDimensionsThanBoostsTable) {
  EXPECT_EQ(SobolSampler::max_dimensions, 3667u);
  try {
    SobolSampler(1, SobolSampler::max_dimensions + 1, 16);
    ADD_FAILURE() << "accepted 3668 dimensions";
  } catch (const std::invalid_argument& error) {
    EXPECT_THAT(error.what(), testing::HasSubstr("at most 3667"));
  }
  const SobolSampler widest(1, SobolSampler::max_dimensions, 16);
  std::vector<double> u(SobolSampler::max_dimensions * 3);
  widest.fill(15, 3, u.data(), 3);  // straddles replicates 0 and 1
  EXPECT_EQ(u.back(), widest.uniform(17, SobolSampler::max_dimensions - 1));
  EXPECT_NO_THROW(SobolSampler(1, 0, 16).fill(0, 10, nullptr, 10));  // no dimensions: nothing to write
}

}  // namespace
