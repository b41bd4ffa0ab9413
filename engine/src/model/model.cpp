#include "mcrisk/model/model.h"

#include <algorithm>

namespace mcrisk::model {

std::size_t Model::dimension_count() const {
  std::size_t count = components.size();
  for (const auto& event : events) count += find_set(event.slot_set)->elements.size() * years.size();
  return count;
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
