#pragma once
// A model of Bernoulli events only, shared by the tests that need one: four
// model years; the non-recurring event 'withdrawal' is at risk in the last
// three; options have no savings and every event costs 1, so net by year =
// -(number of occurrences that year). 'low' (h = 0.03) and 'high' (h = 0.05)
// are exposed to the same slot s1, 'other_slot' (h = 0.05) to s2, 'recurring'
// to the recurring event 'strike' (h = 0.05, all four years).

namespace mcrisk::testing {

inline constexpr const char* kEventModel = R"(
mcrisk: 1
model:
  name: event test
  years: ["2010/11", "2011/12", "2012/13", "2013/14"]
  discount_rate: 0
sets:
  slot: [s1, s2]
drivers:
  d: {distribution: {type: uniform, min: 0, max: 1}, planned: 0.5}
events:
  withdrawal:
    slots: slot
    years: ["2011/12", "2012/13", "2013/14"]
    cost: 1
  strike:
    slots: slot
    recurs: true
    cost: 1
savings_items:
  item: {}
options:
  low:
    events: {withdrawal: {slots: [s1], hazard: 0.03}}
  high:
    events: {withdrawal: {slots: [s1], hazard: 0.05}}
  other_slot:
    events: {withdrawal: {slots: [s2], hazard: 0.05}}
  recurring:
    events: {strike: {slots: [s1], hazard: 0.05}}
)";

}  // namespace mcrisk::testing
