#include "mcrisk/simulation/evaluation_plan.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "mcrisk/config/config_error.h"
#include "mcrisk/model/correlation.h"

namespace mcrisk::simulation {

namespace {

using config::ConfigError;
using config::SourceLocation;
using model::CompiledExpression;
using model::ExpressionError;
using model::LocatedExpression;
using model::ResolvedSymbol;
using model::SymbolReference;

// A compiled expression instance is either a constant or a column.
struct Operand {
  bool is_column = false;
  double value = 0;
  std::size_t column = 0;
};

// Where an expression instance is evaluated: which option, year and slot give
// meaning to parameters, `t` and `slot`.
struct InstanceContext {
  const model::Option* option = nullptr;
  std::optional<std::size_t> year;
  const model::IndexSet* slot_set = nullptr;
  std::size_t slot = 0;
  std::map<std::string, Operand> locals;  // names bound by the compiler itself (e.g. delay)
};

class PlanCompiler {
 public:
  PlanCompiler(const model::Model& model, const PlanAdjustments& adjustments) : model_(model), adjustments_(adjustments) {}

  EvaluationPlan compile() {
    plan_.option_count = model_.options.size();
    plan_.year_count = model_.years.size();
    plan_.component_count = model_.components.size();
    plan_.column_count = plan_.component_count;
    plan_.dimension_count = model_.dimension_count();
    check_names();
    compile_transforms();
    compile_copula();
    apply_driver_overrides();
    for (std::size_t t = 0; t < plan_.year_count; ++t) {
      plan_.discount_divisor.push_back(std::pow(1.0 + model_.discount_rate, double(t)));
      plan_.green_book_factor.push_back(model_.green_book.factor(t));
    }
    for (std::size_t o = 0; o < model_.options.size(); ++o) {
      compile_savings(o);
      compile_costs(o);
      compile_events(o);
    }
    mark_row_starts();
    // Shifts and scales run before every other program, in place on the
    // component's own column: whatever reads the driver (and the stored
    // driver samples) sees the changed value.
    plan_.programs.insert(plan_.programs.begin(), std::make_move_iterator(affine_programs_.begin()),
                          std::make_move_iterator(affine_programs_.end()));
    return std::move(plan_);
  }

 private:
  // ---- drivers and copula ----------------------------------------------

  void compile_transforms() {
    for (const auto& component : model_.components) {
      const model::Driver& driver = model_.drivers[component.driver];
      ComponentTransform transform;
      if (driver.law == model::DriverLaw::Ar1) {
        transform.kind = component.element == 0 ? ComponentTransform::Kind::Ar1Start : ComponentTransform::Kind::Ar1Step;
        transform.ar_mean = driver.ar1.mean;
        transform.ar_sd = driver.ar1.sd;
        transform.ar_rho = driver.ar1.rho;
      } else {
        transform.marginal = driver.marginals[component.element];
      }
      plan_.transforms.push_back(transform);
      plan_.planned_components.push_back(driver.planned[component.element]);
    }
  }

  void compile_copula() {
    if (model_.correlations.empty()) return;
    std::set<std::size_t> involved;
    for (const auto& entry : model_.correlations) {
      involved.insert(entry.first);
      involved.insert(entry.second);
    }
    plan_.copula_components.assign(involved.begin(), involved.end());
    const std::size_t k = plan_.copula_components.size();
    std::map<std::size_t, std::size_t> row_of;
    std::vector<std::string> names;
    for (std::size_t row = 0; row < k; ++row) {
      row_of[plan_.copula_components[row]] = row;
      plan_.transforms[plan_.copula_components[row]].copula_position = row;
      names.push_back(model_.components[plan_.copula_components[row]].label);
    }
    Eigen::MatrixXd matrix = Eigen::MatrixXd::Identity(Eigen::Index(k), Eigen::Index(k));
    for (const auto& entry : model_.correlations) {
      const auto a = Eigen::Index(row_of[entry.first]), b = Eigen::Index(row_of[entry.second]);
      matrix(a, b) = matrix(b, a) = entry.rho;
    }
    try {
      model::validate_correlation(matrix, names);
    } catch (const model::CorrelationError& error) {
      if (!model_.repair_correlations) throw ConfigError(correlation_location(error.involved()), error.what());
      const Eigen::MatrixXd repaired = model::nearest_correlation(matrix);
      spdlog::warn("correlations repaired to the nearest valid matrix (model.correlation_repair: nearest); "
                   "largest change {:.4f}. Original problem: {}",
                   (repaired - matrix).cwiseAbs().maxCoeff(), error.what());
      matrix = repaired;
      plan_.copula_repaired = true;
    }
    plan_.copula_correlation = matrix;
    plan_.copula_cholesky = model::cholesky_factor(matrix, names);
  }

