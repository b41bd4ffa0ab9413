#include "mcrisk/report/model_outline.h"

#include <fmt/format.h>

namespace mcrisk::report {

namespace {

using nlohmann::json;

std::vector<std::string> years_at_risk(const model::Model& model, const std::vector<bool>& at_risk) {
  std::vector<std::string> years;
  for (std::size_t t = 0; t < model.years.size() && t < at_risk.size(); ++t)
    if (at_risk[t]) years.push_back(model.years[t]);
  return years;
}

json driver_to_json(const model::Model& model, const model::Driver& driver) {
  json components = json::array();
  for (std::size_t i = 0; i < driver.planned.size(); ++i) {
    const std::string& label = model.components.at(driver.first_component + i).label;
    std::string distribution;
    if (driver.law == model::DriverLaw::Ar1) {
      distribution = i == 0 ? fmt::format("AR(1) mean {:g}, sd {:g}, rho {:g}", driver.ar1.mean, driver.ar1.sd, driver.ar1.rho)
                            : "AR(1), continued from the year before";
    } else {
      distribution = driver.marginals.at(i).describe();
    }
    components.push_back({{"label", label}, {"element", i < driver.elements.size() ? driver.elements[i] : ""},
                          {"distribution", distribution}, {"planned", driver.planned[i]}});
  }
  json result = {{"name", driver.name},
                 {"over", driver.index_set ? json(*driver.index_set) : json(nullptr)},
                 {"law", driver.law == model::DriverLaw::Ar1 ? "ar1" : "marginal"},
                 {"components", components},
                 {"rationale", driver.rationale},
                 {"line", driver.where.line}};
  if (driver.law == model::DriverLaw::Ar1) result["ar1"] = {{"mean", driver.ar1.mean}, {"sd", driver.ar1.sd}, {"rho", driver.ar1.rho}};
  return result;
}

std::string target_measure(const model::Model& model, const model::Target& target) {
  switch (target.measure) {
    case model::Target::Measure::TotalNet: return "total net savings";
    case model::Target::Measure::Npv: return "NPV";
    case model::Target::Measure::NetInYear: return "net savings in " + model.years.at(target.year);
    case model::Target::Measure::GrossInYear: return "gross savings in " + model.years.at(target.year);
  }
  return "";
}

}  // namespace

json model_outline_to_json(const model::Model& model) {
  json drivers = json::array();
  for (const auto& driver : model.drivers) drivers.push_back(driver_to_json(model, driver));

  json correlations = json::array();
  for (const auto& entry : model.correlations) {
    correlations.push_back({{"a", model.components.at(entry.first).label}, {"b", model.components.at(entry.second).label}, {"rho", entry.rho}});
  }

  json events = json::array();
  for (std::size_t e = 0; e < model.events.size(); ++e) {
    const auto& event = model.events[e];
    const model::IndexSet* slots = model.find_set(event.slot_set);
    json exposures = json::array();
    for (const auto& option : model.options) {
      for (const auto& exposure : option.events) {
        if (exposure.event != e) continue;
        json slot_names = json::array();
        for (std::size_t slot : exposure.slots) slot_names.push_back(slots ? slots->elements.at(slot) : std::to_string(slot));
        json hazards = json::object();
        for (std::size_t t = 0; t < model.years.size() && t < event.at_risk.size(); ++t)
          if (event.at_risk[t]) hazards[model.years[t]] = exposure.hazard.at(t);
        exposures.push_back({{"option", option.id}, {"slots", slot_names}, {"hazard", hazards}, {"loss_fraction", exposure.loss_fraction}});
      }
    }
    events.push_back({{"name", event.name},
                      {"slot_set", event.slot_set},
                      {"years", years_at_risk(model, event.at_risk)},
                      {"recurs", event.recurs},
                      {"cost", event.cost ? json(event.cost->expression.text()) : json(nullptr)},
                      {"rationale", event.rationale},
                      {"exposures", exposures}});
  }

  json derived = json::array();
  for (const auto& quantity : model.derived) {
    derived.push_back({{"name", quantity.name}, {"definition", quantity.definition.expression.text()}, {"description", quantity.description}});
  }
  json savings = json::array();
  for (const auto& item : model.savings_items) {
    json factors = json::array();
    for (const auto& factor : item.factors) factors.push_back(factor.expression.text());
    savings.push_back({{"name", item.name},
                       {"factors", factors},
                       {"delay_months", item.delay_months ? json(item.delay_months->expression.text()) : json(nullptr)},
                       {"description", item.description}});
  }
  json costs = json::array();
  for (const auto& item : model.cost_items) {
    json entry = {{"name", item.name}, {"description", item.description}};
    if (item.amount) entry["amount"] = item.amount->expression.text();
    if (item.count) entry["count"] = item.count->expression.text();
    if (item.unit_cost) entry["unit_cost"] = item.unit_cost->expression.text();
    costs.push_back(entry);
  }
  json targets = json::array();
  for (const auto& target : model.targets) {
    targets.push_back({{"name", target.name},
                       {"description", target.description},
                       {"measure", target_measure(model, target)},
                       {"at_least", target.at_least_planned ? json("planned") : json(target.at_least)}});
  }
  json options = json::array();
  for (const auto& option : model.options) options.push_back({{"id", option.id}, {"description", option.description}, {"parameters", option.parameters}});
  json sets = json::object();
  for (const auto& set : model.sets) sets[set.name] = set.elements;

  json outline = {{"schema", "mcrisk.model_outline/1"},
                  {"name", model.name},
                  {"description", model.description},
                  {"config_file", model.source_file},
                  {"config_sha256", model.config_sha256},
                  {"currency", model.currency},
                  {"years", model.years},
                  {"discount_rate", model.discount_rate},
                  {"sets", sets},
                  {"drivers", drivers},
                  {"correlations", correlations},
                  {"repair_correlations", model.repair_correlations},
                  {"derived", derived},
                  {"savings_items", savings},
                  {"cost_items", costs},
                  {"events", events},
                  {"targets", targets},
                  {"options", options}};
  if (model.optimism_bias) {
    const auto& bias = *model.optimism_bias;
    outline["optimism_bias"] = {{"cost_uplift", bias.cost_uplift},
                                {"benefit_delay_months", bias.benefit_delay_months},
                                {"mitigation", bias.mitigation},
                                {"rationale", bias.rationale}};
  }
  return outline;
}

}  // namespace mcrisk::report
