#include "mcrisk/statistics/run_accumulator.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "mcrisk/cluster/cluster.h"
#include "mcrisk/simulation/trial_block.h"
#include "mcrisk/util/byte_codec.h"
#include "mcrisk/util/vector_clones.h"
#include "summary_parts.h"

namespace mcrisk::statistics {

namespace {

// Infinite or NaN: the exponent's bits all ones. An integer test, so that a loop of it vectorises and
// cannot overflow (a sum of the values could).
[[gnu::always_inline]] inline bool is_non_finite(double x) {
  constexpr std::uint64_t kExponent = 0x7ff0000000000000ULL;
  return (std::bit_cast<std::uint64_t>(x) & kExponent) == kExponent;
}

// The row of lanes a target reads.
const double* target_lanes(const model::Target& target, const simulation::TrialBlock& block, std::size_t o) {
  switch (target.measure) {
    case model::Target::Measure::TotalNet: return block.total_net_lanes(o);
    case model::Target::Measure::Npv: return block.npv_lanes(o);
    case model::Target::Measure::NetInYear: return block.net_lanes(o, target.year);
    case model::Target::Measure::GrossInYear: return block.gross_lanes(o, target.year);
  }
  return block.total_net_lanes(o);
}

Probability wilson_probability(std::uint64_t hits, std::uint64_t n) {
  Probability p;
  p.value = double(hits) / double(n);
  p.ci95 = wilson_interval(p.value, std::size_t(n));
  return p;
}

// A finite shift near the centre: the planned value when it is finite.
double shift_from(double planned) { return std::isfinite(planned) ? planned : 0.0; }

// Adds [begin, end) to sorted, disjoint ranges, joining neighbours. A trial
// held twice would be counted twice: that is a caller's error, never merged over.
void add_range(TrialRanges& ranges, std::uint64_t begin, std::uint64_t end) {
  if (begin >= end) return;
  auto at = std::lower_bound(ranges.begin(), ranges.end(), std::make_pair(begin, end));
  if ((at != ranges.end() && at->first < end) || (at != ranges.begin() && std::prev(at)->second > begin)) {
    throw std::logic_error(fmt::format("run accumulators both hold trials in [{}, {}): a trial would be counted twice", begin, end));
  }
  at = ranges.insert(at, {begin, end});
  if (std::next(at) != ranges.end() && std::next(at)->first == at->second) {
    at->second = std::next(at)->second;
    ranges.erase(std::next(at));
  }
  if (at != ranges.begin() && std::prev(at)->second == at->first) {
    std::prev(at)->second = at->second;
    ranges.erase(at);
  }
}

// Serialised state: kMagic, u32 format version, u64 layout fingerprint, the
// layout as (name, value) strings, the state, then the SHA-256 of all before it.
constexpr char kMagic[8] = {'M', 'C', 'R', 'I', 'S', 'K', 'R', 'A'};
constexpr std::size_t kChecksumBytes = 32;
constexpr const char* kStateName = "run accumulator state";

std::uint64_t fingerprint_of(std::span<const std::uint8_t> layout_bytes) {
  const auto digest = util::sha256(layout_bytes);
  std::uint64_t fingerprint = 0;
  for (int k = 0; k < 8; ++k) fingerprint |= std::uint64_t{digest[std::size_t(k)]} << (8 * k);
  return fingerprint;
}

util::ByteWriter encode_layout(const std::vector<std::pair<std::string, std::string>>& layout) {
  util::ByteWriter out;
  out.u64(layout.size());
  for (const auto& [name, value] : layout) {
    out.string(name);
    out.string(value);
  }
  return out;
}

}  // namespace

NonFiniteOutputError::NonFiniteOutputError(const NonFiniteTrial& bad, const std::string& option_id)
    : std::runtime_error(fmt::format("trial {} gave a non-finite {} for option {}: the run's figures would be meaningless, so it "
                                     "stops (see the trial with `mcrisk replay CONFIG --seed SEED --trial {}`)",
                                     bad.trial, bad.output, option_id, bad.trial)),
      trial(bad) {}

RunAccumulator::RunAccumulator(const model::Model& model, const simulation::EvaluationPlan& plan, StreamingOptions options)
    : settings_(options),
      options_count_(plan.option_count),
      years_(plan.year_count),
      components_(plan.component_count),
      planned_(simulation::planned_case(plan)),
      targets_(model.targets) {
  if (settings_.sum_group == 0) throw std::invalid_argument("streaming statistics need a summation group of at least one trial");
  const int bits = settings_.precision_bits;
  for (std::size_t o = 0; o < options_count_; ++o) {
    const double planned_bcr = planned_.pv_costs[o] > 0 ? planned_.pv_benefits[o] / planned_.pv_costs[o] : 1.0;
    PerOption option{OutputAccumulator(shift_from(planned_.total_net[o]), bits), OutputAccumulator(shift_from(planned_.npv[o]), bits),
                     OutputAccumulator(shift_from(planned_.npv_green_book[o]), bits), OutputAccumulator(shift_from(planned_bcr), bits),
                     0, 0, {}, std::vector<std::uint64_t>(targets_.size(), 0), {}};
    for (std::size_t t = 0; t < years_; ++t) option.net_by_year.emplace_back(shift_from(planned_.net[o][t]), bits);
    options_.push_back(std::move(option));
    for (const auto& target : targets_) target_thresholds_.push_back(detail::target_threshold(target, planned_, o));
  }
  for (std::size_t a = 0; a < options_count_; ++a) {
    for (std::size_t b = a + 1; b < options_count_; ++b) {
      pairs_.push_back({a, b, OutputAccumulator(shift_from(planned_.total_net[a] - planned_.total_net[b]), bits), 0});
    }
  }
  for (const auto& option : model.options) option_ids_.push_back(option.id);
  first_trials_ = std::make_shared<FirstTrials>();
  first_trials_->capacity = settings_.ranking_trials;
  share_page_arena();
}

template <typename Visit>
void RunAccumulator::for_each_output(Visit visit) {
  for (auto& option : options_) {
    for (OutputAccumulator* output : {&option.total_net, &option.npv, &option.npv_green_book, &option.bcr}) visit(*output);
    for (auto& year : option.net_by_year) visit(year);
  }
  for (auto& pair : pairs_) visit(pair.difference);
}

void RunAccumulator::share_page_arena() {
  const auto arena = std::make_shared<util::PageArena>(util::PageArena::kHugeSlab);
  for_each_output([&](OutputAccumulator& output) {
    output.set_page_arena(arena);
    output.expect_values(expected_trials_);
  });
}

void RunAccumulator::expect_trials(std::uint64_t trials) {
  expected_trials_ = trials;
  for_each_output([&](OutputAccumulator& output) { output.expect_values(trials); });
}

void RunAccumulator::reserve_first_trials(std::uint64_t end_trial) {
  FirstTrials& kept = *first_trials_;
  kept.reserve(components_ + options_count_, std::size_t(std::min<std::uint64_t>(end_trial, kept.capacity)));
}

void RunAccumulator::FirstTrials::reserve(std::size_t wanted_columns, std::size_t wanted_rows) {
  if (wanted_columns == columns && wanted_rows <= rows) return;
  const std::size_t grown_rows = std::max(rows, wanted_rows);
  util::HugePageBuffer grown(wanted_columns * grown_rows * sizeof(double));
  auto* into = static_cast<double*>(grown.data());
  for (std::size_t c = 0; c < std::min(columns, wanted_columns); ++c) std::copy(column(c), column(c) + rows, into + c * grown_rows);
  storage = std::move(grown);
  columns = wanted_columns;
  rows = grown_rows;
}

RunAccumulator::RunAccumulator(LayoutOf layout)
    : settings_(layout.source.settings_),
      options_count_(layout.source.options_count_),
      years_(layout.source.years_),
      components_(layout.source.components_),
      planned_(layout.source.planned_),
      target_thresholds_(layout.source.target_thresholds_),
      targets_(layout.source.targets_),
      option_ids_(layout.source.option_ids_),
      first_trials_(layout.source.first_trials_),
      expected_trials_(layout.source.expected_trials_) {
  const auto fresh = [&](const OutputAccumulator& like) { return OutputAccumulator(like.shift(), settings_.precision_bits); };
  for (const PerOption& option : layout.source.options_) {
    PerOption empty{fresh(option.total_net), fresh(option.npv), fresh(option.npv_green_book), fresh(option.bcr), 0, 0, {},
                    std::vector<std::uint64_t>(targets_.size(), 0), {}};
    for (const auto& year : option.net_by_year) empty.net_by_year.push_back(fresh(year));
    options_.push_back(std::move(empty));
  }
  for (const PerPair& pair : layout.source.pairs_) pairs_.push_back({pair.a, pair.b, fresh(pair.difference), 0});
  share_page_arena();
}

RunAccumulator RunAccumulator::empty_like() const { return RunAccumulator(LayoutOf{*this}); }

MCRISK_VECTOR_CLONES
bool RunAccumulator::check_finite(const simulation::TrialBlock& block, std::uint64_t first_trial) {
  const std::size_t n = block.size();
  // Fast path: is any output infinite or NaN? One output at a time over the lanes. A year's gross
  // (realised) savings are not read: its net is gross - costs, which is infinite or NaN wherever the
  // gross is, so the net's scan finds that trial (R1: 40 rows to stream through the cache, not 60). The
  // slow path below still names either.
  std::uint64_t non_finite = 0;
  const auto scan = [&](auto value_of) {
    for (std::size_t i = 0; i < n; ++i) non_finite |= is_non_finite(value_of(i)) ? 1 : 0;
  };
  for (std::size_t o = 0; o < options_count_; ++o) {
    scan([&](std::size_t i) { return block.total_net(o, i); });
    scan([&](std::size_t i) { return block.npv(o, i); });
    scan([&](std::size_t i) { return block.npv_green_book(o, i); });
    scan([&](std::size_t i) { return block.pv_benefits(o, i); });
    scan([&](std::size_t i) { return block.pv_costs(o, i); });
    for (std::size_t t = 0; t < years_; ++t) {
      scan([&](std::size_t i) { return block.net(o, t, i); });
    }
  }
  if (non_finite == 0) return true;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t o = 0; o < options_count_; ++o) {
      const std::pair<const char*, double> outputs[] = {{"total net savings", block.total_net(o, i)},
                                                        {"NPV", block.npv(o, i)},
                                                        {"Green Book NPV", block.npv_green_book(o, i)},
                                                        {"present value of benefits", block.pv_benefits(o, i)},
                                                        {"present value of costs", block.pv_costs(o, i)}};
      for (const auto& [name, value] : outputs) {
        if (std::isfinite(value)) continue;
        if (first_trial + i < non_finite_.trial) non_finite_ = {first_trial + i, o, name};
        return false;
      }
      for (std::size_t t = 0; t < years_; ++t) {
        if (std::isfinite(block.net(o, t, i)) && std::isfinite(block.gross(o, t, i))) continue;
        if (first_trial + i < non_finite_.trial) non_finite_ = {first_trial + i, o, "net or gross savings in a year"};
        return false;
      }
    }
  }
  return true;  // not reached: the fast path saw a non-finite output
}

