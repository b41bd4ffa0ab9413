// RunAccumulator::serialize / restore: the whole state of a streaming run as
// bytes (for checkpoints and MPI). A restored accumulator must be the same
// state bit for bit (its bytes, its summaries, what it merges to), and bytes
// that are damaged, cut short or made for another model must be refused with a
// message that says which, never restored into wrong figures.

#include <gtest/gtest.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cstdint>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mcrisk/config/model_loader.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/run_accumulator.h"
#include "mcrisk/util/byte_codec.h"

#include "r1_model.h"

namespace {

using namespace mcrisk;
using statistics::RunAccumulator;
using statistics::StreamingOptions;

using mcrisk::testing::r1;

simulation::RunSettings settings(int threads) {
  simulation::RunSettings s;
  s.seed = 20100706;
  s.threads = threads;
  return s;
}

// Trials [first, end) alone, in an accumulator with its own storage (as another process would have them).
RunAccumulator trials_alone(std::uint64_t first, std::uint64_t end, StreamingOptions options = {}) {
  RunAccumulator accumulator(r1().model, r1().plan, options);
  accumulator.reserve_first_trials(end);
  simulation::for_each_block(r1().plan, settings(1), first, end,
                             [&](const simulation::TrialBlock& block, std::uint64_t first_trial) { accumulator.add_block(block, first_trial); });
  return accumulator;
}

RunAccumulator whole_run(std::uint64_t trials, StreamingOptions options = {}, int threads = 2) {
  RunAccumulator accumulator(r1().model, r1().plan, options);
  statistics::accumulate(r1().plan, settings(threads), trials, accumulator);
  return accumulator;
}

RunAccumulator restored(const std::vector<std::uint8_t>& bytes, StreamingOptions options = {}) {
  RunAccumulator accumulator(r1().model, r1().plan, options);
  accumulator.restore(bytes);
  return accumulator;
}

// The error restore() throws for these bytes ("" if it accepts them).
std::string restore_error(const std::vector<std::uint8_t>& bytes, const simulation::EvaluationPlan& plan = r1().plan,
                          StreamingOptions options = {}) {
  RunAccumulator accumulator(r1().model, plan, options);
  try {
    accumulator.restore(bytes);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

// Replaces the checksum after an edit, so the check behind the checksum is what sees it.
std::vector<std::uint8_t> with_fresh_checksum(std::vector<std::uint8_t> bytes) {
  if (bytes.size() < 32) throw std::invalid_argument("no checksum to replace");
  bytes.erase(bytes.end() - 32, bytes.end());  // (resize(size - 32) makes GCC 12's -Wstringop-overflow misfire at -O1 with ASan)
  const auto checksum = util::sha256(bytes);
  bytes.insert(bytes.end(), checksum.begin(), checksum.end());
  return bytes;
}

void expect_same_summaries(const RunAccumulator& a, const RunAccumulator& b) {
  const auto options_a = a.summarise_options(r1().model), options_b = b.summarise_options(r1().model);
  ASSERT_EQ(options_a.size(), options_b.size());
  for (std::size_t o = 0; o < options_a.size(); ++o) {
    EXPECT_EQ(options_a[o].total_net.mean, options_b[o].total_net.mean);
    EXPECT_EQ(options_a[o].total_net.sd, options_b[o].total_net.sd);
    EXPECT_EQ(options_a[o].total_net.min, options_b[o].total_net.min);  // exact extremes, not bucket edges
    EXPECT_EQ(options_a[o].total_net.max, options_b[o].total_net.max);
    EXPECT_EQ(options_a[o].npv.percentiles[2].value, options_b[o].npv.percentiles[2].value);
    EXPECT_EQ(options_a[o].prob_best.value, options_b[o].prob_best.value);
    ASSERT_EQ(options_a[o].drivers.size(), options_b[o].drivers.size());
    for (std::size_t d = 0; d < options_a[o].drivers.size(); ++d)
      EXPECT_EQ(options_a[o].drivers[d].rank_correlation, options_b[o].drivers[d].rank_correlation);
  }
  const auto comparisons_a = a.compare_options(r1().model), comparisons_b = b.compare_options(r1().model);
  ASSERT_EQ(comparisons_a.size(), comparisons_b.size());
  for (std::size_t k = 0; k < comparisons_a.size(); ++k) {
    EXPECT_EQ(comparisons_a[k].difference.mean, comparisons_b[k].difference.mean);
    EXPECT_EQ(comparisons_a[k].a_better.value, comparisons_b[k].a_better.value);
  }
}

TEST(RunAccumulatorSerialisation, RoundTripGivesTheSameStateBitForBit) {
  const RunAccumulator original = whole_run(5000);
  const std::vector<std::uint8_t> bytes = original.serialize();
  const RunAccumulator copy = restored(bytes);
  EXPECT_EQ(copy.trials(), 5000u);
  EXPECT_EQ(copy.serialize(), bytes);
  expect_same_summaries(original, copy);
  // Serialising is deterministic: the same run on another thread count gives the same bytes.
  EXPECT_EQ(whole_run(5000, {}, 1).serialize(), bytes);
}

TEST(RunAccumulatorSerialisation, EmptyAccumulatorRoundTrips) {
  const RunAccumulator empty(r1().model, r1().plan);
  const RunAccumulator copy = restored(empty.serialize());
  EXPECT_EQ(copy.trials(), 0u);
  EXPECT_EQ(copy.serialize(), empty.serialize());
}

TEST(RunAccumulatorSerialisation, MergeOfRestoredEqualsMergeOfOriginals) {
  // A small ranking store, so that one part holds all of its kept trials and the other part only some.
  StreamingOptions options;
  options.ranking_trials = 3000;
  const RunAccumulator first = trials_alone(0, 2560, options), second = trials_alone(2560, 6144, options);
  RunAccumulator merged = first;
  merged.merge(second);
  RunAccumulator merged_restored = restored(first.serialize(), options);
  merged_restored.merge(restored(second.serialize(), options));
  EXPECT_EQ(merged_restored.serialize(), merged.serialize());
  expect_same_summaries(merged_restored, merged);
  // And both equal one run of the same trials, whatever the order of the merge.
  EXPECT_EQ(merged.serialize(), whole_run(6144, options).serialize());
  RunAccumulator reversed = restored(second.serialize(), options);
  reversed.merge(restored(first.serialize(), options));
  EXPECT_EQ(reversed.serialize(), merged.serialize());
}

TEST(RunAccumulatorSerialisation, RestoredRunContinuesLikeAnUninterruptedOne) {
  RunAccumulator resumed = restored(whole_run(2560).serialize());
  statistics::accumulate(r1().plan, settings(1), 7680, resumed);
  EXPECT_EQ(resumed.serialize(), whole_run(7680).serialize());
}

TEST(RunAccumulatorSerialisation, MergingTheSameTrialsTwiceIsRefused) {
  const RunAccumulator part = trials_alone(0, 512);
  RunAccumulator twice = restored(part.serialize());
  EXPECT_THROW(twice.merge(part), std::logic_error);
}

// The merges, summaries and ranking after the trial loop run in parallel too:
// within_threads (around the whole appraisal) keeps them to the run's threads.
TEST(RunAccumulatorSerialisation, WorkAfterTheTrialLoopKeepsToTheRunsThreads) {
  for (int threads : {1, 2}) {
    int concurrency = 0;
    std::mutex mutex;
    std::set<std::thread::id> seen;
    simulation::within_threads(settings(threads), [&] {
      concurrency = tbb::this_task_arena::max_concurrency();
      tbb::parallel_for(0, 256, [&](int) {
        const std::lock_guard lock(mutex);
        seen.insert(std::this_thread::get_id());
      });
    });
    EXPECT_EQ(concurrency, threads);
    EXPECT_LE(seen.size(), std::size_t(threads));
  }
  int all = 0;
  simulation::within_threads(settings(0), [&] { all = tbb::this_task_arena::max_concurrency(); });
  EXPECT_EQ(all, tbb::info::default_concurrency());
}

// A merge that would mix sketches of different precision is refused before it
// changes anything (the outputs merge in parallel, so a refusal half-way would
// leave a different subset merged each time).
TEST(RunAccumulatorSerialisation, AMergeOfAnotherPrecisionIsRefusedAndChangesNothing) {
  StreamingOptions coarse;
  coarse.precision_bits = 8;
  RunAccumulator into = trials_alone(0, 512);
  const std::vector<std::uint8_t> before = into.serialize();
  const RunAccumulator other = trials_alone(512, 1024, coarse);
  EXPECT_THROW(into.merge(other), std::invalid_argument);
  EXPECT_EQ(into.serialize(), before);
}

TEST(RunAccumulatorSerialisation, DamagedOrTruncatedBytesAreRefused) {
  const std::vector<std::uint8_t> bytes = whole_run(1024).serialize();
  EXPECT_EQ(restore_error(bytes), "");

  std::vector<std::uint8_t> flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x10;
  EXPECT_NE(restore_error(flipped).find("damaged or truncated"), std::string::npos) << restore_error(flipped);

  const std::vector<std::uint8_t> cut(bytes.begin(), bytes.end() - 100);
  EXPECT_NE(restore_error(cut).find("damaged or truncated"), std::string::npos) << restore_error(cut);
  EXPECT_NE(restore_error({}).find("truncated"), std::string::npos) << restore_error({});

  std::vector<std::uint8_t> not_ours = bytes;
  not_ours[0] = 'X';
  EXPECT_NE(restore_error(not_ours).find("magic"), std::string::npos) << restore_error(not_ours);

  std::vector<std::uint8_t> newer = bytes;
  newer[8] = 2;  // the format version follows the 8-byte magic
  EXPECT_NE(restore_error(newer).find("format version 2"), std::string::npos) << restore_error(newer);

  // Past the checksum: truncation and damage are still caught by the reader's own checks.
  const std::vector<std::uint8_t> short_state = with_fresh_checksum(std::vector<std::uint8_t>(bytes.begin(), bytes.end() - 200));
  EXPECT_NE(restore_error(short_state).find("is truncated"), std::string::npos) << restore_error(short_state);
  std::vector<std::uint8_t> extra = bytes;
  extra.insert(extra.end() - 32, 7, 0);
  EXPECT_NE(restore_error(with_fresh_checksum(extra)).find("after its end"), std::string::npos);
  std::vector<std::uint8_t> wrong_fingerprint = bytes;
  wrong_fingerprint[12] ^= 1;
  EXPECT_NE(restore_error(with_fresh_checksum(wrong_fingerprint)).find("fingerprint"), std::string::npos);
}

TEST(RunAccumulatorSerialisation, AFailedRestoreLeavesTheAccumulatorAsItWas) {
  RunAccumulator accumulator = whole_run(512);
  const std::vector<std::uint8_t> before = accumulator.serialize();
  std::vector<std::uint8_t> bad = whole_run(1024).serialize();
  bad[bad.size() / 2] ^= 1;
  EXPECT_THROW(accumulator.restore(bad), std::runtime_error);
  EXPECT_EQ(accumulator.serialize(), before);
}

TEST(RunAccumulatorSerialisation, StateOfAnotherLayoutIsRefusedNamingWhatDiffers) {
  const std::vector<std::uint8_t> bytes = whole_run(512).serialize();
  StreamingOptions coarser;
  coarser.precision_bits = 10;
  const std::string precision = restore_error(bytes, r1().plan, coarser);
  EXPECT_NE(precision.find("sketch precision bits is 12 in the state but 10 in this run"), std::string::npos) << precision;

  // The same model compiled with optimism-bias uplifts: same sizes, different planned case.
  const auto uplifted = simulation::EvaluationPlan::compile(r1().model, {1.2, 0.0, {}});
  const std::string plan = restore_error(bytes, uplifted);
  EXPECT_NE(plan.find("different model, plan or streaming options"), std::string::npos) << plan;
  EXPECT_NE(plan.find("planned total net of"), std::string::npos) << plan;
}

}  // namespace
