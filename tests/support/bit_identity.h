#pragma once
// Bit-for-bit comparison of simulation outputs: determinism tests compare
// bits, not values within a tolerance.

#include <cstring>
#include <vector>

#include "mcrisk/simulation/simulator.h"

namespace mcrisk::testing {

inline bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

inline bool same_bits(const std::vector<simulation::Column>& a, const std::vector<simulation::Column>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_bits(a[i], b[i])) return false;
  return true;
}

//! Every per-trial output of two runs, bit for bit.
inline bool same_outputs(const simulation::TrialOutputs& a, const simulation::TrialOutputs& b) {
  return a.trials == b.trials && same_bits(a.total_net, b.total_net) && same_bits(a.npv, b.npv) &&
         same_bits(a.npv_green_book, b.npv_green_book) && same_bits(a.pv_benefits, b.pv_benefits) &&
         same_bits(a.pv_costs, b.pv_costs) && same_bits(a.net_by_year, b.net_by_year) &&
         same_bits(a.gross_by_year, b.gross_by_year) && same_bits(a.drivers, b.drivers);
}

}  // namespace mcrisk::testing