  SourceLocation correlation_location(const std::vector<std::string>& involved) const {
    for (const auto& entry : model_.correlations) {
      const auto& a = model_.components[entry.first].label;
      const auto& b = model_.components[entry.second].label;
      const bool has_a = std::find(involved.begin(), involved.end(), a) != involved.end();
      const bool has_b = std::find(involved.begin(), involved.end(), b) != involved.end();
      if (has_a && has_b) return entry.where;
    }
    return model_.correlations.front().where;
  }

  // ---- scenario overrides -------------------------------------------------

  // The marginal of one component, as a percentile: AR(1) components are
  // N(mean, sd) whatever their place in the series (the series is stationary).
  double component_percentile(std::size_t c, double level) const { return model_.component_quantile(c, level / 100.0); }

  // Overrides of a component compose in order: a fix replaces the value, a
  // shift or scale then moves the fixed value; shifts and scales compose.
  void apply_driver_overrides() {
    struct State {
      bool fixed = false;
      double value = 0, scale = 1, shift = 0;
    };
    std::vector<State> states(plan_.component_count);
    for (const model::ScenarioOverride& entry : adjustments_.overrides) {
      if (entry.kind == model::ScenarioOverride::Kind::Hazard) continue;
      if (entry.driver >= model_.drivers.size()) throw std::invalid_argument("scenario override names a driver the model does not have");
      const model::Driver& driver = model_.drivers[entry.driver];
      const std::size_t first = driver.first_component + entry.element.value_or(0);
      const std::size_t last = entry.element ? first + 1 : driver.first_component + driver.elements.size();
      for (std::size_t c = first; c < last; ++c) {
        State& state = states[c];
        switch (entry.kind) {
          case model::ScenarioOverride::Kind::FixValue: state = {true, entry.value, 1, 0}; break;
          case model::ScenarioOverride::Kind::FixPercentile: state = {true, component_percentile(c, entry.value), 1, 0}; break;
          case model::ScenarioOverride::Kind::Affine:
            if (state.fixed) {
              state.value = entry.scale * state.value + entry.shift;
            } else {
              state.shift = entry.scale * state.shift + entry.shift;
              state.scale *= entry.scale;
            }
            break;
          case model::ScenarioOverride::Kind::Hazard: break;
        }
      }
    }
    static const auto affine = model::Expression::parse("x * scale + shift");
    for (std::size_t c = 0; c < states.size(); ++c) {
      const State& state = states[c];
      if (state.fixed) {
        // A constant marginal: the component's uniform is still drawn (same
        // dimensions, same trials) and an AR(1) series continues from the value.
        ComponentTransform& transform = plan_.transforms[c];
        transform.kind = ComponentTransform::Kind::Marginal;
        transform.marginal = model::Distribution::constant(state.value);
        plan_.planned_components[c] = state.value;
      } else if (state.scale != 1.0 || state.shift != 0.0) {
        auto program = affine.compile([&](const SymbolReference& reference) {
          if (reference.name == "x") return ResolvedSymbol{ResolvedSymbol::Kind::Column, 0, c};
          return ResolvedSymbol{ResolvedSymbol::Kind::Constant, reference.name == "scale" ? state.scale : state.shift, 0};
        });
        plan_.max_scratch_per_lane = std::max(plan_.max_scratch_per_lane, program.scratch_size(1));
        affine_programs_.push_back({std::move(program), c,
                                    fmt::format("scenario: {} x {:g} + {:g}", model_.components[c].label, state.scale, state.shift)});
      }
    }
  }

  void apply_hazard_overrides(std::size_t option, std::size_t event_index, std::size_t slot, std::vector<double>& hazard) const {
    const model::EventType& event = model_.events[event_index];
    for (const model::ScenarioOverride& entry : adjustments_.overrides) {
      if (entry.kind != model::ScenarioOverride::Kind::Hazard || entry.event != event_index) continue;
      if (entry.option && *entry.option != option) continue;
      if (!entry.slots.empty() && std::find(entry.slots.begin(), entry.slots.end(), slot) == entry.slots.end()) continue;
      for (std::size_t t = 0; t < plan_.year_count; ++t) {
        const bool named = entry.years.empty() ? event.at_risk[t] : std::find(entry.years.begin(), entry.years.end(), t) != entry.years.end();
        if (named) hazard[t] = entry.value;
      }
    }
  }

