// The two pieces streaming statistics rest on: ExactSum (an order-free exact
// sum of doubles) and QuantileSketch (a mergeable quantile sketch whose value
// and rank errors are bounded and reported). Each claim of their headers is
// checked against exact answers: sorted samples, integer arithmetic.

#include "mcrisk/statistics/exact_sum.h"
#include "mcrisk/statistics/output_accumulator.h"
#include "mcrisk/statistics/quantile_sketch.h"
#include "mcrisk/util/byte_codec.h"
#include "mcrisk/util/huge_pages.h"

#include <gtest/gtest.h>

#include <Random123/philox.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using mcrisk::statistics::ExactSum;
using mcrisk::statistics::QuantileSketch;

// Deterministic uniforms in (0, 1) from Philox (no std:: distributions: their bits differ between libraries).
std::vector<double> uniforms(std::size_t n, std::uint64_t key) {
  r123::Philox4x64 generator;
  std::vector<double> u;
  for (std::uint64_t i = 0; u.size() < n; ++i) {
    const auto block = generator({{i, 0, 0, 0}}, {{key, 0x5eed}});
    for (auto word : block.v) u.push_back((double(word >> 11) + 0.5) * 0x1p-53);
  }
  u.resize(n);
  return u;
}

// ---------------------------------------------------------------------------
// ExactSum
// ---------------------------------------------------------------------------

TEST(ExactSum, CancellationThatDoubleArithmeticLoses) {
  ExactSum sum;
  for (double x : {1e16, 1.0, -1e16}) sum.add(x);
  EXPECT_EQ(sum.value(), 1.0);  // (1e16 + 1) - 1e16 is 0 in double arithmetic
  ExactSum tiny;
  for (double x : {1e300, 1e-300, -1e300}) tiny.add(x);
  EXPECT_EQ(tiny.value(), 1e-300);
}

TEST(ExactSum, SubnormalsAndExtremesAreExact) {
  const double smallest = std::numeric_limits<double>::denorm_min(), largest = std::numeric_limits<double>::max();
  ExactSum sum;
  sum.add(smallest);
  sum.add(smallest);
  EXPECT_EQ(sum.value(), 2 * smallest);
  ExactSum big;
  big.add(largest);
  big.add(-largest);
  big.add(smallest);
  EXPECT_EQ(big.value(), smallest);
  ExactSum negative;
  negative.add(-3.25);
  negative.add(1.0);
  EXPECT_EQ(negative.value(), -2.25);
}

// Any finite doubles of any binades, subnormals included (random bit patterns): one value sums to
// itself and a value and its negation to zero; two values whose sum is a double (Knuth's two-sum
// error is zero) sum to it. Fails if add() misplaces any bit of a value.
TEST(ExactSum, EveryBinadeIsPlacedExactly) {
  r123::Philox4x64 generator;
  std::size_t exact_pairs = 0;
  const auto check_alone = [](double x) {
    ExactSum alone;
    alone.add(x);
    EXPECT_EQ(alone.value(), x) << std::hexfloat << x;
    alone.add(-x);
    EXPECT_EQ(alone.value(), 0.0) << std::hexfloat << x;
  };
  for (std::uint64_t i = 0; i < 50000; ++i) {
    const auto words = generator({{i, 0, 0, 0}}, {{0xe5ac7, 0x5eed}});
    double x = 0, y = 0;
    std::memcpy(&x, &words.v[0], sizeof x);
    std::memcpy(&y, &words.v[1], sizeof y);
    if (!std::isfinite(x) || !std::isfinite(y) || x == 0.0) continue;
    check_alone(x);
    // y a few binades from x, with few mantissa bits, so that many sums are doubles.
    y = std::ldexp(double(words.v[2] >> 56), std::ilogb(x) + int(words.v[3] % 16) - 8) * (words.v[3] & 16 ? 1 : -1);
    const double sum = x + y, x_part = sum - y, y_part = sum - x_part;
    if (!std::isfinite(sum) || (x - x_part) + (y - y_part) != 0.0) continue;  // not a double
    ExactSum both;
    both.add(x);
    both.add(y);
    ASSERT_EQ(both.value(), sum) << std::hexfloat << x << " + " << y;
    ++exact_pairs;
  }
  EXPECT_GT(exact_pairs, 10000u);
  // Every subnormal binade and the first normal ones: the power of two, with the bit below it, and with
  // every bit below it (the largest double under the next power: all ones in a subnormal's stored bits).
  for (int e = -1074; e <= -1000; ++e) {
    check_alone(std::ldexp(1.0, e));
    if (e > -1074) check_alone(std::ldexp(1.5, e));
    check_alone(std::nextafter(std::ldexp(1.0, e + 1), 0.0));
  }
  check_alone(std::bit_cast<double>(std::uint64_t{0x000fffffffffffff}));  // the largest subnormal
  check_alone(-std::numeric_limits<double>::max());
}

