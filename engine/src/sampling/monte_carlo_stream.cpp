#include "monte_carlo_stream.h"

#include <Random123/philox.h>

#include <bit>
#include <stdexcept>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MCRISK_STREAM_X86 1
#include <immintrin.h>
#endif

namespace mcrisk::sampling::detail {

namespace {

// Philox4x32-10's multipliers and key increments (Random123's PHILOX_M4x32_0/1 and PHILOX_W32_0/1).
constexpr std::uint32_t kMultiplier0 = 0xD2511F53U, kMultiplier1 = 0xCD9E8D57U;
constexpr std::uint32_t kKeyStep0 = 0x9E3779B9U, kKeyStep1 = 0xBB67AE85U;
constexpr int kRounds = 10;
static_assert(r123::Philox4x32::rounds == kRounds);

constexpr std::uint64_t kOneBits = 0x3FF0000000000000ULL;  // 1.0: the exponent of [1, 2)
constexpr double kHalfStep = 0x1p-53;                     // half of the 2^-52 grid

// Dimensions 2 pair and 2 pair + 1 of trials [first_trial + begin, first_trial + end), one trial at a time.
void fill_portable(std::uint64_t seed, std::uint64_t first_trial, std::size_t begin, std::size_t end, std::size_t dimensions, double* u,
                   std::size_t stride) {
  const r123::Philox4x32 philox;
  const r123::Philox4x32::key_type key = {{std::uint32_t(seed), std::uint32_t(seed >> 32)}};
  for (std::size_t first_dimension = 0; first_dimension < dimensions; first_dimension += 2) {
    const bool second = first_dimension + 1 < dimensions;
    double* row = u + first_dimension * stride;
    for (std::size_t i = begin; i < end; ++i) {
      const std::uint64_t trial = first_trial + i;
      const r123::Philox4x32::ctr_type counter = {
          {std::uint32_t(trial), std::uint32_t(trial >> 32), std::uint32_t(first_dimension / 2), kMonteCarloStreamTag}};
      const auto words = philox(counter, key);
      row[i] = uniform_from_words(words.v[0], words.v[1]);
      if (second) row[stride + i] = uniform_from_words(words.v[2], words.v[3]);
    }
  }
}

#ifdef MCRISK_STREAM_X86
// GCC 12's AVX-512 shifts start from _mm512_undefined_epi32(), an intentionally unset vector its
// -Wmaybe-uninitialized then reports at every inlined shift.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
// The vector kernels keep each 32-bit word in a 64-bit lane (trial t in lane t mod the width): vpmuludq
// multiplies the low halves of the lanes into whole 64-bit products, so a round is two multiplies, two
// shifts and two three-way XORs, with no shuffles. The high halves of the lanes other than the products'
// may hold anything: the multiplies ignore them and the uniforms are built from low halves only.
// Several vectors of trials go through the rounds together, so that one's multiplies overlap another's:
// four of AVX-512's (32 registers; R1's uniforms 29.5 -> 26.2 ns a trial against two), two of AVX2's (16).
// The two kernels are one algorithm written twice: GCC 12 does not inline target-specific helpers into
// a template (or lambda) that is not itself of that target, so it cannot be written once for both.

// Philox4x32-10's key in each round: the seed's two halves, each bumped by its step after every round
// (Random123's philox4x32_R), computed once for both vector kernels, which broadcast them.
struct RoundKeys {
  std::uint32_t first[kRounds], second[kRounds];
};

RoundKeys round_keys(std::uint64_t seed) {
  RoundKeys keys{};
  std::uint32_t k0 = std::uint32_t(seed), k1 = std::uint32_t(seed >> 32);
  for (int round = 0; round < kRounds; ++round, k0 += kKeyStep0, k1 += kKeyStep1) {
    keys.first[round] = k0;
    keys.second[round] = k1;
  }
  return keys;
}

// uniform_from_words() on each lane: `high`'s low half above `low`'s low half.
__attribute__((target("avx512f"), always_inline)) inline __m512d to_uniform(__m512i high, __m512i low) {
  const __m512i word = _mm512_mask_blend_epi32(0x5555, _mm512_slli_epi64(high, 32), low);  // even (low) halves from `low`
  const __m512d in_one_two = _mm512_castsi512_pd(_mm512_or_si512(_mm512_srli_epi64(word, 12), _mm512_set1_epi64(std::int64_t(kOneBits))));
  return _mm512_add_pd(_mm512_sub_pd(in_one_two, _mm512_set1_pd(1.0)), _mm512_set1_pd(kHalfStep));
}

__attribute__((target("avx2"), always_inline)) inline __m256d to_uniform(__m256i high, __m256i low) {
  const __m256i word = _mm256_blend_epi32(_mm256_slli_epi64(high, 32), low, 0x55);  // even (low) halves from `low`
  const __m256d in_one_two = _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(word, 12), _mm256_set1_epi64x(std::int64_t(kOneBits))));
  return _mm256_add_pd(_mm256_sub_pd(in_one_two, _mm256_set1_pd(1.0)), _mm256_set1_pd(kHalfStep));
}

