#include "mcrisk/util/byte_codec.h"
#include "mcrisk/config/model_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <set>
#include <sstream>

#include "mcrisk/model/correlation.h"
#include "yaml_map.h"

namespace mcrisk::config {

using model::Distribution;
using model::DistributionError;
using model::Driver;
using model::LocatedExpression;
using model::Model;

namespace {

constexpr int kConfigLanguageVersion = 1;
// The most trials a config may ask for (a run of 10^10 R1 trials would take days).
constexpr std::uint64_t kMaxTrials = 10'000'000'000ULL;

bool is_identifier(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string join(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) text += (text.empty() ? "" : ", ") + word;
  return text;
}

// Everything the loader needs to know while it reads one file.
class Loader {
 public:
  Loader(const std::string& text, std::string file) : file_(std::move(file)), text_(text) {
    // Size, anchors/aliases, nesting depth and syntax are checked here (yaml_map.cpp).
    root_ = parse_config_yaml(text, file_);
    model_.source_file = file_;
    model_.config_sha256 = util::sha256_hex(text);
  }

  //! An overlay file: only `scenarios:` (and `mcrisk:`), added to a model already loaded.
  Model load_overlay(Model base) {
    if (!root_.IsDefined() || root_.IsNull()) throw ConfigError({file_, 1, 1, ""}, "the scenarios file is empty");
    model_ = std::move(base);
    YamlMap top(root_, file_, "", "a scenarios file (scenarios: name: {description, overrides})");
    if (const auto version = top.optional_number("mcrisk")) {
      if (*version != kConfigLanguageVersion) {
        throw ConfigError(top.location("mcrisk"), "this mcrisk reads config language version 1; got " + top.text("mcrisk"));
      }
    }
    top.required("scenarios");
    read_scenarios(top);
    top.reject_unknown_keys({"mcrisk", "scenarios"});
    return std::move(model_);
  }

  Model load() {
    if (!root_.IsDefined() || root_.IsNull()) throw ConfigError({file_, 1, 1, ""}, "the config file is empty");
    YamlMap top(root_, file_, "", "the model config");
    if (const auto version = top.optional_number("mcrisk")) {
      if (*version != kConfigLanguageVersion) {
        throw ConfigError(top.location("mcrisk"), "this mcrisk reads config language version 1; got " +
                                                      top.text("mcrisk"));
      }
    }
    read_model_section(top);
    read_run_section(top);
    read_sets(top);
    read_parameters(top);
    read_drivers(top);
    read_correlations(top);
    read_derived(top);
    read_savings_items(top);
    read_cost_items(top);
    read_events(top);
    read_options(top);
    read_optimism_bias(top);
    read_targets(top);
    read_scenarios(top);
    top.reject_unknown_keys({"mcrisk", "model", "run", "sets", "parameters", "drivers", "correlations", "derived",
                             "savings_items", "cost_items", "events", "options", "optimism_bias", "targets", "scenarios"});
    check_names_are_unique();
    return std::move(model_);
  }

 private:
  void read_model_section(YamlMap& top) {
    YamlMap section(top.required("model"), file_, "model", "name, years, discount_rate...");
    model_.name = section.text("name");
    model_.description = section.optional_text("description");
    model_.currency = section.optional_text("currency", "GBP");
    const YAML::Node years = section.required("years");
    model_.years = read_texts(years, file_, "model.years");
    if (model_.years.empty()) throw ConfigError(section.location("years"), "expected at least one year label");
    ensure_distinct(model_.years, years, "model.years", "year label");
    model_.discount_rate = section.number("discount_rate");
    if (model_.discount_rate <= -1.0) {
      throw ConfigError(section.location("discount_rate"), "expected a discount rate above -1 (e.g. 0.035 for 3.5%)");
    }
    const std::string repair = section.optional_text("correlation_repair", "none");
    if (repair != "none" && repair != "nearest") {
      throw ConfigError(section.location("correlation_repair"), "expected 'none' or 'nearest', got '" + repair + "'");
    }
    model_.repair_correlations = repair == "nearest";
    read_green_book(section);
    section.reject_unknown_keys({"name", "description", "currency", "years", "discount_rate", "correlation_repair", "green_book"});
  }

  // The Green Book schedule (HM Treasury's by default) and its base year.
  void read_green_book(YamlMap& section) {
    model_.green_book = model::DiscountSchedule::green_book(0);
    const YAML::Node node = section.optional("green_book");
    if (!node.IsDefined()) return;
    YamlMap spec(node, file_, section.child_path("green_book"), "base_year and an optional schedule");
    if (spec.has("base_year")) model_.green_book.base_year = year_of(spec.required("base_year"), spec.child_path("base_year"));
    if (spec.has("schedule")) {
      const YAML::Node bands = spec.required("schedule");
      if (!bands.IsSequence() || bands.size() == 0) {
        throw ConfigError(spec.location("schedule"), "expected a list of {from: years after the base year, rate: r}, the first from 0");
      }
      model_.green_book.bands.clear();
      for (std::size_t i = 0; i < bands.size(); ++i) {
        YamlMap band(bands[i], file_, spec.child_path("schedule") + "[" + std::to_string(i) + "]", "{from, rate}");
        const double from = band.number("from");
        const double rate = band.number("rate");
        if (from < 0 || from != std::floor(from)) throw ConfigError(band.location("from"), "expected a whole number of years >= 0");
        if (i == 0 && from != 0) throw ConfigError(band.location("from"), "the first band must start at year 0");
        if (i > 0 && from <= double(model_.green_book.bands.back().from_year)) {
          throw ConfigError(band.location("from"), "bands must start in increasing years");
        }
        if (rate <= -1) throw ConfigError(band.location("rate"), "expected a discount rate above -1 (e.g. 0.035 for 3.5%)");
        band.reject_unknown_keys({"from", "rate"});
        model_.green_book.bands.push_back({std::size_t(from), rate});
      }
    }
    spec.reject_unknown_keys({"base_year", "schedule"});
  }

  std::size_t year_of(const YAML::Node& node, const std::string& path) {
    const std::string label = read_text(node, file_, path);
    const auto t = model_.year_index(label);
    if (!t) throw ConfigError(location_of(node, file_, path), "'" + label + "' is not one of the model's years (" + join(model_.years) + ")");
    return *t;
  }