TEST(ExactSum, AnyOrderAndGroupingGivesTheSameBits) {
  // Values of mixed sign and magnitude, whose double sum depends on the order.
  const auto u = uniforms(20000, 1);
  std::vector<double> values;
  for (std::size_t i = 0; i < u.size(); ++i) values.push_back((u[i] - 0.5) * std::pow(10.0, double(i % 13) - 3));
  ExactSum forward, backward, grouped;
  for (double v : values) forward.add(v);
  for (auto it = values.rbegin(); it != values.rend(); ++it) backward.add(*it);
  for (std::size_t start = 0; start < values.size(); start += 777) {
    ExactSum part;
    for (std::size_t i = start; i < std::min(values.size(), start + 777); ++i) part.add(values[i]);
    grouped.merge(part);
  }
  EXPECT_TRUE(forward == backward);
  EXPECT_TRUE(forward == grouped);
  EXPECT_EQ(forward.value(), backward.value());
  EXPECT_EQ(forward.value(), grouped.value());
  // And the double sums in those orders do differ (the test would be vacuous otherwise).
  const double naive_forward = std::accumulate(values.begin(), values.end(), 0.0);
  const double naive_backward = std::accumulate(values.rbegin(), values.rend(), 0.0);
  EXPECT_NE(naive_forward, naive_backward);
  // Close to a long-double reference.
  long double reference = 0;
  for (double v : values) reference += v;
  EXPECT_NEAR(forward.value(), double(reference), 1e-9 * std::abs(double(reference)) + 1e-6);
}

TEST(ExactSum, IntegersSumExactlyAndLimbsRoundTrip) {
  ExactSum sum;
  std::int64_t expected = 0;
  for (std::int64_t k = -5000; k <= 7000; ++k) {
    sum.add(double(k * 977));
    expected += k * 977;
  }
  EXPECT_EQ(sum.value(), double(expected));
  EXPECT_TRUE(ExactSum::from_limbs(sum.canonical_limbs()) == sum);
  EXPECT_EQ(ExactSum::from_limbs(sum.canonical_limbs()).value(), sum.value());
}

TEST(ExactSum, RejectsNonFiniteValues) {
  ExactSum sum;
  EXPECT_THROW(sum.add(std::numeric_limits<double>::quiet_NaN()), std::domain_error);
  EXPECT_THROW(sum.add(std::numeric_limits<double>::infinity()), std::domain_error);
}

// ---------------------------------------------------------------------------
// QuantileSketch
// ---------------------------------------------------------------------------

// Samples with the shapes model outputs have: a skewed positive one, one that
// straddles zero with a long lower tail, and a mixture with an atom-like cluster.
std::vector<std::vector<double>> samples(std::size_t n) {
  const auto u = uniforms(2 * n, 42);
  std::vector<double> lognormal, straddling, mixture;
  for (std::size_t i = 0; i < n; ++i) {
    const double z = std::sqrt(-2 * std::log(u[2 * i])) * std::cos(2 * M_PI * u[2 * i + 1]);
    lognormal.push_back(750000 * std::exp(0.4 * z));
    straddling.push_back(400000 + 350000 * z - (u[2 * i] < 0.1 ? 900000 * u[2 * i + 1] : 0));
    mixture.push_back(u[2 * i] < 0.3 ? -1000.0 - u[2 * i + 1] : 1e6 * u[2 * i + 1] * u[2 * i + 1]);
  }
  return {lognormal, straddling, mixture};
}

TEST(QuantileSketch, EveryOrderStatisticWithinItsStatedValueAndRankError) {
  for (auto& sample : samples(50000)) {
    QuantileSketch sketch;
    for (double x : sample) sketch.add(x);
    std::vector<double> sorted = sample;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_EQ(sketch.count(), sorted.size());
    EXPECT_EQ(sketch.min(), sorted.front());
    EXPECT_EQ(sketch.max(), sorted.back());
    const double bound = sketch.relative_error_bound();
    EXPECT_EQ(bound, 0x1p-12);
    for (std::uint64_t k = 1; k <= sorted.size(); k += 97) {
      const auto located = sketch.order_statistic(k);
      const double exact = sorted[k - 1];
      // Value error: within one bucket, whose width is at most 2^-12 of its values' magnitude.
      EXPECT_LE(std::abs(located.value - exact), bound * std::abs(exact) + 1e-300) << "k " << k;
      // Rank error: the reported value's rank among the sample is within the bucket's count of k.
      const auto below = std::uint64_t(std::lower_bound(sorted.begin(), sorted.end(), located.value) - sorted.begin());
      const auto through = std::uint64_t(std::upper_bound(sorted.begin(), sorted.end(), located.value) - sorted.begin());
      EXPECT_LE(double(below), double(k) + double(located.bucket_count)) << "k " << k;
      EXPECT_GE(double(through) + double(located.bucket_count), double(k)) << "k " << k;
    }
    EXPECT_EQ(sketch.order_statistic(1).value, sorted.front());
    EXPECT_EQ(sketch.order_statistic(sorted.size()).value, sorted.back());
  }
}

TEST(QuantileSketch, TailSumsCloseToExact) {
  for (auto& sample : samples(40000)) {
    QuantileSketch sketch;
    for (double x : sample) sketch.add(x);
    std::vector<double> sorted = sample;
    std::sort(sorted.begin(), sorted.end());
    for (std::uint64_t k : {1ull, 17ull, 2000ull, 39999ull}) {
      const double exact = std::accumulate(sorted.begin(), sorted.begin() + std::ptrdiff_t(k), 0.0);
      double magnitude = 0;
      for (std::uint64_t i = 0; i < k; ++i) magnitude += std::abs(sorted[i]);
      EXPECT_LE(std::abs(sketch.sum_of_smallest(k) - exact), sketch.relative_error_bound() * magnitude + 1e-6) << "k " << k;
    }
  }
}

