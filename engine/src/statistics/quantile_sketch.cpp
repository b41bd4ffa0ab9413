#include "mcrisk/statistics/quantile_sketch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "mcrisk/util/byte_codec.h"

namespace mcrisk::statistics {

QuantileSketch::QuantileSketch(int precision_bits)
    : precision_bits_(precision_bits),
      shift_(52 - precision_bits),
      offset_mask_((std::size_t{1} << precision_bits) - 1),
      pages_(kPageSlots, nullptr),
      page_counts_(kPageSlots, 0),
      min_(std::numeric_limits<double>::infinity()),
      max_(-std::numeric_limits<double>::infinity()) {
  if (precision_bits < 4 || precision_bits > 20) {
    throw std::invalid_argument("quantile sketch precision must be 4 to 20 bits, not " + std::to_string(precision_bits));
  }
}

QuantileSketch::QuantileSketch(const QuantileSketch& other) : QuantileSketch(other.precision_bits_) { merge(other); }

QuantileSketch& QuantileSketch::operator=(const QuantileSketch& other) {
  if (this != &other) {
    QuantileSketch copy(other);
    *this = std::move(copy);
  }
  return *this;
}

QuantileSketch::QuantileSketch(QuantileSketch&& other) noexcept
    : precision_bits_(other.precision_bits_),
      shift_(other.shift_),
      offset_mask_(other.offset_mask_),
      arena_(std::move(other.arena_)),
      held_(std::move(other.held_)),
      pages_(std::move(other.pages_)),
      carries_(std::move(other.carries_)),
      page_counts_(std::move(other.page_counts_)),
      page_counts_valid_(other.page_counts_valid_),
      count_(other.count_),
      min_(other.min_),
      max_(other.max_) {
  other.clear_to_empty();
}

QuantileSketch& QuantileSketch::operator=(QuantileSketch&& other) noexcept {
  if (this != &other) {
    precision_bits_ = other.precision_bits_;
    shift_ = other.shift_;
    offset_mask_ = other.offset_mask_;
    arena_ = std::move(other.arena_);
    held_ = std::move(other.held_);
    pages_ = std::move(other.pages_);
    carries_ = std::move(other.carries_);
    page_counts_ = std::move(other.page_counts_);
    page_counts_valid_ = other.page_counts_valid_;
    count_ = other.count_;
    min_ = other.min_;
    max_ = other.max_;
    other.clear_to_empty();
  }
  return *this;
}

// No page table is made here (a move must not allocate): pages_ is left empty, and every
// path that adds counts makes the table first; readers see an empty table as no pages.
void QuantileSketch::clear_to_empty() {
  held_.clear();  // arena_ stays: a spent sketch's new pages still come from the arena it was given
  pages_.clear();
  carries_.clear();
  page_counts_.clear();
  page_counts_valid_ = false;
  count_ = 0;
  min_ = std::numeric_limits<double>::infinity();
  max_ = -std::numeric_limits<double>::infinity();
}

QuantileSketch::~QuantileSketch() = default;

namespace {
constexpr std::size_t kOwnSlabBytes = std::size_t{1} << 20;  // 128 pages of the default precision, on 4 KiB pages
}  // namespace

util::PageArena& QuantileSketch::page_arena() {
  if (!arena_) arena_ = std::make_shared<util::PageArena>(kOwnSlabBytes);
  if (std::find(held_.begin(), held_.end(), arena_) == held_.end()) held_.push_back(arena_);
  return *arena_;
}

QuantileSketch::Count* QuantileSketch::allocate_page(std::size_t slot) {
  pages_[slot] = static_cast<Count*>(page_arena().allocate(buckets_per_page() * sizeof(Count)));  // zero counts
  return pages_[slot];
}

void QuantileSketch::add_keys(std::size_t n, const Key* keys, double low, double high) {
  if (n == 0) return;
  if (pages_.empty()) [[unlikely]] make_page_table();  // a moved-from sketch
  Count* targets[kChunk];
  Count* const* const table = pages_.data();
  for (std::size_t base = 0; base < n; base += kChunk) {
    const std::size_t m = std::min(kChunk, n - base);
    const Key* const chunk = keys + base;
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t slot = page_slot(chunk[i]);
      Count* page = table[slot];
      if (page == nullptr) [[unlikely]] page = allocate_page(slot);
      targets[i] = page + (std::size_t(chunk[i]) & offset_mask_);
      __builtin_prefetch(targets[i], 1);
    }
    for (std::size_t i = 0; i < m; ++i) {
      const auto bumped = Count(*targets[i] + 1);
      *targets[i] = bumped;
      if (bumped == 0) [[unlikely]] add_carry(page_slot(chunk[i]), std::size_t(chunk[i]) & offset_mask_, 1);
    }
  }
  count_ += n;
  page_counts_valid_ = false;
  min_ = std::min(min_, low);
  max_ = std::max(max_, high);
  settle_zero_extremes();
}