void RunAccumulator::add_block(const simulation::TrialBlock& block, std::uint64_t first_trial) {
  const std::size_t n = block.size();
  if (!check_finite(block, first_trial)) return;  // the run fails; its other figures are not needed

  // The first trials, kept for the driver ranking.
  FirstTrials& kept = *first_trials_;
  if (first_trial < kept.capacity) {
    // Resizing happens once, before any block is evaluated (see accumulate()).
    const std::size_t stop = std::size_t(std::min<std::uint64_t>(kept.capacity, first_trial + n) - first_trial);
    for (std::size_t c = 0; c < components_; ++c) {
      double* column = kept.column(c) + first_trial;
      for (std::size_t i = 0; i < stop; ++i) column[i] = block.component(c, i);
    }
    for (std::size_t o = 0; o < options_count_; ++o) {
      double* column = kept.column(components_ + o) + first_trial;
      for (std::size_t i = 0; i < stop; ++i) column[i] = block.total_net(o, i);
    }
    add_range(first_filled_, first_trial, first_trial + stop);
  }

  // Summation groups are aligned to multiples of sum_group in trial index.
  const std::uint64_t group = settings_.sum_group;
  for (std::size_t begin = 0; begin < n;) {
    const std::uint64_t trial = first_trial + begin;
    const std::size_t end = std::min<std::size_t>(n, std::size_t((trial / group + 1) * group - first_trial));
    add_group(block, begin, end);
    begin = end;
  }
  trials_ += n;
}

