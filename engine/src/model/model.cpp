#include "mcrisk/model/model.h"

#include <algorithm>

namespace mcrisk::model {

DiscountSchedule DiscountSchedule::green_book(std::size_t base_year) {
  DiscountSchedule schedule;
  schedule.bands = {{0, 0.035}, {31, 0.030}, {76, 0.025}};
  schedule.base_year = base_year;
  return schedule;
}

double DiscountSchedule::factor(std::size_t t) const {
  const auto rate_in = [&](std::size_t years_from_base) {
    double rate = bands.front().rate;
    for (const auto& band : bands)
      if (years_from_base >= band.from_year) rate = band.rate;
    return rate;
  };
  double factor = 1.0;
  for (std::size_t k = base_year + 1; k <= t; ++k) factor /= 1.0 + rate_in(k - base_year);
  // Years before the base year are compounded forward at the first band's rate.
  for (std::size_t k = t; k < base_year; ++k) factor *= 1.0 + bands.front().rate;
  return factor;
}

std::size_t Model::dimension_count() const {
  std::size_t count = components.size();
  for (const auto& event : events) count += find_set(event.slot_set)->elements.size() * years.size();
  return count;
}

double Model::component_quantile(std::size_t component, double p) const {
  const DriverComponent& entry = components.at(component);
  const Driver& driver = drivers.at(entry.driver);
  if (driver.law == DriverLaw::Ar1) return driver.ar1.mean + driver.ar1.sd * standard_normal_quantile(p);
  return driver.marginals.at(entry.element).quantile(p);
}

const IndexSet* Model::find_set(const std::string& set_name) const {
  for (const auto& set : sets)
    if (set.name == set_name) return &set;
  return nullptr;
}

const Driver* Model::find_driver(const std::string& driver_name) const {
  for (const auto& driver : drivers)
    if (driver.name == driver_name) return &driver;
  return nullptr;
}

std::optional<std::size_t> Model::year_index(const std::string& label) const {
  const auto it = std::find(years.begin(), years.end(), label);
  if (it == years.end()) return std::nullopt;
  return std::size_t(it - years.begin());
}

}  // namespace mcrisk::model
