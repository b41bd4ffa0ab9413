#pragma once
// A mergeable quantile sketch with integer counts, for runs too long to keep
// every trial (flat memory). Values are counted in buckets that hold every
// double sharing its sign, exponent and top `precision_bits` mantissa bits: a
// bucket's width is at most 2^-precision_bits of its values' magnitude, its
// index is a shift of the value's bits (no logarithm), and merging adds counts,
// which is exact, so any merge order (threads, MPI ranks, checkpoints) gives
// the same sketch and the same bits.
//
// What a query returns, and how wrong it can be: the k-th smallest value is
// reported as a point of the bucket that holds the true k-th smallest value
// (interpolated by rank inside the bucket, and never outside [min, max]), so
//   |reported - true| <= bucket width <= 2^-precision_bits |true|   (value error), and
//   |rank(reported) - k| <= count of that bucket                      (rank error),
// which the sketch reports with every query (Located::bucket_count) so a
// summary can state the worst rank error of the figures it prints.
//
// Counters are 16 bits, and a bucket that passes 2^16 - 1 carries into a 64-bit
// array of its page, made on the page's first carry: a count is low + 2^16 carry,
// exact at any size. Most buckets never carry (the busiest bucket of R1's total
// net held 430 values at 10^6 trials), so the counters take a quarter of the
// memory of 64-bit ones, and half of 32-bit ones, which made a 4·10^6-trial R1
// run on two threads about 5% faster (0.650 -> 0.620 s, interleaved median of 7;
// benchmarks/README.md).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "mcrisk/util/huge_pages.h"

namespace mcrisk::util {
class ByteWriter;
class ByteReader;
}  // namespace mcrisk::util

namespace mcrisk::statistics {

class QuantileSketch {
 public:
  //! Default 12 bits: value error at most 2.4e-4 relative (£244 on £1m); 8 KiB per binade in use (and
  //! 32 KiB more for a binade one of whose buckets has passed 2^16 - 1 values).
  static constexpr int kDefaultPrecisionBits = 12;
  explicit QuantileSketch(int precision_bits = kDefaultPrecisionBits);
  QuantileSketch(const QuantileSketch& other);
  QuantileSketch& operator=(const QuantileSketch& other);
  //! A move leaves the source an empty sketch of the same precision, usable again (its page table is
  //! made on its next add or merge).
  QuantileSketch(QuantileSketch&& other) noexcept;
  QuantileSketch& operator=(QuantileSketch&& other) noexcept;
  ~QuantileSketch();

  //! Counts a finite value (non-finite values are the caller's to reject).
  void add(double value) {
    add_many(1, [value](std::size_t) { return value; });
  }
  //! Counts the finite values value(i), i < n: their keys and extremes in chunks of kChunk, each
  //! counted by add_keys. Not the hot path: a streaming run's outputs compute keys and extremes as
  //! vectors beside their sums (OutputAccumulator::add_group) and call add_keys themselves.
  template <typename ValueOf>
  void add_many(std::size_t n, ValueOf value) {
    Key keys[kChunk];
    for (std::size_t base = 0; base < n; base += kChunk) {
      const std::size_t m = std::min(kChunk, n - base);
      double low = std::numeric_limits<double>::infinity(), high = -low;
      for (std::size_t i = 0; i < m; ++i) {
        const double x = value(base + i);
        low = std::min(low, x);
        high = std::max(high, x);
        keys[i] = key_of(x);
      }
      add_keys(m, keys, low, high);
    }
  }