  // ---- expressions --------------------------------------------------------

  // Every name in every expression must exist, also where no option evaluates the
  // expression (an unused derived quantity, a savings item no option plans): a typo
  // must not wait for the day the expression is first used.
  void check_names() const {
    const auto check = [&](const LocatedExpression& located) {
      for (const SymbolReference& reference : located.expression.references()) {
        const std::string& name = reference.name;
        const bool is_derived = std::any_of(model_.derived.begin(), model_.derived.end(),
                                            [&](const model::DerivedQuantity& derived) { return derived.name == name; });
        if (name == "t" || model_.find_driver(name) || is_derived || model_.parameter_defaults.count(name)) continue;
        SourceLocation where = located.where;
        where.column += located.column_offset + static_cast<int>(reference.offset);
        throw ConfigError(where, "unknown name '" + name + "'; expected a driver, derived quantity or parameter (" + known_names() +
                                     "), or t in '" + located.expression.text() + "'");
      }
    };
    for (const auto& derived : model_.derived) check(derived.definition);
    for (const auto& item : model_.savings_items) {
      for (const auto& factor : item.factors) check(factor);
      if (item.delay_months) check(*item.delay_months);
    }
    for (const auto& item : model_.cost_items) {
      for (const auto* part : {&item.count, &item.unit_cost, &item.amount})
        if (*part) check(**part);
    }
    for (const auto& event : model_.events)
      if (event.cost) check(*event.cost);
  }

  static std::string describe(const InstanceContext& context, const model::Model& model) {
    std::string text;
    if (context.option) text += "option " + context.option->id;
    if (context.year) text += std::string(text.empty() ? "" : ", ") + "year " + model.years[*context.year] + " (t = " + std::to_string(*context.year) + ")";
    if (context.slot_set) text += std::string(text.empty() ? "" : ", ") + "slot " + context.slot_set->elements[context.slot];
    return text;
  }

  // The resolver: names of the model in one instance context.
  ResolvedSymbol resolve(const SymbolReference& reference, const InstanceContext& context) {
    const std::string& name = reference.name;
    const bool subscripted = reference.label || reference.index;
    if (auto local = context.locals.find(name); local != context.locals.end() && !subscripted) {
      return to_symbol(local->second);
    }
    if (name == "t" && !subscripted) {
      if (!context.year) throw ExpressionError("'t' (the year index) is only defined where an expression is evaluated per year", reference.offset);
      return {ResolvedSymbol::Kind::Constant, double(*context.year), 0};
    }
    if (const model::Driver* driver = model_.find_driver(name)) return resolve_driver(*driver, reference, context);
    for (const auto& derived : model_.derived) {
      if (derived.name != name) continue;
      if (subscripted) throw ExpressionError("'" + name + "' is a derived quantity and takes no subscript", reference.offset);
      return to_symbol(compile_derived(derived, context, reference.offset));
    }
    if (model_.parameter_defaults.count(name)) {
      if (subscripted) throw ExpressionError("'" + name + "' is a parameter and takes no subscript", reference.offset);
      if (!context.option) throw ExpressionError("parameter '" + name + "' is only defined for an option", reference.offset);
      return {ResolvedSymbol::Kind::Constant, context.option->parameters.at(name), 0};
    }
    throw ExpressionError("unknown name '" + name + "'; expected a driver, derived quantity or parameter (" + known_names() + "), or t", reference.offset);
  }