TEST(QuantileSketch, MergeInAnyOrderEqualsOneSketchOfEverything) {
  const auto sample = samples(30000)[1];
  QuantileSketch whole;
  for (double x : sample) whole.add(x);
  std::vector<QuantileSketch> parts(7);
  for (std::size_t i = 0; i < sample.size(); ++i) parts[(i * 31) % parts.size()].add(sample[i]);
  QuantileSketch forward, backward;
  for (const auto& part : parts) forward.merge(part);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) backward.merge(*it);
  EXPECT_EQ(forward.nonzero_buckets(), whole.nonzero_buckets());
  EXPECT_EQ(backward.nonzero_buckets(), whole.nonzero_buckets());
  for (std::uint64_t k : {1ull, 1500ull, 15000ull, 29999ull, 30000ull}) {
    EXPECT_EQ(forward.order_statistic(k).value, whole.order_statistic(k).value);
    EXPECT_EQ(backward.order_statistic(k).value, whole.order_statistic(k).value);
  }
}

// merge(QuantileSketch&&) takes over the pages the target lacks and adds the rest:
// the same counts, extremes and answers as the copying merge, and the source is left empty.
TEST(QuantileSketch, MovingMergeEqualsCopyingMergeAndEmptiesTheSource) {
  const auto sample = samples(30000)[1];
  std::vector<QuantileSketch> parts(5);
  for (std::size_t i = 0; i < sample.size(); ++i) parts[(i * 17) % parts.size()].add(sample[i]);
  parts[3].add(-1e-300);  // a page only that part has, far from the others
  QuantileSketch copied, moved;
  for (const auto& part : parts) copied.merge(part);
  for (auto& part : parts) {
    moved.merge(std::move(part));
    EXPECT_EQ(part.count(), 0u);  // NOLINT(bugprone-use-after-move): the documented state of a spent source
    EXPECT_TRUE(part.nonzero_buckets().empty());
  }
  EXPECT_EQ(moved.nonzero_buckets(), copied.nonzero_buckets());
  EXPECT_EQ(moved.count(), copied.count());
  EXPECT_EQ(moved.min(), copied.min());
  EXPECT_EQ(moved.max(), copied.max());
  // A spent source still counts new values, and a merged sketch still takes new pages.
  parts[0].add(2.0);
  moved.add(1e300);
  EXPECT_EQ(parts[0].order_statistic(1).value, 2.0);
  EXPECT_EQ(moved.max(), 1e300);
}

// Counters are 16 bits, and a bucket that passes 2^16 - 1 carries into its
// page's 64-bit carries. Counts past 2^16 and past 2^32 in one bucket, reached
// by adding values (the hot path), by add_bucket, and by merges whose low bits
// carry, must be the exact integers, and every query (including the page totals
// that let order statistics skip pages) must read them.
TEST(QuantileSketch, CountsPastSixteenBitsCarryExactly) {
  const auto key_of = [](double x) {
    QuantileSketch probe;
    probe.add(x);
    return probe.nonzero_buckets().front().first;
  };
  const std::int64_t two = key_of(2.0), minus_five = key_of(-5.0), million = key_of(1e6);

  // 70,000 values in one bucket through add_many: its counter carries once, at the 65,536th.
  QuantileSketch added;
  added.add_many(70000, [](std::size_t) { return 2.0; });
  added.add(-5.0);
  for (int i = 0; i < 10; ++i) added.add(1e6);
  using Buckets = std::vector<std::pair<std::int64_t, std::uint64_t>>;
  EXPECT_EQ(added.nonzero_buckets(), (Buckets{{minus_five, 1}, {two, 70000}, {million, 10}}));
  EXPECT_EQ(added.count(), 70011u);
  EXPECT_EQ(added.order_statistic(2).bucket_count, 70000u);
  EXPECT_EQ(added.order_statistic(70001).bucket_count, 70000u);
  // Ranks past the carried bucket are found by skipping its page, whose total must include the carry.
  EXPECT_NEAR(added.order_statistic(70002).value, 1e6, 1e6 * added.relative_error_bound());
  EXPECT_EQ(added.order_statistic(70002).bucket_count, 10u);
  // Each value read as a point of its bucket: within the bucket width of 2.0 (2^-11) of the true sum per value.
  EXPECT_NEAR(added.sum_of_smallest(70001), -5.0 + 70000 * 2.0, 70001 * 0x1p-11);

  // Exactly at the edges: 65,535 stays in 16 bits, one more carries, and add_bucket carries too.
  QuantileSketch edge;
  edge.add_bucket(two, 65535);
  EXPECT_EQ(edge.nonzero_buckets(), (Buckets{{two, 65535}}));
  edge.add(2.0);
  EXPECT_EQ(edge.nonzero_buckets(), (Buckets{{two, 65536}})) << "a 16-bit counter wrapped without carrying";
  constexpr std::uint64_t kBig = 6'000'000'000;  // past 2^32 in one bucket
  edge.add_bucket(two, kBig);
  EXPECT_EQ(edge.nonzero_buckets(), (Buckets{{two, kBig + 65536}}));
  EXPECT_EQ(edge.count(), kBig + 65536);

  // Merges: low bits that carry in the sum (40,000 + 40,000), carries on either side, a moving merge into an
  // empty sketch, a copy and a save/load round trip.
  QuantileSketch forty_a, forty_b;
  forty_a.add_many(40000, [](std::size_t) { return 2.0; });
  forty_b.add_many(40000, [](std::size_t) { return 2.0; });
  forty_a.merge(forty_b);
  EXPECT_EQ(forty_a.nonzero_buckets(), (Buckets{{two, 80000}}));
  QuantileSketch into_added(added), into_edge(edge), taken;
  into_added.merge(edge);
  into_edge.merge(added);
  EXPECT_EQ(into_added.nonzero_buckets(), into_edge.nonzero_buckets());
  EXPECT_EQ(into_added.nonzero_buckets(), (Buckets{{minus_five, 1}, {two, kBig + 65536 + 70000}, {million, 10}}));
  EXPECT_EQ(into_added.count(), kBig + 65536 + 70011);
  QuantileSketch spent(into_added);
  taken.merge(std::move(spent));
  EXPECT_EQ(taken.nonzero_buckets(), into_added.nonzero_buckets());
  EXPECT_EQ(taken.order_statistic(taken.count() - 5).bucket_count, 10u);
  taken.add_many(70000, [](std::size_t) { return 1e6; });  // the taken-over pages still carry
  EXPECT_EQ(taken.nonzero_buckets().back(), std::make_pair(million, std::uint64_t{70010}));

  // A merge into a sketch that lacks the page the other's carries are on, and a sketch merged into itself.
  QuantileSketch lacking;
  lacking.add(-5.0);
  lacking.merge(added);
  EXPECT_EQ(lacking.nonzero_buckets(), (Buckets{{minus_five, 2}, {two, 70000}, {million, 10}}));
  forty_b.merge(forty_b);
  EXPECT_EQ(forty_b.nonzero_buckets(), (Buckets{{two, 80000}})) << "a sketch merged into itself counts its values twice";
  forty_b.merge(forty_b);
  EXPECT_EQ(forty_b.nonzero_buckets(), (Buckets{{two, 160000}}));

  mcrisk::util::ByteWriter out;
  taken.save(out);
  QuantileSketch loaded;
  mcrisk::util::ByteReader in(out.bytes(), "sketch");
  loaded.load(in);
  EXPECT_EQ(loaded.nonzero_buckets(), taken.nonzero_buckets());
  EXPECT_EQ(loaded.count(), taken.count());
}