void QuantileSketch::settle_zero_extremes() {
  const auto counted_at = [&](double zero) {
    const std::int64_t key = key_of(zero);
    const std::size_t slot = page_slot(key);
    return slot < pages_.size() && pages_[slot] != nullptr && count_at(slot, std::size_t(key) & offset_mask_) > 0;
  };
  if (min_ == 0.0) min_ = counted_at(-0.0) ? -0.0 : 0.0;
  if (max_ == 0.0) max_ = counted_at(0.0) ? 0.0 : -0.0;
}

void QuantileSketch::add_carry(std::size_t slot, std::size_t offset, std::uint64_t carries) {
  if (carries_.empty()) carries_.assign(kPageSlots, nullptr);
  std::uint64_t*& page_carries = carries_[slot];
  if (page_carries == nullptr) page_carries = static_cast<std::uint64_t*>(page_arena().allocate(buckets_per_page() * sizeof(std::uint64_t)));
  page_carries[offset] += carries;
}

void QuantileSketch::add_count(std::size_t slot, std::size_t offset, std::uint64_t count) {
  Count& low = pages_[slot][offset];
  const std::uint64_t sum = std::uint64_t{low} + (count & 0xffff);
  low = Count(sum);
  const std::uint64_t carries = (count >> 16) + (sum >> 16);
  if (carries != 0) add_carry(slot, offset, carries);
}

void QuantileSketch::merge(const QuantileSketch& other) {
  if (other.precision_bits_ != precision_bits_) throw std::invalid_argument("merging quantile sketches of different precision");
  if (this == &other) {
    // Carries written while adding a page would be read again as the other's: double a copy instead.
    const QuantileSketch copy(other);
    merge(copy);
    return;
  }
  if (pages_.empty()) make_page_table();  // a moved-from sketch
  const std::size_t size = buckets_per_page();
  for (std::size_t slot = 0; slot < other.pages_.size(); ++slot) {
    const Count* from = other.pages_[slot];
    if (from == nullptr) continue;
    Count* into = pages_[slot] ? pages_[slot] : allocate_page(slot);
    // Whether any bucket's low bits pass 16 bits, first (a vector loop): then, nearly always, the page is a
    // plain vector addition, and only a page that carries takes the loop that carries bucket by bucket.
    std::uint32_t passed = 0;
    for (std::size_t i = 0; i < size; ++i) passed |= std::uint32_t{into[i]} + std::uint32_t{from[i]};
    if (passed >> 16 == 0) {
      for (std::size_t i = 0; i < size; ++i) into[i] = Count(into[i] + from[i]);
    } else {
      for (std::size_t i = 0; i < size; ++i) add_count(slot, i, from[i]);
    }
    if (const std::uint64_t* carries = other.carries_of(slot)) {
      for (std::size_t i = 0; i < size; ++i)
        if (carries[i] != 0) add_carry(slot, i, carries[i]);
    }
  }
  page_counts_valid_ = false;
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  settle_zero_extremes();
}

void QuantileSketch::merge(QuantileSketch&& other) {
  if (other.precision_bits_ != precision_bits_) throw std::invalid_argument("merging quantile sketches of different precision");
  if (this == &other) throw std::invalid_argument("merging a quantile sketch into itself");
  // Pages are taken over only by a sketch that holds none, and then with every arena
  // they live in. A sketch that holds pages adds the other's counts into its own
  // (new pages from its own arena) instead: taking pages would keep the other's whole
  // arena alive (a thread's 42 sketches and its pending buffers), once per merge, and a
  // run merged round after round (--precision, resumed runs) would grow without bound.
  const bool take_over = std::all_of(pages_.begin(), pages_.end(), [](const Count* page) { return page == nullptr; });
  if (!take_over) {
    merge(std::as_const(other));
  } else {
    pages_.swap(other.pages_);  // kPageSlots slots each, or none (moved from); the other is left with no pages
    carries_.swap(other.carries_);  // this sketch held no counts, so no carries either
    held_.insert(held_.end(), std::make_move_iterator(other.held_.begin()), std::make_move_iterator(other.held_.end()));
    page_counts_valid_ = false;
    count_ += other.count_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    settle_zero_extremes();
  }
  other.clear_to_empty();  // its pages, if not taken, stay in its arena until the arena goes
}

