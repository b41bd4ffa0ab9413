#include "mcrisk/statistics/exact_sum.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "mcrisk/util/byte_codec.h"

namespace mcrisk::statistics {

namespace {
constexpr int kLimbBits = 32;
constexpr int kLowestExponent = -1074;  // the weight of the smallest subnormal double
constexpr std::int64_t kLimbMask = (std::int64_t{1} << kLimbBits) - 1;
constexpr std::uint32_t kNormaliseEvery = 1u << 29;  // each addition adds < 2^32 to a limb: 2^29 of them stay below 2^61
}  // namespace

void ExactSum::add(double value) {
  if (!std::isfinite(value)) throw std::domain_error("exact sum of a non-finite value");
  if (value == 0.0) return;
  // |value| = mantissa 2^(position + kLowestExponent), read from the bits: a normal double's 52 stored bits
  // and its implicit one, at its biased exponent less one; a subnormal's stored bits at position 0.
  // (frexp and ldexp gave the same integers, at two library calls per addition.)
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(value);
  const auto biased_exponent = int((bits >> 52) & 0x7ff);
  const std::uint64_t stored = bits & ((std::uint64_t{1} << 52) - 1);
  const std::uint64_t mantissa = biased_exponent > 0 ? stored | (std::uint64_t{1} << 52) : stored;
  const int position = biased_exponent > 0 ? biased_exponent - 1 : 0;  // weight of the mantissa's lowest bit
  const int limb = position / kLimbBits, offset = position % kLimbBits;
  // mantissa << offset spans up to 85 bits: its three 32-bit chunks.
  const std::uint64_t mask = std::uint64_t(kLimbMask);
  const std::uint64_t chunks[3] = {(mantissa << offset) & mask, (mantissa >> (kLimbBits - offset)) & mask,
                                   offset == 0 ? 0 : mantissa >> (2 * kLimbBits - offset)};
  const std::int64_t sign = value < 0 ? -1 : 1;
  for (int k = 0; k < 3 && limb + k < kLimbs; ++k) limbs_[std::size_t(limb) + std::size_t(k)] += sign * std::int64_t(chunks[k]);
  if (++pending_ >= kNormaliseEvery) normalise();
}

void ExactSum::normalise() {
  for (std::size_t i = 0; i + 1 < limbs_.size(); ++i) {
    const std::int64_t carry = limbs_[i] >> kLimbBits;  // floor division: the limb keeps [0, 2^32)
    limbs_[i] -= carry * (std::int64_t{1} << kLimbBits);
    limbs_[i + 1] += carry;
  }
  pending_ = 0;
}

void ExactSum::merge(const ExactSum& other) {
  ExactSum canonical = other;
  canonical.normalise();
  normalise();
  for (std::size_t i = 0; i < limbs_.size(); ++i) limbs_[i] += canonical.limbs_[i];
  normalise();
}

std::array<std::int64_t, ExactSum::kLimbs> ExactSum::canonical_limbs() const {
  ExactSum copy = *this;
  copy.normalise();
  return copy.limbs_;
}

ExactSum ExactSum::from_limbs(const std::array<std::int64_t, kLimbs>& limbs) {
  ExactSum sum;
  sum.limbs_ = limbs;
  sum.normalise();
  return sum;
}

void ExactSum::save(util::ByteWriter& out) const {
  for (std::int64_t limb : canonical_limbs()) out.i64(limb);
}

ExactSum ExactSum::load(util::ByteReader& in, std::string_view field) {
  std::array<std::int64_t, kLimbs> limbs{};
  for (auto& limb : limbs) limb = in.i64(field);
  // Canonical: every limb but the top one (the sign) holds 32 bits.
  for (std::size_t i = 0; i + 1 < limbs.size(); ++i) {
    if (limbs[i] < 0 || limbs[i] > kLimbMask) in.fail(fmt::format("is damaged: {} has a limb out of range", field));
  }
  return from_limbs(limbs);
}

bool ExactSum::operator==(const ExactSum& other) const { return canonical_limbs() == other.canonical_limbs(); }

double ExactSum::value() const {
  std::array<std::int64_t, kLimbs> limbs = canonical_limbs();
  // Canonical form is two's complement: limbs below the top in [0, 2^32), the top
  // one signed. Convert the magnitude, most significant limb first, so that the
  // rounding is the same for the same exact sum.
  const bool negative = limbs.back() < 0;
  if (negative) {
    for (auto& limb : limbs) limb = -limb;
    for (std::size_t i = 0; i + 1 < limbs.size(); ++i) {
      const std::int64_t carry = limbs[i] >> kLimbBits;
      limbs[i] -= carry * (std::int64_t{1} << kLimbBits);
      limbs[i + 1] += carry;
    }
  }
  double magnitude = 0.0;
  for (std::size_t i = limbs.size(); i-- > 0;) {
    if (limbs[i] != 0) magnitude += std::ldexp(double(limbs[i]), int(i) * kLimbBits + kLowestExponent);
  }
  return negative ? -magnitude : magnitude;
}

}  // namespace mcrisk::statistics
