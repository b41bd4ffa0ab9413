#pragma once
// Runs trials in parallel with oneTBB. Trials are cut into fixed blocks; each
// block's results land at its own trial positions, so the stored outputs (and
// every statistic computed from them in trial order) are bit-identical on any
// number of threads.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "mcrisk/simulation/evaluation_plan.h"

namespace mcrisk::simulation {

//! How to run.
struct RunSettings {
  std::size_t trials = 100000;
  std::uint64_t seed = 1;
  int threads = 0;                 //!< 0: all cores
  std::size_t block_size = 256;    //!< trials per block (results do not depend on it)
  bool keep_driver_samples = true; //!< store drivers per trial (for the driver ranking)
  //! Called now and then from the thread that started the run, with trials done so far.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

//! Per-trial outputs, in trial order. Index [option * trials + trial] etc.
struct TrialOutputs {
  std::size_t trials = 0, options = 0, years = 0, components = 0;
  std::vector<double> total_net;    //!< [option][trial]
  std::vector<double> npv;          //!< [option][trial]
  std::vector<double> net_by_year;  //!< [option][year][trial]
  std::vector<double> drivers;      //!< [component][trial], if kept

  const double* total_net_of(std::size_t option) const { return total_net.data() + option * trials; }
  const double* npv_of(std::size_t option) const { return npv.data() + option * trials; }
  const double* net_of(std::size_t option, std::size_t year) const { return net_by_year.data() + (option * years + year) * trials; }
  const double* driver_of(std::size_t component) const { return drivers.data() + component * trials; }
};

//! One trial in full: its drivers and each option's gross, costs and net by year.
struct TrialRecord {
  std::uint64_t trial = 0;
  std::vector<double> components;              //!< driver component values
  std::vector<std::vector<double>> gross, cost, net;  //!< [option][year]
  std::vector<double> total_net, npv;          //!< [option]
};

//! Runs settings.trials trials of the plan.
TrialOutputs simulate(const EvaluationPlan& plan, const RunSettings& settings);

//! Recomputes one trial alone; equal bit for bit to its contribution to simulate().
TrialRecord replay_trial(const EvaluationPlan& plan, std::uint64_t seed, std::uint64_t trial);

//! Every driver at its planned value, no events: the business case's own figures.
TrialRecord planned_case(const EvaluationPlan& plan);

}  // namespace mcrisk::simulation
