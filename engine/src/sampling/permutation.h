#pragma once
// Private helpers shared by the samplers: keyed Philox draws, which serve both
// as the per-trial uniforms and as a hash of (seed, replicate, dimension), and
// Kensler's storage-free permutations (pbrt-v4's PermutationElement).

#include <Random123/philox.h>

#include <cstddef>
#include <cstdint>

namespace mcrisk::sampling::detail {

using Philox = r123::Philox4x64;

//! Packs up to eight ASCII characters into a key word, first character most
//! significant, so the key's hexadecimal spells the name.
template <std::size_t N>
constexpr std::uint64_t stream_tag(const char (&name)[N]) {
  static_assert(N >= 1 && N <= 9, "a stream tag holds at most eight characters");
  std::uint64_t tag = 0;
  for (std::size_t i = 0; i + 1 < N; ++i) tag = (tag << 8) | static_cast<unsigned char>(name[i]);
  return tag;
}

// The second key word keeps the streams apart: the same seed gives unrelated
// bits for the LHS jitters, the LHS permutations and the Sobol digital shifts.
// (The MC uniforms are a Philox4x32 stream of their own: monte_carlo_stream.h.)
inline constexpr std::uint64_t kLatinJitterTag = stream_tag("lhs-jitr");
inline constexpr std::uint64_t kLatinPermutationTag = stream_tag("lhs-perm");
inline constexpr std::uint64_t kSobolShiftTag = stream_tag("sob-shft");

//! Philox4x64-10 at counter (c0, c1, 0, 0) under key (seed, tag): four 64-bit words.
inline Philox::ctr_type philox_draw(std::uint64_t seed, std::uint64_t tag, std::uint64_t c0, std::uint64_t c1) {
  Philox generator;
  const Philox::key_type key = {{seed, tag}};
  const Philox::ctr_type counter = {{c0, c1, 0, 0}};
  return generator(counter, key);
}

//! A pseudo-random permutation of [0, l), chosen by a 32-bit seed p, whose
//! elements are computed one at a time with no storage: Kensler 2013,
//! "Correlated Multi-Jittered Sampling", Listing 3 (pbrt-v4's
//! PermutationElement). Every step of the hash is invertible on the low bits
//! [0, w], so it permutes [0, 2^k) with 2^k >= l; cycle walking (hash again
//! until the value is below l) restricts it to a permutation of [0, l); a
//! final rotation by p mod l follows. Kensler and pbrt add p in 32 bits, which
//! wraps when p > 2^32 - l and then is not a bijection (l = 3, p = 2^32 - 1:
//! hashed values 0 and 1 both give 0); here the rotation is by p mod l.
//! The mask and the rotation are computed once per permutation, so an element
//! costs the hash and no division.
class Permutation {
 public:
  //! Requires l >= 1.
  Permutation(std::uint32_t l, std::uint32_t p) : l_(l), w_(l - 1), p_(p), rotation_(p % l) {
    w_ |= w_ >> 1;
    w_ |= w_ >> 2;
    w_ |= w_ >> 4;
    w_ |= w_ >> 8;
    w_ |= w_ >> 16;
  }

  //! The image of i < l.
  std::uint32_t operator()(std::uint32_t i) const {
    const std::uint32_t w = w_, p = p_;
    do {
      i ^= p;
      i *= 0xe170893dU;
      i ^= p >> 16;
      i ^= (i & w) >> 4;
      i ^= p >> 8;
      i *= 0x0929eb3fU;
      i ^= p >> 23;
      i ^= (i & w) >> 1;
      i *= 1U | p >> 27;
      i *= 0x6935fa69U;
      i ^= (i & w) >> 11;
      i *= 0x74dcb303U;
      i ^= (i & w) >> 2;
      i *= 0x9e501cc3U;
      i ^= (i & w) >> 2;
      i *= 0xc860a3dfU;
      i &= w;
      i ^= i >> 5;
    } while (i >= l_);
    // (i + p) mod l = (i + rotation) mod l, and i + rotation < 2 l.
    const std::uint64_t rotated = std::uint64_t{i} + rotation_;
    return static_cast<std::uint32_t>(rotated >= l_ ? rotated - l_ : rotated);
  }

 private:
  std::uint32_t l_;
  std::uint32_t w_;
  std::uint32_t p_;
  std::uint32_t rotation_;
};

//! Element i of the permutation of [0, l) chosen by p; requires 1 <= l, i < l.
inline std::uint32_t permutation_element(std::uint32_t i, std::uint32_t l, std::uint32_t p) { return Permutation(l, p)(i); }

//! Splits trials [first_trial, first_trial + n) at replicate boundaries and
//! calls visit(replicate, first_index, offset, count) for each piece: trials
//! first_trial + offset .. + count - 1 are points first_index .. of replicate.
template <typename Visit>
void for_each_replicate_piece(std::uint64_t first_trial, std::size_t n, std::uint64_t replicate_size, Visit&& visit) {
  std::size_t offset = 0;
  while (offset < n) {
    const std::uint64_t trial = first_trial + offset;
    const std::uint64_t replicate = trial / replicate_size;
    const std::uint64_t index = trial % replicate_size;
    const std::uint64_t left = replicate_size - index;
    const std::size_t count = left < n - offset ? static_cast<std::size_t>(left) : n - offset;
    visit(replicate, index, offset, count);
    offset += count;
  }
}

}  // namespace mcrisk::sampling::detail
