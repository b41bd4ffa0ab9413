#pragma once
// The natural logarithm of Φ⁻¹'s tails (model library private), written so that
// a loop of it vectorises and every vector width gives the same bits.
//
// Why not glibc's log: it is a call per value that no loop vectorises (libmvec's
// vector logs round differently from the scalar one and from each other), and
// on the sampling path it was a third of Φ⁻¹'s time (4.75% of a 4·10^6-trial R1
// run on one thread, for the 15% of normal scores in AS241's tails). Nor SLEEF
// (Debian's libsleef): its vector functions are separate builds per instruction
// set, where this project's invariant is one result on every clone
// (util/vector_clones.h).
//
// The algorithm is fdlibm's e_log.c (Sun Microsystems, 1993: "Permission to use,
// copy, modify, and distribute this software is freely granted, provided that
// this notice is preserved"), error below 1 ulp: x = 2^k (1 + f) with
// 1 + f in [sqrt(2)/2, sqrt(2)), s = f / (2 + f), and
//   log(1 + f) = f - s (f - R(s^2)),  R a degree-14 minimax polynomial (Lg1..Lg7),
// with fdlibm's two forms for |f| large or small, and its series for
// |f| < 2^-20. Its branches are selects here, all in 64-bit lanes (k reaches
// double through the exponent field's bits, not an int-to-double conversion
// AVX2 does not have), and the project compiles with -ffp-contract=off, so the
// scalar function and the AVX2 and AVX-512 clones of a loop agree bit for bit.
// tests/unit/natural_log_test.cpp checks it against a long-double reference
// (error < 1 ulp) and pins the bits where fdlibm's forms differ;
// tests/statistical/distribution_test.cpp checks the block Φ⁻¹ (the test
// machine's clone, so the vector loop of this function) against the scalar one.

#include <cstdint>
#include <cstring>

namespace mcrisk::model::detail {

//! log(x) for a normal, positive, finite x (x >= 2^-1022): no branch, so a loop of it vectorises. Other x
//! give an unspecified value (no trap, no undefined behaviour): natural_log() handles them.
//! extra_exponent is added to x's binary exponent (natural_log() passes -54 for a subnormal scaled by 2^54).
[[gnu::always_inline]] inline double log_of_normal(double x, std::int64_t extra_exponent = 0) {
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 3fe62e42 fee00000
  constexpr double kLn2Lo = 1.90821492927058770002e-10;  // 3dea39ef 35793c76
  constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01, kLg3 = 2.857142874366239149e-01,
                   kLg4 = 2.222219843214978396e-01, kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01,
                   kLg7 = 1.479819860511658591e-01;
  std::uint64_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  const std::int64_t high = std::int64_t(bits >> 32) & 0x7fffffff;  // fdlibm's hx (sign clear: x > 0)
  const std::int64_t mantissa_high = high & 0x000fffff;
  // i: 0x100000 when the mantissa's high bits are at least 0x6a09c (fdlibm's split, just below sqrt(2) - 1),
  // so that 1 + f is taken as x / 2^(k+1), in about [sqrt(2)/2, 1).
  const std::int64_t i = (mantissa_high + 0x95f64) & 0x100000;
  const std::int64_t k = (high >> 20) - 1023 + extra_exponent + (i >> 20);
  // x normalised into [sqrt(2)/2, sqrt(2)): its high word's exponent field set to 0x3ff or 0x3fe.
  const std::uint64_t normalised_bits =
      (std::uint64_t(mantissa_high | (i ^ 0x3ff00000)) << 32) | (bits & 0xffffffffu);
  double normalised = 0;
  std::memcpy(&normalised, &normalised_bits, sizeof normalised);
  const double f = normalised - 1.0;
  // dk = k exactly, in 64-bit lanes: 2^52 + 2^51 + k has k in its low mantissa bits (|k| < 2^31).
  constexpr double kMagic = 0x1.8p52;
  const std::uint64_t magic_bits = std::uint64_t(0x4338000000000000) + std::uint64_t(k);
  double shifted = 0;
  std::memcpy(&shifted, &magic_bits, sizeof shifted);
  const double dk = shifted - kMagic;
  // |f| < 2^-20: fdlibm's short series (for k == 0 its f - R is the same value as 0 - (R - f)).
  const double series = f * f * (0.5 - 0.33333333333333333 * f);
  const double near_power_of_two = dk * kLn2Hi - ((series - dk * kLn2Lo) - f);
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double w = z * z;
  const double t1 = w * (kLg2 + w * (kLg4 + w * kLg6));
  const double t2 = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7)));
  const double r = t2 + t1;
  const double half_f_squared = 0.5 * f * f;
  const double large_f = dk * kLn2Hi - ((half_f_squared - (s * (half_f_squared + r) + dk * kLn2Lo)) - f);
  const double small_f = dk * kLn2Hi - ((s * (f - r) - dk * kLn2Lo) - f);
  const bool large = ((mantissa_high - 0x6147a) | (0x6b851 - mantissa_high)) > 0;
  const bool tiny = ((2 + mantissa_high) & 0x000fffff) < 3;
  const double general = large ? large_f : small_f;
  return tiny ? near_power_of_two : general;
}

//! log(x) for every x, as fdlibm: -inf at +-0, NaN below 0 and at NaN, +inf at +inf; subnormals scaled first.
double natural_log(double x);

}  // namespace mcrisk::model::detail