MCRISK_VECTOR_CLONES
void RunAccumulator::add_group(const simulation::TrialBlock& block, std::size_t begin, std::size_t end) {
  const std::size_t n = end - begin;
  // Three rows of n lanes: the ratios (compacted in place to the defined ones),
  // each lane's best total, and how many options share it.
  scratch_.resize(3 * n);
  double* const ratios = scratch_.data();
  double* const best = ratios + n;
  double* const tied = best + n;
  for (std::size_t o = 0; o < options_count_; ++o) {
    PerOption& option = options_[o];
    const double* total_net = block.total_net_lanes(o) + begin;
    const double* npv = block.npv_lanes(o) + begin;
    const double* npv_green_book = block.npv_green_book_lanes(o) + begin;
    option.total_net.add_group(n, [&](std::size_t i) { return total_net[i]; });
    option.npv.add_group(n, [&](std::size_t i) { return npv[i]; });
    option.npv_green_book.add_group(n, [&](std::size_t i) { return npv_green_book[i]; });
    for (std::size_t t = 0; t < years_; ++t) {
      const double* net = block.net_lanes(o, t) + begin;
      option.net_by_year[t].add_group(n, [&](std::size_t i) { return net[i]; });
    }
    add_ratios(option, block.pv_benefits_lanes(o) + begin, block.pv_costs_lanes(o) + begin, n, ratios);
    for (std::size_t k = 0; k < targets_.size(); ++k) {
      const double threshold = target_thresholds_[o * targets_.size() + k];
      const double* value = target_lanes(targets_[k], block, o) + begin;
      std::uint64_t met = 0;
      for (std::size_t i = 0; i < n; ++i) met += value[i] >= threshold ? 1 : 0;
      option.targets_met[k] += met;
    }
  }
  add_best_shares(block, begin, n, best, tied);
  for (PerPair& pair : pairs_) {
    const double* a = block.total_net_lanes(pair.a) + begin;
    const double* b = block.total_net_lanes(pair.b) + begin;
    pair.difference.add_group(n, [&](std::size_t i) { return a[i] - b[i]; });
    std::uint64_t a_better = 0;
    for (std::size_t i = 0; i < n; ++i) a_better += a[i] > b[i] ? 1 : 0;
    pair.a_better += a_better;
  }
}

// The benefit-cost ratio exists only where costs are positive; a run with any
// other trial reports it undefined (as the stored-sample path does). Every lane's
// quotient is taken (a vector division; those of lanes without positive costs
// are dropped), then the defined ones are moved down, in trial order.
[[gnu::always_inline]] inline void RunAccumulator::add_ratios(PerOption& option, const double* benefits, const double* costs, std::size_t n,
                                                              double* ratios) {
  std::uint64_t not_positive = 0, below_one = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double ratio = benefits[i] / costs[i];
    const bool defined = costs[i] > 0;
    ratios[i] = ratio;
    not_positive += defined ? 0 : 1;
    below_one += defined && ratio < 1.0 ? 1 : 0;
  }
  std::size_t kept = n;
  if (not_positive > 0) {
    kept = 0;
    for (std::size_t i = 0; i < n; ++i) {
      ratios[kept] = ratios[i];
      kept += costs[i] > 0 ? 1 : 0;
    }
  }
  option.costs_not_positive += not_positive;
  option.bcr_below_one += below_one;
  if (kept == 0) return;
  // An integer test of the exponent bits (as check_finite): std::isfinite's comparison ran lane by lane.
  std::uint64_t non_finite = 0;
  for (std::size_t i = 0; i < kept; ++i) non_finite |= is_non_finite(ratios[i]) ? 1 : 0;
  if (non_finite == 0) {
    option.bcr.add_group(kept, [&](std::size_t i) { return ratios[i]; });
  } else {
    option.costs_not_positive += kept;  // a ratio that overflowed: undefined, like a zero cost
  }
}

