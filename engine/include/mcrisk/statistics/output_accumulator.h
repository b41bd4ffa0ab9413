#pragma once
// Streaming statistics of one model output (an option's total net savings, a
// year's net, a difference between options): what summarise() computes from a
// stored sample, kept instead as sums and counts that merge exactly, so memory
// is flat in the number of trials and any split of the trials over threads,
// processes or a resumed run gives the same bits.
//
//  - mean and sd from the sums of (x - shift) and (x - shift)^2, where shift is a
//    fixed value near the centre (the planned case's value), so the variance
//    does not cancel; each summation group of trials is summed in double in
//    four interleaved partial sums (position in the group mod 4, each in trial
//    order), then added to an ExactSum;
//  - P(X < 0) from an integer count, min and max exactly;
//  - percentiles, their binomial intervals and the expected shortfall from a
//    QuantileSketch (value error <= 2^-12 relative, rank error reported).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "mcrisk/statistics/exact_sum.h"
#include "mcrisk/statistics/quantile_sketch.h"
#include "mcrisk/statistics/sample_statistics.h"

namespace mcrisk::statistics {

class OutputAccumulator {
 public:
  //! Values held back (as their sketch keys) before they are counted in the sketch (see pending_). 16,384
  //! (64 KiB a buffer): a 4·10^6-trial R1 run on two threads was 4% faster than with 65,536 (less memory to
  //! fault in and to stream through the cache), as fast on one thread; 8,192 was no faster.
  static constexpr std::size_t kSketchBatch = 16384;

  explicit OutputAccumulator(double shift = 0, int precision_bits = QuantileSketch::kDefaultPrecisionBits);
  //! A copy holds the same values, on the heap: it shares no arena. It only reads the source.
  OutputAccumulator(const OutputAccumulator& other);
  OutputAccumulator& operator=(const OutputAccumulator& other);
  OutputAccumulator(OutputAccumulator&&) noexcept = default;
  OutputAccumulator& operator=(OutputAccumulator&&) noexcept = default;
  ~OutputAccumulator() = default;

  //! Adds one summation group: value(i) for i < n, consecutive trials in trial order.
  //! Values must be finite (the caller checks and fails the run otherwise).
  //! Always inlined: GCC inlines a function compiled for the baseline CPU into
  //! an AVX2 or AVX-512 clone (MCRISK_VECTOR_CLONES) only when told to, and the
  //! sums are the loop the clones of RunAccumulator::add_group are for.
  template <typename ValueOf>
  [[gnu::always_inline]] void add_group(std::size_t n, ValueOf value) {
    // Four interleaved partial sums (trial i of the group goes to lane i mod 4),
    // added as (lane 0 + lane 1) + (lane 2 + lane 3): one chain of additions
    // would bound the loop by the adder's latency. The grouping is fixed by the
    // trial index, so the bits never depend on threads or blocks. The four lanes
    // are one vector (GCC's vector extension): written as four scalars, GCC
    // vectorised the loads eight wide and then added each element to its lane
    // one by one, a dozen shuffles and scalar adds per four values.
    using Lanes = double __attribute__((vector_size(4 * sizeof(double))));
    using Counts = std::int64_t __attribute__((vector_size(4 * sizeof(std::int64_t))));
    Lanes sum = {0, 0, 0, 0}, squares = {0, 0, 0, 0};
    Counts below_zero = {0, 0, 0, 0};  // -1 per negative value (a vector comparison's true)
    // The sketch's part is done here, while the values are in registers: their keys go to the pending
    // buffer (half the bytes of the values, and no second pass to compute them) and their extremes to
    // the pending extremes, in four lanes.
    Lanes low = {pending_.low, pending_.low, pending_.low, pending_.low};
    Lanes high = {pending_.high, pending_.high, pending_.high, pending_.high};
    if (pending_.capacity < pending_.count + n) pending_.grow(pending_.count + n);
    QuantileSketch::Key* pending = pending_.keys + pending_.count;
    const std::size_t whole = n - n % 4;
    for (std::size_t q = 0; q < whole; q += 4) {
      const Lanes x = {value(q), value(q + 1), value(q + 2), value(q + 3)};
      const Lanes d = x - shift_;
      sum += d;
      squares += d * d;
      below_zero += x < 0;
      low = x < low ? x : low;
      high = x > high ? x : high;
      const QuantileSketch::KeyLanes keys = sketch_.keys_of(x);
      __builtin_memcpy(pending + q, &keys, sizeof keys);
    }
    std::uint64_t negatives = std::uint64_t(-((below_zero[0] + below_zero[1]) + (below_zero[2] + below_zero[3])));
    for (std::size_t i = whole; i < n; ++i) {
      const double x = value(i);
      const double d = x - shift_;
      sum[i - whole] += d;
      squares[i - whole] += d * d;
      negatives += x < 0 ? 1 : 0;
      low[0] = x < low[0] ? x : low[0];
      high[0] = x > high[0] ? x : high[0];
      pending[i] = sketch_.key_of(x);
    }
    pending_.count += n;
    pending_.low = std::min(std::min(low[0], low[1]), std::min(low[2], low[3]));
    pending_.high = std::max(std::max(high[0], high[1]), std::max(high[2], high[3]));
    if (pending_.count >= kSketchBatch) counted();
    sum_.add((sum[0] + sum[1]) + (sum[2] + sum[3]));
    squares_.add((squares[0] + squares[1]) + (squares[2] + squares[3]));
    negatives_ += negatives;
  }
  void merge(const OutputAccumulator& other);
  //! The same, taking over the other's sketch pages if this sketch has none at all (else adding them); `other` is spent.
  void merge(OutputAccumulator&& other);
  //! The sums, counts and sketch (not the shift: the owner's layout states it).
  void save(util::ByteWriter& out) const;
  //! Reads what save() wrote into this accumulator, which must be empty; rejects damaged data.
  void load(util::ByteReader& in);