  void read_optimism_bias(YamlMap& top) {
    const YAML::Node node = top.optional("optimism_bias");
    if (!node.IsDefined()) return;
    YamlMap spec(node, file_, "optimism_bias", "cost_uplift, benefit_delay_months, mitigation, rationale");
    model::OptimismBias bias;
    bias.where = spec.location();
    bias.cost_uplift = spec.optional_number("cost_uplift").value_or(0.0);
    bias.benefit_delay_months = spec.optional_number("benefit_delay_months").value_or(0.0);
    bias.mitigation = spec.optional_number("mitigation").value_or(0.0);
    bias.rationale = spec.optional_text("rationale");
    if (bias.cost_uplift < 0) throw ConfigError(spec.location("cost_uplift"), "expected a cost uplift >= 0 (e.g. 0.24 for +24%)");
    if (bias.benefit_delay_months < 0) throw ConfigError(spec.location("benefit_delay_months"), "expected a delay >= 0 months");
    if (bias.mitigation < 0 || bias.mitigation > 1) throw ConfigError(spec.location("mitigation"), "expected a mitigation factor between 0 and 1");
    if (bias.cost_uplift == 0 && bias.benefit_delay_months == 0) {
      throw ConfigError(spec.location(), "give cost_uplift and/or benefit_delay_months (an optimism bias of nothing adjusts nothing)");
    }
    spec.reject_unknown_keys({"cost_uplift", "benefit_delay_months", "mitigation", "rationale"});
    model_.optimism_bias = bias;
  }

  void read_targets(YamlMap& top) {
    const YAML::Node node = top.optional("targets");
    if (!node.IsDefined()) return;
    YamlMap targets(node, file_, "targets", "target name: {measure, year, at_least}");
    for (const auto& name : targets.keys()) {
      YamlMap spec(targets.required(name), file_, targets.child_path(name), "description, measure, year, at_least");
      model::Target target;
      target.name = name;
      target.where = spec.location();
      target.description = spec.optional_text("description");
      const std::string measure = spec.optional_text("measure", "total_net");
      if (measure == "total_net") target.measure = model::Target::Measure::TotalNet;
      else if (measure == "npv") target.measure = model::Target::Measure::Npv;
      else if (measure == "net") target.measure = model::Target::Measure::NetInYear;
      else if (measure == "gross") target.measure = model::Target::Measure::GrossInYear;
      else throw ConfigError(spec.location("measure"), "expected total_net, npv, net (in a year) or gross (savings in a year), got '" + measure + "'");
      const bool by_year = target.measure == model::Target::Measure::NetInYear || target.measure == model::Target::Measure::GrossInYear;
      if (by_year != spec.has("year")) {
        throw ConfigError(by_year ? spec.location() : spec.location("year"),
                          by_year ? "a target on " + measure + " needs the year it applies to ('year')"
                                  : "'year' only applies to targets on net or gross savings in a year");
      }
      if (by_year) target.year = year_of(spec.required("year"), spec.child_path("year"));
      const YAML::Node threshold = spec.required("at_least");
      if (threshold.IsScalar() && threshold.Scalar() == "planned") {
        target.at_least_planned = true;
      } else {
        target.at_least = read_number(threshold, file_, spec.child_path("at_least"));
      }
      spec.reject_unknown_keys({"description", "measure", "year", "at_least"});
      model_.targets.push_back(std::move(target));
    }
  }

  void read_run_section(YamlMap& top) {
    const YAML::Node node = top.optional("run");
    if (!node.IsDefined()) return;
    YamlMap section(node, file_, "run", "trials, seed");
    if (const YAML::Node trials = section.optional("trials"); trials.IsDefined()) {
      model_.run.trials = static_cast<std::size_t>(read_whole_number(
          trials, file_, section.child_path("trials"), "trials", 1, kMaxTrials, ">= 1 and at most the cap of 10^10 (10,000,000,000)"));
    }
    if (section.has("seed")) {
      const std::string text = section.text("seed");
      try {
        // stoull would accept "-1" (as 2^64-1) and leading blanks or '+'.
        if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
          throw std::invalid_argument(text);
        }
        std::size_t used = 0;
        model_.run.seed = std::stoull(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
      } catch (const std::exception&) {
        throw ConfigError(section.location("seed"), "expected a whole number seed (0 to 2^64-1), got '" + text + "'");
      }
    }
    section.reject_unknown_keys({"trials", "seed"});
  }

  void read_sets(YamlMap& top) {
    const YAML::Node node = top.optional("sets");
    if (!node.IsDefined()) return;
    YamlMap sets(node, file_, "sets", "set name: [elements]");
    for (const auto& name : sets.keys()) {
      const std::string path = sets.child_path(name);
      require_identifier(name, key_location(node, name, path), "set name");
      if (name == "years") throw ConfigError(key_location(node, name, path), "'years' is built in (the model's years); choose another set name");
      const YAML::Node elements = sets.required(name);
      model::IndexSet set{name, read_texts(elements, file_, path), location_of(elements, file_, path)};
      if (set.elements.empty()) throw ConfigError(set.where, "expected at least one element");
      ensure_distinct(set.elements, elements, path, "element");
      model_.sets.push_back(std::move(set));
    }
  }

  void read_parameters(YamlMap& top) {
    const YAML::Node node = top.optional("parameters");
    if (!node.IsDefined()) return;
    YamlMap parameters(node, file_, "parameters", "parameter name: default value");
    for (const auto& name : parameters.keys()) {
      parameter_where_[name] = key_location(node, name, parameters.child_path(name));
      require_identifier(name, parameter_where_[name], "parameter name", Namespace::Expressions);
      model_.parameter_defaults[name] = parameters.number(name);
    }
  }

  // ---- drivers ----------------------------------------------------------

  Distribution read_distribution(const YAML::Node& node, const std::string& path, const std::string& default_type) {
    YamlMap spec(node, file_, path, "a distribution: type and its parameters");
    std::string type = spec.has("type") ? spec.text("type") : default_type;
    if (type.empty()) throw ConfigError(spec.location(), "missing required key 'type'");
    spec.optional("type");
    try {
      Distribution result = build_distribution(spec, type);
      return result;
    } catch (const DistributionError& error) {
      throw ConfigError(spec.location(), error.what());
    }
  }

  // Two percentile keys such as p10 and p90, for risk managers who think in ranges.
  std::vector<std::pair<double, double>> read_percentile_keys(YamlMap& spec, std::vector<std::string>& keys_read) {
    std::vector<std::pair<double, double>> points;
    for (const auto& key : spec.keys()) {
      // p<number> only: "p." or "p1.2.3" are left to the unknown-key check (std::stod threw on "p.").
      if (key.size() < 2 || (key[0] != 'p' && key[0] != 'P') || !std::isdigit(static_cast<unsigned char>(key[1]))) continue;
      char* end = nullptr;
      const double level = std::strtod(key.c_str() + 1, &end);
      if (end == key.c_str() + key.size()) {
        if (level <= 0 || level >= 100) throw ConfigError(spec.location(key), "a percentile key must be between p0 and p100 (exclusive)");
        points.emplace_back(level / 100.0, spec.number(key));
        keys_read.push_back(key);
      }
    }
    std::sort(points.begin(), points.end());
    return points;
  }