// A moved-from sketch is an empty sketch again: it counts, merges (copying or
// moving) and answers queries like a fresh one, and its move target holds
// everything the source held.
TEST(QuantileSketch, AMovedFromSketchIsEmptyAndUsable) {
  const auto sample = samples(5000)[0];
  QuantileSketch source, reference;
  for (double x : sample) source.add(x);
  QuantileSketch target(std::move(source));
  EXPECT_EQ(target.count(), sample.size());
  EXPECT_EQ(source.count(), 0u);  // NOLINT(bugprone-use-after-move): the documented state after a move
  EXPECT_TRUE(source.nonzero_buckets().empty());
  EXPECT_EQ(source.bytes(), 0u);
  QuantileSketch assigned;
  assigned = std::move(target);
  EXPECT_EQ(assigned.count(), sample.size());
  // Reuse each moved-from sketch one way: adding, a copying merge, a moving merge.
  source.add(7.0);
  source.add(-3.0);
  reference.add(7.0);
  reference.add(-3.0);
  EXPECT_EQ(source.nonzero_buckets(), reference.nonzero_buckets());
  EXPECT_EQ(source.order_statistic(1).value, -3.0);
  target.merge(assigned);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(target.count(), sample.size());
  EXPECT_EQ(target.nonzero_buckets(), assigned.nonzero_buckets());
  QuantileSketch spent(target);
  QuantileSketch moved_into(std::move(spent));
  spent.merge(std::move(moved_into));  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(spent.count(), sample.size());
  EXPECT_EQ(spent.nonzero_buckets(), assigned.nonzero_buckets());
  EXPECT_EQ(spent.min(), assigned.min());
  EXPECT_EQ(spent.order_statistic(spent.count() / 2).value, assigned.order_statistic(assigned.count() / 2).value);
}

// Sketches filled by one thread share a PageArena of huge-page slabs. A moving merge
// takes over pages that live in another sketch's arena: they must stay valid after
// the source sketch and every other owner of that arena are gone, and counts must be
// those of sketches on their own arenas.
TEST(QuantileSketch, SharedArenaPagesOutliveTheirSourceAfterAMovingMerge) {
  const auto sample = samples(20000)[0];
  QuantileSketch alone_a, alone_b;
  QuantileSketch merged;
  {
    auto arena = std::make_shared<mcrisk::util::PageArena>(mcrisk::util::PageArena::kHugeSlab);
    QuantileSketch a, b;
    a.set_arena(arena);
    b.set_arena(arena);
    for (std::size_t i = 0; i < sample.size(); ++i) {
      (i % 2 ? a : b).add(sample[i] * (i % 3 ? 1.0 : -1.0));
      (i % 2 ? alone_a : alone_b).add(sample[i] * (i % 3 ? 1.0 : -1.0));
    }
    merged.merge(std::move(a));
    merged.merge(std::move(b));
  }  // the arena's last outside owners are gone; merged holds its pages
  QuantileSketch expected = alone_a;
  expected.merge(alone_b);
  EXPECT_EQ(merged.nonzero_buckets(), expected.nonzero_buckets());
  EXPECT_EQ(merged.count(), 20000u);
  merged.add(1e-200);  // a new page, from merged's own arena
  EXPECT_EQ(merged.count(), 20001u);
}