// P(best): each trial's best option wins 1 (ties split it), summed in trial order.
// Without a tie in the group every share is a whole count of wins, which is
// that sum exactly; a group with a tie sums the shares lane by lane as before.
[[gnu::always_inline]] inline void RunAccumulator::add_best_shares(const simulation::TrialBlock& block, std::size_t begin, std::size_t n,
                                                                   double* best, double* tied) {
  const double* first = block.total_net_lanes(0) + begin;
  std::copy(first, first + n, best);
  for (std::size_t o = 1; o < options_count_; ++o) {
    const double* total = block.total_net_lanes(o) + begin;
    for (std::size_t i = 0; i < n; ++i) best[i] = std::max(best[i], total[i]);
  }
  std::fill(tied, tied + n, 0.0);
  for (std::size_t o = 0; o < options_count_; ++o) {
    const double* total = block.total_net_lanes(o) + begin;
    for (std::size_t i = 0; i < n; ++i) tied[i] += total[i] == best[i] ? 1.0 : 0.0;
  }
  // Lanes where options tie, counted (a std::max reduction over doubles ran lane by lane).
  std::uint64_t ties = 0;
  for (std::size_t i = 0; i < n; ++i) ties += tied[i] > 1.0 ? 1 : 0;
  for (std::size_t o = 0; o < options_count_; ++o) {
    const double* total = block.total_net_lanes(o) + begin;
    double share = 0;
    if (ties == 0) {
      std::uint64_t wins = 0;
      for (std::size_t i = 0; i < n; ++i) wins += total[i] == best[i] ? 1 : 0;
      share = double(wins);
    } else {
      for (std::size_t i = 0; i < n; ++i)
        if (total[i] == best[i]) share += 1.0 / tied[i];
    }
    options_[o].best_share.add(share);
  }
}

void RunAccumulator::merge(const RunAccumulator& other) { merge_from(other); }

void RunAccumulator::merge(RunAccumulator&& other) {
  if (&other == this) throw std::invalid_argument("merging a run accumulator into itself");
  merge_from(other);
}

// For a const Other each output's merge adds the other's counts; for a
// non-const one (merge(RunAccumulator&&)) it takes over the pages it can.
template <typename Other>
void RunAccumulator::merge_from(Other& other) {
  const auto take = [](auto& output) -> decltype(auto) {
    if constexpr (std::is_const_v<Other>) return static_cast<const OutputAccumulator&>(output);
    else return std::move(output);
  };
  // Everything that can refuse the merge is checked before anything changes; after that it can fail only
  // for want of memory (which leaves this accumulator partly merged: the basic guarantee).
  if (other.options_.size() != options_.size() || other.pairs_.size() != pairs_.size() || other.years_ != years_ ||
      other.targets_.size() != targets_.size()) {
    throw std::invalid_argument("merging run accumulators of different models");
  }
  if (other.settings_.ranking_trials != settings_.ranking_trials || other.settings_.sum_group != settings_.sum_group ||
      other.settings_.precision_bits != settings_.precision_bits) {
    throw std::invalid_argument("merging run accumulators with different streaming options");
  }
  // Each output merges on its own (outputs share only their arena, which is thread-safe), so in parallel:
  // the order of merges into any one output is unchanged, and so are its bits.
  using From = std::conditional_t<std::is_const_v<Other>, const OutputAccumulator, OutputAccumulator>;
  std::vector<std::pair<OutputAccumulator*, From*>> outputs;
  for (std::size_t o = 0; o < options_.size(); ++o) {
    PerOption& into = options_[o];
    auto& from = other.options_[o];
    outputs.insert(outputs.end(), {{&into.total_net, &from.total_net}, {&into.npv, &from.npv},
                                   {&into.npv_green_book, &from.npv_green_book}, {&into.bcr, &from.bcr}});
    for (std::size_t t = 0; t < years_; ++t) outputs.emplace_back(&into.net_by_year[t], &from.net_by_year[t]);
  }
  for (std::size_t k = 0; k < pairs_.size(); ++k) outputs.emplace_back(&pairs_[k].difference, &other.pairs_[k].difference);
  for (const auto& [into, from] : outputs) {
    if (into->shift() != from->shift()) throw std::invalid_argument("merging run accumulators of different models (their planned cases differ)");
  }

  if (other.first_trials_ != first_trials_) copy_first_trials(other);
  for (const auto& [begin, end] : other.first_filled_) add_range(first_filled_, begin, end);
  for (std::size_t o = 0; o < options_.size(); ++o) {
    PerOption& into = options_[o];
    const auto& from = other.options_[o];
    into.costs_not_positive += from.costs_not_positive;
    into.bcr_below_one += from.bcr_below_one;
    for (std::size_t k = 0; k < into.targets_met.size(); ++k) into.targets_met[k] += from.targets_met[k];
    into.best_share.merge(from.best_share);
  }
  for (std::size_t k = 0; k < pairs_.size(); ++k) pairs_[k].a_better += other.pairs_[k].a_better;
  tbb::parallel_for(std::size_t{0}, outputs.size(), [&](std::size_t k) { outputs[k].first->merge(take(*outputs[k].second)); });
  trials_ += other.trials_;
  if (other.non_finite_.trial < non_finite_.trial) non_finite_ = other.non_finite_;
}