  Distribution build_distribution(YamlMap& spec, const std::string& type) {
    auto finish = [&](Distribution d, std::vector<std::string> allowed) {
      allowed.push_back("type");
      spec.reject_unknown_keys(allowed);
      return d;
    };
    if (type == "constant") return finish(Distribution::constant(spec.number("value")), {"value"});
    if (type == "normal" || type == "lognormal") {
      std::vector<std::string> percentile_keys;
      const auto points = read_percentile_keys(spec, percentile_keys);
      if (!points.empty()) {
        if (points.size() != 2) {
          throw ConfigError(spec.location(), "give exactly two percentiles (e.g. p10 and p90), got " + std::to_string(points.size()));
        }
        const auto d = type == "normal"
                           ? Distribution::normal_from_percentiles(points[0].first, points[0].second, points[1].first, points[1].second)
                           : Distribution::lognormal_from_percentiles(points[0].first, points[0].second, points[1].first, points[1].second);
        return finish(d, percentile_keys);
      }
      if (type == "normal") return finish(Distribution::normal(spec.number("mean"), spec.number("sd")), {"mean", "sd", "p10", "p90"});
      if (spec.has("median")) {
        return finish(Distribution::lognormal_median(spec.number("median"), spec.number("sigma")), {"median", "sigma"});
      }
      if (spec.has("mean")) return finish(Distribution::lognormal_mean_sd(spec.number("mean"), spec.number("sd")), {"mean", "sd"});
      throw ConfigError(spec.location(), "a lognormal needs median and sigma, or mean and sd, or two percentiles such as p10 and p90");
    }
    if (type == "uniform") return finish(Distribution::uniform(spec.number("min"), spec.number("max")), {"min", "max"});
    if (type == "triangular") {
      return finish(Distribution::triangular(spec.number("min"), spec.number("mode"), spec.number("max")), {"min", "mode", "max"});
    }
    if (type == "pert") {
      const double lambda = spec.optional_number("lambda").value_or(4.0);
      return finish(Distribution::pert(spec.number("min"), spec.number("mode"), spec.number("max"), lambda),
                    {"min", "mode", "max", "lambda"});
    }
    if (type == "beta") {
      const double lo = spec.optional_number("min").value_or(0.0);
      const double hi = spec.optional_number("max").value_or(1.0);
      return finish(Distribution::beta(spec.number("alpha"), spec.number("beta"), lo, hi), {"alpha", "beta", "min", "max"});
    }
    if (type == "bernoulli") return finish(Distribution::bernoulli(spec.number("p")), {"p"});
    if (type == "discrete") {
      auto values = read_numbers(spec.required("values"), file_, spec.child_path("values"));
      auto probabilities = read_numbers(spec.required("probabilities"), file_, spec.child_path("probabilities"));
      return finish(Distribution::discrete(std::move(values), std::move(probabilities)), {"values", "probabilities"});
    }
    throw ConfigError(spec.location("type"), "unknown distribution type '" + type +
                                                 "'; expected one of: constant, normal, lognormal, uniform, triangular, "
                                                 "pert, beta, bernoulli, discrete, ar1 (for a driver over years or a set)");
  }

  void read_drivers(YamlMap& top) {
    const YAML::Node drivers_node = top.required("drivers");
    YamlMap drivers(drivers_node, file_, "drivers", "driver name: its definition");
    if (drivers.keys().empty()) {
      throw ConfigError(drivers.location(), "expected at least one driver; a model with no uncertain inputs has nothing to simulate");
    }
    for (const auto& name : drivers.keys()) {
      Driver driver;
      driver.name = name;
      driver.where = key_location(drivers_node, name, drivers.child_path(name));
      require_identifier(name, driver.where, "driver name", Namespace::Expressions);
      YamlMap spec(drivers.required(name), file_, drivers.child_path(name), "a driver: distribution, planned...");
      driver.rationale = spec.optional_text("rationale");
      driver.elements = {""};
      if (spec.has("over")) {
        const std::string set_name = spec.text("over");
        driver.index_set = set_name;
        if (set_name == "years") {
          driver.elements = model_.years;
          if (spec.has("years")) {
            driver.elements = read_texts(spec.required("years"), file_, spec.child_path("years"));
            for (std::size_t i = 0; i < driver.elements.size(); ++i) {
              if (!model_.year_index(driver.elements[i])) {
                throw ConfigError(item_location(spec.required("years"), i, spec.child_path("years")),
                                  "'" + driver.elements[i] + "' is not one of the model's years (" + join(model_.years) + ")");
              }
            }
            if (driver.elements.empty()) throw ConfigError(spec.location("years"), "expected at least one year label");
            ensure_distinct(driver.elements, spec.required("years"), spec.child_path("years"), "year");
          }
        } else {
          const model::IndexSet* set = model_.find_set(set_name);
          if (!set) {
            throw ConfigError(spec.location("over"), "unknown set '" + set_name + "'; expected 'years' or a set under 'sets' (" +
                                                         set_names() + ")");
          }
          driver.elements = set->elements;
        }
      }
      if (spec.has("years") && driver.index_set != "years") {
        throw ConfigError(key_location(drivers.required(name), "years", spec.child_path("years")),
                          "'years' applies only to a driver over years ('over: years')");
      }
      const std::size_t count = driver.elements.size();
      // The distribution: one for all components, with per-element overrides.
      std::vector<std::optional<Distribution>> per_element(count);
      std::string default_type;
      if (spec.has("distribution")) {
        const YAML::Node node = spec.required("distribution");
        YamlMap peek(node, file_, spec.child_path("distribution"), "a distribution: type and its parameters");
        default_type = peek.has("type") ? peek.text("type") : "";
        if (default_type == "ar1") {
          if (!driver.index_set) {
            throw ConfigError(peek.location("type"), "an ar1 series needs a driver over years or a set ('over:')");
          }
          driver.law = model::DriverLaw::Ar1;
          driver.ar1.mean = peek.number("mean");
          driver.ar1.sd = peek.number("sd");
          driver.ar1.rho = peek.number("rho");
          if (driver.ar1.sd <= 0) throw ConfigError(peek.location("sd"), "expected sd > 0");
          if (driver.ar1.rho <= -1 || driver.ar1.rho >= 1) throw ConfigError(peek.location("rho"), "expected -1 < rho < 1 (a stationary series)");
          peek.reject_unknown_keys({"type", "mean", "sd", "rho"});
        } else {
          const Distribution shared = read_distribution(node, spec.child_path("distribution"), "");
          for (auto& slot : per_element) slot = shared;
        }
      }
      if (spec.has("elements")) {
        if (!driver.index_set) throw ConfigError(spec.location("elements"), "'elements' needs a driver over a set ('over:')");
        if (driver.law == model::DriverLaw::Ar1) throw ConfigError(spec.location("elements"), "an ar1 series takes no per-element distributions");
        const YAML::Node elements_node = spec.required("elements");
        YamlMap elements(elements_node, file_, spec.child_path("elements"), "element: distribution");
        for (const auto& label : elements.keys()) {
          const auto position = std::find(driver.elements.begin(), driver.elements.end(), label);
          if (position == driver.elements.end()) {
            throw ConfigError(key_location(elements_node, label, elements.child_path(label)), "'" + label + "' is not an element of " + *driver.index_set + " (" +
                                                            join(driver.elements) + ")");
          }
          per_element[std::size_t(position - driver.elements.begin())] =
              read_distribution(elements.required(label), elements.child_path(label), default_type);
        }
      }
      if (driver.law == model::DriverLaw::Marginal) {
        if (!spec.has("distribution") && !spec.has("elements")) {
          throw ConfigError(spec.location(), "missing required key 'distribution' (or 'elements' for a driver over a set)");
        }
        for (std::size_t i = 0; i < count; ++i) {
          if (!per_element[i]) {
            throw ConfigError(spec.location("elements"), "no distribution for element '" + driver.elements[i] +
                                                             "': give 'distribution' for all elements or list it under 'elements'");
          }
          driver.marginals.push_back(*per_element[i]);
        }
      }
      driver.planned = read_planned(spec, driver);
      spec.reject_unknown_keys({"over", "years", "distribution", "elements", "planned", "rationale"});
      driver.first_component = model_.components.size();
      for (std::size_t i = 0; i < count; ++i) {
        model_.components.push_back({model_.drivers.size(), i, driver.elements[i].empty() ? name : name + "[" + driver.elements[i] + "]"});
      }
      model_.drivers.push_back(std::move(driver));
    }
  }

