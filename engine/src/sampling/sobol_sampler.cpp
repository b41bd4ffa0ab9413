#include "mcrisk/sampling/sobol_sampler.h"

#include "permutation.h"

#include <Random123/uniform.hpp>
#include <boost/random/sobol.hpp>

#include <bit>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace mcrisk::sampling {

namespace {

using Engine = boost::random::sobol;

// boost::random::sobol is sobol_engine<uint_least64_t, 64>: its coordinates are
// 64-bit integers whose direction numbers are already left-aligned (the
// lattice shifts bit j's number up to bit 63), so x / 2^64 is the point and no
// re-alignment is needed before the shift.
static_assert(std::is_same_v<Engine::result_type, std::uint64_t>);
static_assert((Engine::min)() == 0 && (Engine::max)() == std::numeric_limits<std::uint64_t>::max(),
              "the Sobol coordinates must span all 64 bits");
static_assert(SobolSampler::max_dimensions == boost::random::default_sobol_table::max_dimension);

}  // namespace

// What Boost's engine does, read from boost/random/detail/gray_coded_qrng.hpp
// (Boost 1.74):
//  - It walks the sequence in Gray-code order, and its element s (after
//    seed(s)) is the Sobol point with Gray-code index s + 1: seed() starts at
//    the point whose Gray code is 1, i.e. Boost skips the origin. Point i of
//    the standard sequence (origin first), which the net property needs
//    (points 0 .. 2^m - 1), is therefore Boost's element i - 1.
//  - seed(s) zeroes the state and XORs in the direction numbers of the set bits
//    of gray(s + 1): O(dimensions x log2 s). Each further point costs one XOR
//    of a direction number per dimension.
//  - Construction builds the 64 x dimensions direction-number table.
// So the engine is built once here and fill() copies it (64 x dimensions
// words), seeds it once per replicate piece and then generates sequentially.
struct SobolSampler::Generator {
  explicit Generator(std::size_t dimensions) : engine(dimensions) {}
  Engine engine;
};

SobolSampler::SobolSampler(std::uint64_t seed, std::size_t dimensions, std::uint64_t replicate_size)
    : seed_(seed), dimensions_(dimensions), replicate_size_(replicate_size) {
  if (!std::has_single_bit(replicate_size)) {
    throw std::invalid_argument("Sobol replicate size must be a power of two (1, 2, 4, ..., 1024, ...), got " +
                                std::to_string(replicate_size));
  }
  if (dimensions > max_dimensions) {
    throw std::invalid_argument("Sobol sampling supports at most " + std::to_string(max_dimensions) +
                                " dimensions (Boost.Random's direction-number table), the model needs " +
                                std::to_string(dimensions));
  }
  if (dimensions > 0) generator_ = std::make_shared<const Generator>(dimensions);
}

std::uint64_t SobolSampler::digital_shift(std::uint64_t replicate, std::size_t dimension) const {
  return detail::philox_draw(seed_, detail::kSobolShiftTag, replicate, dimension / 4).v[dimension % 4];
}

void SobolSampler::fill(std::uint64_t first_trial, std::size_t n, double* u, std::size_t stride) const {
  if (n == 0 || dimensions_ == 0) return;
  Engine engine = generator_->engine;
  std::vector<std::uint64_t> shift(dimensions_);
  detail::for_each_replicate_piece(
      first_trial, n, replicate_size_, [&](std::uint64_t replicate, std::uint64_t first_index, std::size_t offset, std::size_t count) {
        for (std::size_t group = 0; group * 4 < dimensions_; ++group) {
          const auto bits = detail::philox_draw(seed_, detail::kSobolShiftTag, replicate, group);
          for (std::size_t lane = 0; lane < 4 && group * 4 + lane < dimensions_; ++lane) shift[group * 4 + lane] = bits.v[lane];
        }
        std::size_t j = offset;
        if (first_index == 0) {
          // The origin: its coordinates are 0, so the point is the shift itself.
          for (std::size_t d = 0; d < dimensions_; ++d) u[d * stride + j] = r123::u01fixedpt<double>(shift[d]);
          ++j;
          engine.seed(0);
        } else {
          engine.seed(first_index - 1);
        }
        // The engine yields the coordinates of one point, dimension by
        // dimension, then advances to the next point.
        for (; j < offset + count; ++j) {
          for (std::size_t d = 0; d < dimensions_; ++d) u[d * stride + j] = r123::u01fixedpt<double>(engine() ^ shift[d]);
        }
      });
}

double SobolSampler::uniform(std::uint64_t trial, std::size_t dimension) const {
  if (dimension >= dimensions_) throw std::out_of_range("dimension beyond the sampler's");
  const std::uint64_t replicate = trial / replicate_size_;
  const std::uint64_t index = trial % replicate_size_;
  const std::uint64_t shift = digital_shift(replicate, dimension);
  if (index == 0) return r123::u01fixedpt<double>(shift);
  Engine engine = generator_->engine;
  engine.seed(index - 1);
  engine.discard(dimension);
  return r123::u01fixedpt<double>(engine() ^ shift);
}

}  // namespace mcrisk::sampling
