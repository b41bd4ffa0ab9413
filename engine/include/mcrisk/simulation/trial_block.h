#pragma once
// Evaluates a block of consecutive trials: unit-cube points -> drivers ->
// computed columns -> gross savings, costs and net per option and year. All
// arrays are structure-of-arrays with the block's lanes innermost; a lane's
// values never depend on the other lanes or on the block size, which is what
// makes any thread count and `mcrisk replay` bit-identical.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mcrisk/sampling/unit_cube_sampler.h"
#include "mcrisk/simulation/evaluation_plan.h"

namespace mcrisk::simulation {

//! Scratch space for one block, allocated once per thread and reused.
class TrialBlock {
 public:
  TrialBlock(const EvaluationPlan& plan, std::size_t capacity);

  //! Samples and evaluates trials [first_trial, first_trial + n), n <= capacity().
  void evaluate(const sampling::UnitCubeSampler& sampler, std::uint64_t first_trial, std::size_t n);
  //! Evaluates one lane with every driver at its planned value and no events.
  void evaluate_planned();

  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return n_; }
  //! Value of driver component c in lane i.
  double component(std::size_t c, std::size_t i) const { return columns_[c * capacity_ + i]; }
  double gross(std::size_t option, std::size_t year, std::size_t i) const { return gross_[index(option, year, i)]; }
  double cost(std::size_t option, std::size_t year, std::size_t i) const { return cost_[index(option, year, i)]; }
  double net(std::size_t option, std::size_t year, std::size_t i) const { return net_[index(option, year, i)]; }
  double total_net(std::size_t option, std::size_t i) const { return total_net_[option * capacity_ + i]; }
  double npv(std::size_t option, std::size_t i) const { return npv_[option * capacity_ + i]; }
  //! NPV by the Green Book schedule.
  double npv_green_book(std::size_t option, std::size_t i) const { return npv_green_book_[option * capacity_ + i]; }
  //! Present values of gross savings and of costs (Green Book schedule), for the benefit-cost ratio.
  double pv_benefits(std::size_t option, std::size_t i) const { return pv_benefits_[option * capacity_ + i]; }
  double pv_costs(std::size_t option, std::size_t i) const { return pv_costs_[option * capacity_ + i]; }
  //! The same figures as rows over the block's lanes (lane i at [i]), for loops over every lane.
  const double* total_net_lanes(std::size_t option) const { return total_net_.data() + option * capacity_; }
  const double* npv_lanes(std::size_t option) const { return npv_.data() + option * capacity_; }
  const double* npv_green_book_lanes(std::size_t option) const { return npv_green_book_.data() + option * capacity_; }
  const double* pv_benefits_lanes(std::size_t option) const { return pv_benefits_.data() + option * capacity_; }
  const double* pv_costs_lanes(std::size_t option) const { return pv_costs_.data() + option * capacity_; }
  const double* gross_lanes(std::size_t option, std::size_t year) const { return gross_.data() + index(option, year, 0); }
  const double* net_lanes(std::size_t option, std::size_t year) const { return net_.data() + index(option, year, 0); }

 private:
  std::size_t index(std::size_t option, std::size_t year, std::size_t i) const {
    return (option * plan_.year_count + year) * capacity_ + i;
  }
  void transform_drivers();
  void run_programs();
  void apply_events();
  //! Adds each term to its (option, year) row of `into` (a term that starts_row sets it, as if zeroed first).
  void sum_terms(const std::vector<ProductTerm>& terms, std::vector<double>& into);
  void combine();

  const EvaluationPlan& plan_;
  std::size_t capacity_;
  std::size_t n_ = 0;
  std::vector<double> uniforms_;        // [dimension][lane]
  std::vector<double> normal_scores_;   // [copula row][lane]
  std::vector<double> columns_;         // [column][lane]
  std::vector<const double*> column_pointers_;
  std::vector<double> scratch_, term_;
  std::vector<double> event_state_;  // apply_events(): [retained, occurred][lane]
  std::vector<double> constant_event_costs_;   // a row per event slot whose cost is a constant
  std::vector<const double*> event_cost_rows_;  // [event exposure]: its cost in every lane (a column or a constant row)
  std::vector<double> gross_, cost_, net_, retention_;  // [option][year][lane]
  std::vector<double> total_net_, npv_, npv_green_book_, pv_benefits_, pv_costs_;  // [option][lane]
};

}  // namespace mcrisk::simulation