  // The business case's figure for each component: a number for all, or one per element.
  std::vector<double> read_planned(YamlMap& spec, const Driver& driver) {
    const YAML::Node node = spec.required("planned");
    const std::string path = spec.child_path("planned");
    if (node.IsScalar()) return std::vector<double>(driver.elements.size(), read_number(node, file_, path));
    if (!driver.index_set) throw ConfigError(location_of(node, file_, path), "expected a number (the figure the business case assumed)");
    YamlMap by_element(node, file_, path, "element: planned value");
    std::vector<double> planned;
    for (const auto& label : driver.elements) {
      if (!by_element.has(label)) throw ConfigError(by_element.location(), "no planned value for element '" + label + "'");
      planned.push_back(by_element.number(label));
    }
    by_element.reject_unknown_keys(driver.elements);
    return planned;
  }

  // ---- correlations -----------------------------------------------------

  // "grant_cut", "realisation[education]", "demand_pressure[2011/12]" -> component indices.
  std::vector<std::size_t> components_named(const std::string& reference, const SourceLocation& where) {
    std::string name = reference, label;
    const auto open = reference.find('[');
    if (open != std::string::npos) {
      if (reference.back() != ']') throw ConfigError(where, "expected driver or driver[element], got '" + reference + "'");
      name = reference.substr(0, open);
      label = reference.substr(open + 1, reference.size() - open - 2);
    }
    const Driver* driver = model_.find_driver(name);
    if (!driver) throw ConfigError(where, "unknown driver '" + name + "'; drivers are: " + driver_names());
    if (open == std::string::npos) {
      std::vector<std::size_t> all(driver->elements.size());
      for (std::size_t i = 0; i < all.size(); ++i) all[i] = driver->first_component + i;
      return all;
    }
    const auto position = std::find(driver->elements.begin(), driver->elements.end(), label);
    if (position == driver->elements.end()) {
      throw ConfigError(where, "'" + label + "' is not an element of " + name + " (" + join(driver->elements) + ")");
    }
    return {driver->first_component + std::size_t(position - driver->elements.begin())};
  }

  void add_correlation(std::size_t a, std::size_t b, double rho, const SourceLocation& where,
                       std::map<std::pair<std::size_t, std::size_t>, double>& seen) {
    if (a == b) throw ConfigError(where, "a driver component cannot be correlated with itself (" + model_.components[a].label + ")");
    const auto key = std::minmax(a, b);
    const auto it = seen.find(key);
    if (it != seen.end() && it->second != rho) {
      throw ConfigError(where, "the correlation of " + model_.components[a].label + " and " + model_.components[b].label +
                                   " is given twice with different values");
    }
    if (it != seen.end()) return;
    seen[key] = rho;
    model_.correlations.push_back({key.first, key.second, rho, where});
  }

  void read_correlations(YamlMap& top) {
    const YAML::Node node = top.optional("correlations");
    if (!node.IsDefined()) return;
    if (!node.IsSequence()) throw ConfigError(location_of(node, file_, "correlations"), "expected a list of {among: driver, rho} or {between: [a, b], rho}");
    std::map<std::pair<std::size_t, std::size_t>, double> seen;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string path = "correlations[" + std::to_string(i) + "]";
      YamlMap entry(node[i], file_, path, "{among: driver, rho} or {between: [a, b], rho}");
      const double rho = entry.number("rho");
      if (rho < -1 || rho > 1) throw ConfigError(entry.location("rho"), "expected a correlation between -1 and 1");
      if (entry.has("among") == entry.has("between")) {
        throw ConfigError(entry.location(), "give exactly one of 'among' (all pairs of a driver's components) or 'between' (two components)");
      }
      if (entry.has("among")) {
        const auto components = components_named(entry.text("among"), entry.location("among"));
        if (components.size() < 2) throw ConfigError(entry.location("among"), "'among' needs a driver with two or more components");
        for (std::size_t a = 0; a < components.size(); ++a)
          for (std::size_t b = a + 1; b < components.size(); ++b) add_correlation(components[a], components[b], rho, entry.location("among"), seen);
      } else {
        const YAML::Node between = entry.required("between");
        const auto pair = read_texts(between, file_, entry.child_path("between"));
        if (pair.size() != 2) throw ConfigError(entry.location("between"), "expected two driver components, e.g. [grant_cut, \"demand_pressure[2011/12]\"]");
        const auto first = components_named(pair[0], item_location(between, 0, entry.child_path("between")));
        const auto second = components_named(pair[1], item_location(between, 1, entry.child_path("between")));
        if (first.size() != 1 || second.size() != 1) {
          throw ConfigError(entry.location("between"), "'between' takes single components; write driver[element] for a driver over a set");
        }
        add_correlation(first[0], second[0], rho, entry.location("between"), seen);
      }
      entry.reject_unknown_keys({"among", "between", "rho"});
    }
  }

  // ---- expressions ------------------------------------------------------

  LocatedExpression read_expression(const YAML::Node& node, const std::string& path) {
    std::string text = read_text(node, file_, path);
    LocatedExpression located;
    located.where = location_of(node, file_, path);
    // yaml-cpp tags quoted scalars "!" and plain ones "?": a quote shifts the text one column.
    located.column_offset = node.Tag() == "!" ? 1 : 0;
    if (place_block_scalar(node, located)) {
      // A block scalar keeps its leading blank lines and its final line break.
      text.erase(0, text.find_first_not_of("\r\n"));
      text.erase(text.find_last_not_of(" \t\r\n") + 1);
    }
    try {
      located.expression = model::Expression::parse(text);
    } catch (const model::ExpressionError& error) {
      SourceLocation where = located.where;
      where.column += located.column_offset + static_cast<int>(error.offset());
      throw ConfigError(where, std::string(error.what()) + " in '" + text + "'");
    }
    return located;
  }

