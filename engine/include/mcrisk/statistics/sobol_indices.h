#pragma once
// Variance-based sensitivity: first-order and total Sobol indices of each
// option's total net savings, for groups of inputs, with bootstrap intervals.
//
// Design (Saltelli et al. 2010, "Variance based sensitivity analysis of model
// output", Table 2): A and B are N independent points of the unit cube each
// (dimensions [0, d) and [d, 2d) of one Monte Carlo stream of 2d dimensions,
// so A's rows are the base run's first N trials); A_B^i is A with input group
// i's dimensions taken from B (sampling::ColumnSwapSampler). With Y = f(.):
//   V_i  = (1/N)  sum_j f(B)_j (f(A_B^i)_j - f(A)_j)      (Saltelli 2010, first order)
//   VT_i = (1/2N) sum_j (f(A)_j - f(A_B^i)_j)^2           (Jansen 1999, total)
//   S_i = V_i / Var(Y), ST_i = VT_i / Var(Y),  Var(Y) from f(A) and f(B) pooled.
// The outputs are centred by the pooled mean first: E[f(A_B^i) - f(A)] = 0, so
// subtracting a constant from f(B) leaves V_i unbiased and removes the noise
// that a large mean (R1's totals are about 10^6) would multiply.
//
// Inputs are groups of dimensions: each driver (all its components) is one
// input; drivers linked by the Gaussian copula (z' = L z mixes the scores of
// correlated components, so swapping one uniform moves its correlates) are
// merged into one group. Sobol indices assume independent inputs; correlated
// drivers are treated as one group. Each event type (every slot x year
// uniform) is one group. Cost: N x (groups + 2) model runs.
//
// Intervals: the N rows (A_j, B_j, A_B^i_j) are resampled with replacement
// (a Philox stream keyed by the run's seed, so the resamples are reproducible)
// and each index is recomputed; the 95% interval is the 2.5th to 97.5th
// percentile of the resampled values (percentile bootstrap, Efron 1979).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mcrisk/model/model.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/sample_statistics.h"

namespace mcrisk::statistics {

//! One input of the variance decomposition: unit-cube dimensions swapped together.
struct SobolGroup {
  std::string name;                     //!< "grant_cut", "grant_cut + demand_pressure", "event partner_withdrawal"
  std::vector<std::string> drivers;     //!< the drivers in the group, config order (none for an event)
  std::string event;                    //!< the event type of an event's group
  bool correlated = false;              //!< drivers merged because the copula links them
  std::vector<std::size_t> dimensions;  //!< ascending
};

//! The input groups of a model, drivers in config order (a merged group at its
//! first driver's place), then one group per event type.
std::vector<SobolGroup> sobol_groups(const model::Model& model, const simulation::EvaluationPlan& plan);

//! A Sobol index with its bootstrap interval.
struct SobolEstimate {
  double value = 0;
  Interval ci95;
};

//! One input group's indices for one option.
struct SobolIndex {
  std::size_t group = 0;    //!< into SobolAnalysis::groups
  SobolEstimate first_order, total;
};

struct OptionSobol {
  std::string option;
  double variance = 0;                //!< Var(Y) from f(A) and f(B) pooled; indices are NaN if it is 0
  std::vector<SobolIndex> indices;    //!< in group order
  SobolEstimate sum_first_order;      //!< 1 minus this is the share of variance from interactions
  SobolEstimate sum_total;
};

//! How many trials and resamples.
struct SobolSettings {
  std::size_t trials = std::size_t{1} << 14;  //!< N: rows of A and of B
  std::size_t bootstrap = 1000;              //!< resamples for the intervals (0: none)
};

struct SobolAnalysis {
  std::size_t trials = 0;        //!< N
  std::size_t model_runs = 0;    //!< N x (groups + 2)
  std::size_t bootstrap = 0;
  std::uint64_t seed = 0;
  std::vector<SobolGroup> groups;
  std::vector<OptionSobol> options;
};

//! Sobol indices of every option's total net savings. Uses settings.seed,
//! threads and block size; always independent (Monte Carlo) points, so that
//! the bootstrap's resampling of rows is valid. Deterministic: any thread count
//! gives the same bits.
SobolAnalysis sobol_indices(const model::Model& model, const simulation::RunSettings& settings, const SobolSettings& sobol = {});

//! The estimator on given outputs (centred internally), rows 0..N-1 of each:
//! y_a, y_b and y_ab[i] for each group i. Exposed for tests.
struct SobolPoint {
  double variance = 0;
  std::vector<double> first_order, total;
};
SobolPoint sobol_estimate(const std::vector<double>& y_a, const std::vector<double>& y_b, const std::vector<std::vector<double>>& y_ab);

}  // namespace mcrisk::statistics