std::size_t RunAccumulator::bytes() const {
  std::size_t total = 0;
  for (const auto& option : options_) {
    total += option.total_net.sketch().bytes() + option.npv.sketch().bytes() + option.npv_green_book.sketch().bytes() +
             option.bcr.sketch().bytes();
    for (const auto& year : option.net_by_year) total += year.sketch().bytes();
  }
  for (const auto& pair : pairs_) total += pair.difference.sketch().bytes();
  total += first_trials_->columns * first_trials_->rows * sizeof(double);
  return total;
}

std::size_t RunAccumulator::ranking_trials_held() const {
  // A whole run holds [0, min(trials, capacity)); an interrupted one may hold blocks with gaps between them.
  const std::uint64_t prefix = !first_filled_.empty() && first_filled_.front().first == 0 ? first_filled_.front().second : 0;
  return std::size_t(std::min({trials_, std::uint64_t(first_trials_->capacity), prefix}));
}

void RunAccumulator::copy_first_trials(const RunAccumulator& other) {
  if (other.first_filled_.empty()) return;
  FirstTrials& kept = *first_trials_;
  const FirstTrials& from = *other.first_trials_;
  kept.reserve(components_ + options_count_, std::size_t(other.first_filled_.back().second));
  for (const auto& [b, e] : other.first_filled_) {
    for (std::size_t c = 0; c < kept.columns; ++c) std::copy(from.column(c) + b, from.column(c) + e, kept.column(c) + b);
  }
}

std::vector<std::pair<std::string, std::string>> RunAccumulator::layout() const {
  std::vector<std::pair<std::string, std::string>> fields;
  const auto field = [&](std::string name, const auto& value) { fields.emplace_back(std::move(name), fmt::format("{}", value)); };
  const auto exact = [&](std::string name, double value) { fields.emplace_back(std::move(name), fmt::format("{:a}", value)); };
  field("options", options_count_);
  for (std::size_t o = 0; o < options_count_; ++o) field(fmt::format("option {} id", o + 1), option_ids_[o]);
  field("years", years_);
  field("driver components", components_);
  field("targets", targets_.size());
  for (std::size_t k = 0; k < targets_.size(); ++k) field(fmt::format("target {} name", k + 1), targets_[k].name);
  field("sketch precision bits", settings_.precision_bits);
  field("trials kept for the driver ranking", settings_.ranking_trials);
  field("summation group", settings_.sum_group);
  // The shifts are the planned case's values and the thresholds come from the
  // targets: a changed model or plan changes them even when the sizes agree.
  for (std::size_t o = 0; o < options_count_; ++o) {
    const PerOption& option = options_[o];
    const std::string& id = option_ids_[o];
    exact("planned total net of " + id, option.total_net.shift());
    exact("planned NPV of " + id, option.npv.shift());
    exact("planned Green Book NPV of " + id, option.npv_green_book.shift());
    exact("planned benefit-cost ratio of " + id, option.bcr.shift());
    for (std::size_t t = 0; t < years_; ++t) exact(fmt::format("planned net of {} in year {}", id, t + 1), option.net_by_year[t].shift());
    for (std::size_t k = 0; k < targets_.size(); ++k)
      exact(fmt::format("threshold of target {} for {}", targets_[k].name, id), target_thresholds_[o * targets_.size() + k]);
  }
  for (const PerPair& pair : pairs_) exact("planned difference " + option_ids_[pair.a] + " - " + option_ids_[pair.b], pair.difference.shift());
  return fields;
}

std::vector<std::uint8_t> RunAccumulator::serialize() const {
  const util::ByteWriter layout_bytes = encode_layout(layout());
  util::ByteWriter out;
  out.raw({reinterpret_cast<const std::uint8_t*>(kMagic), sizeof kMagic});
  out.u32(kFormatVersion);
  out.u64(fingerprint_of(layout_bytes.bytes()));
  out.raw(layout_bytes.bytes());

  out.u64(trials_);
  out.u64(non_finite_.trial);
  out.u64(non_finite_.option);
  out.string(non_finite_.output);
  for (const PerOption& option : options_) {
    option.total_net.save(out);
    option.npv.save(out);
    option.npv_green_book.save(out);
    option.bcr.save(out);
    out.u64(option.costs_not_positive);
    out.u64(option.bcr_below_one);
    for (const auto& year : option.net_by_year) year.save(out);
    for (std::uint64_t met : option.targets_met) out.u64(met);
    option.best_share.save(out);
  }
  for (const PerPair& pair : pairs_) {
    pair.difference.save(out);
    out.u64(pair.a_better);
  }
  // The stored first trials this accumulator filled: ranges, then each range's columns.
  out.u64(first_filled_.size());
  for (const auto& [begin, end] : first_filled_) {
    out.u64(begin);
    out.u64(end);
  }
  const FirstTrials& kept = *first_trials_;
  for (const auto& [begin, end] : first_filled_) {
    const auto b = std::size_t(begin), n = std::size_t(end - begin);
    for (std::size_t c = 0; c < kept.columns; ++c) out.f64_array({kept.column(c) + b, n});
  }
  std::vector<std::uint8_t> bytes = out.release();
  const auto checksum = util::sha256(bytes);
  bytes.insert(bytes.end(), checksum.begin(), checksum.end());
  return bytes;
}