  //! A value's bucket key as add_keys takes it: the value's bits shifted (sign, exponent, top
  //! precision_bits mantissa bits), mirrored for negative values so that keys sort like values.
  //! 32 bits hold every key: the shift is at least 32 (precision_bits <= 20).
  using Key = std::int32_t;
  using Lanes = double __attribute__((vector_size(4 * sizeof(double))));
  using KeyLanes = Key __attribute__((vector_size(4 * sizeof(Key))));
  Key key_of(double value) const {
    std::uint64_t bits = 0;
    static_assert(sizeof bits == sizeof value);
    __builtin_memcpy(&bits, &value, sizeof bits);
    const auto magnitude = static_cast<std::int64_t>((bits & ~kSignBit) >> shift_);
    // -magnitude - 1 == ~magnitude for a negative value, without a branch (so keys_of vectorises).
    const std::int64_t negative = static_cast<std::int64_t>(bits) >> 63;
    return static_cast<Key>(magnitude ^ negative);
  }
  //! key_of for four values at once (a few vector instructions).
  [[gnu::always_inline]] KeyLanes keys_of(const Lanes& x) const {
    using Bits = std::int64_t __attribute__((vector_size(4 * sizeof(std::int64_t))));
    using UnsignedBits = std::uint64_t __attribute__((vector_size(4 * sizeof(std::uint64_t))));
    Bits bits;
    static_assert(sizeof bits == sizeof x);
    __builtin_memcpy(&bits, &x, sizeof bits);
    const Bits magnitude = Bits((UnsignedBits(bits) & ~kSignBit) >> shift_);
    return __builtin_convertvector(magnitude ^ (bits >> 63), KeyLanes);
  }
  //! Counts n finite values given by their keys (key_of), the smallest of them `low` and the largest
  //! `high` (as < and > find them: a zero's sign there does not matter, see settle_zero_extremes).
  //! The hot path of streaming runs, in chunks of kChunk keys and two passes:
  //!  1. each key's bucket address, prefetched for writing (the page table is
  //!     small and hot; a missing page is the rare, predictable branch);
  //!  2. the increments, one load-add-store each, by then mostly in cache (a
  //!     counter that wraps carries: the rare branch).
  //! The buckets of a long batch are mostly not in cache (R1's 42 sketches take
  //! turns, a batch touching some 1,000 of a sketch's cache lines), and one pass
  //! doing all of it per value took about 20 instructions a count plus a second
  //! key computation to prefetch ahead: this form made a 4·10^6-trial R1 run 10%
  //! faster on one thread.
  void add_keys(std::size_t n, const Key* keys, double low, double high);
  //! New pages come from `arena` (shared by sketches that one thread fills; kept alive while this sketch holds
  //! pages from it). A copy of the sketch does not share it.
  void set_arena(std::shared_ptr<util::PageArena> arena) { arena_ = std::move(arena); }
  //! Adds another sketch's counts (same precision); exact and order-free.
  void merge(const QuantileSketch& other);
  //! The same, taking over the other's pages (no copy) if this sketch has none at all, else adding them into
  //! this sketch's pages (so it never holds the other's arena then); `other` is left empty.
  void merge(QuantileSketch&& other);

  std::uint64_t count() const { return count_; }
  double min() const { return min_; }
  double max() const { return max_; }
  int precision_bits() const { return precision_bits_; }
  //! 2^-precision_bits: the relative value error bound of every query.
  double relative_error_bound() const;

  //! A value reported for rank k and the count of its bucket (the rank error bound).
  struct Located {
    double value = 0;
    std::uint64_t bucket_count = 0;
  };
  //! The k-th smallest value, 1 <= k <= count(). Exact for k = 1 and k = count().
  Located order_statistic(std::uint64_t k) const;
  //! Sum of the k smallest values (each read as its bucket's rank-interpolated point).
  double sum_of_smallest(std::uint64_t k) const;
  //! Sum of (x - centre)^2 over the k smallest values, read the same way.
  double squared_deviation_of_smallest(std::uint64_t k, double centre) const;

  //! Bytes held by the counts (for memory estimates and the benchmarks).
  std::size_t bytes() const;

  //! Buckets in ascending order: (key, count); for checkpoints and MPI messages.
  std::vector<std::pair<std::int64_t, std::uint64_t>> nonzero_buckets() const;
  void add_bucket(std::int64_t key, std::uint64_t count);
  //! The whole sketch (its nonzero buckets and the exact min and max, which buckets alone do not give).
  void save(util::ByteWriter& out) const;
  //! Reads what save() wrote into this sketch, which must be empty and of the same precision;
  //! rejects damaged data (keys out of order or range, zero counts, extremes outside their buckets).
  void load(util::ByteReader& in);

