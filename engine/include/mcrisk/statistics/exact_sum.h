#pragma once
// An exact sum of doubles. Every addend goes into one wide fixed-point integer
// (Kulisch's "long accumulator", covering every finite double), so the sum does
// not depend on the order or the grouping of the additions: partial sums made
// by any thread, MPI rank or resumed checkpoint merge to the same bits. The
// engine adds one double per block of trials (the block's own sum, taken in
// trial order), so the cost is per block, not per trial.

#include <array>
#include <cstdint>
#include <string_view>

namespace mcrisk::util {
class ByteWriter;
class ByteReader;
}  // namespace mcrisk::util

namespace mcrisk::statistics {

class ExactSum {
 public:
  //! Adds a finite value exactly (throws std::domain_error for NaN or infinity).
  void add(double value);
  //! Adds another sum exactly.
  void merge(const ExactSum& other);
  //! The sum rounded to a double (the same double for the same exact sum).
  double value() const;

  //! The exact sum in canonical form: equal sums compare equal.
  bool operator==(const ExactSum& other) const;

  //! 64-bit words of the canonical form (for checkpoints and MPI messages), and back.
  static constexpr int kLimbs = 68;
  std::array<std::int64_t, kLimbs> canonical_limbs() const;
  static ExactSum from_limbs(const std::array<std::int64_t, kLimbs>& limbs);
  //! Writes the canonical limbs; reads them back, rejecting limbs that are not canonical (damaged data).
  void save(util::ByteWriter& out) const;
  static ExactSum load(util::ByteReader& in, std::string_view field);

 private:
  // Limb i holds the bits of weight 2^(32 i - 1074); a limb may run ahead of 32
  // bits between normalisations (carries are deferred), so up to 2^29 additions
  // fit before normalise() must propagate them.
  void normalise();
  std::array<std::int64_t, kLimbs> limbs_{};
  std::uint32_t pending_ = 0;
};

}  // namespace mcrisk::statistics