  // A block scalar (| or >) is marked at its indicator; its text starts on a later
  // line, at the block's indentation. (Columns beyond the first line of a
  // multi-line expression remain approximate.)
  bool place_block_scalar(const YAML::Node& node, LocatedExpression& located) const {
    const YAML::Mark mark = node.Mark();
    if (mark.pos < 0 || std::size_t(mark.pos) >= text_.size() || (text_[std::size_t(mark.pos)] != '|' && text_[std::size_t(mark.pos)] != '>')) return false;
    int line = mark.line + 1;
    for (std::size_t end = text_.find('\n', std::size_t(mark.pos)); end != std::string::npos; end = text_.find('\n', end + 1)) {
      ++line;
      const std::size_t first = text_.find_first_not_of(' ', end + 1);
      if (first == std::string::npos) break;
      if (text_[first] != '\n' && text_[first] != '\r') {
        located.where.line = line;
        located.where.column = static_cast<int>(first - end);
        located.column_offset = 0;
        break;
      }
    }
    return true;
  }

  void read_derived(YamlMap& top) {
    const YAML::Node node = top.optional("derived");
    if (!node.IsDefined()) return;
    YamlMap derived(node, file_, "derived", "name: expression");
    for (const auto& name : derived.keys()) {
      derived_where_[name] = key_location(node, name, derived.child_path(name));
      require_identifier(name, derived_where_[name], "derived quantity name", Namespace::Expressions);
      model_.derived.push_back({name, read_expression(derived.required(name), derived.child_path(name)), ""});
    }
  }

  void read_savings_items(YamlMap& top) {
    const YAML::Node items_node = top.required("savings_items");
    YamlMap items(items_node, file_, "savings_items", "item name: {factors, delay_months}");
    for (const auto& name : items.keys()) {
      require_identifier(name, key_location(items_node, name, items.child_path(name)), "savings item name");
      model::SavingsItem item;
      item.name = name;
      const YAML::Node node = items.optional(name);  // may be null: a certain item
      item.where = location_of(node, file_, items.child_path(name));
      if (node.IsMap()) {
        YamlMap spec(node, file_, items.child_path(name), "factors, delay_months, description");
        if (spec.has("factors")) {
          const YAML::Node factors = spec.required("factors");
          if (!factors.IsSequence()) throw ConfigError(spec.location("factors"), "expected a list of expressions");
          for (std::size_t i = 0; i < factors.size(); ++i) {
            item.factors.push_back(read_expression(factors[i], spec.child_path("factors") + "[" + std::to_string(i) + "]"));
          }
        }
        if (spec.has("delay_months")) item.delay_months = read_expression(spec.required("delay_months"), spec.child_path("delay_months"));
        item.description = spec.optional_text("description");
        spec.reject_unknown_keys({"factors", "delay_months", "description"});
      } else if (!node.IsNull()) {
        throw ConfigError(item.where, "expected a mapping with factors and delay_months (or nothing, for a certain item)");
      }
      model_.savings_items.push_back(std::move(item));
    }
  }

  void read_cost_items(YamlMap& top) {
    const YAML::Node node = top.optional("cost_items");
    if (!node.IsDefined()) return;
    YamlMap items(node, file_, "cost_items", "item name: {count, unit_cost} or {amount}");
    for (const auto& name : items.keys()) {
      require_identifier(name, key_location(node, name, items.child_path(name)), "cost item name");
      YamlMap spec(items.required(name), file_, items.child_path(name), "count and unit_cost, or amount");
      model::CostItem item;
      item.name = name;
      item.where = spec.location();
      if (spec.has("count")) item.count = read_expression(spec.required("count"), spec.child_path("count"));
      if (spec.has("unit_cost")) item.unit_cost = read_expression(spec.required("unit_cost"), spec.child_path("unit_cost"));
      if (spec.has("amount")) item.amount = read_expression(spec.required("amount"), spec.child_path("amount"));
      const bool count_form = item.count && item.unit_cost;
      if (count_form == bool(item.amount) || (bool(item.count) != bool(item.unit_cost))) {
        throw ConfigError(item.where, "a cost item needs either 'count' and 'unit_cost', or 'amount'");
      }
      item.description = spec.optional_text("description");
      spec.reject_unknown_keys({"count", "unit_cost", "amount", "description"});
      model_.cost_items.push_back(std::move(item));
    }
  }

  std::vector<bool> read_year_mask(const YAML::Node& node, const std::string& path) {
    std::vector<bool> mask(model_.years.size(), false);
    const auto labels = read_texts(node, file_, path);
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const std::string& label = labels[i];
      const auto t = model_.year_index(label);
      if (!t) throw ConfigError(item_location(node, i, path), "'" + label + "' is not one of the model's years (" + join(model_.years) + ")");
      mask[*t] = true;
    }
    return mask;
  }

  void read_events(YamlMap& top) {
    const YAML::Node node = top.optional("events");
    if (!node.IsDefined()) return;
    YamlMap events(node, file_, "events", "event name: {slots, years, cost}");
    std::size_t next_dimension = model_.components.size();
    for (const auto& name : events.keys()) {
      require_identifier(name, key_location(node, name, events.child_path(name)), "event name");
      YamlMap spec(events.required(name), file_, events.child_path(name), "slots, years, cost, recurs, rationale");
      model::EventType event;
      event.name = name;
      event.where = spec.location();
      event.slot_set = spec.text("slots");
      const model::IndexSet* set = model_.find_set(event.slot_set);
      if (!set) throw ConfigError(spec.location("slots"), "unknown set '" + event.slot_set + "'; sets are: " + set_names());
      event.at_risk = spec.has("years") ? read_year_mask(spec.required("years"), spec.child_path("years"))
                                        : std::vector<bool>(model_.years.size(), true);
      if (spec.has("cost")) event.cost = read_expression(spec.required("cost"), spec.child_path("cost"));
      if (spec.has("recurs")) {
        const std::string recurs = spec.text("recurs");
        if (recurs != "true" && recurs != "false") throw ConfigError(spec.location("recurs"), "expected true or false");
        event.recurs = recurs == "true";
      }
      event.rationale = spec.optional_text("rationale");
      event.first_dimension = next_dimension;
      next_dimension += set->elements.size() * model_.years.size();
      spec.reject_unknown_keys({"slots", "years", "cost", "recurs", "rationale"});
      model_.events.push_back(std::move(event));
    }
  }

  // ---- options ----------------------------------------------------------

  std::vector<double> read_by_year(const YAML::Node& node, const std::string& path) {
    auto values = read_numbers(node, file_, path);
    if (values.size() != model_.years.size()) {
      throw ConfigError(location_of(node, file_, path), "expected " + std::to_string(model_.years.size()) + " values, one per year (" +
                                                            join(model_.years) + "), got " + std::to_string(values.size()));
    }
    return values;
  }