  ResolvedSymbol resolve_driver(const model::Driver& driver, const SymbolReference& reference, const InstanceContext& context) {
    const auto component = [&](std::size_t element) {
      return ResolvedSymbol{ResolvedSymbol::Kind::Column, 0, driver.first_component + element};
    };
    const auto element_named = [&](const std::string& label) -> std::optional<std::size_t> {
      const auto it = std::find(driver.elements.begin(), driver.elements.end(), label);
      if (it == driver.elements.end()) return std::nullopt;
      return std::size_t(it - driver.elements.begin());
    };
    const auto year_element = [&](double t) -> ResolvedSymbol {
      if (driver.index_set != "years") {
        throw ExpressionError("'" + driver.name + "' is indexed over " + *driver.index_set + ", not years: write " + driver.name + "[<element>]", reference.offset);
      }
      if (t < 0 || t != std::floor(t) || t >= double(model_.years.size())) {
        throw ExpressionError(fmt::format("year index {:g} is outside the model's years (t = 0 to {})", t, model_.years.size() - 1),
                              reference.offset);
      }
      const auto element = element_named(model_.years[std::size_t(t)]);
      if (!element) {
        throw ExpressionError("'" + driver.name + "' has no value for year " + model_.years[std::size_t(t)] + " (t = " +
                                  std::to_string(std::size_t(t)) + "); it is defined for " + join(driver.elements),
                              reference.offset);
      }
      return component(*element);
    };
    if (!driver.index_set) {
      if (reference.label || reference.index) throw ExpressionError("'" + driver.name + "' is a single driver and takes no subscript", reference.offset);
      return component(0);
    }
    if (reference.index) return year_element(*reference.index);
    if (!reference.label) {
      throw ExpressionError("'" + driver.name + "' is indexed over " + *driver.index_set + ": write " + driver.name + "[<element>]", reference.offset);
    }
    const std::string& label = *reference.label;
    if (const auto element = element_named(label)) return component(*element);
    if (label == "t") {
      if (!context.year) throw ExpressionError("'t' (the year index) is only defined where an expression is evaluated per year", reference.offset);
      return year_element(double(*context.year));
    }
    if (label == "slot" && context.slot_set) {
      if (driver.index_set != context.slot_set->name) {
        throw ExpressionError("'" + driver.name + "' is indexed over " + *driver.index_set + ", but the event's slots are " + context.slot_set->name, reference.offset);
      }
      return component(context.slot);
    }
    throw ExpressionError("'" + label + "' is not an element of " + driver.name + " (" + join(driver.elements) + ")", reference.offset);
  }

  static ResolvedSymbol to_symbol(const Operand& operand) {
    return operand.is_column ? ResolvedSymbol{ResolvedSymbol::Kind::Column, 0, operand.column}
                             : ResolvedSymbol{ResolvedSymbol::Kind::Constant, operand.value, 0};
  }

  Operand compile_derived(const model::DerivedQuantity& derived, const InstanceContext& context, std::size_t offset) {
    if (std::find(in_progress_.begin(), in_progress_.end(), derived.name) != in_progress_.end()) {
      throw ExpressionError("derived quantity '" + derived.name + "' depends on itself (" + join(in_progress_) + ")", offset);
    }
    in_progress_.push_back(derived.name);
    InstanceContext inner = context;
    inner.locals.clear();
    Operand result = compile_expression(derived.definition, inner, derived.name);
    in_progress_.pop_back();
    return result;
  }

  // Compiles one instance of an expression into a constant or a (shared) column.
  Operand compile_expression(const LocatedExpression& located, const InstanceContext& context, const std::string& label) {
    CompiledExpression program;
    try {
      program = located.expression.compile([&](const SymbolReference& reference) { return resolve(reference, context); });
    } catch (const ExpressionError& error) {
      SourceLocation where = located.where;
      where.column += located.column_offset + static_cast<int>(error.offset());
      const std::string instance = describe(context, model_);
      throw ConfigError(where, std::string(error.what()) + " in '" + located.expression.text() + "'" +
                                   (instance.empty() ? "" : " (for " + instance + ")"));
    }
    return add_program(std::move(program), label + (context.option ? " (" + describe(context, model_) + ")" : ""));
  }

  Operand add_program(CompiledExpression program, const std::string& label) {
    if (program.is_constant()) return {false, program.constant_value(), 0};
    plan_.max_scratch_per_lane = std::max(plan_.max_scratch_per_lane, program.scratch_size(1));
    // A program that only reads one column is that column: no copy.
    if (program.columns_used().size() == 1 && program.canonical_key() == identity_key(program.columns_used()[0])) {
      return {true, 0, program.columns_used()[0]};
    }
    const auto existing = column_of_key_.find(program.canonical_key());
    if (existing != column_of_key_.end()) return {true, 0, existing->second};
    const std::size_t column = plan_.column_count++;
    column_of_key_[program.canonical_key()] = column;
    plan_.programs.push_back({std::move(program), column, label});
    return {true, 0, column};
  }