__attribute__((target("avx2"), always_inline)) inline __m256i xor3(__m256i a, __m256i b, __m256i c) {
  return _mm256_xor_si256(_mm256_xor_si256(a, b), c);
}

__attribute__((target("avx512f"))) std::size_t fill_avx512(const RoundKeys& keys, std::uint64_t first_trial, std::size_t n,
                                                           std::size_t dimensions, double* u, std::size_t stride) {
  constexpr std::size_t kLanes = 8, kInterleave = 4, kStep = kLanes * kInterleave;
  __m512i key0[kRounds], key1[kRounds];
  for (int round = 0; round < kRounds; ++round) {
    key0[round] = _mm512_set1_epi64(keys.first[round]);
    key1[round] = _mm512_set1_epi64(keys.second[round]);
  }
  const __m512i multiplier0 = _mm512_set1_epi64(kMultiplier0), multiplier1 = _mm512_set1_epi64(kMultiplier1);
  const __m512i lane_offsets = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), tag = _mm512_set1_epi64(kMonteCarloStreamTag);
  const std::size_t whole = n - n % kStep;
  for (std::size_t first_dimension = 0; first_dimension < dimensions; first_dimension += 2) {
    const bool second = first_dimension + 1 < dimensions;
    const __m512i pair = _mm512_set1_epi64(std::int64_t(first_dimension / 2));
    double* row = u + first_dimension * stride;
    for (std::size_t base = 0; base < whole; base += kStep) {
      __m512i x0[kInterleave], x1[kInterleave], x2[kInterleave], x3[kInterleave];
      for (std::size_t v = 0; v < kInterleave; ++v) {
        const __m512i trial = _mm512_add_epi64(lane_offsets, _mm512_set1_epi64(std::int64_t(first_trial + base + v * kLanes)));
        x0[v] = trial;
        x1[v] = _mm512_srli_epi64(trial, 32);
        x2[v] = pair;
        x3[v] = tag;
      }
      for (int round = 0; round < kRounds; ++round) {
        for (std::size_t v = 0; v < kInterleave; ++v) {
          const __m512i product0 = _mm512_mul_epu32(x0[v], multiplier0), product1 = _mm512_mul_epu32(x2[v], multiplier1);
          x0[v] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(product1, 32), x1[v], key0[round], 0x96);  // a ^ b ^ c
          x2[v] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(product0, 32), x3[v], key1[round], 0x96);
          x1[v] = product1;
          x3[v] = product0;
        }
      }
      for (std::size_t v = 0; v < kInterleave; ++v) {
        _mm512_storeu_pd(row + base + v * kLanes, to_uniform(x0[v], x1[v]));
        if (second) _mm512_storeu_pd(row + stride + base + v * kLanes, to_uniform(x2[v], x3[v]));
      }
    }
  }
  return whole;
}