void RunAccumulator::restore(std::span<const std::uint8_t> bytes) {
  const std::size_t header = sizeof kMagic + 4 + 8;
  if (bytes.size() < header + kChecksumBytes) {
    throw std::runtime_error(fmt::format("{} is truncated: {} bytes, fewer than an empty state's header and checksum", kStateName, bytes.size()));
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    throw std::runtime_error(fmt::format("{} expected: the bytes do not start with its magic \"MCRISKRA\"", kStateName));
  }
  util::ByteReader in(bytes.first(bytes.size() - kChecksumBytes), kStateName);
  (void)in.raw(sizeof kMagic, "magic");
  const std::uint32_t version = in.u32("format version");
  if (version != kFormatVersion) {
    in.fail(fmt::format("has format version {}; this build of mcrisk reads version {}", version, kFormatVersion));
  }
  const auto checksum = util::sha256(bytes.first(bytes.size() - kChecksumBytes));
  if (!std::equal(checksum.begin(), checksum.end(), bytes.end() - std::ptrdiff_t(kChecksumBytes))) {
    in.fail(fmt::format("is damaged or truncated: its SHA-256 checksum does not match its {} bytes", bytes.size()));
  }

  // The layout: the state is only meaningful for an accumulator made the same way.
  const std::uint64_t stored_fingerprint = in.u64("layout fingerprint");
  const std::size_t layout_begin = in.position();
  const std::uint64_t fields = in.u64("number of layout fields");
  if (fields > in.remaining() / 16) in.fail("is damaged: its layout claims more fields than it has bytes");
  std::vector<std::pair<std::string, std::string>> stored;
  for (std::uint64_t k = 0; k < fields; ++k) {
    std::string name = in.string("layout field name");
    std::string value = in.string("layout field value");
    stored.emplace_back(std::move(name), std::move(value));
  }
  if (fingerprint_of(bytes.subspan(layout_begin, in.position() - layout_begin)) != stored_fingerprint) {
    in.fail("is damaged: its layout does not match its layout fingerprint");
  }
  const auto own = layout();
  if (stored != own) {
    std::string difference = "it has a different number of layout fields";
    for (std::size_t k = 0; k < std::min(stored.size(), own.size()); ++k) {
      if (stored[k].first != own[k].first) {
        difference = fmt::format("it has \"{}\" where this run has \"{}\"", stored[k].first, own[k].first);
        break;
      }
      if (stored[k].second != own[k].second) {
        difference = fmt::format("{} is {} in the state but {} in this run", own[k].first, stored[k].second, own[k].second);
        break;
      }
    }
    in.fail(fmt::format("was made for a different model, plan or streaming options: {}", difference));
  }

  // The state, read into a fresh accumulator so that a failure leaves this one as it was.
  RunAccumulator fresh = empty_like();
  fresh.first_trials_ = std::make_shared<FirstTrials>();
  fresh.first_trials_->capacity = settings_.ranking_trials;
  fresh.trials_ = in.u64("trials");
  fresh.non_finite_.trial = in.u64("first non-finite trial");
  fresh.non_finite_.option = std::size_t(in.u64("first non-finite trial's option"));
  fresh.non_finite_.output = in.string("first non-finite trial's output");
  if (fresh.non_finite_.found() && fresh.non_finite_.option >= options_count_) in.fail("is damaged: its non-finite trial names no option");
  const auto check_count = [&](const OutputAccumulator& output, const std::string& what) {
    if (output.count() != fresh.trials_) {
      in.fail(fmt::format("is damaged: {} holds {} values for {} trials", what, output.count(), fresh.trials_));
    }
  };
  for (std::size_t o = 0; o < options_count_; ++o) {
    PerOption& option = fresh.options_[o];
    const std::string& id = option_ids_[o];
    option.total_net.load(in);
    check_count(option.total_net, "total net of " + id);
    option.npv.load(in);
    check_count(option.npv, "NPV of " + id);
    option.npv_green_book.load(in);
    check_count(option.npv_green_book, "Green Book NPV of " + id);
    option.bcr.load(in);
    option.costs_not_positive = in.u64("trials without positive costs");
    option.bcr_below_one = in.u64("trials with a benefit-cost ratio below one");
    if (option.bcr.count() + option.costs_not_positive != fresh.trials_) in.fail("is damaged: benefit-cost ratio counts do not add up");
    for (std::size_t t = 0; t < years_; ++t) {
      option.net_by_year[t].load(in);
      check_count(option.net_by_year[t], fmt::format("net of {} in year {}", id, t + 1));
    }
    for (auto& met : option.targets_met) met = in.u64("targets met");
    option.best_share = ExactSum::load(in, "P(best) share");
  }
  for (PerPair& pair : fresh.pairs_) {
    pair.difference.load(in);
    check_count(pair.difference, "difference " + option_ids_[pair.a] + " - " + option_ids_[pair.b]);
    pair.a_better = in.u64("trials where the first option is better");
  }
  const std::uint64_t ranges = in.u64("number of first-trial ranges");
  if (ranges > in.remaining() / 16) in.fail("is damaged: it claims more first-trial ranges than it has bytes");
  std::uint64_t filled = 0;
  for (std::uint64_t r = 0; r < ranges; ++r) {
    const std::uint64_t begin = in.u64("first-trial range start"), end = in.u64("first-trial range end");
    const bool ordered = begin < end && end <= settings_.ranking_trials && (fresh.first_filled_.empty() || begin > fresh.first_filled_.back().second);
    if (!ordered) in.fail("is damaged: its first-trial ranges are out of order or beyond the ranking's trials");
    fresh.first_filled_.emplace_back(begin, end);
    filled += end - begin;
  }
  if (filled > fresh.trials_) in.fail("is damaged: it holds more first trials than trials");
  FirstTrials& kept = *fresh.first_trials_;
  kept.reserve(components_ + options_count_, fresh.first_filled_.empty() ? 0 : std::size_t(fresh.first_filled_.back().second));
  std::vector<double> values;
  for (const auto& [begin, stop] : fresh.first_filled_) {
    const auto n = std::size_t(stop - begin);
    for (std::size_t c = 0; c < kept.columns; ++c) {
      in.f64_array(c < components_ ? "stored driver values" : "stored option totals", n, values);
      std::copy(values.begin(), values.end(), kept.column(c) + begin);
    }
  }
  in.expect_end();
  *this = std::move(fresh);
}