  const std::string& identity_key(std::size_t column) {
    auto it = identity_keys_.find(column);
    if (it == identity_keys_.end()) {
      const auto program = identity_expression_.compile([column](const SymbolReference&) {
        return ResolvedSymbol{ResolvedSymbol::Kind::Column, 0, column};
      });
      it = identity_keys_.emplace(column, program.canonical_key()).first;
    }
    return it->second;
  }

  // ---- savings, costs, events ------------------------------------------

  // Which savings term starts its (option, year) row and which exposure starts its option's retention and
  // cost rows (the trial loop writes their first values instead of filling the rows first), and the rows
  // and options that nothing starts.
  void mark_row_starts() {
    std::vector<bool> has_savings(plan_.option_count * plan_.year_count, false);
    for (ProductTerm& term : plan_.savings_terms) {
      const std::size_t row = term.option * plan_.year_count + term.year;
      term.starts_row = !has_savings[row];
      has_savings[row] = true;
    }
    for (std::size_t row = 0; row < has_savings.size(); ++row)
      if (!has_savings[row]) plan_.rows_without_savings.push_back(row);
    std::vector<bool> has_events(plan_.option_count, false);
    for (EventSlotExposure& exposure : plan_.event_exposures) {
      exposure.starts_option = !has_events[exposure.option];
      has_events[exposure.option] = true;
    }
    for (std::size_t o = 0; o < plan_.option_count; ++o)
      if (!has_events[o]) plan_.options_without_events.push_back(o);
  }

  void add_term(std::vector<ProductTerm>& terms, std::size_t option, std::size_t year, double coefficient,
                const std::vector<Operand>& factors) {
    ProductTerm term{option, year, coefficient, std::uint32_t(plan_.factor_columns.size()), 0};
    for (const Operand& factor : factors) {
      if (factor.is_column) {
        plan_.factor_columns.push_back(std::uint32_t(factor.column));
        ++term.factor_count;
      } else {
        term.coefficient *= factor.value;
      }
    }
    if (term.coefficient != 0.0) terms.push_back(term);
  }

  void compile_savings(std::size_t o) {
    const model::Option& option = model_.options[o];
    for (std::size_t t = 0; t < plan_.year_count; ++t) {
      for (std::size_t i = 0; i < model_.savings_items.size(); ++i) {
        const double planned = option.planned_savings[i][t];
        if (planned == 0.0) continue;
        const model::SavingsItem& item = model_.savings_items[i];
        InstanceContext context{&option, t, nullptr, 0, {}};
        std::vector<Operand> factors;
        for (const auto& factor : item.factors) factors.push_back(compile_expression(factor, context, item.name + " factor"));
        if (item.delay_months || adjustments_.extra_delay_months > 0) {
          factors.push_back(compile_availability(item, option.planned_savings[i], t, context));
        }
        add_term(plan_.savings_terms, o, t, planned, factors);
      }
    }
  }

  // The share of year t for which an item that starts in year s is running,
  // when its start slips by a delay in months: clamp((12 (t - s + 1) - delay) / 12, 0, 1).
  Operand compile_availability(const model::SavingsItem& item, const std::vector<double>& planned, std::size_t t, InstanceContext context) {
    std::size_t start = 0;
    while (planned[start] == 0.0) ++start;
    const Operand delay = item.delay_months ? compile_expression(*item.delay_months, context, item.name + " delay") : Operand{};
    // An extra delay (optimism bias) shortens the months running rather than
    // touching the delay expression, so the delay's own column is shared.
    const double months_running = 12.0 * double(t - start + 1) - adjustments_.extra_delay_months;
    if (!delay.is_column) return {false, std::clamp((months_running - delay.value) / 12.0, 0.0, 1.0), 0};
    // Running the whole year even at the longest delay the column can hold: 1 in every trial and in the
    // planned case, a constant (the subtraction and the division round monotonically, so a shorter delay
    // cannot give less). R1: 11 availability columns instead of 14, each a division per trial.
    if (const auto longest = largest_draw(delay.column); longest && std::clamp((months_running - *longest) / 12.0, 0.0, 1.0) == 1.0) {
      return {false, 1.0, 0};
    }
    static const auto availability = model::Expression::parse("clamp((running - delay) / 12, 0, 1)");
    const auto program = availability.compile([&](const SymbolReference& reference) {
      return reference.name == "running" ? ResolvedSymbol{ResolvedSymbol::Kind::Constant, months_running, 0} : to_symbol(delay);
    });
    return add_program(program, item.name + " availability (" + describe(context, model_) + ")");
  }