  std::vector<double> read_phasing(const YAML::Node& node, const std::string& path) {
    std::vector<double> phasing;
    bool normalise = false;
    if (node.IsMap()) {
      YamlMap spec(node, file_, path, "weights: [one per year]");
      phasing = read_by_year(spec.required("weights"), spec.child_path("weights"));
      spec.reject_unknown_keys({"weights"});
      normalise = true;
    } else {
      phasing = read_by_year(node, path);
    }
    double total = 0;
    for (double share : phasing) {
      if (share < 0) throw ConfigError(location_of(node, file_, path), "phasing shares must not be negative");
      total += share;
    }
    if (normalise) {
      if (total <= 0) throw ConfigError(location_of(node, file_, path), "phasing weights must not all be zero");
      for (double& share : phasing) share /= total;
    } else if (std::abs(total - 1.0) > 1e-9) {
      std::ostringstream message;
      message << "phasing shares must sum to 1 (they sum to " << std::setprecision(12) << total
              << "); give {weights: [...]} to have them normalised";
      throw ConfigError(location_of(node, file_, path), message.str());
    }
    return phasing;
  }

  void read_options(YamlMap& top) {
    YamlMap options(top.required("options"), file_, "options", "option id: its plan");
    for (const auto& id : options.keys()) {
      YamlMap spec(options.required(id), file_, options.child_path(id), "description, parameters, savings, cost_phasing, events");
      model::Option option;
      option.id = id;
      option.where = spec.location();
      option.description = spec.optional_text("description");
      option.parameters = model_.parameter_defaults;
      if (spec.has("parameters")) {
        const YAML::Node parameters_node = spec.required("parameters");
        YamlMap parameters(parameters_node, file_, spec.child_path("parameters"), "parameter: value");
        for (const auto& name : parameters.keys()) {
          if (!model_.parameter_defaults.count(name)) {
            throw ConfigError(key_location(parameters_node, name, parameters.child_path(name)), "unknown parameter '" + name + "'; declare it with a default under the top-level 'parameters' (declared: " +
                                                             join(keys_of(model_.parameter_defaults)) + ")");
          }
          option.parameters[name] = parameters.number(name);
        }
      }
      option.planned_savings.assign(model_.savings_items.size(), std::vector<double>(model_.years.size(), 0.0));
      if (spec.has("savings")) {
        const YAML::Node savings_node = spec.required("savings");
        YamlMap savings(savings_node, file_, spec.child_path("savings"), "savings item: [amount per year]");
        for (const auto& item : savings.keys()) {
          const auto index = find_index(model_.savings_items, item);
          if (!index) {
            throw ConfigError(key_location(savings_node, item, savings.child_path(item)), "unknown savings item '" + item + "'; items are: " + names_of(model_.savings_items));
          }
          option.planned_savings[*index] = read_by_year(savings.required(item), savings.child_path(item));
        }
      }
      option.cost_phasing.assign(model_.cost_items.size(), {});
      if (model_.cost_items.empty() && spec.has("cost_phasing")) {
        throw ConfigError(key_location(options.required(id), "cost_phasing", spec.child_path("cost_phasing")),
                          "'cost_phasing' applies only when the model has cost_items");
      }
      if (!model_.cost_items.empty()) {
        const auto shared = read_phasing(spec.required("cost_phasing"), spec.child_path("cost_phasing"));
        for (auto& phasing : option.cost_phasing) phasing = shared;
      }
      if (spec.has("events")) read_option_events(spec, option);
      spec.reject_unknown_keys({"description", "parameters", "savings", "cost_phasing", "events"});
      model_.options.push_back(std::move(option));
    }
    if (model_.options.empty()) throw ConfigError(options.location(), "expected at least one option");
  }

  void read_option_events(YamlMap& spec, model::Option& option) {
    const YAML::Node events_node = spec.required("events");
    YamlMap events(events_node, file_, spec.child_path("events"), "event: {slots, hazard, loss_fraction}");
    for (const auto& name : events.keys()) {
      const auto index = find_index(model_.events, name);
      if (!index) throw ConfigError(key_location(events_node, name, events.child_path(name)), "unknown event '" + name + "'; events are: " + names_of(model_.events));
      const model::EventType& event = model_.events[*index];
      const model::IndexSet& slots = *model_.find_set(event.slot_set);
      YamlMap exposure_spec(events.required(name), file_, events.child_path(name), "slots, hazard, loss_fraction");
      model::OptionEventExposure exposure;
      exposure.event = *index;
      exposure.where = exposure_spec.location();
      const YAML::Node slots_node = exposure_spec.required("slots");
      const auto labels = read_texts(slots_node, file_, exposure_spec.child_path("slots"));
      // A slot listed twice would count its events twice.
      ensure_distinct(labels, slots_node, exposure_spec.child_path("slots"), "slot");
      for (std::size_t i = 0; i < labels.size(); ++i) {
        const std::string& label = labels[i];
        const auto position = std::find(slots.elements.begin(), slots.elements.end(), label);
        if (position == slots.elements.end()) {
          throw ConfigError(item_location(slots_node, i, exposure_spec.child_path("slots")), "'" + label + "' is not an element of " + slots.name + " (" + join(slots.elements) + ")");
        }
        exposure.slots.push_back(std::size_t(position - slots.elements.begin()));
      }
      const YAML::Node hazard = exposure_spec.required("hazard");
      exposure.hazard = hazard.IsSequence() ? read_by_year(hazard, exposure_spec.child_path("hazard"))
                                            : std::vector<double>(model_.years.size(), read_number(hazard, file_, exposure_spec.child_path("hazard")));
      for (std::size_t t = 0; t < exposure.hazard.size(); ++t) {
        if (exposure.hazard[t] < 0 || exposure.hazard[t] > 1) {
          throw ConfigError(item_location(hazard, t, exposure_spec.child_path("hazard")), "expected a probability per year between 0 and 1");
        }
      }
      exposure.loss_fraction = exposure_spec.optional_number("loss_fraction").value_or(0.0);
      if (exposure.loss_fraction < 0 || exposure.loss_fraction > 1) {
        throw ConfigError(exposure_spec.location("loss_fraction"), "expected a fraction of savings between 0 and 1");
      }
      exposure_spec.reject_unknown_keys({"slots", "hazard", "loss_fraction"});
      option.events.push_back(std::move(exposure));
    }
  }

  // ---- scenarios ----------------------------------------------------------

  void read_scenarios(YamlMap& top) {
    const YAML::Node node = top.optional("scenarios");
    if (!node.IsDefined()) return;
    YamlMap scenarios(node, file_, "scenarios", "scenario name: {description, overrides}");
    for (const auto& name : scenarios.keys()) {
      const SourceLocation where = key_location(node, name, scenarios.child_path(name));
      require_identifier(name, where, "scenario name");
      if (name == "base") throw ConfigError(where, "'base' is the base case's own name in scenario results; choose another scenario name");
      if (model_.find_scenario(name)) {
        throw ConfigError(where, "duplicate scenario '" + name + "' (already defined at " + model_.find_scenario(name)->where.describe() + ")");
      }
      YamlMap spec(scenarios.required(name), file_, scenarios.child_path(name), "description, overrides");
      model::Scenario scenario;
      scenario.name = name;
      scenario.where = where;
      scenario.description = spec.optional_text("description");
      const YAML::Node list = spec.required("overrides");
      if (!list.IsSequence()) {
        throw ConfigError(spec.location("overrides"), "expected a list of overrides: - fix: {driver, value | percentile}, - shift: {driver, by}, "
                                                      "- scale: {driver, by}, - hazard: {event, option, slots, years, value}, - event_off: event");
      }
      for (std::size_t i = 0; i < list.size(); ++i) {
        scenario.overrides.push_back(read_override(list[i], spec.child_path("overrides") + "[" + std::to_string(i) + "]"));
      }
      spec.reject_unknown_keys({"description", "overrides"});
      model_.scenarios.push_back(std::move(scenario));
    }
  }