// A moving merge into a sketch that already holds pages adds the counts into its
// own pages: it keeps no reference to the other's arena (which holds a whole
// thread's sketches and buffers), so merging round after round cannot grow memory.
// Into an empty sketch it takes the pages over, and their arena with them.
TEST(QuantileSketch, MovingMergeKeepsTheOtherArenaOnlyWhenItTakesPages) {
  const auto sample = samples(5000)[0];
  auto arena = std::make_shared<mcrisk::util::PageArena>(mcrisk::util::PageArena::kHugeSlab);
  QuantileSketch part, empty, holding;
  part.set_arena(arena);
  for (double x : sample) part.add(x);
  holding.add(-1e-100);  // a page of its own, on its own arena
  QuantileSketch part_copy = part;
  holding.merge(std::move(part));
  EXPECT_EQ(arena.use_count(), 2);  // the test's and part's own (arena_), not held by `holding`
  part = QuantileSketch();
  EXPECT_EQ(arena.use_count(), 1);
  EXPECT_EQ(holding.count(), 5001u);
  QuantileSketch expected;
  expected.add(-1e-100);
  expected.merge(part_copy);
  EXPECT_EQ(holding.nonzero_buckets(), expected.nonzero_buckets());
  QuantileSketch second;
  second.set_arena(arena);
  for (double x : sample) second.add(x);
  empty.merge(std::move(second));
  second = QuantileSketch();
  EXPECT_EQ(arena.use_count(), 2);  // held by `empty`, whose pages live there
  EXPECT_EQ(empty.nonzero_buckets(), part_copy.nonzero_buckets());
}

TEST(PageArena, BlocksAreZeroAlignedAndDisjoint) {
  mcrisk::util::PageArena arena(mcrisk::util::PageArena::kHugeSlab);
  std::vector<unsigned char*> blocks;
  const std::vector<std::size_t> sizes = {32768, 100, 32768, std::size_t{5} << 20, 64, 2u << 20};
  for (std::size_t bytes : sizes) {
    auto* block = static_cast<unsigned char*>(arena.allocate(bytes));
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % 64, 0u) << bytes;
    EXPECT_TRUE(std::all_of(block, block + bytes, [](unsigned char c) { return c == 0; })) << bytes;
    std::fill(block, block + bytes, static_cast<unsigned char>(blocks.size() + 1));
    blocks.push_back(block);
  }
  for (std::size_t i = 0; i < blocks.size(); ++i) {  // no block overwrote another
    EXPECT_TRUE(std::all_of(blocks[i], blocks[i] + sizes[i], [&](unsigned char c) { return c == i + 1; })) << i;
  }
  EXPECT_GE(arena.bytes_mapped(), std::size_t{7} << 20);  // two slabs and a 5 MiB block of its own
}

// The outputs of a run share one arena and are merged and read in parallel: blocks
// taken from four threads at once (pages of 8 KiB, some larger than a slab) must
// each be zero, aligned and disjoint from every other thread's.
TEST(PageArena, BlocksTakenFromManyThreadsAtOnceAreDisjoint) {
  mcrisk::util::PageArena arena(std::size_t{1} << 20);
  constexpr std::size_t kThreads = 4, kBlocks = 300, kBytes = 8192;
  std::vector<std::vector<unsigned char*>> blocks(kThreads);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t b = 0; b < kBlocks; ++b) {
        const std::size_t bytes = b % 100 == 99 ? (std::size_t{3} << 20) : kBytes;  // now and then a block of its own
        auto* block = static_cast<unsigned char*>(arena.allocate(bytes));
        // Zero when taken, then marked with its thread: a block handed out twice shows another's mark.
        if (std::any_of(block, block + bytes, [](unsigned char c) { return c != 0; })) block = nullptr;
        else std::fill(block, block + kBytes, static_cast<unsigned char>(t + 1));
        blocks[t].push_back(block);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t t = 0; t < kThreads; ++t) {
    for (unsigned char* block : blocks[t]) {
      ASSERT_NE(block, nullptr) << "thread " << t << " was given a block that was not zero";
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % 64, 0u);
      EXPECT_TRUE(std::all_of(block, block + kBytes, [&](unsigned char c) { return c == t + 1; })) << "thread " << t;
    }
  }
}

// A block larger than a slab gets a mapping of its own, even as an arena's first
// block: later small blocks must not be carved from it.
TEST(PageArena, ALargeFirstBlockIsNotReusedForSmallOnes) {
  mcrisk::util::PageArena arena(mcrisk::util::PageArena::kHugeSlab);
  const std::size_t large = std::size_t{4} << 20, small = std::size_t{512} << 10;
  auto* first = static_cast<unsigned char*>(arena.allocate(large));
  std::fill(first, first + large, static_cast<unsigned char>(1));
  for (int k = 0; k < 6; ++k) {
    auto* block = static_cast<unsigned char*>(arena.allocate(small));
    EXPECT_TRUE(block + small <= first || block >= first + large) << "block " << k << " lies inside the large block";
    EXPECT_TRUE(std::all_of(block, block + small, [](unsigned char c) { return c == 0; })) << k;
  }
}

TEST(HugePageBuffer, IsZeroAlignedAndMovable) {
  mcrisk::util::HugePageBuffer big(std::size_t{3} << 20);
  ASSERT_GE(big.size(), std::size_t{3} << 20);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(big.data()) % (std::size_t{2} << 20), 0u);
  auto* bytes = static_cast<unsigned char*>(big.data());
  EXPECT_TRUE(std::all_of(bytes, bytes + big.size(), [](unsigned char c) { return c == 0; }));
  bytes[big.size() - 1] = 7;
  mcrisk::util::HugePageBuffer moved(std::move(big));
  EXPECT_EQ(static_cast<unsigned char*>(moved.data())[moved.size() - 1], 7);
  mcrisk::util::HugePageBuffer small(100);
  EXPECT_GE(small.size(), 100u);
  moved = std::move(small);
  EXPECT_GE(moved.size(), 100u);
  EXPECT_EQ(mcrisk::util::HugePageBuffer(0).data(), nullptr);
}

