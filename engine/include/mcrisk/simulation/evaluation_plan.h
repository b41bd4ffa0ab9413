#pragma once
// The model compiled for the trial loop: flat arrays of indices and
// coefficients, built once, run over blocks of trials. No names, no maps and no
// virtual calls are left in here; every expression instance (per option, year
// and slot) is a compiled program, de-duplicated by its canonical text.

#include <Eigen/Dense>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mcrisk/model/distribution.h"
#include "mcrisk/model/expression.h"
#include "mcrisk/model/model.h"

namespace mcrisk::simulation {

inline constexpr std::size_t kNotInCopula = static_cast<std::size_t>(-1);

//! How one driver component gets its value from its uniform (and the copula).
struct ComponentTransform {
  enum class Kind { Marginal, Ar1Start, Ar1Step } kind = Kind::Marginal;
  std::size_t copula_position = kNotInCopula;  //!< row in the copula block, if correlated
  model::Distribution marginal;                //!< Marginal kind
  double ar_mean = 0, ar_sd = 0, ar_rho = 0;   //!< Ar1 kinds (Ar1Step reads the previous component)
};

//! A computed column of per-trial values: a derived quantity, factor or availability instance.
struct ColumnProgram {
  model::CompiledExpression program;
  std::size_t output_column = 0;
  std::string label;  //!< e.g. "demand_factor (option 1A, 2011/12)", for outlines and debugging
};

//! coefficient x product of columns: a savings line in one year, or a phased cost.
struct ProductTerm {
  std::size_t option = 0, year = 0;
  double coefficient = 0;
  std::uint32_t first_factor = 0, factor_count = 0;  //!< range in EvaluationPlan::factor_columns
  //! The first savings term of its (option, year) row: it sets the row (0.0 + its product, what zeroing
  //! the row and adding gave) instead of adding to it. Never set on cost terms (they add to the events' costs).
  bool starts_row = false;
};

//! One option's exposure to one slot of an event type.
struct EventSlotExposure {
  std::size_t option = 0;
  std::size_t first_dimension = 0;  //!< uniform of year t is first_dimension + t
  std::vector<double> hazard;       //!< per year; 0 where not at risk
  bool recurs = false;
  double retention_after = 1.0;     //!< 1 - loss fraction
  //! The option's first exposure: it sets the option's retention and cost rows (from 1 and 0) instead of
  //! updating them.
  bool starts_option = false;
  bool cost_is_column = false;
  double cost_constant = 0;
  std::size_t cost_column = 0;
};

//! Changes applied while compiling, on top of what the model says (optimism
//! bias, scenarios). None of them changes the unit-cube dimensions, so the
//! adjusted plan run with the same seed evaluates the same trials.
struct PlanAdjustments {
  double cost_multiplier = 1.0;     //!< on every cost item (not on event costs)
  double extra_delay_months = 0.0;  //!< added to every savings item's start delay
  //! Scenario overrides, applied in order: a fixed component gets a constant
  //! marginal (its uniform is drawn and unused); a shift or scale is a program
  //! run first, in place on the component's column; a hazard replaces the
  //! option's hazard for the slots and years named.
  std::vector<model::ScenarioOverride> overrides{};
};

//! Everything the trial loop needs.
struct EvaluationPlan {
  std::size_t option_count = 0, year_count = 0;
  std::size_t component_count = 0;   //!< columns [0, component_count) are the driver components
  std::size_t column_count = 0;
  std::size_t dimension_count = 0;   //!< unit-cube dimensions: components, then event uniforms
  std::vector<ComponentTransform> transforms;  //!< one per component
  std::vector<std::size_t> copula_components;  //!< component of each copula row
  Eigen::MatrixXd copula_cholesky;             //!< lower factor of the normal-score correlation
  Eigen::MatrixXd copula_correlation;          //!< the matrix used (after an opt-in repair)
  bool copula_repaired = false;
  std::vector<double> planned_components;      //!< every driver at its planned value
  std::vector<ColumnProgram> programs;         //!< in dependency order
  std::vector<ProductTerm> savings_terms, cost_terms;
  std::vector<std::uint32_t> factor_columns;
  std::vector<EventSlotExposure> event_exposures;
  //! Rows (option * year_count + year) that no savings term starts: zero gross savings.
  std::vector<std::size_t> rows_without_savings;
  //! Options that no exposure starts: retention 1 and no event costs in every year.
  std::vector<std::size_t> options_without_events;
  std::vector<double> discount_divisor;        //!< (1 + r)^t, the flat rate
  std::vector<double> green_book_factor;       //!< discount factor by the Green Book schedule
  std::size_t max_scratch_per_lane = 0;        //!< expression stack depth

  //! Compiles a validated model; throws config::ConfigError (with the location of
  //! the expression or correlation at fault).
  static EvaluationPlan compile(const model::Model& model, const PlanAdjustments& adjustments = {});
};

}  // namespace mcrisk::simulation
