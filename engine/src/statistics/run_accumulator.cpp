#include "mcrisk/statistics/run_accumulator.h"

#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "mcrisk/cluster/cluster.h"
#include "mcrisk/simulation/trial_block.h"
#include "summary_parts.h"

namespace mcrisk::statistics {

namespace {

double target_value(const model::Target& target, const simulation::TrialBlock& block, std::size_t o, std::size_t i) {
  switch (target.measure) {
    case model::Target::Measure::TotalNet: return block.total_net(o, i);
    case model::Target::Measure::Npv: return block.npv(o, i);
    case model::Target::Measure::NetInYear: return block.net(o, target.year, i);
    case model::Target::Measure::GrossInYear: return block.gross(o, target.year, i);
  }
  return 0;
}

Probability wilson_probability(std::uint64_t hits, std::uint64_t n) {
  Probability p;
  p.value = double(hits) / double(n);
  p.ci95 = wilson_interval(p.value, std::size_t(n));
  return p;
}

// A finite shift near the centre: the planned value when it is finite.
double shift_from(double planned) { return std::isfinite(planned) ? planned : 0.0; }

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
}

void RunAccumulator::reserve_first_trials(std::uint64_t end_trial) {
  FirstTrials& kept = *first_trials_;
  const auto wanted = std::size_t(std::min<std::uint64_t>(end_trial, kept.capacity));
  kept.components.resize(components_);
  kept.totals.resize(options_count_);
  for (auto& column : kept.components) column.resize(std::max(column.size(), wanted));
  for (auto& column : kept.totals) column.resize(std::max(column.size(), wanted));
}

RunAccumulator RunAccumulator::empty_like() const {
  RunAccumulator empty = *this;
  for (auto& option : empty.options_) {
    option = PerOption{OutputAccumulator(option.total_net.shift(), settings_.precision_bits),
                       OutputAccumulator(option.npv.shift(), settings_.precision_bits),
                       OutputAccumulator(option.npv_green_book.shift(), settings_.precision_bits),
                       OutputAccumulator(option.bcr.shift(), settings_.precision_bits),
                       0,
                       0,
                       [&] {
                         std::vector<OutputAccumulator> years;
                         for (const auto& year : option.net_by_year) years.emplace_back(year.shift(), settings_.precision_bits);
                         return years;
                       }(),
                       std::vector<std::uint64_t>(targets_.size(), 0),
                       {}};
  }
  for (auto& pair : empty.pairs_) pair = {pair.a, pair.b, OutputAccumulator(pair.difference.shift(), settings_.precision_bits), 0};
  empty.trials_ = 0;
  empty.non_finite_ = {};
  return empty;
}

bool RunAccumulator::check_finite(const simulation::TrialBlock& block, std::uint64_t first_trial) {
  const std::size_t n = block.size();
  // Fast path: a sum of everything is finite only if every term is (or nearly:
  // a finite overflow to infinity is then found, and dismissed, lane by lane below).
  double sum = 0;
  for (std::size_t o = 0; o < options_count_; ++o) {
    for (std::size_t i = 0; i < n; ++i) {
      sum += block.total_net(o, i) + block.npv(o, i) + block.npv_green_book(o, i) + block.pv_benefits(o, i) + block.pv_costs(o, i);
      for (std::size_t t = 0; t < years_; ++t) sum += block.net(o, t, i) + block.gross(o, t, i);
    }
  }
  if (std::isfinite(sum)) return true;
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
  return true;  // the sum overflowed, but every term is finite
}

void RunAccumulator::add_block(const simulation::TrialBlock& block, std::uint64_t first_trial) {
  const std::size_t n = block.size();
  if (!check_finite(block, first_trial)) return;  // the run fails; its other figures are not needed

  // The first trials, kept for the driver ranking.
  FirstTrials& kept = *first_trials_;
  if (first_trial < kept.capacity) {
    // Resizing happens once, before any block is evaluated (see accumulate()).
    const std::size_t stop = std::size_t(std::min<std::uint64_t>(kept.capacity, first_trial + n) - first_trial);
    for (std::size_t c = 0; c < components_; ++c)
      for (std::size_t i = 0; i < stop; ++i) kept.components[c][first_trial + i] = block.component(c, i);
    for (std::size_t o = 0; o < options_count_; ++o)
      for (std::size_t i = 0; i < stop; ++i) kept.totals[o][first_trial + i] = block.total_net(o, i);
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

void RunAccumulator::add_group(const simulation::TrialBlock& block, std::size_t begin, std::size_t end) {
  const std::size_t n = end - begin;
  for (std::size_t o = 0; o < options_count_; ++o) {
    PerOption& option = options_[o];
    option.total_net.add_group(n, [&](std::size_t i) { return block.total_net(o, begin + i); });
    option.npv.add_group(n, [&](std::size_t i) { return block.npv(o, begin + i); });
    option.npv_green_book.add_group(n, [&](std::size_t i) { return block.npv_green_book(o, begin + i); });
    for (std::size_t t = 0; t < years_; ++t) option.net_by_year[t].add_group(n, [&](std::size_t i) { return block.net(o, t, begin + i); });
    // The benefit-cost ratio exists only where costs are positive; a run with any
    // other trial reports it undefined (as the stored-sample path does).
    scratch_.clear();
    for (std::size_t i = begin; i < end; ++i) {
      const double costs = block.pv_costs(o, i);
      if (!(costs > 0)) {
        ++option.costs_not_positive;
        continue;
      }
      const double ratio = block.pv_benefits(o, i) / costs;
      scratch_.push_back(ratio);
      option.bcr_below_one += ratio < 1.0 ? 1 : 0;
    }
    if (!scratch_.empty() && std::all_of(scratch_.begin(), scratch_.end(), [](double r) { return std::isfinite(r); })) {
      option.bcr.add_group(scratch_.size(), [&](std::size_t i) { return scratch_[i]; });
    } else if (!scratch_.empty()) {
      option.costs_not_positive += scratch_.size();  // a ratio that overflowed: undefined, like a zero cost
    }
    for (std::size_t k = 0; k < targets_.size(); ++k) {
      const double threshold = target_thresholds_[o * targets_.size() + k];
      std::uint64_t met = 0;
      for (std::size_t i = begin; i < end; ++i) met += target_value(targets_[k], block, o, i) >= threshold ? 1 : 0;
      option.targets_met[k] += met;
    }
  }
  // P(best): each trial's best option wins 1 (ties split it), summed in trial order.
  scratch_.assign(options_count_, 0.0);
  for (std::size_t i = begin; i < end; ++i) {
    double best = block.total_net(0, i);
    for (std::size_t o = 1; o < options_count_; ++o) best = std::max(best, block.total_net(o, i));
    std::size_t tied = 0;
    for (std::size_t o = 0; o < options_count_; ++o) tied += block.total_net(o, i) == best ? 1 : 0;
    for (std::size_t o = 0; o < options_count_; ++o)
      if (block.total_net(o, i) == best) scratch_[o] += 1.0 / double(tied);
  }
  for (std::size_t o = 0; o < options_count_; ++o) options_[o].best_share.add(scratch_[o]);
  for (PerPair& pair : pairs_) {
    pair.difference.add_group(n, [&](std::size_t i) { return block.total_net(pair.a, begin + i) - block.total_net(pair.b, begin + i); });
    for (std::size_t i = begin; i < end; ++i) pair.a_better += block.total_net(pair.a, i) > block.total_net(pair.b, i) ? 1 : 0;
  }
}

void RunAccumulator::merge(const RunAccumulator& other) {
  if (other.options_.size() != options_.size() || other.pairs_.size() != pairs_.size()) {
    throw std::invalid_argument("merging run accumulators of different models");
  }
  for (std::size_t o = 0; o < options_.size(); ++o) {
    PerOption& into = options_[o];
    const PerOption& from = other.options_[o];
    into.total_net.merge(from.total_net);
    into.npv.merge(from.npv);
    into.npv_green_book.merge(from.npv_green_book);
    into.bcr.merge(from.bcr);
    into.costs_not_positive += from.costs_not_positive;
    into.bcr_below_one += from.bcr_below_one;
    for (std::size_t t = 0; t < into.net_by_year.size(); ++t) into.net_by_year[t].merge(from.net_by_year[t]);
    for (std::size_t k = 0; k < into.targets_met.size(); ++k) into.targets_met[k] += from.targets_met[k];
    into.best_share.merge(from.best_share);
  }
  for (std::size_t k = 0; k < pairs_.size(); ++k) {
    pairs_[k].difference.merge(other.pairs_[k].difference);
    pairs_[k].a_better += other.pairs_[k].a_better;
  }
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
  for (const auto& column : first_trials_->components) total += column.size() * sizeof(double);
  for (const auto& column : first_trials_->totals) total += column.size() * sizeof(double);
  return total;
}

std::vector<OptionSummary> RunAccumulator::summarise_options(const model::Model& model) const {
  if (trials_ == 0) throw std::invalid_argument("summary of a run with no trials");
  const std::size_t ranked = std::size_t(std::min<std::uint64_t>(trials_, first_trials_->capacity));
  std::vector<std::span<const double>> components, totals;
  for (const auto& column : first_trials_->components) components.emplace_back(column.data(), ranked);
  for (const auto& column : first_trials_->totals) totals.emplace_back(column.data(), ranked);
  std::vector<std::vector<DriverInfluence>> drivers = detail::rank_drivers(model, components, totals);

  std::vector<OptionSummary> summaries(options_count_);
  for (std::size_t o = 0; o < options_count_; ++o) {
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
    summary.drivers = std::move(drivers[o]);
  }
  return summaries;
}

std::vector<Comparison> RunAccumulator::compare_options(const model::Model& model) const {
  std::vector<Comparison> comparisons;
  for (const PerPair& pair : pairs_) {
    Comparison comparison;
    comparison.a = model.options[pair.a].id;
    comparison.b = model.options[pair.b].id;
    comparison.difference = pair.difference.summary();
    comparison.a_better = wilson_probability(pair.a_better, trials_);
    comparisons.push_back(std::move(comparison));
  }
  return comparisons;
}

void accumulate(const simulation::EvaluationPlan& plan, const simulation::RunSettings& settings, std::uint64_t end_trial,
                RunAccumulator& into) {
  const std::uint64_t first = into.trials();
  if (end_trial <= first) return;
  const std::size_t group = into.options().sum_group;
  simulation::RunSettings blocks = settings;
  blocks.block_size = (std::max<std::size_t>(settings.block_size, 1) + group - 1) / group * group;
  if (first % group != 0) {
    // A group split between two calls would be summed as two: results would then depend on how the run was cut.
    throw std::invalid_argument(fmt::format("streaming statistics continue a run only at a multiple of {} trials (not {})", group, first));
  }
  if (cluster::current().size() > 1) {
    // Ranks would have to exchange their accumulators, which needs them serialised.
    throw std::invalid_argument(fmt::format("--statistics streaming runs on one MPI rank only in this build, not on {}: use --statistics exact "
                                            "(bit-identical on any number of ranks) or run with mpirun -np 1",
                                            cluster::current().size()));
  }
  into.reserve_first_trials(end_trial);
  tbb::enumerable_thread_specific<RunAccumulator> per_thread([&] { return into.empty_like(); });
  simulation::for_each_block(plan, blocks, first, end_trial,
                             [&](const simulation::TrialBlock& block, std::uint64_t first_trial) { per_thread.local().add_block(block, first_trial); });
  for (const RunAccumulator& part : per_thread) into.merge(part);
  if (into.first_non_finite().found()) {
    throw NonFiniteOutputError(into.first_non_finite(), into.option_id(into.first_non_finite().option));
  }
}

}  // namespace mcrisk::statistics