// An OutputAccumulator holds values back for its sketch in a buffer: on the heap, or in
// a page arena, first sized by expect_values() and grown in doublings. Wherever the
// buffer lives, however it grew, and through copies and moves with values pending,
// the statistics are those of the same values added to a plain accumulator.
TEST(OutputAccumulator, PendingBufferPlacementAndGrowthChangeNoResult) {
  using mcrisk::statistics::OutputAccumulator;
  const auto sample = samples(3 * OutputAccumulator::kSketchBatch + 1000)[2];
  const auto same = [](const OutputAccumulator& a, const OutputAccumulator& b) {
    const auto x = a.summary(), y = b.summary();
    EXPECT_EQ(x.count, y.count);
    EXPECT_EQ(x.mean, y.mean);
    EXPECT_EQ(x.sd, y.sd);
    EXPECT_EQ(x.min, y.min);
    EXPECT_EQ(x.max, y.max);
    EXPECT_EQ(x.prob_loss, y.prob_loss);
    EXPECT_EQ(x.expected_shortfall_5, y.expected_shortfall_5);
    ASSERT_EQ(x.percentiles.size(), y.percentiles.size());
    for (std::size_t k = 0; k < x.percentiles.size(); ++k) EXPECT_EQ(x.percentiles[k].value, y.percentiles[k].value);
  };
  OutputAccumulator plain(0.5), in_arena(0.5);
  in_arena.set_page_arena(std::make_shared<mcrisk::util::PageArena>(mcrisk::util::PageArena::kHugeSlab));
  in_arena.expect_values(10);  // far fewer than come: the buffer grows 10, 256, 512, ... kSketchBatch
  std::size_t at = 0;
  const auto add_groups = [&](std::size_t until, OutputAccumulator& a, OutputAccumulator& b) {
    while (at < until) {
      const std::size_t n = std::min<std::size_t>(256, until - at);
      a.add_group(n, [&](std::size_t i) { return sample[at + i]; });
      b.add_group(n, [&](std::size_t i) { return sample[at + i]; });
      at += n;
    }
  };
  add_groups(1000, plain, in_arena);
  same(plain, in_arena);  // values still pending in both
  add_groups(OutputAccumulator::kSketchBatch + 5000, plain, in_arena);
  OutputAccumulator copy = in_arena;  // copied with values pending: a heap buffer of its own
  same(copy, in_arena);
  OutputAccumulator moved = std::move(in_arena);
  add_groups(sample.size(), plain, moved);
  same(plain, moved);
  // The copy kept its own values: adding to the original's buffer did not reach it.
  EXPECT_EQ(copy.count(), OutputAccumulator::kSketchBatch + 5000);
}

// A new arena given while values are pending in the old one: the buffer grows into
// the new arena, and the old one (whose last reference the buffer held) must outlive
// the copy of the pending values.
TEST(OutputAccumulator, ChangingTheArenaWithValuesPendingKeepsThem) {
  using mcrisk::statistics::OutputAccumulator;
  const auto sample = samples(64)[1];
  OutputAccumulator moved_on(0.5), plain(0.5);
  moved_on.set_page_arena(std::make_shared<mcrisk::util::PageArena>(mcrisk::util::PageArena::kHugeSlab));
  moved_on.expect_values(10);
  for (std::size_t at = 0; at < 32; at += 8) {
    if (at == 8) moved_on.set_page_arena(std::make_shared<mcrisk::util::PageArena>(mcrisk::util::PageArena::kHugeSlab));
    moved_on.add_group(8, [&](std::size_t i) { return sample[at + i]; });
    plain.add_group(8, [&](std::size_t i) { return sample[at + i]; });
  }
  EXPECT_EQ(moved_on.count(), 32u);
  for (double level : {0.0, 25.0, 50.0, 100.0}) EXPECT_EQ(moved_on.percentile(level), plain.percentile(level)) << level;
}

// Copying only reads the source (its pending values are copied, not counted into
// its sketch first), so threads may copy one accumulator at once: the streaming
// run's per-thread accumulators are copies of one prototype, made by the workers.
TEST(OutputAccumulator, ConcurrentCopiesOfOneAccumulatorAreIdentical) {
  using mcrisk::statistics::OutputAccumulator;
  const auto sample = samples(4000)[0];
  OutputAccumulator source(0.5);
  source.set_page_arena(std::make_shared<mcrisk::util::PageArena>(mcrisk::util::PageArena::kHugeSlab));
  for (std::size_t at = 0; at < sample.size(); at += 250) source.add_group(250, [&](std::size_t i) { return sample[at + i]; });
  const OutputAccumulator& shared = source;  // every value still pending
  std::vector<std::vector<double>> seen(2);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 50; ++k) {
        const OutputAccumulator copy = shared;
        seen[t].push_back(copy.percentile(37.5));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double expected = OutputAccumulator(shared).percentile(37.5);
  for (const auto& values : seen) {
    ASSERT_EQ(values.size(), 50u);
    for (double v : values) EXPECT_EQ(v, expected);
  }
  EXPECT_EQ(source.percentile(37.5), expected);
}

