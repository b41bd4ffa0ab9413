#pragma once
// The validated model: what a config file says, with every name checked and
// every figure in range, but not yet compiled for the trial loop (that is
// simulation/evaluation_plan.h). Nothing here is specific to one model.

#include <Eigen/Dense>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mcrisk/config/config_error.h"
#include "mcrisk/model/distribution.h"
#include "mcrisk/model/expression.h"

namespace mcrisk::model {

using config::SourceLocation;

//! An expression with the place in the config it came from.
struct LocatedExpression {
  Expression expression;
  SourceLocation where;
  //! Offset of the expression's first character within the YAML line (for column-accurate errors).
  int column_offset = 0;
};

//! A named, ordered set of labels (clusters, partner slots...). Drivers and events are indexed over sets.
struct IndexSet {
  std::string name;
  std::vector<std::string> elements;
  SourceLocation where;
};

//! The law of one driver.
enum class DriverLaw {
  Marginal,  //!< each component has its own marginal distribution
  Ar1        //!< components form an AR(1) series in the order of its index set
};

//! AR(1) parameters: x_1 = mean + sd Z_1; x_k = mean + rho (x_{k-1} - mean) + sd sqrt(1 - rho^2) Z_k.
struct Ar1Parameters {
  double mean = 0.0;
  double sd = 0.0;
  double rho = 0.0;
};

//! An uncertain input of the model. A scalar driver has one component; a driver
//! over a set (or over years) has one component per element.
struct Driver {
  std::string name;
  std::optional<std::string> index_set;  //!< set name, "years", or none for a scalar
  std::vector<std::string> elements;     //!< component labels; empty label for a scalar
  DriverLaw law = DriverLaw::Marginal;
  std::vector<Distribution> marginals;   //!< one per component (Marginal law)
  Ar1Parameters ar1;                     //!< Ar1 law
  std::vector<double> planned;           //!< the business case's figure, one per component
  std::string rationale;
  SourceLocation where;
  std::size_t first_component = 0;       //!< index of its first component in Model::components
};

//! One scalar random input: a driver's component. Each takes one dimension of the unit cube.
struct DriverComponent {
  std::size_t driver = 0;  //!< index into Model::drivers
  std::size_t element = 0; //!< position within the driver
  std::string label;       //!< "grant_cut" or "realisation[education]"
};

//! One pairwise correlation of normal scores (Gaussian copula).
struct CorrelationEntry {
  std::size_t first = 0, second = 0;  //!< component indices
  double rho = 0.0;
  SourceLocation where;
};

//! A named derived quantity, e.g. grant_factor = 1 - 0.5 * grant_cut.
struct DerivedQuantity {
  std::string name;
  LocatedExpression definition;
  std::string description;
};

//! A line of planned savings whose amount each option plans by year.
struct SavingsItem {
  std::string name;
  std::vector<LocatedExpression> factors;       //!< multiplied onto the planned amount
  std::optional<LocatedExpression> delay_months; //!< start-year delay of the item (see docs)
  std::string description;
  SourceLocation where;
};

//! A one-off cost line: count x unit cost (count rounded as its expression says), or an amount.
struct CostItem {
  std::string name;
  std::optional<LocatedExpression> count;
  std::optional<LocatedExpression> unit_cost;
  std::optional<LocatedExpression> amount;
  std::string description;
  SourceLocation where;
};

//! A discrete event with slots (e.g. partners) at risk in some years. The uniform
//! of slot k in year t is shared by every option (common random numbers).
struct EventType {
  std::string name;
  std::string slot_set;                  //!< set whose elements are the slots
  std::vector<bool> at_risk;             //!< per model year
  bool recurs = false;                   //!< false: a slot's event happens at most once per option
  std::optional<LocatedExpression> cost; //!< one-off cost per occurrence, in its year; `slot` names the slot
  std::string rationale;
  SourceLocation where;
  std::size_t first_dimension = 0;       //!< event uniforms: first_dimension + slot * years + year
};

//! How one option is exposed to an event type.
struct OptionEventExposure {
  std::size_t event = 0;            //!< index into Model::events
  std::vector<std::size_t> slots;   //!< indices into the event's slot set
  std::vector<double> hazard;       //!< per model year: P(event) in a year at risk
  double loss_fraction = 0.0;       //!< share of savings lost from the year after each occurrence
  SourceLocation where;
};

//! A way of delivering the service.
struct Option {
  std::string id;
  std::string description;
  std::map<std::string, double> parameters;                 //!< constants for expressions
  std::vector<std::vector<double>> planned_savings;         //!< [savings item][year]
  std::vector<std::vector<double>> cost_phasing;            //!< [cost item][year], sums to 1
  std::vector<OptionEventExposure> events;
  SourceLocation where;
};

//! A step schedule of discount rates: each band's rate applies to the years
//! from `from_year` (counted from the base year) until the next band's.
struct DiscountSchedule {
  struct Band {
    std::size_t from_year = 0;
    double rate = 0;
  };
  std::vector<Band> bands;     //!< ascending from_year, the first from 0
  std::size_t base_year = 0;   //!< model year index that is discounted by 1
  //! HM Treasury Green Book (2022): 3.5% real for years 0-30, 3.0% for 31-75, 2.5% beyond.
  static DiscountSchedule green_book(std::size_t base_year);
  //! Discount factor of model year t: prod over years k = base+1..t of 1/(1 + rate(k - base)).
  double factor(std::size_t t) const;
};

//! Green Book optimism bias: costs uplifted and benefits delayed, each reduced
//! by the share of the bias that mitigation removes. Reported beside the
//! unadjusted results, on the same trials.
struct OptimismBias {
  double cost_uplift = 0;           //!< e.g. 0.24 for +24%
  double benefit_delay_months = 0;  //!< added to every savings item's start
  double mitigation = 0;            //!< 0..1: share of the bias removed
  std::string rationale;
  SourceLocation where;
  double effective_cost_multiplier() const { return 1.0 + cost_uplift * (1.0 - mitigation); }
  double effective_delay_months() const { return benefit_delay_months * (1.0 - mitigation); }
};

//! A figure each option should reach: the probability of reaching it is reported with its interval.
struct Target {
  enum class Measure { TotalNet, Npv, NetInYear, GrossInYear };
  std::string name;
  std::string description;
  Measure measure = Measure::TotalNet;
  std::size_t year = 0;          //!< for NetInYear and GrossInYear
  bool at_least_planned = false; //!< the option's own planned figure of the measure
  double at_least = 0;           //!< otherwise this amount
  SourceLocation where;
};

//! One change a scenario makes to the model, applied when the plan is compiled
//! (simulation::PlanAdjustments::overrides). The unit cube keeps its
//! dimensions, so a scenario run with the same seed is on the same trials.
struct ScenarioOverride {
  enum class Kind {
    FixValue,       //!< the component(s) take `value` in every trial
    FixPercentile,  //!< the component(s) take their own marginal's `value`-th percentile (0 < value < 100)
    Affine,         //!< x -> scale * x + shift, in every trial
    Hazard          //!< an event's hazard set to `value` (0 switches the event off)
  };
  Kind kind = Kind::FixValue;
  std::size_t driver = 0;              //!< FixValue, FixPercentile, Affine: index into Model::drivers
  std::optional<std::size_t> element;  //!< one component of the driver; none: every component
  double value = 0;                    //!< the fixed value, the percentile level (0..100) or the hazard
  double shift = 0, scale = 1;         //!< Affine
  std::size_t event = 0;               //!< Hazard: index into Model::events
  std::optional<std::size_t> option;   //!< Hazard: one option; none: every option exposed to the event
  std::vector<std::size_t> slots;      //!< Hazard: slots (indices into the event's set); empty: every slot
  std::vector<std::size_t> years;      //!< Hazard: years; empty: every year the event is at risk
  SourceLocation where;
};

//! A named what-if: a list of overrides, run on the base case's trials.
struct Scenario {
  std::string name;
  std::string description;
  std::vector<ScenarioOverride> overrides;
  SourceLocation where;
};

//! Defaults for a run that the command line may override.
struct RunDefaults {
  std::size_t trials = 100000;
  std::uint64_t seed = 1;
};

//! A complete, validated model.
struct Model {
  std::string name;
  std::string description;
  std::string currency = "GBP";
  std::vector<std::string> years;            //!< labels; year index t = 0, 1, ...
  double discount_rate = 0.0;                //!< flat rate: "npv"
  DiscountSchedule green_book;               //!< schedule: "npv_green_book", BCR
  std::optional<OptimismBias> optimism_bias;
  std::vector<Target> targets;
  std::vector<IndexSet> sets;
  std::vector<Driver> drivers;
  std::vector<DriverComponent> components;
  std::vector<CorrelationEntry> correlations;
  bool repair_correlations = false;          //!< opt-in: replace an invalid matrix by the nearest valid one
  std::map<std::string, double> parameter_defaults;
  std::vector<DerivedQuantity> derived;
  std::vector<SavingsItem> savings_items;
  std::vector<CostItem> cost_items;
  std::vector<EventType> events;
  std::vector<Option> options;
  std::vector<Scenario> scenarios;           //!< `scenarios:` (and any --scenarios overlay), in file order
  RunDefaults run;
  std::string source_file;
  std::string config_sha256;

  //! Unit-cube dimensions: one per driver component, then the event uniforms.
  std::size_t dimension_count() const;
  //! The quantile of a component's own marginal at probability p in (0,1). An
  //! AR(1) component's marginal is N(mean, sd) wherever it is in the series
  //! (the series is stationary).
  double component_quantile(std::size_t component, double p) const;
  const IndexSet* find_set(const std::string& name) const;
  const Driver* find_driver(const std::string& name) const;
  std::optional<std::size_t> year_index(const std::string& label) const;
  const Scenario* find_scenario(const std::string& scenario_name) const {
    for (const auto& scenario : scenarios)
      if (scenario.name == scenario_name) return &scenario;
    return nullptr;
  }
};

}  // namespace mcrisk::model