double QuantileSketch::relative_error_bound() const { return std::ldexp(1.0, -precision_bits_); }

std::size_t QuantileSketch::bytes() const {
  std::size_t pages = 0, carried = 0;
  for (const Count* page : pages_) pages += page ? 1 : 0;
  for (const std::uint64_t* carries : carries_) carried += carries ? 1 : 0;
  return pages * buckets_per_page() * sizeof(Count) + carried * buckets_per_page() * sizeof(std::uint64_t) +
         pages_.size() * sizeof(pages_[0]) + carries_.size() * sizeof(carries_[0]);
}

void QuantileSketch::bucket_bounds(std::int64_t key, double& low, double& high) const {
  const auto value_of = [](std::uint64_t bits) {
    double value = 0;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  };
  if (key >= 0) {
    low = value_of(std::uint64_t(key) << shift_);
    high = value_of(std::uint64_t(key + 1) << shift_);
  } else {
    const auto magnitude = std::uint64_t(-(key + 1));
    low = -value_of((magnitude + 1) << shift_);
    high = -value_of(magnitude << shift_);
  }
}

void QuantileSketch::refresh_page_counts() const {
  if (page_counts_valid_) return;
  page_counts_.resize(pages_.size());
  for (std::size_t slot = 0; slot < pages_.size(); ++slot) {
    std::uint64_t total = 0;
    if (const Count* page = pages_[slot]) {
      for (std::size_t i = 0; i <= offset_mask_; ++i) total += page[i];
      if (const std::uint64_t* carries = carries_of(slot))
        for (std::size_t i = 0; i <= offset_mask_; ++i) total += carries[i] << 16;
    }
    page_counts_[slot] = total;
  }
  page_counts_valid_ = true;
}

template <typename Visit>
void QuantileSketch::walk_smallest(std::uint64_t k, bool only_last, Visit visit) const {
  if (only_last) refresh_page_counts();
  std::uint64_t covered = 0;
  for (std::size_t slot = 0; slot < pages_.size() && covered < k; ++slot) {
    if (pages_[slot] == nullptr) continue;
    if (only_last && covered + page_counts_[slot] < k) {
      covered += page_counts_[slot];  // the k-th value is on a later page
      continue;
    }
    for (std::size_t offset = 0; offset <= offset_mask_ && covered < k; ++offset) {
      const std::uint64_t in_bucket = count_at(slot, offset);
      if (in_bucket == 0) continue;
      const std::int64_t key = (std::int64_t(slot) - kPageSlots / 2) * (std::int64_t{1} << precision_bits_) + std::int64_t(offset);
      double low = 0, high = 0;
      bucket_bounds(key, low, high);
      // The bucket holding min (max) starts (ends) there: values never lie outside [min, max].
      low = std::max(low, min_);
      high = std::min(high, max_);
      const std::uint64_t taken = std::min(in_bucket, k - covered);
      covered += taken;
      visit(low, high, in_bucket, taken, covered);
    }
  }
}

QuantileSketch::Located QuantileSketch::order_statistic(std::uint64_t k) const {
  if (k < 1 || k > count_) throw std::out_of_range("order statistic " + std::to_string(k) + " of " + std::to_string(count_) + " values");
  if (k == 1) return {min_, 0};
  if (k == count_) return {max_, 0};
  Located located;
  walk_smallest(k, true, [&](double low, double high, std::uint64_t in_bucket, std::uint64_t taken, std::uint64_t covered) {
    if (covered != k) return;
    // The taken-th of in_bucket values, spread evenly over the bucket by rank.
    located.value = low + (double(taken) - 0.5) / double(in_bucket) * (high - low);
    located.bucket_count = in_bucket;
  });
  return located;
}

double QuantileSketch::sum_of_smallest(std::uint64_t k) const {
  double sum = 0;
  walk_smallest(k, false, [&](double low, double high, std::uint64_t in_bucket, std::uint64_t taken, std::uint64_t) {
    // Sum over j = 1..taken of low + (j - 1/2) (high - low) / in_bucket.
    const double r = double(taken);
    sum += r * low + (high - low) * r * r / (2.0 * double(in_bucket));
  });
  return sum;
}