// add_many finds the exact extremes wherever they are in a batch, of any length.
// Calls check(values, low_at, high_at) for 1 to 13 values with the minimum (-3) at
// every position and the maximum (70) at every other one (one value: -3 alone).
template <typename Check>
void for_each_placement_of_the_extremes(Check check) {
  for (std::size_t n : {1u, 2u, 3u, 5u, 8u, 13u}) {
    for (std::size_t low_at = 0; low_at < n; ++low_at) {
      for (std::size_t high_at = 0; high_at < n; ++high_at) {
        if (n > 1 && high_at == low_at) continue;
        std::vector<double> values(n, 10.0);
        values[high_at] = 70.0;
        values[low_at] = -3.0;
        check(values, low_at, high_at);
      }
    }
  }
}

TEST(QuantileSketch, BatchAddsFindTheExtremesAtAnyPosition) {
  for_each_placement_of_the_extremes([](const std::vector<double>& values, std::size_t low_at, std::size_t high_at) {
    const std::size_t n = values.size();
    QuantileSketch sketch;
    sketch.add_many(n, [&](std::size_t i) { return values[i]; });
    EXPECT_EQ(sketch.min(), -3.0) << n << " values, minimum at " << low_at;
    EXPECT_EQ(sketch.max(), n == 1 ? -3.0 : 70.0) << n << " values, maximum at " << high_at;
    EXPECT_EQ(sketch.count(), n);
  });
}

// OutputAccumulator::add_group computes the sketch keys and the extremes itself
// (four lanes, the pending values kept as keys): the extremes at every position
// of a group, in groups not a multiple of four long, across groups, a copy and a
// move with values pending, and the counted sketch must equal a sketch given the
// same values one by one.
TEST(OutputAccumulator, GroupsKeepTheExactExtremesAndTheSketchOfSingleAdds) {
  using mcrisk::statistics::OutputAccumulator;
  for_each_placement_of_the_extremes([](const std::vector<double>& values, std::size_t low_at, std::size_t high_at) {
    const std::size_t n = values.size();
    OutputAccumulator accumulator(1.0);
    accumulator.add_group(n, [&](std::size_t i) { return values[i]; });
    const OutputAccumulator copy = accumulator;  // pending keys and extremes copied
    EXPECT_EQ(copy.sketch().min(), -3.0) << n << " values, minimum at " << low_at;
    EXPECT_EQ(copy.sketch().max(), n == 1 ? -3.0 : 70.0) << n << " values, maximum at " << high_at;
    EXPECT_EQ(accumulator.sketch().max(), n == 1 ? -3.0 : 70.0) << n << " values, maximum at " << high_at;
    EXPECT_EQ(accumulator.count(), n);
  });
  auto sample = samples(3000)[1];
  // The extremes go in before the move below, so a move that lost the pending extremes would show.
  sample[10] = 1e9;
  sample[20] = -1e9;
  OutputAccumulator grouped(0.0);
  QuantileSketch singles;
  for (std::size_t at = 0; at < sample.size(); at += 7) {  // groups of 7: remainders in every group
    const std::size_t n = std::min<std::size_t>(7, sample.size() - at);
    grouped.add_group(n, [&](std::size_t i) { return sample[at + i]; });
    for (std::size_t i = 0; i < n; ++i) singles.add(sample[at + i]);
    if (at == 700) grouped = OutputAccumulator(std::move(grouped));  // moved with values pending
  }
  EXPECT_EQ(grouped.sketch().min(), -1e9);
  EXPECT_EQ(grouped.sketch().max(), 1e9);
  EXPECT_EQ(grouped.sketch().nonzero_buckets(), singles.nonzero_buckets());
  EXPECT_EQ(grouped.sketch().min(), *std::min_element(sample.begin(), sample.end()));
  EXPECT_EQ(grouped.sketch().max(), *std::max_element(sample.begin(), sample.end()));
}

// -0 and +0 are equal values in different buckets (-0's below +0's). The extremes
// must not depend on the order the zeros come in, nor on how they are split
// between sketches that are merged (threads): the minimum is -0 whenever a -0
// is there and nothing below it, the maximum +0 likewise; and a sketch so
// made must survive save/load, whose check wants the extremes in the first and
// last buckets.
TEST(QuantileSketch, SignedZerosGiveTheSameExtremesInAnyOrderAndSplit) {
  using mcrisk::statistics::OutputAccumulator;
  const std::vector<std::vector<double>> orders = {{0.0, -0.0, 0.0, -0.0, 0.0}, {-0.0, 0.0, -0.0, 0.0, -0.0}, {0.0, 0.0, 0.0, 0.0, -0.0},
                                                   {-0.0, -0.0, -0.0, -0.0, 0.0}};
  for (const auto& values : orders) {
    for (std::size_t split = 0; split <= values.size(); ++split) {
      QuantileSketch first, second;
      for (std::size_t i = 0; i < values.size(); ++i) (i < split ? first : second).add(values[i]);
      QuantileSketch merged_ab(first), merged_ba(second);
      merged_ab.merge(second);
      merged_ba.merge(first);
      for (const QuantileSketch* sketch : {&merged_ab, &merged_ba}) {
        EXPECT_TRUE(std::signbit(sketch->min())) << "split " << split;
        EXPECT_FALSE(std::signbit(sketch->max())) << "split " << split;
        mcrisk::util::ByteWriter out;
        sketch->save(out);
        QuantileSketch loaded;
        mcrisk::util::ByteReader in(out.bytes(), "sketch");
        EXPECT_NO_THROW(loaded.load(in)) << "split " << split;
      }
      // The same through an accumulator's groups (four lanes and a remainder).
      OutputAccumulator grouped(0.0);
      grouped.add_group(split, [&](std::size_t i) { return values[i]; });
      grouped.add_group(values.size() - split, [&](std::size_t i) { return values[split + i]; });
      EXPECT_TRUE(std::signbit(grouped.sketch().min())) << "split " << split;
      EXPECT_FALSE(std::signbit(grouped.sketch().max())) << "split " << split;
    }
  }
  // One zero alone keeps its sign at both ends.
  QuantileSketch minus;
  minus.add(-0.0);
  EXPECT_TRUE(std::signbit(minus.min()) && std::signbit(minus.max()));
  // A state saved with +0 as the minimum beside a counted -0 (as an engine that did not settle the signs
  // could save it) loads, with the minimum settled to -0.
  mcrisk::util::ByteWriter out;
  out.f64(0.0);
  out.f64(0.0);
  out.u64(2);
  out.i64(minus.nonzero_buckets().front().first);
  out.u64(1);
  out.i64(minus.nonzero_buckets().front().first + 1);
  out.u64(1);
  QuantileSketch loaded;
  mcrisk::util::ByteReader in(out.bytes(), "sketch");
  ASSERT_NO_THROW(loaded.load(in));
  EXPECT_TRUE(std::signbit(loaded.min()));
  EXPECT_FALSE(std::signbit(loaded.max()));
}

