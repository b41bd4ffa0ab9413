#include "mcrisk/report/summary_writer.h"

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "mcrisk/util/atomic_file.h"

namespace mcrisk::report {

namespace {

using nlohmann::json;

std::string percentile_key(double level) { return fmt::format("P{}", level); }

json sample_to_json(const statistics::SampleSummary& s) {
  json percentiles = json::object();
  for (const auto& p : s.percentiles) percentiles[percentile_key(p.level)] = p.value;
  return {{"mean", s.mean},
          {"mean_se", s.mean_se},
          {"mean_ci95", {s.mean_ci95_low, s.mean_ci95_high}},
          {"sd", s.sd},
          {"min", s.min},
          {"max", s.max},
          {"percentiles", percentiles},
          {"prob_loss", s.prob_loss},
          {"expected_shortfall_5", s.expected_shortfall_5}};
}

}  // namespace

std::string format_money(double amount) {
  const long long pounds = std::llround(amount);
  std::string digits = std::to_string(pounds < 0 ? -pounds : pounds);
  for (int i = int(digits.size()) - 3; i > 0; i -= 3) digits.insert(std::size_t(i), ",");
  return (pounds < 0 ? "-" : "") + digits;
}

json summary_to_json(const statistics::RunSummary& summary) {
  json options = json::object();
  json option_order = json::array();
  for (const auto& option : summary.options) {
    json by_year = json::array();
    for (const auto& year : option.by_year) {
      by_year.push_back({{"year", year.year},
                         {"planned_net", year.planned},
                         {"net", {{"mean", year.mean}, {"P10", year.p10}, {"P50", year.p50}, {"P90", year.p90}}}});
    }
    json drivers = json::array();
    for (const auto& driver : option.drivers) {
      drivers.push_back({{"driver", driver.driver}, {"rank_correlation", driver.rank_correlation}});
    }
    options[option.id] = {{"description", option.description},
                          {"planned", {{"total_net", option.planned_total_net}, {"npv", option.planned_npv}}},
                          {"total_net", sample_to_json(option.total_net)},
                          {"npv", sample_to_json(option.npv)},
                          {"prob_best", option.prob_best},
                          {"by_year", by_year},
                          {"driver_ranking", drivers}};
    option_order.push_back(option.id);
  }
  return {{"schema", "mcrisk.summary/1"},
          {"model",
           {{"name", summary.model_name},
            {"config_file", summary.config_file},
            {"config_sha256", summary.config_sha256},
            {"currency", summary.currency},
            {"discount_rate", summary.discount_rate},
            {"years", summary.years}}},
          {"run",
           {{"trials", summary.run.trials},
            {"seed", summary.run.seed},
            {"threads", summary.run.threads},
            {"sampling", summary.run.sampling},
            {"engine_version", summary.run.engine_version},
            {"wall_seconds", summary.run.wall_seconds}}},
          {"option_order", option_order},
          {"options", options}};
}

std::string summary_to_csv(const statistics::RunSummary& summary) {
  std::ostringstream csv;
  csv << "option,measure,planned,mean,mean_se,mean_ci95_low,mean_ci95_high,sd";
  for (double level : statistics::kReportedPercentiles) csv << "," << percentile_key(level);
  csv << ",prob_loss,expected_shortfall_5,prob_best\n";
  for (const auto& option : summary.options) {
    const auto row = [&](const char* measure, double planned, const statistics::SampleSummary& s) {
      csv << '"' << option.id << "\"," << measure << fmt::format(",{:.17g},{:.17g},{:.17g},{:.17g},{:.17g},{:.17g}", planned, s.mean,
                                                                     s.mean_se, s.mean_ci95_low, s.mean_ci95_high, s.sd);
      for (const auto& p : s.percentiles) csv << fmt::format(",{:.17g}", p.value);
      csv << fmt::format(",{:.17g},{:.17g},{:.17g}\n", s.prob_loss, s.expected_shortfall_5, option.prob_best);
    };
    row("total_net", option.planned_total_net, option.total_net);
    row("npv", option.planned_npv, option.npv);
  }
  return csv.str();
}

void write_summary(const statistics::RunSummary& summary, const std::filesystem::path& directory) {
  std::filesystem::create_directories(directory);
  util::write_file_atomically(directory / "summary.json", summary_to_json(summary).dump(2) + "\n");
  util::write_file_atomically(directory / "summary.csv", summary_to_csv(summary));
}

std::string format_summary_table(const statistics::RunSummary& summary) {
  std::string text = fmt::format("{} — {} trials, seed {}, {} thread(s), {:.2f} s\n", summary.model_name, summary.run.trials,
                                 summary.run.seed, summary.run.threads, summary.run.wall_seconds);
  text += fmt::format("Total net savings over {} to {}, {}:\n\n", summary.years.front(), summary.years.back(), summary.currency);
  text += fmt::format("{:<7}{:>12}{:>12}{:>27}{:>12}{:>12}{:>12}{:>8}{:>12}{:>8}\n", "option", "plan", "mean", "mean 95% CI", "P10", "P50",
                      "P90", "P(loss)", "ES 5%", "P(best)");
  for (const auto& option : summary.options) {
    const auto& s = option.total_net;
    text += fmt::format("{:<7}{:>12}{:>12}{:>27}{:>12}{:>12}{:>12}{:>8.3f}{:>12}{:>8.3f}\n", option.id, format_money(option.planned_total_net),
                        format_money(s.mean), "[" + format_money(s.mean_ci95_low) + ", " + format_money(s.mean_ci95_high) + "]",
                        format_money(s.percentile(10)), format_money(s.percentile(50)), format_money(s.percentile(90)), s.prob_loss,
                        format_money(s.expected_shortfall_5), option.prob_best);
  }
  text += "\nNPV at the model's discount rate (" + fmt::format("{:g}%", summary.discount_rate * 100) + "):\n";
  for (const auto& option : summary.options) {
    text += fmt::format("{:<7}{:>12}{:>12}  P10 {:>10}  P90 {:>10}  P(NPV<0) {:.3f}\n", option.id, format_money(option.planned_npv),
                        format_money(option.npv.mean), format_money(option.npv.percentile(10)), format_money(option.npv.percentile(90)),
                        option.npv.prob_loss);
  }
  text += "\nDrivers that move each option's total most (Spearman rank correlation):\n";
  for (const auto& option : summary.options) {
    text += fmt::format("{:<7}", option.id);
    for (std::size_t i = 0; i < std::min<std::size_t>(4, option.drivers.size()); ++i) {
      text += fmt::format("{}{} {:+.2f}", i ? ", " : "", option.drivers[i].driver, option.drivers[i].rank_correlation);
    }
    text += "\n";
  }
  return text;
}

std::string format_trial(const model::Model& model, const simulation::TrialRecord& record, bool show_drivers) {
  std::string text;
  if (show_drivers) {
    text += "Drivers:\n";
    for (std::size_t c = 0; c < record.components.size(); ++c) {
      text += fmt::format("  {:<40} {:.17g}\n", model.components[c].label, record.components[c]);
    }
    text += "\n";
  }
  for (std::size_t o = 0; o < record.net.size(); ++o) {
    text += fmt::format("Option {}{}\n", model.options[o].id, model.options[o].description.empty() ? "" : ": " + model.options[o].description);
    text += fmt::format("  {:<10}{:>14}{:>14}{:>14}\n", "year", "gross", "costs", "net");
    for (std::size_t t = 0; t < record.net[o].size(); ++t) {
      text += fmt::format("  {:<10}{:>14}{:>14}{:>14}\n", model.years[t], format_money(record.gross[o][t]), format_money(record.cost[o][t]),
                          format_money(record.net[o][t]));
    }
    text += fmt::format("  {:<10}{:>42}\n  {:<10}{:>42}\n", "total net", format_money(record.total_net[o]), "NPV", format_money(record.npv[o]));
    if (show_drivers) text += fmt::format("  exact total net {:.17g}\n", record.total_net[o]);
  }
  return text;
}

}  // namespace mcrisk::report