std::vector<OptionSummary> RunAccumulator::summarise_options(const model::Model& model) const {
  if (trials_ == 0) throw std::invalid_argument("summary of a run with no trials");
  const std::size_t ranked = ranking_trials_held();
  std::vector<std::span<const double>> components, totals;
  for (std::size_t c = 0; c < components_; ++c) components.emplace_back(first_trials_->column(c), ranked);
  for (std::size_t o = 0; o < options_count_; ++o) totals.emplace_back(first_trials_->column(components_ + o), ranked);
  // The driver ranking and the options' summaries at the same time, each option's on its own: they read
  // disjoint data (each output's sketch is read by one task), and the ranking alone would leave a thread idle.
  std::vector<std::vector<DriverInfluence>> drivers;
  std::vector<OptionSummary> summaries(options_count_);
  const auto summarise = [&](std::size_t o) {
    const PerOption& option = options_[o];
    OptionSummary& summary = summaries[o];
    detail::fill_planned(summary, model, planned_, o);
    summary.total_net = option.total_net.summary();
    summary.npv = option.npv.summary();
    summary.npv_green_book = option.npv_green_book.summary();
    if (option.costs_not_positive == 0) {
      summary.bcr.defined = true;
      summary.bcr.planned = planned_.pv_costs[o] > 0 ? planned_.pv_benefits[o] / planned_.pv_costs[o] : 0.0;
      summary.bcr.ratio = option.bcr.summary();
      summary.bcr.below_one = wilson_probability(option.bcr_below_one, trials_);
    }
    summary.prob_best.value = option.best_share.value() / double(trials_);
    summary.prob_best.ci95 = wilson_interval(summary.prob_best.value, std::size_t(trials_));
    for (std::size_t k = 0; k < targets_.size(); ++k) {
      summary.targets.push_back({targets_[k].name, target_thresholds_[o * targets_.size() + k], wilson_probability(option.targets_met[k], trials_)});
    }
    for (std::size_t t = 0; t < years_; ++t) {
      const OutputAccumulator& year = option.net_by_year[t];
      summary.by_year.push_back({model.years[t], year.mean(), year.percentile(10), year.percentile(50), year.percentile(90), planned_.net[o][t]});
    }
  };
  tbb::parallel_invoke([&] { drivers = detail::rank_drivers(model, components, totals); },
                       [&] { tbb::parallel_for(std::size_t{0}, options_count_, summarise); });
  for (std::size_t o = 0; o < options_count_; ++o) summaries[o].drivers = std::move(drivers[o]);
  return summaries;
}

std::vector<Comparison> RunAccumulator::compare_options(const model::Model& model) const {
  std::vector<Comparison> comparisons(pairs_.size());
  tbb::parallel_for(std::size_t{0}, pairs_.size(), [&](std::size_t k) {
    const PerPair& pair = pairs_[k];
    Comparison& comparison = comparisons[k];
    comparison.a = model.options[pair.a].id;
    comparison.b = model.options[pair.b].id;
    comparison.difference = pair.difference.summary();
    comparison.a_better = wilson_probability(pair.a_better, trials_);
  });
  return comparisons;
}