__attribute__((target("avx2"))) std::size_t fill_avx2(const RoundKeys& keys, std::uint64_t first_trial, std::size_t n, std::size_t dimensions,
                                                     double* u, std::size_t stride) {
  constexpr std::size_t kLanes = 4, kInterleave = 2, kStep = kLanes * kInterleave;
  __m256i key0[kRounds], key1[kRounds];
  for (int round = 0; round < kRounds; ++round) {
    key0[round] = _mm256_set1_epi64x(keys.first[round]);
    key1[round] = _mm256_set1_epi64x(keys.second[round]);
  }
  const __m256i multiplier0 = _mm256_set1_epi64x(kMultiplier0), multiplier1 = _mm256_set1_epi64x(kMultiplier1);
  const __m256i lane_offsets = _mm256_set_epi64x(3, 2, 1, 0), tag = _mm256_set1_epi64x(kMonteCarloStreamTag);
  const std::size_t whole = n - n % kStep;
  for (std::size_t first_dimension = 0; first_dimension < dimensions; first_dimension += 2) {
    const bool second = first_dimension + 1 < dimensions;
    const __m256i pair = _mm256_set1_epi64x(std::int64_t(first_dimension / 2));
    double* row = u + first_dimension * stride;
    for (std::size_t base = 0; base < whole; base += kStep) {
      __m256i x0[kInterleave], x1[kInterleave], x2[kInterleave], x3[kInterleave];
      for (std::size_t v = 0; v < kInterleave; ++v) {
        const __m256i trial = _mm256_add_epi64(lane_offsets, _mm256_set1_epi64x(std::int64_t(first_trial + base + v * kLanes)));
        x0[v] = trial;
        x1[v] = _mm256_srli_epi64(trial, 32);
        x2[v] = pair;
        x3[v] = tag;
      }
      for (int round = 0; round < kRounds; ++round) {
        for (std::size_t v = 0; v < kInterleave; ++v) {
          const __m256i product0 = _mm256_mul_epu32(x0[v], multiplier0), product1 = _mm256_mul_epu32(x2[v], multiplier1);
          x0[v] = xor3(_mm256_srli_epi64(product1, 32), x1[v], key0[round]);
          x2[v] = xor3(_mm256_srli_epi64(product0, 32), x3[v], key1[round]);
          x1[v] = product1;
          x3[v] = product0;
        }
      }
      for (std::size_t v = 0; v < kInterleave; ++v) {
        _mm256_storeu_pd(row + base + v * kLanes, to_uniform(x0[v], x1[v]));
        if (second) _mm256_storeu_pd(row + stride + base + v * kLanes, to_uniform(x2[v], x3[v]));
      }
    }
  }
  return whole;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

}  // namespace

double uniform_from_words(std::uint32_t high, std::uint32_t low) {
  const std::uint64_t word = (std::uint64_t{high} << 32) | low;
  // A double in [1, 2) whose mantissa is the word's top 52 bits; minus 1 is exact (k 2^-52), and so is + 2^-53.
  return (std::bit_cast<double>((word >> 12) | kOneBits) - 1.0) + kHalfStep;
}

double monte_carlo_uniform(std::uint64_t seed, std::uint64_t trial, std::size_t dimension) {
  const r123::Philox4x32 philox;
  const r123::Philox4x32::key_type key = {{std::uint32_t(seed), std::uint32_t(seed >> 32)}};
  const r123::Philox4x32::ctr_type counter = {{std::uint32_t(trial), std::uint32_t(trial >> 32), std::uint32_t(dimension / 2), kMonteCarloStreamTag}};
  const auto words = philox(counter, key);
  return dimension % 2 == 0 ? uniform_from_words(words.v[0], words.v[1]) : uniform_from_words(words.v[2], words.v[3]);
}

bool stream_kernel_available(StreamKernel kernel) {
  switch (kernel) {
    case StreamKernel::Portable: return true;
#ifdef MCRISK_STREAM_X86
    case StreamKernel::Avx2: return __builtin_cpu_supports("avx2");
    case StreamKernel::Avx512: return __builtin_cpu_supports("avx512f");
#else
    case StreamKernel::Avx2:
    case StreamKernel::Avx512: return false;
#endif
  }
  return false;
}

StreamKernel fastest_stream_kernel() {
  static const StreamKernel fastest = [] {
    for (const StreamKernel kernel : {StreamKernel::Avx512, StreamKernel::Avx2}) {
      if (stream_kernel_available(kernel)) return kernel;
    }
    return StreamKernel::Portable;
  }();
  return fastest;
}

void fill_monte_carlo(StreamKernel kernel, std::uint64_t seed, std::uint64_t first_trial, std::size_t n, std::size_t dimensions, double* u,
                      std::size_t stride) {
  if (!stream_kernel_available(kernel)) throw std::invalid_argument("this machine cannot run the requested Monte Carlo stream kernel");
  std::size_t done = 0;  // the vector kernels do whole vectors of trials, the portable one the rest
#ifdef MCRISK_STREAM_X86
  if (kernel == StreamKernel::Avx512) done = fill_avx512(round_keys(seed), first_trial, n, dimensions, u, stride);
  if (kernel == StreamKernel::Avx2) done = fill_avx2(round_keys(seed), first_trial, n, dimensions, u, stride);
#endif
  fill_portable(seed, first_trial, done, n, dimensions, u, stride);
}

}  // namespace mcrisk::sampling::detail
