#pragma once
// Streaming statistics of a whole run: everything summarise_run() reports,
// accumulated block by block instead of from stored per-trial outputs, so a
// run's memory does not grow with its trials (issue 6: 10^8 R1 trials in well
// under 1 GB). Each thread fills its own RunAccumulator; merging is exact
// (integer counts, ExactSum), so the result is bit-identical for any thread
// count, and accumulators can be checkpointed or sent between processes.
//
// What is not exact, and is said so in the summary: percentiles and the
// expected shortfall are read from quantile sketches (SampleSummary::accuracy),
// and the Spearman ranking of drivers uses the first `ranking_trials` trials
// (stored; all of them in a run that short).
//
// Trials are summed in groups of `sum_group` consecutive trials aligned to
// multiples of it, each group in trial order; the group size is part of the
// result's definition (fixed, not a tuning knob), and blocks must not split
// groups: the block size must be a multiple of it.
//
// serialize() writes, little-endian (util/byte_codec.h): the magic "MCRISKRA",
// a u32 format version, a u64 layout fingerprint (SHA-256 of the layout), the
// layout as named fields (sizes, option ids, target names, streaming options,
// the planned-case shifts and target thresholds, as hex floats), the state
// (trials, first non-finite trial, every OutputAccumulator's exact sums,
// counts and sketch buckets with exact min and max, target and P(best)
// counts, the stored first trials' filled ranges and values), and a SHA-256
// of everything before it. The bytes are canonical: equal states give equal bytes.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <boost/container/vector.hpp>

#include "mcrisk/model/model.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/output_accumulator.h"
#include "mcrisk/statistics/run_summary.h"
#include "mcrisk/util/huge_pages.h"

namespace mcrisk::simulation {
class TrialBlock;
}

namespace mcrisk::statistics {

struct StreamingOptions {
  int precision_bits = QuantileSketch::kDefaultPrecisionBits;
  std::size_t ranking_trials = std::size_t{1} << 17;  //!< the driver ranking reads the first trials
  std::size_t sum_group = 256;                          //!< trials summed together in double before the exact sum
};

//! The first trial whose outputs are not all finite (NaN or infinite), if any.
struct NonFiniteTrial {
  std::uint64_t trial = std::numeric_limits<std::uint64_t>::max();
  std::size_t option = 0;
  std::string output;  //!< e.g. "total net savings"
  bool found() const { return trial != std::numeric_limits<std::uint64_t>::max(); }
};

class RunAccumulator {
 public:
  RunAccumulator(const model::Model& model, const simulation::EvaluationPlan& plan, StreamingOptions options = {});
  RunAccumulator(const RunAccumulator&) = default;
  RunAccumulator& operator=(const RunAccumulator&) = default;
  RunAccumulator(RunAccumulator&&) noexcept = default;
  RunAccumulator& operator=(RunAccumulator&&) noexcept = default;

  //! An accumulator with no trials and this one's layout, sharing its stored first trials (for per-thread use).
  RunAccumulator empty_like() const;
  //! Adds one evaluated block of trials [first_trial, first_trial + block.size()).
  void add_block(const simulation::TrialBlock& block, std::uint64_t first_trial);
  //! Adds another accumulator's trials; exact, so the order of merges never matters.
  //! The stored first trials are copied too when `other` holds them apart (e.g. restored from bytes).
  void merge(const RunAccumulator& other);
  //! The same, taking over the other's sketch pages instead of adding them where a sketch here has none at all; `other` is spent.
  void merge(RunAccumulator&& other);

  //! The accumulator's whole state as bytes (magic, format version, layout fingerprint, then the state).
  std::vector<std::uint8_t> serialize() const;
  //! Restores a state written by serialize() into an accumulator of the same layout (made from the same
  //! model, plan and options); throws std::runtime_error naming what differs if the bytes do not match.
  //! Replaces this accumulator's state (and gives it its own stored first trials); unchanged on failure.
  //! Damaged or truncated bytes (SHA-256 checksum, then structural checks) are refused the same way.
  void restore(std::span<const std::uint8_t> bytes);
  //! The format version serialize() writes and restore() reads.
  static constexpr std::uint32_t kFormatVersion = 1;

  std::uint64_t trials() const { return trials_; }
  const NonFiniteTrial& first_non_finite() const { return non_finite_; }
  const OutputAccumulator& total_net(std::size_t option) const { return options_[option].total_net; }
  const StreamingOptions& options() const { return settings_; }
  //! Allocates the stored first trials for a run up to end_trial (before blocks are added in parallel).
  void reserve_first_trials(std::uint64_t end_trial);
  //! Sizes the outputs' buffers of values waiting for their sketches for a run of about this many trials
  //! (OutputAccumulator::expect_values); accumulators made by empty_like() afterwards inherit it.
  void expect_trials(std::uint64_t trials);
  const std::string& option_id(std::size_t option) const { return option_ids_[option]; }
  //! The trials the driver ranking reads: the first min(trials, ranking_trials) of a whole run; of an
  //! interrupted run's partial summary, the stored trials before its first gap.
  std::size_t ranking_trials_held() const;
  //! Bytes held (sketches, sums, the stored first trials).
  std::size_t bytes() const;

  //! The same figures as statistics::summarise_options / compare_options on stored outputs.
  std::vector<OptionSummary> summarise_options(const model::Model& model) const;
  std::vector<Comparison> compare_options(const model::Model& model) const;

