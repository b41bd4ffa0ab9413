#include "mcrisk/statistics/output_accumulator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include "mcrisk/util/byte_codec.h"

namespace mcrisk::statistics {

OutputAccumulator::OutputAccumulator(double shift, int precision_bits) : shift_(shift), sketch_(precision_bits) {
  if (!std::isfinite(shift)) throw std::invalid_argument("output accumulator with a non-finite shift");
}

// Reads `other` only (its sketch and its pending values, copied as they are), so
// threads may copy one accumulator at the same time.
OutputAccumulator::OutputAccumulator(const OutputAccumulator& other)
    : shift_(other.shift_), sum_(other.sum_), squares_(other.squares_), negatives_(other.negatives_), sketch_(other.sketch_) {
  pending_.first_capacity = other.pending_.first_capacity;
  if (other.pending_.count > 0) {
    pending_.grow(other.pending_.count);
    std::copy(other.pending_.keys, other.pending_.keys + other.pending_.count, pending_.keys);
    pending_.count = other.pending_.count;
    pending_.low = other.pending_.low;
    pending_.high = other.pending_.high;
  }
}

OutputAccumulator& OutputAccumulator::operator=(const OutputAccumulator& other) {
  if (this != &other) {
    OutputAccumulator copy(other);
    *this = std::move(copy);
  }
  return *this;
}

OutputAccumulator::PendingBuffer::PendingBuffer(PendingBuffer&& other) noexcept
    : arena(std::move(other.arena)),
      heap(std::move(other.heap)),
      owner(std::move(other.owner)),
      keys(std::exchange(other.keys, nullptr)),
      capacity(std::exchange(other.capacity, 0)),
      count(std::exchange(other.count, 0)),
      low(std::exchange(other.low, std::numeric_limits<double>::infinity())),
      high(std::exchange(other.high, -std::numeric_limits<double>::infinity())),
      first_capacity(other.first_capacity) {}

OutputAccumulator::PendingBuffer& OutputAccumulator::PendingBuffer::operator=(PendingBuffer&& other) noexcept {
  if (this != &other) {
    arena = std::move(other.arena);
    heap = std::move(other.heap);
    owner = std::move(other.owner);
    keys = std::exchange(other.keys, nullptr);
    capacity = std::exchange(other.capacity, 0);
    count = std::exchange(other.count, 0);
    first_capacity = other.first_capacity;
    low = std::exchange(other.low, std::numeric_limits<double>::infinity());
    high = std::exchange(other.high, -std::numeric_limits<double>::infinity());
  }
  return *this;
}

void OutputAccumulator::PendingBuffer::grow(std::size_t needed) {
  if (needed <= capacity) return;
  const std::size_t wanted = std::max(needed, capacity == 0 ? first_capacity : std::min(kSketchBatch, 2 * capacity));
  using Key = QuantileSketch::Key;
  std::unique_ptr<Key[]> grown_heap;
  std::shared_ptr<util::PageArena> grown_owner;
  Key* grown = nullptr;
  if (arena) {
    grown = static_cast<Key*>(arena->allocate(wanted * sizeof(Key)));
    grown_owner = arena;
  } else {
    grown_heap = std::make_unique_for_overwrite<Key[]>(wanted);
    grown = grown_heap.get();
  }
  std::copy(keys, keys + count, grown);  // before the old buffer's owner lets it go (it may be another arena)
  heap = std::move(grown_heap);
  owner = std::move(grown_owner);
  keys = grown;
  capacity = wanted;
}

const QuantileSketch& OutputAccumulator::counted() const {
  if (pending_.count > 0) {
    sketch_.add_keys(pending_.count, pending_.keys, pending_.low, pending_.high);
    pending_.count = 0;
    pending_.low = std::numeric_limits<double>::infinity();
    pending_.high = -std::numeric_limits<double>::infinity();
  }
  return sketch_;
}

void OutputAccumulator::merge_sums(const OutputAccumulator& other) {
  if (other.shift_ != shift_) throw std::invalid_argument("merging output accumulators with different shifts");
  sum_.merge(other.sum_);
  squares_.merge(other.squares_);
  negatives_ += other.negatives_;
  counted();
}

void OutputAccumulator::merge(const OutputAccumulator& other) {
  merge_sums(other);
  sketch_.merge(other.counted());
}

void OutputAccumulator::merge(OutputAccumulator&& other) {
  merge_sums(other);
  other.counted();
  sketch_.merge(std::move(other.sketch_));
}

void OutputAccumulator::save(util::ByteWriter& out) const {
  sum_.save(out);
  squares_.save(out);
  out.u64(negatives_);
  counted().save(out);  // the values still pending go in first: the state is every value added
}

void OutputAccumulator::load(util::ByteReader& in) {
  if (count() != 0) throw std::logic_error("OutputAccumulator::load into an accumulator that already holds values");
  sum_ = ExactSum::load(in, "sum of deviations");
  squares_ = ExactSum::load(in, "sum of squared deviations");
  negatives_ = in.u64("count of negative values");
  sketch_.load(in);
  if (negatives_ > sketch_.count()) in.fail("is damaged: more negative values than values");
}

double OutputAccumulator::mean() const {
  if (count() == 0) throw std::invalid_argument("mean of an empty sample");
  return shift_ + sum_.value() / double(count());
}

double OutputAccumulator::percentile(double level) const {
  const std::uint64_t n = count();
  if (n == 0) throw std::invalid_argument("percentile of an empty sample");
  if (!(level >= 0 && level <= 100)) throw std::invalid_argument("percentile level outside [0, 100]");
  const double h = double(n - 1) * level / 100.0;
  const auto below = static_cast<std::uint64_t>(std::floor(h));  // 0-based: order statistic below + 1
  if (below + 1 >= n) return counted().max();
  const double low = counted().order_statistic(below + 1).value, high = counted().order_statistic(below + 2).value;
  return low + (h - double(below)) * (high - low);
}

SampleSummary OutputAccumulator::summary(std::span<const double> levels) const {
  const std::uint64_t n = count();
  if (n == 0) throw std::invalid_argument("summary of an empty sample");
  SampleSummary s;
  s.count = n;
  s.interval_method = "iid";
  const double sum = sum_.value(), squares = squares_.value();
  s.mean = shift_ + sum / double(n);
  s.sd = n > 1 ? std::sqrt(std::max(0.0, (squares - sum * sum / double(n)) / double(n - 1))) : 0.0;
  s.mean_se = s.sd / std::sqrt(double(n));
  s.mean_ci95_low = s.mean - kZ975 * s.mean_se;
  s.mean_ci95_high = s.mean + kZ975 * s.mean_se;
  s.min = counted().min();
  s.max = counted().max();
  s.prob_loss = double(negatives_) / double(n);
  s.prob_loss_ci95 = wilson_interval(s.prob_loss, n);

  // Every order statistic read from the sketch widens the stated rank error by its bucket's share.
  double rank_error = 0;
  const auto read = [&](std::uint64_t k) {
    const QuantileSketch::Located located = counted().order_statistic(k);
    rank_error = std::max(rank_error, double(located.bucket_count) / double(n));
    return located.value;
  };
  for (double level : levels) {
    const double h = double(n - 1) * level / 100.0;
    const auto below = static_cast<std::uint64_t>(std::floor(h));
    double value = s.max;
    if (below + 1 < n) {
      const double low = read(below + 1), high = read(below + 2);
      value = low + (h - double(below)) * (high - low);
    }
    const auto [l, u] = percentile_interval_ranks(std::size_t(n), level);
    s.percentiles.push_back({level, value, {read(l), read(u)}});
  }
  const auto tail = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(0.05 * double(n))));
  s.expected_shortfall_5 = counted().sum_of_smallest(tail) / double(tail);
  const double quantile = read(tail);
  const double tail_variance = tail > 1 ? counted().squared_deviation_of_smallest(tail, s.expected_shortfall_5) / double(tail - 1) : 0.0;
  const double variance = (tail_variance + 0.95 * (s.expected_shortfall_5 - quantile) * (s.expected_shortfall_5 - quantile)) / (0.05 * double(n));
  const double half = kZ975 * std::sqrt(variance);
  s.expected_shortfall_5_ci95 = {s.expected_shortfall_5 - half, s.expected_shortfall_5 + half};
  s.accuracy = {false, counted().relative_error_bound(), rank_error};
  return s;
}

}  // namespace mcrisk::statistics