double QuantileSketch::squared_deviation_of_smallest(std::uint64_t k, double centre) const {
  double sum = 0;
  walk_smallest(k, false, [&](double low, double high, std::uint64_t in_bucket, std::uint64_t taken, std::uint64_t) {
    // Sum over j = 1..taken of (a + (j - 1/2) h / c)^2 with a = low - centre, h = high - low, c = in_bucket.
    const double a = low - centre, h = (high - low) / double(in_bucket), r = double(taken);
    sum += r * a * a + a * h * r * r + h * h * r * (4 * r * r - 1) / 12.0;
  });
  return sum;
}

std::vector<std::pair<std::int64_t, std::uint64_t>> QuantileSketch::nonzero_buckets() const {
  std::vector<std::pair<std::int64_t, std::uint64_t>> buckets;
  for (std::size_t slot = 0; slot < pages_.size(); ++slot) {
    if (pages_[slot] == nullptr) continue;
    for (std::size_t offset = 0; offset <= offset_mask_; ++offset) {
      const std::uint64_t in_bucket = count_at(slot, offset);
      if (in_bucket == 0) continue;
      buckets.emplace_back((std::int64_t(slot) - kPageSlots / 2) * (std::int64_t{1} << precision_bits_) + std::int64_t(offset), in_bucket);
    }
  }
  return buckets;
}

void QuantileSketch::add_bucket(std::int64_t key, std::uint64_t count) {
  if (pages_.empty()) make_page_table();  // a moved-from sketch
  const std::size_t slot = page_slot(key);
  if (slot >= pages_.size()) throw std::out_of_range("quantile sketch bucket key out of range");
  if (pages_[slot] == nullptr) allocate_page(slot);
  add_count(slot, std::size_t(key) & offset_mask_, count);
  page_counts_valid_ = false;
  count_ += count;
  double low = 0, high = 0;
  bucket_bounds(key, low, high);
  min_ = std::min(min_, low);
  max_ = std::max(max_, high);
  settle_zero_extremes();
}

void QuantileSketch::save(util::ByteWriter& out) const {
  const auto buckets = nonzero_buckets();
  out.f64(min_);
  out.f64(max_);
  out.u64(buckets.size());
  for (const auto& [key, count] : buckets) {
    out.i64(key);
    out.u64(count);
  }
}

void QuantileSketch::load(util::ByteReader& in) {
  if (count_ != 0) throw std::logic_error("QuantileSketch::load into a sketch that already holds values");
  const double low = in.f64("sketch minimum"), high = in.f64("sketch maximum");
  const std::uint64_t buckets = in.u64("number of sketch buckets");
  if (buckets > in.remaining() / 16) in.fail(fmt::format("is truncated: a sketch claims {} buckets but {} bytes are left", buckets, in.remaining()));
  const std::int64_t lowest_key = -(std::int64_t{kPageSlots / 2} << precision_bits_);
  std::int64_t first = 0, previous = 0;
  for (std::uint64_t b = 0; b < buckets; ++b) {
    const std::int64_t key = in.i64("sketch bucket key");
    const std::uint64_t count = in.u64("sketch bucket's count");
    if (key < lowest_key || key >= -lowest_key) in.fail(fmt::format("is damaged: sketch bucket key {} is out of range", key));
    if (b > 0 && key <= previous) in.fail("is damaged: sketch bucket keys are not in ascending order");
    if (count == 0) in.fail("is damaged: a sketch bucket has a zero count");
    add_bucket(key, count);
    if (b == 0) first = key;
    previous = key;
  }
  min_ = low;
  max_ = high;
  // A zero extreme takes the sign its buckets give it, as when counting (a state saved by an engine that
  // did not settle it could hold +0 beside a counted -0).
  if (count_ > 0) settle_zero_extremes();
  if (count_ == 0) {
    if (!(std::isinf(low) && low > 0 && std::isinf(high) && high < 0)) in.fail("is damaged: an empty sketch has a minimum or maximum");
  } else if (!std::isfinite(min_) || !std::isfinite(max_) || key_of(min_) != first || key_of(max_) != previous) {
    in.fail("is damaged: a sketch's minimum or maximum lies outside its first or last bucket");
  }
}

}  // namespace mcrisk::statistics