 private:
  struct PerOption {
    OutputAccumulator total_net, npv, npv_green_book, bcr;
    std::uint64_t costs_not_positive = 0, bcr_below_one = 0;
    std::vector<OutputAccumulator> net_by_year;
    std::vector<std::uint64_t> targets_met;
    ExactSum best_share;
  };
  struct PerPair {
    std::size_t a = 0, b = 0;
    OutputAccumulator difference;
    std::uint64_t a_better = 0;
  };
  //! The first ranking_trials trials' driver components and option totals, written by every thread at its own positions.
  //! One column-major buffer on huge pages (util/huge_pages.h): the component columns, then the options' totals. It is
  //! filled densely, and at 4 KiB a page its 30 MB cost R1 some 7,000 page faults a run.
  struct FirstTrials {
    std::size_t capacity = 0;          // ranking_trials
    std::size_t columns = 0, rows = 0;  // rows allocated per column
    // Only the filled ranges (first_filled_) are ever read.
    util::HugePageBuffer storage;
    //! At least `wanted_rows` rows of `wanted_columns` columns, keeping the values held; not while blocks are added.
    void reserve(std::size_t wanted_columns, std::size_t wanted_rows);
    double* column(std::size_t c) { return static_cast<double*>(storage.data()) + c * rows; }
    const double* column(std::size_t c) const { return static_cast<const double*>(storage.data()) + c * rows; }
  };
  //! empty_like()'s accumulator: `source`'s layout (and stored first trials, shared), no trials, and none
  //! of its outputs' state copied (copying a long run's sketch pages only to drop them cost page faults).
  //! Lists every layout member: a member added below must be added there too.
  struct LayoutOf {
    const RunAccumulator& source;
  };
  explicit RunAccumulator(LayoutOf layout);
  void add_group(const simulation::TrialBlock& block, std::size_t begin, std::size_t end);
  // add_group's parts: the benefit-cost ratios of one option, and every option's share of being best.
  void add_ratios(PerOption& option, const double* benefits, const double* costs, std::size_t n, double* ratios);
  void add_best_shares(const simulation::TrialBlock& block, std::size_t begin, std::size_t n, double* best, double* tied);
  //! Gives every output's sketch one new arena of huge-page slabs: the thread that fills this
  //! accumulator faults its sketches' pages in 2 MiB at a time (util/huge_pages.h).
  void share_page_arena();
  //! Calls visit(OutputAccumulator&) for every output: each option's, then each pair's difference.
  template <typename Visit>
  void for_each_output(Visit visit);
  //! merge() for both kinds of other: Other is RunAccumulator (moved from) or const RunAccumulator.
  template <typename Other>
  void merge_from(Other& other);
  //! What an accumulator's state is only meaningful with: sizes, options, shifts, thresholds (name, value).
  std::vector<std::pair<std::string, std::string>> layout() const;
  //! Copies the stored first trials of other's filled ranges into this accumulator's storage.
  void copy_first_trials(const RunAccumulator& other);
  //! False (and the first bad trial noted) if any output of the block is not finite.
  bool check_finite(const simulation::TrialBlock& block, std::uint64_t first_trial);

  // The layout: settings_ to option_ids_, first_trials_ and expected_trials_ (copied by RunAccumulator(LayoutOf)).
  StreamingOptions settings_;
  std::size_t options_count_ = 0, years_ = 0, components_ = 0;
  simulation::TrialRecord planned_;
  std::vector<double> target_thresholds_;  // [option * targets + target]
  std::vector<model::Target> targets_;
  std::vector<std::string> option_ids_;
  std::vector<PerOption> options_;
  std::vector<PerPair> pairs_;
  std::shared_ptr<FirstTrials> first_trials_;
  //! Trials [begin, end) whose first-trial values this accumulator wrote (sorted, disjoint, adjacent ones joined).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> first_filled_;
  std::uint64_t trials_ = 0;
  std::uint64_t expected_trials_ = std::numeric_limits<std::uint64_t>::max();
  NonFiniteTrial non_finite_;
  std::vector<double> scratch_;  // add_group's rows of lanes
};

//! Runs trials [into.trials(), end_trial) of the plan into `into`, in parallel
//! (one accumulator per thread, merged exactly). settings.block_size is rounded
//! up to a multiple of the summation group. Throws NonFiniteOutputError when a
//! trial's output is NaN or infinite, naming the first such trial.
void accumulate(const simulation::EvaluationPlan& plan, const simulation::RunSettings& settings, std::uint64_t end_trial,
                RunAccumulator& into);

//! Trial ranges [begin, end), sorted, disjoint, adjacent ones joined.
using TrialRanges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

//! Runs the trials of `ranges` (each starting at a multiple of the summation group) into `into`,
//! like accumulate(), but stops between blocks once settings.stop_requested() is true. Returns the
//! trials finished (whole blocks; all of `ranges` unless stopped): an interrupted run's exact
//! record of what `into` holds, so that running the rest later gives the same bits as one run.
TrialRanges accumulate_ranges(const simulation::EvaluationPlan& plan, const simulation::RunSettings& settings, const TrialRanges& ranges,
                              RunAccumulator& into);

//! A run failed because a trial produced a non-finite output.
class NonFiniteOutputError : public std::runtime_error {
 public:
  NonFiniteOutputError(const NonFiniteTrial& trial, const std::string& option_id);
  NonFiniteTrial trial;
};

}  // namespace mcrisk::statistics
