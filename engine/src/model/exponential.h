#pragma once
// The exponential of the lognormal marginals (model library private), written
// so that a loop of it vectorises and gives glibc's bits.
//
// Why: glibc's exp is a call per value that no loop vectorises (libmvec's
// vector exp rounds differently), and a 4·10^6-trial R1 run on two threads
// spent 3.6% of its time in it, for R1's lognormal costs. Why not a new
// algorithm: the results would change (every lognormal draw in its last bits).
//
// The algorithm is glibc's own (sysdeps/ieee754/dbl-64/e_exp.c since 2.28, from
// Arm's optimized-routines math/exp.c, Szabolcs Nagy 2018, MIT licence):
// exp(x) = 2^(k/128) exp(r), k = round(128 x / ln 2), r = x - k ln2/128 in two
// parts; 2^(k/128) from a 128-entry table (the entry's exponent bits added to
// k's), exp(r) - 1 by a degree-5 polynomial; error at most 0.511 ulp. The
// constants and the table below are glibc's __exp_data. glibc compiles it with
// fused multiply-adds where its x86-64 CPU has them (the variant __exp_fma, which
// this machine's glibc runs), and the operations here are that variant's, fused
// the same way (read from its machine code): so every x it covers gets the
// bits of std::exp on such a CPU (tests/unit/exponential_test.cpp checks this
// where glibc 2.28 or later runs on an x86-64 CPU with FMA and AVX2, and the
// error against long double everywhere). On a CPU without FMA (whose glibc
// rounds differently) this gives the FMA bits through std::fma, libm's software
// fma there: the same results on every machine for every covered x, at a cost
// there (outside the AVX2 and AVX-512 clones, an exp is six calls to fma; slower
// on such a CPU, but results come first).
//
// Covered: 2^-54 <= |x| < 512 (exp_covers). Outside it (tiny x, huge x, inf,
// NaN) glibc has special cases; exponential() calls std::exp there, so for
// 512 <= |x| < 745 (exp near overflow or underflow: no model's lognormal) the
// last bit still follows the machine's glibc.

#include <cmath>
#include <cstdint>
#include <cstring>

namespace mcrisk::model::detail {

//! glibc's __exp_data.tab: for j < 128, entry 2j is the tail of 2^(j/128) (its
//! next bits, as a double) and entry 2j + 1 the bits of 2^(j/128) less j << 45.
extern const std::uint64_t kExpTable[256];

//! True where exp_in_range() gives exp(x): 2^-54 <= |x| < 512 (false for NaN and inf).
[[gnu::always_inline]] inline bool exp_covers(double x) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  // glibc's test: abstop - top12(2^-54) < top12(512) - top12(2^-54), unsigned.
  return ((bits >> 52) & 0x7ff) - 0x3c9 < 0x3f;
}

//! exp(x) where exp_covers(x), without a branch, so that a loop of it vectorises (the
//! table read is a gather, always within the table); other x give an unspecified value
//! (NaN for inf, NaN and large |x|; no trap: the project compiles with -fno-trapping-math).
[[gnu::always_inline]] inline double exp_in_range(double x) {
  constexpr double kInvLn2N = 0x1.71547652b82fep+7;     // 128 / ln 2
  constexpr double kNegLn2HiN = -0x1.62e42fefa0000p-8;  // -ln 2 / 128, high part
  constexpr double kNegLn2LoN = -0x1.cf79abc9e3b3ap-47;  // and low part
  constexpr double kShift = 0x1.8p52;                    // rounds to an integer in the low mantissa bits
  constexpr double kC2 = 0x1.ffffffffffdbdp-2, kC3 = 0x1.555555555543cp-3, kC4 = 0x1.55555cf172b91p-5,
                   kC5 = 0x1.1111167a4d017p-7;
  const double shifted = std::fma(x, kInvLn2N, kShift);  // k + shift, k = round(x 128 / ln 2)
  std::uint64_t k_bits = 0;
  std::memcpy(&k_bits, &shifted, sizeof k_bits);
  const double k = shifted - kShift;
  const double r = std::fma(k, kNegLn2LoN, std::fma(k, kNegLn2HiN, x));
  const std::uint64_t index = 2 * (k_bits & 127);
  double tail = 0;
  std::memcpy(&tail, &kExpTable[index], sizeof tail);
  const std::uint64_t scale_bits = kExpTable[index + 1] + (k_bits << 45);
  double scale = 0;
  std::memcpy(&scale, &scale_bits, sizeof scale);
  const double r2 = r * r;
  const double low_terms = std::fma(std::fma(r, kC3, kC2), r2, r + tail);
  const double tmp = std::fma(r2 * r2, std::fma(r, kC5, kC4), low_terms);
  return std::fma(scale, tmp, scale);
}

//! exp(x) for every x: exp_in_range() where it covers x, else std::exp. Out of line, in vector
//! clones (util/vector_clones.h), so that a scalar call uses an FMA instruction where the CPU has one.
double exponential(double x);

//! True where std::exp is glibc's FMA variant, whose bits exp_in_range() gives: glibc 2.28 or later
//! (its algorithm since) on an x86-64 CPU with FMA and AVX2 (what glibc's dispatch asks for). For tests.
inline bool std_exp_is_glibc_fma_variant() {
#if defined(__x86_64__) && defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 28))
  __builtin_cpu_init();
  return __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

}  // namespace mcrisk::model::detail