// Keys are 32-bit (the shift is at least 32 bits, precision <= 20): at the
// precisions' ends and for the extreme finite doubles, the vector and scalar keys
// must equal the 64-bit key, keep the values' order, and round-trip through
// save/load.
TEST(QuantileSketch, KeysFitThirtyTwoBitsAtEveryPrecision) {
  const std::vector<double> values = {-std::numeric_limits<double>::max(), -1.0, -std::numeric_limits<double>::denorm_min(), -0.0, 0.0,
                                      std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::min(), 1.0,
                                      std::numeric_limits<double>::max()};
  for (int bits : {4, 12, 20}) {
    QuantileSketch sketch(bits);
    const int shift = 52 - bits;
    std::int64_t previous = std::numeric_limits<std::int64_t>::min();
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::uint64_t raw = 0;
      std::memcpy(&raw, &values[i], sizeof raw);
      const auto magnitude = std::int64_t((raw & ~(std::uint64_t{1} << 63)) >> shift);
      const std::int64_t expected = (raw >> 63) != 0 ? -magnitude - 1 : magnitude;
      EXPECT_EQ(sketch.key_of(values[i]), expected) << bits << " bits, value " << values[i];
      const QuantileSketch::Lanes x = {values[i], values[i], values[i], values[i]};
      const QuantileSketch::KeyLanes keys = sketch.keys_of(x);
      for (int lane = 0; lane < 4; ++lane) EXPECT_EQ(keys[lane], expected) << bits << " bits, lane " << lane;
      EXPECT_GE(expected, previous) << "keys sort like values";
      previous = expected;
    }
    sketch.add_many(values.size(), [&](std::size_t i) { return values[i]; });
    mcrisk::util::ByteWriter out;
    sketch.save(out);
    QuantileSketch loaded(bits);
    mcrisk::util::ByteReader in(out.bytes(), "sketch");
    loaded.load(in);
    EXPECT_EQ(loaded.nonzero_buckets(), sketch.nonzero_buckets()) << bits << " bits";
    EXPECT_EQ(loaded.min(), -std::numeric_limits<double>::max());
    EXPECT_EQ(loaded.max(), std::numeric_limits<double>::max());
  }
}

// add_many works in chunks of 512 values (keys, then addresses, then counts):
// batches around one and two chunks, whose values open new pages as they go
// (and repeat buckets within a chunk), count exactly what single adds count,
// with the same extremes.
TEST(QuantileSketch, BatchAddsCountLikeSingleAdds) {
  for (std::size_t n : {1u, 3u, 4u, 5u, 511u, 512u, 513u, 1023u, 1024u, 1025u, 3000u}) {
    std::vector<double> values(n);
    for (std::size_t i = 0; i < n; ++i) values[i] = (i % 2 == 0 ? 1.0 : -1.0) * std::ldexp(1.0 + double(i % 17) / 17.0, int(i % 23) - 5);
    QuantileSketch batch, singles;
    batch.add_many(n, [&](std::size_t i) { return values[i]; });
    for (double x : values) singles.add(x);
    EXPECT_EQ(batch.nonzero_buckets(), singles.nonzero_buckets()) << n << " values";
    EXPECT_EQ(batch.count(), n);
    EXPECT_EQ(batch.min(), singles.min()) << n << " values";
    EXPECT_EQ(batch.max(), singles.max()) << n << " values";
  }
}

TEST(QuantileSketch, PrecisionIsAParameterWithLimits) {
  QuantileSketch fine(16);
  const auto sample = samples(20000)[0];
  for (double x : sample) fine.add(x);
  std::vector<double> sorted = sample;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_LE(std::abs(fine.order_statistic(10000).value - sorted[9999]), 0x1p-16 * sorted[9999]);
  EXPECT_THROW(QuantileSketch(2), std::invalid_argument);
  EXPECT_THROW(QuantileSketch(30), std::invalid_argument);
  EXPECT_THROW((void)fine.order_statistic(0), std::out_of_range);
  EXPECT_THROW((void)fine.order_statistic(20001), std::out_of_range);
}

}  // namespace