  model::ScenarioOverride read_override(const YAML::Node& node, const std::string& path) {
    YamlMap item(node, file_, path, "one override: fix, shift, scale, hazard or event_off");
    const auto keys = item.keys();
    if (keys.size() != 1) {
      throw ConfigError(item.location(), "an override has exactly one key (fix, shift, scale, hazard or event_off), got " +
                                             std::to_string(keys.size()));
    }
    const std::string kind = keys.front();
    model::ScenarioOverride entry;
    entry.where = key_location(node, kind, item.child_path(kind));
    if (kind == "fix") {
      YamlMap spec(item.required(kind), file_, item.child_path(kind), "{driver, value} or {driver, percentile}");
      read_override_driver(spec, entry);
      if (spec.has("value") == spec.has("percentile")) {
        throw ConfigError(spec.location(), "give exactly one of 'value' (fix the driver at it) or 'percentile' (at its own percentile, 0 < p < 100)");
      }
      if (spec.has("value")) {
        entry.kind = model::ScenarioOverride::Kind::FixValue;
        entry.value = spec.number("value");
      } else {
        entry.kind = model::ScenarioOverride::Kind::FixPercentile;
        entry.value = spec.number("percentile");
        if (entry.value <= 0 || entry.value >= 100) {
          throw ConfigError(spec.location("percentile"), "expected a percentile between 0 and 100 (exclusive), e.g. 90 for P90");
        }
      }
      spec.reject_unknown_keys({"driver", "element", "value", "percentile"});
    } else if (kind == "shift" || kind == "scale") {
      YamlMap spec(item.required(kind), file_, item.child_path(kind), "{driver, by}");
      read_override_driver(spec, entry);
      entry.kind = model::ScenarioOverride::Kind::Affine;
      (kind == "shift" ? entry.shift : entry.scale) = spec.number("by");
      spec.reject_unknown_keys({"driver", "element", "by"});
    } else if (kind == "hazard" || kind == "event_off") {
      entry.kind = model::ScenarioOverride::Kind::Hazard;
      const YAML::Node value = item.required(kind);
      if (kind == "event_off" && value.IsScalar()) {
        entry.event = event_named(value, item.child_path(kind));
        entry.value = 0;
      } else {
        YamlMap spec(value, file_, item.child_path(kind), kind == "hazard" ? "{event, option, slots, years, value}" : "an event name, or {event, option, slots, years}");
        entry.event = event_named(spec.required("event"), spec.child_path("event"));
        read_hazard_scope(spec, entry);
        if (kind == "hazard") {
          entry.value = spec.number("value");
          if (entry.value < 0 || entry.value > 1) throw ConfigError(spec.location("value"), "expected a probability per year between 0 and 1");
          spec.reject_unknown_keys({"event", "option", "slots", "years", "value"});
        } else {
          entry.value = 0;
          spec.reject_unknown_keys({"event", "option", "slots", "years"});
        }
      }
    } else {
      throw ConfigError(entry.where, "unknown override '" + kind + "'; expected fix, shift, scale, hazard or event_off");
    }
    return entry;
  }

  // `driver: name`, `driver: "name[element]"` or `driver: name` with `element: label`.
  void read_override_driver(YamlMap& spec, model::ScenarioOverride& entry) {
    std::string name = spec.text("driver");
    std::optional<std::string> element;
    if (const auto bracket = name.find('['); bracket != std::string::npos && name.back() == ']') {
      element = name.substr(bracket + 1, name.size() - bracket - 2);
      if (element->size() >= 2 && (element->front() == '\'' || element->front() == '"') && element->back() == element->front()) {
        element = element->substr(1, element->size() - 2);
      }
      name = name.substr(0, bracket);
    }
    const auto index = find_index(model_.drivers, name);
    if (!index) throw ConfigError(spec.location("driver"), "unknown driver '" + name + "'; drivers are: " + driver_names());
    entry.driver = *index;
    const Driver& driver = model_.drivers[*index];
    if (spec.has("element")) {
      if (element) throw ConfigError(spec.location("element"), "the element is already given in 'driver' ('" + spec.text("driver") + "')");
      element = spec.text("element");
    }
    if (!element) return;
    if (!driver.index_set) throw ConfigError(spec.location(spec.has("element") ? "element" : "driver"), "'" + name + "' is a single driver and has no elements");
    const auto position = std::find(driver.elements.begin(), driver.elements.end(), *element);
    if (position == driver.elements.end()) {
      throw ConfigError(spec.location(spec.has("element") ? "element" : "driver"),
                        "'" + *element + "' is not an element of " + name + " (" + join(driver.elements) + ")");
    }
    entry.element = std::size_t(position - driver.elements.begin());
  }

  std::size_t event_named(const YAML::Node& node, const std::string& path) {
    const std::string name = read_text(node, file_, path);
    const auto index = find_index(model_.events, name);
    if (!index) {
      throw ConfigError(location_of(node, file_, path), "unknown event '" + name + "'; events are: " +
                                                            (model_.events.empty() ? std::string("none are defined") : names_of(model_.events)));
    }
    return *index;
  }