  //! The sketch's new pages, and the pending values' buffer when it is next made, come from `arena`
  //! (shared by the outputs one thread fills; see QuantileSketch::set_arena).
  void set_page_arena(const std::shared_ptr<util::PageArena>& arena) {
    sketch_.set_arena(arena);
    pending_.arena = arena;
  }
  //! Expects about this many values: the pending keys' first buffer holds no more (nor more than
  //! kSketchBatch), so a short run's outputs do not each take a 64 KiB buffer. Only a size: more values
  //! grow the buffer, in doublings up to kSketchBatch.
  void expect_values(std::uint64_t values) {
    pending_.first_capacity = std::size_t(std::clamp<std::uint64_t>(values, 1, kSketchBatch));
  }

  std::uint64_t count() const { return counted().count(); }
  double mean() const;
  //! The sketch of every value added so far.
  const QuantileSketch& sketch() const { return counted(); }
  double shift() const { return shift_; }

  //! The summary (independent trials: closed-form intervals), percentiles at `levels`.
  SampleSummary summary(std::span<const double> levels = kReportedPercentiles) const;
  //! Percentile (0..100) by Hyndman-Fan definition 7 on the sketch's order statistics.
  double percentile(double level) const;

 private:
  double shift_;
  ExactSum sum_, squares_;
  std::uint64_t negatives_ = 0;
  // Values not yet counted in the sketch. A streaming run feeds 42 sketches (R1)
  // 256 trials at a time; counted at once, each sketch's buckets would leave the
  // cache between turns and nearly every count would miss. Batches of
  // kSketchBatch values keep one sketch's buckets hot while they go in (counts
  // are order-free, so when they are counted never changes a result). Reads
  // count the pending values first: logically const, and an accumulator is
  // never read by two threads at once.
  const QuantileSketch& counted() const;
  // merge()'s part that does not depend on how the sketch is merged; counts this accumulator's pending values.
  void merge_sums(const OutputAccumulator& other);
  // The pending keys' buffer: a block of the page arena when one is set (R1's
  // 42 buffers, when they held 512 KiB of values each, were 5,000 page faults a
  // thread at 4 KiB a page), else the heap, not zeroed. A move leaves the source without one.
  struct PendingBuffer {
    std::shared_ptr<util::PageArena> arena;  // where the next buffer comes from; null: the heap
    std::unique_ptr<QuantileSketch::Key[]> heap;  // the buffer, when it is on the heap
    std::shared_ptr<util::PageArena> owner;       // the buffer's arena, when it is in one (kept alive)
    QuantileSketch::Key* keys = nullptr;          // the buffer (in the arena or the heap)
    std::size_t capacity = 0;
    std::size_t count = 0;  // its first `count` keys are pending
    // The smallest and largest pending value (+inf and -inf while none is): keys lose the exact extremes.
    double low = std::numeric_limits<double>::infinity();
    double high = -std::numeric_limits<double>::infinity();
    std::size_t first_capacity = kSketchBatch;
    PendingBuffer() = default;
    PendingBuffer(PendingBuffer&& other) noexcept;
    PendingBuffer& operator=(PendingBuffer&& other) noexcept;
    PendingBuffer(const PendingBuffer&) = delete;
    PendingBuffer& operator=(const PendingBuffer&) = delete;
    ~PendingBuffer() = default;
    //! Room for `needed` values, keeping the pending ones: first_capacity at first, then doublings up to
    //! kSketchBatch (an outgrown arena block stays with the arena).
    void grow(std::size_t needed);
  };
  mutable PendingBuffer pending_;
  mutable QuantileSketch sketch_;
};

}  // namespace mcrisk::statistics
