#pragma once
// Runs trials in parallel with oneTBB. Trials are cut into fixed blocks; each
// block's results land at its own trial positions, so the stored outputs (and
// every statistic computed from them in trial order) are bit-identical on any
// number of threads.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "mcrisk/sampling/unit_cube_sampler.h"
#include "mcrisk/simulation/evaluation_plan.h"

namespace mcrisk::simulation {

//! How to run.
struct RunSettings {
  std::size_t trials = 100000;
  std::uint64_t seed = 1;
  int threads = 0;                 //!< 0: all cores
  std::size_t block_size = 256;    //!< trials per block (results do not depend on it)
  bool keep_driver_samples = true; //!< store drivers per trial (for the driver ranking)
  sampling::SamplingMethod sampling = sampling::SamplingMethod::MonteCarlo;
  //! Points per replicate for Latin hypercube and Sobol (trial k is in replicate k / M); ignored by plain MC.
  std::size_t replicate_size = 1;
  //! Called now and then from the thread that started the run, with trials done so far.
  std::function<void(std::size_t done, std::size_t total)> progress;
  //! Asked before each block (from any worker thread); once true, no further block starts and the
  //! run returns after the blocks in flight (an interrupted run: see statistics/run_checkpoint.h).
  std::function<bool()> stop_requested;
};

//! Per-trial values of one output, in trial order.
using Column = std::vector<double>;

//! Per-trial outputs, in trial order; a run can be extended by more trials.
struct TrialOutputs {
  std::size_t trials = 0, options = 0, years = 0, components = 0;
  std::vector<Column> total_net, npv, npv_green_book;  //!< [option]
  std::vector<Column> pv_benefits, pv_costs;           //!< [option], Green Book discounting
  std::vector<Column> net_by_year, gross_by_year;      //!< [option * years + year]
  std::vector<Column> drivers;                         //!< [component], if kept

  const double* total_net_of(std::size_t option) const { return total_net[option].data(); }
  const double* npv_of(std::size_t option) const { return npv[option].data(); }
  const double* net_of(std::size_t option, std::size_t year) const { return net_by_year[option * years + year].data(); }
  const double* gross_of(std::size_t option, std::size_t year) const { return gross_by_year[option * years + year].data(); }
  const double* driver_of(std::size_t component) const { return drivers[component].data(); }

  //! Calls visit(column) for every stored column in one fixed order (total_net,
  //! npv, npv_green_book, pv_benefits, pv_costs, net_by_year, gross_by_year,
  //! drivers), for what treats them all alike: sizing, gathering, checkpoints.
  template <typename Visit>
  void for_each_column(Visit visit) {
    for (auto* group : {&total_net, &npv, &npv_green_book, &pv_benefits, &pv_costs, &net_by_year, &gross_by_year, &drivers})
      for (Column& column : *group) visit(column);
  }
  template <typename Visit>
  void for_each_column(Visit visit) const {
    for (const auto* group : {&total_net, &npv, &npv_green_book, &pv_benefits, &pv_costs, &net_by_year, &gross_by_year, &drivers})
      for (const Column& column : *group) visit(column);
  }
};

//! One trial in full: its drivers and each option's gross, costs and net by year.
struct TrialRecord {
  std::uint64_t trial = 0;
  std::vector<double> components;              //!< driver component values
  std::vector<std::vector<double>> gross, cost, net;  //!< [option][year]
  std::vector<double> total_net, npv, npv_green_book, pv_benefits, pv_costs;  //!< [option]
};

class TrialBlock;

//! Evaluates trials [first_trial, end_trial) in blocks on settings.threads
//! threads and hands each evaluated block to consume(block, block_first_trial),
//! concurrently from several threads (a consumer keeps per-thread state, e.g.
//! tbb::enumerable_thread_specific). Blocks start at multiples of
//! settings.block_size (the first may be shorter), so a trial falls in the
//! same block position whatever the thread count. Reports progress as simulate().
void for_each_block(const EvaluationPlan& plan, const RunSettings& settings, std::uint64_t first_trial, std::uint64_t end_trial,
                    const std::function<void(const TrialBlock& block, std::uint64_t first_trial)>& consume);

//! The worker threads a run asked for (RunSettings::threads, --threads) gets: `requested`, or every
//! core oneTBB sees when 0.
int worker_threads(int requested);

//! Runs `work` with oneTBB limited to the run's threads (worker_threads(settings.threads)): parallel
//! work outside the trial loop (merging the threads' statistics, summaries, the driver ranking) uses no
//! more threads than the run was given.
void within_threads(const RunSettings& settings, const std::function<void()>& work);

//! Runs settings.trials trials of the plan.
TrialOutputs simulate(const EvaluationPlan& plan, const RunSettings& settings);

//! Runs settings.trials trials of the plan on the points of `sampler` (e.g. a
//! column swap for Sobol indices) instead of the settings' own sampler, whose
//! seed, method and replicate size are then unused. Deterministic like simulate().
//! Throws std::invalid_argument unless the sampler has the plan's dimensions.
TrialOutputs simulate(const EvaluationPlan& plan, const sampling::UnitCubeSampler& sampler, const RunSettings& settings);

//! Adds trials [outputs.trials, total_trials) to outputs: the result is the
//! same, bit for bit, as simulate() with total_trials (used for --precision).
void extend(const EvaluationPlan& plan, const RunSettings& settings, std::size_t total_trials, TrialOutputs& outputs);

//! extend() that stops between blocks once settings.stop_requested() is true: keeps the longest
//! finished prefix of whole blocks (later finished blocks are dropped: they are recomputed, to the
//! same bits, when the run resumes) and returns outputs.trials (total_trials when not stopped).
std::size_t extend_until_stopped(const EvaluationPlan& plan, const RunSettings& settings, std::size_t total_trials, TrialOutputs& outputs);

//! The sampler a run with these settings uses.
sampling::UnitCubeSampler make_sampler(const EvaluationPlan& plan, const RunSettings& settings);

//! Recomputes one trial alone; equal bit for bit to its contribution to simulate() with the same settings.
TrialRecord replay_trial(const EvaluationPlan& plan, const RunSettings& settings, std::uint64_t trial);
//! The same for a plain Monte Carlo run with this seed.
TrialRecord replay_trial(const EvaluationPlan& plan, std::uint64_t seed, std::uint64_t trial);

//! Every driver at its planned value, no events: the business case's own figures.
TrialRecord planned_case(const EvaluationPlan& plan);

}  // namespace mcrisk::simulation