  // The largest value a component's column can hold, where it is known: the top of its marginal's
  // support (every family's quantile and normal-score forms stay at or below it) or the planned value
  // (which evaluate_planned() writes there, and need not be in the support), for a component no scenario
  // shifts or scales. Columns of derived expressions and AR(1) series: unknown.
  std::optional<double> largest_draw(std::size_t column) const {
    if (column >= plan_.component_count) return std::nullopt;
    const ComponentTransform& transform = plan_.transforms[column];
    if (transform.kind != ComponentTransform::Kind::Marginal) return std::nullopt;
    for (const ColumnProgram& adjustment : affine_programs_) {
      if (adjustment.output_column == column) return std::nullopt;
    }
    const double largest = std::max(transform.marginal.max(), plan_.planned_components[column]);
    if (!std::isfinite(largest)) return std::nullopt;
    return largest;
  }

  void compile_costs(std::size_t o) {
    const model::Option& option = model_.options[o];
    for (std::size_t j = 0; j < model_.cost_items.size(); ++j) {
      const model::CostItem& item = model_.cost_items[j];
      InstanceContext context{&option, std::nullopt, nullptr, 0, {}};
      std::vector<Operand> factors{Operand{false, adjustments_.cost_multiplier, 0}};
      if (item.amount) {
        factors.push_back(compile_expression(*item.amount, context, item.name + " amount"));
      } else {
        factors.push_back(compile_expression(*item.count, context, item.name + " count"));
        factors.push_back(compile_expression(*item.unit_cost, context, item.name + " unit cost"));
      }
      for (std::size_t t = 0; t < plan_.year_count; ++t) {
        const double share = option.cost_phasing[j][t];
        if (share != 0.0) add_term(plan_.cost_terms, o, t, share, factors);
      }
    }
  }

  void compile_events(std::size_t o) {
    const model::Option& option = model_.options[o];
    for (const auto& exposure : option.events) {
      const model::EventType& event = model_.events[exposure.event];
      const model::IndexSet* slots = model_.find_set(event.slot_set);
      for (std::size_t slot : exposure.slots) {
        EventSlotExposure plan_exposure;
        plan_exposure.option = o;
        plan_exposure.first_dimension = event.first_dimension + slot * plan_.year_count;
        plan_exposure.recurs = event.recurs;
        plan_exposure.retention_after = 1.0 - exposure.loss_fraction;
        for (std::size_t t = 0; t < plan_.year_count; ++t) plan_exposure.hazard.push_back(event.at_risk[t] ? exposure.hazard[t] : 0.0);
        apply_hazard_overrides(o, exposure.event, slot, plan_exposure.hazard);
        if (event.cost) {
          InstanceContext context{&option, std::nullopt, slots, slot, {}};
          const Operand cost = compile_expression(*event.cost, context, event.name + " cost");
          plan_exposure.cost_is_column = cost.is_column;
          plan_exposure.cost_constant = cost.value;
          plan_exposure.cost_column = cost.column;
        }
        plan_.event_exposures.push_back(std::move(plan_exposure));
      }
    }
  }

  std::string known_names() const {
    std::vector<std::string> names;
    for (const auto& driver : model_.drivers) names.push_back(driver.name);
    for (const auto& derived : model_.derived) names.push_back(derived.name);
    for (const auto& [name, value] : model_.parameter_defaults) names.push_back(name);
    return join(names);
  }

  static std::string join(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& word : words) text += (text.empty() ? "" : ", ") + word;
    return text;
  }

  const model::Model& model_;
  const PlanAdjustments adjustments_;
  EvaluationPlan plan_;
  std::map<std::string, std::size_t> column_of_key_;
  std::map<std::size_t, std::string> identity_keys_;
  model::Expression identity_expression_ = model::Expression::parse("x");
  std::vector<std::string> in_progress_;
  std::vector<ColumnProgram> affine_programs_;  // scenario shifts and scales, run first
};

}  // namespace

EvaluationPlan EvaluationPlan::compile(const model::Model& model, const PlanAdjustments& adjustments) {
  return PlanCompiler(model, adjustments).compile();
}

}  // namespace mcrisk::simulation
