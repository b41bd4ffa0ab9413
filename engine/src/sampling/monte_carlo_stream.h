#pragma once
// The Monte Carlo stream: independent uniforms from Philox4x32-10 (Salmon et
// al., SC'11; Random123's r123::Philox4x32), defined one (trial, dimension) at
// a time and computed a block of trials at a time in vectors.
//
// The definition. Dimensions are taken in pairs: dimensions 2p and 2p + 1 of
// trial t are the four 32-bit words w0..w3 of
//   Philox4x32-10(counter = (t mod 2^32, t / 2^32, p, kMonteCarloStreamTag),
//                 key     = (seed mod 2^32, seed / 2^32)),
// dimension 2p from (w0, w1) and 2p + 1 from (w2, w3), each pair read as the
// 64-bit word x = w_high 2^32 + w_low and mapped to
//   u = (floor(x / 2^12) + 1/2) 2^-52,
// 52 bits in the open interval (0,1): never 0 or 1, so no inverse CDF sees an
// end point. Every operation is exact (integer arithmetic, then a double built
// from its bits, minus 1, plus 2^-53), so the vector kernels, the portable one
// and monte_carlo_uniform() give the same bits on any machine.
//
// Why Philox4x32 and not the 64-bit Philox4x64 the other streams use: its
// 32 x 32 -> 64-bit multiplies have a vector instruction (vpmuludq) and
// Philox4x64's 64 x 64 -> 128-bit ones have none. Eight trials a vector on
// AVX-512 (four vectors interleaved) make R1's 37 uniforms a trial about 2.9
// times faster than Philox4x64 on the scalar multiplier: BM_R1UniformsOnly
// 13.3M -> 38.3M trials/s (benchmarks/README.md, fifth 2026-12-04 session).
// A pair of words a uniform keeps 52 bits of resolution; one 32-bit word a
// uniform would be twice as fast again, but ties at 2^-32 and tails cut at
// 6.4 standard deviations are not what a 10^8-trial run should have.

#include <cstddef>
#include <cstdint>

namespace mcrisk::sampling::detail {

//! The counter's last word, "mcrk": keeps the MC stream apart from any other use of Philox4x32 with the same seed.
inline constexpr std::uint32_t kMonteCarloStreamTag = 0x6d63726bU;

//! u for the 64-bit word w_high 2^32 + w_low: (floor(x / 2^12) + 1/2) 2^-52, exactly.
double uniform_from_words(std::uint32_t high, std::uint32_t low);

//! The definition: the uniform of one (seed, trial, dimension).
double monte_carlo_uniform(std::uint64_t seed, std::uint64_t trial, std::size_t dimension);

//! The ways to compute a block: one trial at a time (any machine), or eight (AVX-512) or four (AVX2) trials a vector.
enum class StreamKernel { Portable, Avx2, Avx512 };
//! Whether this machine (and this build) can run the kernel.
bool stream_kernel_available(StreamKernel kernel);
//! The fastest kernel available, chosen once.
StreamKernel fastest_stream_kernel();

//! u[d * stride + i] = monte_carlo_uniform(seed, first_trial + i, d) for i < n, d < dimensions, by `kernel`
//! (which must be available). Every kernel writes the same bits.
void fill_monte_carlo(StreamKernel kernel, std::uint64_t seed, std::uint64_t first_trial, std::size_t n, std::size_t dimensions, double* u,
                      std::size_t stride);

}  // namespace mcrisk::sampling::detail