  // Which options, slots and years a hazard override applies to; each must be exposed to the event.
  void read_hazard_scope(YamlMap& spec, model::ScenarioOverride& entry) {
    const model::EventType& event = model_.events[entry.event];
    const model::IndexSet& slot_set = *model_.find_set(event.slot_set);
    std::vector<const model::Option*> options;
    const std::string option_id = spec.optional_text("option", "all");
    if (option_id == "all") {
      for (const auto& option : model_.options) options.push_back(&option);
    } else {
      const auto position = std::find_if(model_.options.begin(), model_.options.end(), [&](const model::Option& o) { return o.id == option_id; });
      if (position == model_.options.end()) {
        std::vector<std::string> ids;
        for (const auto& option : model_.options) ids.push_back(option.id);
        throw ConfigError(spec.location("option"), "unknown option '" + option_id + "'; expected 'all' or one of: " + join(ids));
      }
      entry.option = std::size_t(position - model_.options.begin());
      options.push_back(&*position);
    }
    const auto exposed = [&](std::optional<std::size_t> slot) {
      for (const auto* option : options)
        for (const auto& exposure : option->events)
          if (exposure.event == entry.event && (!slot || std::count(exposure.slots.begin(), exposure.slots.end(), *slot))) return true;
      return false;
    };
    if (!exposed(std::nullopt)) {
      throw ConfigError(spec.has("option") ? spec.location("option") : spec.location("event"),
                        (entry.option ? "option " + option_id + " is" : std::string("no option is")) + " exposed to event '" + event.name + "'");
    }
    if (spec.has("slots")) {
      const YAML::Node slots = spec.required("slots");
      const auto labels = read_texts(slots, file_, spec.child_path("slots"));
      for (std::size_t i = 0; i < labels.size(); ++i) {
        const auto position = std::find(slot_set.elements.begin(), slot_set.elements.end(), labels[i]);
        if (position == slot_set.elements.end()) {
          throw ConfigError(item_location(slots, i, spec.child_path("slots")),
                            "'" + labels[i] + "' is not an element of " + slot_set.name + " (" + join(slot_set.elements) + ")");
        }
        const std::size_t slot = std::size_t(position - slot_set.elements.begin());
        if (!exposed(slot)) {
          throw ConfigError(item_location(slots, i, spec.child_path("slots")),
                            "slot '" + labels[i] + "' of event '" + event.name + "' is not exposed in " + (entry.option ? "option " + option_id : std::string("any option")));
        }
        entry.slots.push_back(slot);
      }
    }
    if (spec.has("years")) {
      const YAML::Node years = spec.required("years");
      const auto labels = read_texts(years, file_, spec.child_path("years"));
      for (std::size_t i = 0; i < labels.size(); ++i) {
        const auto t = model_.year_index(labels[i]);
        if (!t) {
          throw ConfigError(item_location(years, i, spec.child_path("years")), "'" + labels[i] + "' is not one of the model's years (" + join(model_.years) + ")");
        }
        if (!event.at_risk[*t]) {
          std::vector<std::string> at_risk;
          for (std::size_t k = 0; k < model_.years.size(); ++k)
            if (event.at_risk[k]) at_risk.push_back(model_.years[k]);
          throw ConfigError(item_location(years, i, spec.child_path("years")),
                            "event '" + event.name + "' is not at risk in " + labels[i] + " (at risk: " + join(at_risk) + ")");
        }
        entry.years.push_back(*t);
      }
    }
  }

  // ---- helpers ----------------------------------------------------------

  // Location of a mapping's key itself, for errors about a name rather than about its value.
  SourceLocation key_location(const YAML::Node& mapping, const std::string& key, const std::string& path) const {
    for (const auto& entry : mapping) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key) return location_of(entry.first, file_, path);
    }
    return location_of(mapping, file_, path);
  }

  // Location of item i of a list (of the node itself when it is not a list).
  SourceLocation item_location(const YAML::Node& list, std::size_t i, const std::string& path) const {
    if (list.IsSequence() && i < list.size()) return location_of(list[i], file_, path + "[" + std::to_string(i) + "]");
    return location_of(list, file_, path);
  }

  // Names of drivers, derived quantities and parameters are used in expressions, so
  // they may not be one the expression language already gives a meaning to.
  enum class Namespace { Own, Expressions };
  void require_identifier(const std::string& name, const SourceLocation& where, const std::string& what,
                          Namespace names = Namespace::Own) {
    if (!is_identifier(name)) {
      throw ConfigError(where, "'" + name + "' is not a valid " + what + ": use letters, digits and _, starting with a letter or _");
    }
    // Checked as each name is read, before any expression that uses it is parsed:
    // t and slot are bound by the compiler; functions and pi by the expression language.
    if (names == Namespace::Expressions && (name == "t" || name == "slot" || model::is_builtin_name(name))) {
      throw ConfigError(where, "'" + name + "' is reserved in expressions; choose another " + what);
    }
  }

  void ensure_distinct(const std::vector<std::string>& labels, const YAML::Node& node, const std::string& path, const std::string& what) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (!seen.insert(labels[i]).second) throw ConfigError(item_location(node, i, path), "duplicate " + what + " '" + labels[i] + "'");
    }
  }

  void check_names_are_unique() {
    // Drivers, derived quantities and parameters share one namespace in expressions.
    std::map<std::string, std::string> owner;
    auto claim = [&](const std::string& name, const std::string& kind, const SourceLocation& where) {
      const auto [it, fresh] = owner.emplace(name, kind);
      if (!fresh) throw ConfigError(where, "'" + name + "' names both a " + it->second + " and a " + kind + "; names must be unique");
    };
    for (const auto& driver : model_.drivers) claim(driver.name, "driver", driver.where);
    for (const auto& derived : model_.derived) claim(derived.name, "derived quantity", derived_where_.at(derived.name));
    for (const auto& [name, value] : model_.parameter_defaults) claim(name, "parameter", parameter_where_.at(name));
  }

  template <typename T>
  static std::optional<std::size_t> find_index(const std::vector<T>& items, const std::string& name) {
    for (std::size_t i = 0; i < items.size(); ++i)
      if (items[i].name == name) return i;
    return std::nullopt;
  }
  template <typename T>
  static std::string names_of(const std::vector<T>& items) {
    std::vector<std::string> names;
    for (const auto& item : items) names.push_back(item.name);
    return join(names);
  }
  static std::vector<std::string> keys_of(const std::map<std::string, double>& map) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : map) keys.push_back(key);
    return keys;
  }
  std::string set_names() const { return model_.sets.empty() ? "none are defined" : names_of(model_.sets); }
  std::string driver_names() const { return names_of(model_.drivers); }

  std::string file_;
  std::string text_;  // the config as read, to place expressions written as block scalars
  YAML::Node root_;
  Model model_;
  std::map<std::string, SourceLocation> parameter_where_, derived_where_;  // where each name is declared
};

}  // namespace

Model load_model_from_text(const std::string& yaml_text, const std::string& file_name) {
  return Loader(yaml_text, file_name).load();
}

Model add_scenarios_from_text(Model model, const std::string& yaml_text, const std::string& file_name) {
  return Loader(yaml_text, file_name).load_overlay(std::move(model));
}

Model add_scenarios(Model model, const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError({file.string(), 0, 0, ""}, "cannot open the scenarios file");
  // The same 1 MiB limit as a config (read at most one byte more, to know it was exceeded).
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes) {
    throw ConfigError({file.string(), 0, 0, ""}, "the scenarios file is more than " + with_thousands(kMaxConfigBytes) + " bytes (the limit is 1 MiB)");
  }
  return add_scenarios_from_text(std::move(model), text, file.string());
}

Model load_model(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError({file.string(), 0, 0, ""}, "cannot open the config file");
  // Never read more than the limit (plus one byte, to know it was exceeded).
  const auto too_big = [&](const std::string& size) {
    return ConfigError({file.string(), 0, 0, ""}, "the config file is " + size + " bytes; the limit is 1 MiB (" +
                                                      with_thousands(kMaxConfigBytes) + " bytes)");
  };
  std::error_code error;
  if (std::filesystem::is_regular_file(file, error)) {
    const auto size = std::filesystem::file_size(file, error);
    if (!error && size > kMaxConfigBytes) throw too_big(with_thousands(size));
  }
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes) throw too_big("more than " + with_thousands(kMaxConfigBytes));
  return load_model_from_text(text, file.string());
}

}  // namespace mcrisk::config
