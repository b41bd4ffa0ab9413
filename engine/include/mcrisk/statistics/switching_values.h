#pragma once
// Switching values (HM Treasury Green Book, 2022, §2.16 and Annex A5): how far
// one driver must move before the decision changes. For each option and each
// driver: the driver's value at which the option's expected NPV falls to zero;
// and, for the two best options (by expected NPV in the base case), the value at
// which they swap places.
//
// A driver is held at its own percentile p (every component of a driver over a
// set at once, by a FixPercentile scenario override), the others random, on the
// base case's trials (common random numbers). Then the expected NPV m(p) is a
// smooth function of p (the same trials at every p), so a crossing found
// between two points of a grid of percentiles is refined by the Illinois
// variant of regula falsi on p. A crossing between two neighbouring grid
// points that comes back (two sign changes within one grid cell) is not seen.
// The range searched is the driver's own P0.5 to P99.5: "none in range" means
// no sign change there.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mcrisk/model/model.h"
#include "mcrisk/simulation/simulator.h"

namespace mcrisk::statistics {

//! Where a function of one driver's percentile changes sign.
struct Crossing {
  double percentile = 0;             //!< p in the searched range, 0..100
  std::vector<double> values;        //!< the driver's component values at p (one per component)
  bool falling = false;              //!< the function is positive below p and negative above (as the driver rises)
};

//! One driver's switching values for one function (an option's expected NPV, or the gap between the two best).
struct SwitchingValue {
  std::string driver;
  std::vector<std::string> components;  //!< the labels of its components
  std::vector<Crossing> crossings;      //!< empty: none in range
};

struct OptionSwitching {
  std::string option;
  double base_expected_npv = 0;       //!< on the base case's trials
  std::vector<SwitchingValue> drivers; //!< config order
};

struct SwitchingSettings {
  std::size_t trials = 20000;       //!< trials per evaluation of m(p) (a prefix of the base case's)
  double lowest = 0.5, highest = 99.5;  //!< the percentile range searched
  //! The grid scanned for sign changes, within [lowest, highest] (added to it: both ends).
  std::vector<double> grid = {1, 2.5, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97.5, 99};
  double tolerance = 0.01;          //!< refine until the bracket is this narrow, in percentile points
};

struct SwitchingAnalysis {
  std::string measure = "npv_green_book";
  std::size_t trials = 0;
  std::uint64_t seed = 0;
  double lowest = 0, highest = 0;
  std::vector<double> grid;            //!< the points scanned, ascending
  std::size_t model_runs = 0;          //!< evaluations of m(p), each of `trials` trials
  std::vector<OptionSwitching> options;
  //! The two best options by base-case expected NPV (empty with fewer than two options).
  std::string best, runner_up;
  double base_gap = 0;                 //!< expected NPV of best minus runner-up, base case
  std::vector<SwitchingValue> ranking_flip;  //!< where best - runner_up crosses zero, per driver
};

//! Switching values of every driver, for every option's expected Green Book NPV
//! and for the ranking of the two best options. Uses settings.seed, threads and
//! block size, with plain Monte Carlo trials. Deterministic.
SwitchingAnalysis switching_values(const model::Model& model, const simulation::RunSettings& settings, const SwitchingSettings& switching = {});

}  // namespace mcrisk::statistics