namespace {

// Merges this process's per-thread accumulators into `into`, in the threads' order.
void merge_threads(tbb::enumerable_thread_specific<RunAccumulator>& per_thread, RunAccumulator& into) {
  const auto start = std::chrono::steady_clock::now();
  for (RunAccumulator& part : per_thread) into.merge(std::move(part));
  spdlog::debug("{} threads' accumulators merged in {:.3f} s", per_thread.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

// Under MPI (more than one rank): merges this rank's per-thread accumulators into
// `into`, and every other rank's too, so that all ranks leave with the same state: the ranks'
// accumulators are merged along a binomial tree to rank 0 (ceil(log2 K) steps
// of one accumulator each, where an allgather would bring every rank K - 1 of
// them) and the total is broadcast. Merging is exact and order-free, so the
// tree's order gives one process's bits.
void merge_across_ranks(tbb::enumerable_thread_specific<RunAccumulator>& per_thread, RunAccumulator& into) {
  const cluster::Cluster& ranks = cluster::current();
  const auto start = std::chrono::steady_clock::now();
  RunAccumulator mine = into.empty_like();  // shares into's stored first trials
  merge_threads(per_thread, mine);
  const cluster::ReductionTree tree = cluster::reduction_tree(ranks.rank(), ranks.size());
  for (const int child : tree.children) {
    RunAccumulator theirs = into.empty_like();
    theirs.restore(ranks.receive(child));
    mine.merge(std::move(theirs));
  }
  std::vector<std::uint8_t> total;
  if (tree.parent >= 0) {
    ranks.send(mine.serialize(), tree.parent);
  } else {
    total = mine.serialize();
  }
  ranks.broadcast(total, 0);
  if (tree.parent < 0) {
    into.merge(std::move(mine));  // rank 0's total; its first trials are already in into's storage (shared)
  } else {
    RunAccumulator all = into.empty_like();
    all.restore(total);
    into.merge(std::move(all));
  }
  spdlog::debug("{} ranks' accumulators merged and broadcast ({:.1f} MB) in {:.3f} s", ranks.size(), double(total.size()) / 1e6,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace

void accumulate(const simulation::EvaluationPlan& plan, const simulation::RunSettings& settings, std::uint64_t end_trial,
                RunAccumulator& into) {
  const std::uint64_t first = into.trials();
  if (end_trial <= first) return;
  simulation::RunSettings uninterrupted = settings;
  uninterrupted.stop_requested = nullptr;
  accumulate_ranges(plan, uninterrupted, {{first, end_trial}}, into);
}

TrialRanges accumulate_ranges(const simulation::EvaluationPlan& plan, const simulation::RunSettings& settings, const TrialRanges& ranges,
                              RunAccumulator& into) {
  TrialRanges finished;
  if (ranges.empty()) return finished;
  const std::size_t group = into.options().sum_group;
  simulation::RunSettings blocks = settings;
  blocks.block_size = (std::max<std::size_t>(settings.block_size, 1) + group - 1) / group * group;
  for (const auto& [first, end] : ranges) {
    if (first % group != 0) {
      // A group split between two calls would be summed as two: results would then depend on how the run was cut.
      throw std::invalid_argument(fmt::format("streaming statistics continue a run only at a multiple of {} trials (not {})", group, first));
    }
  }
  into.reserve_first_trials(ranges.back().second);
  std::uint64_t run_trials = 0;
  for (const auto& [first, end] : ranges) run_trials += end - first;
  into.expect_trials(run_trials);
  // Each thread's accumulator is made from an empty prototype, made here on one thread:
  // copying `into` itself on every worker would copy all it holds, only to drop it.
  const RunAccumulator prototype = into.empty_like();
  tbb::enumerable_thread_specific<RunAccumulator> per_thread([&] { return prototype.empty_like(); });
  const cluster::Cluster& ranks = cluster::current();
  if (ranks.size() > 1) {
    // Under MPI each rank accumulates its own share of each range's blocks (cluster::share_trials);
    // merge_across_ranks then gives every rank the whole. No stop: interrupts are not checkpointed across ranks.
    const auto rank = std::size_t(ranks.rank());
    for (const auto& [first, end_trial] : ranges) {
      const std::vector<std::uint64_t> shares = cluster::share_trials(first, end_trial, blocks.block_size, ranks.size());
      simulation::RunSettings share_settings = blocks;
      share_settings.stop_requested = nullptr;
      if (settings.progress) {
        // This rank's progress stands for the whole run's (rank 0 reports it).
        share_settings.progress = [&, first = first, end_trial = end_trial](std::size_t done, std::size_t) {
          const std::uint64_t share = std::max<std::uint64_t>(shares[rank + 1] - shares[rank], 1);
          settings.progress(std::size_t(first + (done - shares[rank]) * (end_trial - first) / share), std::size_t(end_trial));
        };
      }
      const auto accumulate_start = std::chrono::steady_clock::now();
      simulation::for_each_block(plan, share_settings, shares[rank], shares[rank + 1],
                                 [&](const simulation::TrialBlock& block, std::uint64_t first_trial) { per_thread.local().add_block(block, first_trial); });
      spdlog::debug("rank {}: trials [{}, {}) simulated and accumulated in {:.3f} s", rank, shares[rank], shares[rank + 1],
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - accumulate_start).count());
    }
    merge_across_ranks(per_thread, into);
    finished = ranges;
  } else {
    tbb::enumerable_thread_specific<TrialRanges> per_thread_finished;
    for (const auto& [first, end] : ranges) {
      simulation::for_each_block(plan, blocks, first, end, [&](const simulation::TrialBlock& block, std::uint64_t first_trial) {
        per_thread.local().add_block(block, first_trial);
        per_thread_finished.local().emplace_back(first_trial, first_trial + block.size());
      });
      if (settings.stop_requested && settings.stop_requested()) break;
    }
    merge_threads(per_thread, into);
    TrialRanges blocks_done;
    for (const TrialRanges& part : per_thread_finished) blocks_done.insert(blocks_done.end(), part.begin(), part.end());
    std::sort(blocks_done.begin(), blocks_done.end());
    for (const auto& [begin, end] : blocks_done) {
      if (!finished.empty() && finished.back().second == begin) {
        finished.back().second = end;
      } else {
        finished.emplace_back(begin, end);
      }
    }
  }
  if (into.first_non_finite().found()) {
    throw NonFiniteOutputError(into.first_non_finite(), into.option_id(into.first_non_finite().option));
  }
  return finished;
}

}  // namespace mcrisk::statistics