 private:
  static constexpr int kPageSlots = 4096;  // binades: 2048 exponents x 2 signs
  // add_keys' (and add_many's) values per chunk: 6 KiB of keys and addresses on the stack. A
  // 4·10^6-trial R1 run took 20% fewer counting samples (perf) than with 256, and no fewer with 1024.
  static constexpr std::size_t kChunk = 512;
  // A bucket's low 16 bits; the rest of its count is in its page's carries (see the file comment).
  using Count = std::uint16_t;
  std::size_t page_slot(std::int64_t key) const { return std::size_t((key >> precision_bits_) + kPageSlots / 2); }
  Count* allocate_page(std::size_t slot);
  // Adds `carries` times 2^16 to bucket `offset` of page `slot` (making the page's carries if it has none).
  void add_carry(std::size_t slot, std::size_t offset, std::uint64_t carries);
  // Adds `count` to bucket `offset` of page `slot` (which exists), carrying what passes 16 bits.
  void add_count(std::size_t slot, std::size_t offset, std::uint64_t count);
  // Gives a zero extreme the sign the values' order gives it (-0 below +0): comparisons see -0 == +0, so
  // extremes found by them keep whichever zero came first, which would depend on the order values come in
  // and on how threads split them. The minimum is -0 if a -0 was counted (in -0's bucket: with no value below
  // zero, that bucket holds nothing else), and the maximum +0 if a +0 was. Called wherever extremes change.
  void settle_zero_extremes();
  // The page table of kPageSlots empty slots, for a sketch that has none (moved from).
  void make_page_table() { pages_.assign(kPageSlots, nullptr); }
  // Leaves this sketch empty, holding no pages (a moved-from or spent sketch; a move has taken arena_ already).
  void clear_to_empty();
  // arena_ (made on first use), recorded in held_: where new pages come from.
  util::PageArena& page_arena();
  std::size_t buckets_per_page() const { return offset_mask_ + 1; }
  // The carries of page `slot`, or nullptr if none of its buckets has carried.
  const std::uint64_t* carries_of(std::size_t slot) const { return carries_.empty() ? nullptr : carries_[slot]; }
  // The count of bucket `offset` of page `slot` (which exists).
  std::uint64_t count_at(std::size_t slot, std::size_t offset) const {
    const std::uint64_t* carries = carries_of(slot);
    return pages_[slot][offset] + (carries ? carries[offset] << 16 : 0);
  }
  // [low, high): the values of bucket `key`.
  void bucket_bounds(std::int64_t key, double& low, double& high) const;
  // Walks buckets in ascending order until k values are covered; calls
  // visit(low, high, count_in_bucket, taken, covered) for each (only for the
  // bucket holding the k-th value when only_last: whole pages below it are skipped).
  template <typename Visit>
  void walk_smallest(std::uint64_t k, bool only_last, Visit visit) const;

  static constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;
  int precision_bits_;
  int shift_;
  std::size_t offset_mask_;
  // Pages come from a PageArena (util/huge_pages.h): fresh mapped memory, zero
  // without being cleared. A sketch alone has its own arena of 1 MiB slabs on
  // 4 KiB pages, so a page holding one stray tail value costs one page fault, not
  // the page's 8 KiB (at 12 bits) of zeroing. The sketches of one streaming accumulator share an arena of
  // 2 MiB slabs on huge pages instead (set_arena): R1's 42 sketches hold about 30
  // pages each, and faulting them in 4 KiB at a time cost more than the counting of
  // a short run (a fault costs 5-10 us on this project's VM).
  std::shared_ptr<util::PageArena> arena_;              // where new pages come from (made on first use if unset)
  std::vector<std::shared_ptr<util::PageArena>> held_;  // every arena this sketch's pages live in
  std::vector<Count*> pages_;  // pages_[slot]: the low 16 bits of the slot's counts, or nullptr
  // carries_[slot]: how many times each bucket of the slot has passed 2^16 - 1, or nullptr if none has;
  // the table itself is made (kPageSlots entries) on the sketch's first carry.
  std::vector<std::uint64_t*> carries_;
  // Values per page, so queries skip whole pages: recomputed by the first query
  // after a change (queries of one sketch are not run concurrently with changes).
  mutable std::vector<std::uint64_t> page_counts_;
  mutable bool page_counts_valid_ = true;
  void refresh_page_counts() const;
  std::uint64_t count_ = 0;
  double min_, max_;
};

}  // namespace mcrisk::statistics
