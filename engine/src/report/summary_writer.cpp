#include "mcrisk/report/summary_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <sstream>

#include "mcrisk/report/sensitivity_tables.h"
#include "mcrisk/util/atomic_file.h"
#include "mcrisk/util/build_info.h"

namespace mcrisk::report {

namespace {

using nlohmann::json;

std::string percentile_key(double level) { return fmt::format("P{}", level); }

json interval_to_json(const statistics::Interval& interval) { return json::array({interval.low, interval.high}); }

json sample_to_json(const statistics::SampleSummary& s) {
  json percentiles = json::object(), percentile_intervals = json::object();
  for (const auto& p : s.percentiles) {
    percentiles[percentile_key(p.level)] = p.value;
    percentile_intervals[percentile_key(p.level)] = interval_to_json(p.ci95);
  }
  return {{"mean", s.mean},
          {"mean_se", s.mean_se},
          {"mean_ci95", {s.mean_ci95_low, s.mean_ci95_high}},
          {"sd", s.sd},
          {"min", s.min},
          {"max", s.max},
          {"percentiles", percentiles},
          {"percentiles_ci95", percentile_intervals},
          {"prob_loss", s.prob_loss},
          {"prob_loss_ci95", interval_to_json(s.prob_loss_ci95)},
          {"expected_shortfall_5", s.expected_shortfall_5},
          {"expected_shortfall_5_ci95", interval_to_json(s.expected_shortfall_5_ci95)},
          {"interval_method", s.interval_method}};
}

json bcr_to_json(const statistics::BenefitCostRatio& bcr) {
  if (!bcr.defined) return {{"defined", false}, {"reason", "some trials have no costs, so the ratio has no finite value"}};
  json ratio = sample_to_json(bcr.ratio);
  for (const char* unused : {"prob_loss", "prob_loss_ci95"}) ratio.erase(unused);
  ratio["defined"] = true;
  ratio["planned"] = bcr.planned;
  ratio["prob_below_1"] = bcr.below_one.value;
  ratio["prob_below_1_ci95"] = interval_to_json(bcr.below_one.ci95);
  return ratio;
}

json options_to_json(const std::vector<statistics::OptionSummary>& summaries) {
  json options = json::object();
  for (const auto& option : summaries) {
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
    json targets = json::object();
    for (const auto& target : option.targets) {
      targets[target.name] = {{"at_least", target.threshold},
                              {"prob", target.probability.value},
                              {"prob_ci95", interval_to_json(target.probability.ci95)}};
    }
    options[option.id] = {{"description", option.description},
                          {"planned",
                           {{"total_net", option.planned_total_net}, {"npv", option.planned_npv}, {"npv_green_book", option.planned_npv_green_book}}},
                          {"expected_vs_plan",
                           {{"total_net", option.total_net.mean - option.planned_total_net},
                            {"npv_green_book", option.npv_green_book.mean - option.planned_npv_green_book}}},
                          {"total_net", sample_to_json(option.total_net)},
                          {"npv", sample_to_json(option.npv)},
                          {"npv_green_book", sample_to_json(option.npv_green_book)},
                          {"bcr", bcr_to_json(option.bcr)},
                          {"prob_best", option.prob_best.value},
                          {"prob_best_ci95", interval_to_json(option.prob_best.ci95)},
                          {"targets", targets},
                          {"by_year", by_year},
                          {"driver_ranking", drivers}};
  }
  return options;
}

json comparisons_to_json(const std::vector<statistics::Comparison>& comparisons) {
  json list = json::array();
  for (const auto& c : comparisons) {
    const auto& d = c.difference;
    list.push_back({{"a", c.a},
                    {"b", c.b},
                    {"difference_total_net",
                     {{"mean", d.mean},
                      {"mean_ci95", {d.mean_ci95_low, d.mean_ci95_high}},
                      {"P10", d.percentile(10)},
                      {"P50", d.percentile(50)},
                      {"P90", d.percentile(90)}}},
                    {"prob_a_better", c.a_better.value},
                    {"prob_a_better_ci95", interval_to_json(c.a_better.ci95)}});
  }
  return list;
}

}  // namespace

std::string format_money(double amount) {
  const long long pounds = std::llround(amount);
  std::string digits = std::to_string(pounds < 0 ? -pounds : pounds);
  for (int i = int(digits.size()) - 3; i > 0; i -= 3) digits.insert(std::size_t(i), ",");
  return (pounds < 0 ? "-" : "") + digits;
}

// How the figures were computed: exact order statistics, or streaming
// accumulators whose quantile error is stated (so a reader knows what to quote).
static json statistics_to_json(const statistics::StatisticsInfo& info) {
  json result = {{"mode", info.mode}, {"driver_ranking_trials", info.ranking_trials}, {"memory_estimate_bytes", info.memory_estimate_bytes}};
  if (info.mode == "streaming") {
    result["quantile_sketch"] = {{"precision_bits", info.sketch_precision_bits},
                                 {"relative_value_error_bound", info.relative_value_error},
                                 {"max_rank_error", info.max_rank_error}};
    result["sum_group"] = info.sum_group;
  }
  return result;
}

json summary_to_json(const statistics::RunSummary& summary) {
  json option_order = json::array();
  for (const auto& option : summary.options) option_order.push_back(option.id);
  json schedule = json::array();
  for (const auto& band : summary.green_book.bands) schedule.push_back({{"from_year", band.from_year}, {"rate", band.rate}});
  json result = {{"schema", "mcrisk.summary/1"},
                 {"model",
                  {{"name", summary.model_name},
                   {"config_file", summary.config_file},
                   {"config_sha256", summary.config_sha256},
                   {"currency", summary.currency},
                   {"discount_rate", summary.discount_rate},
                   {"green_book", {{"base_year", summary.years.at(summary.green_book.base_year)}, {"schedule", schedule}}},
                   {"years", summary.years}}},
                 {"run",
                  {{"trials", summary.run.trials},
                   {"seed", summary.run.seed},
                   {"threads", summary.run.threads},
                   {"ranks", summary.run.ranks},
                   {"sampling", summary.run.sampling},
                   {"replicate_size", summary.run.replicate_size},
                   {"engine_version", summary.run.engine_version},
                   {"engine_commit", util::engine_commit()},  // this build wrote the summary right after the run
                   {"wall_seconds", summary.run.wall_seconds}}},
                 {"statistics", statistics_to_json(summary.statistics)},
                 {"option_order", option_order},
                 {"options", options_to_json(summary.options)},
                 {"comparisons", comparisons_to_json(summary.comparisons)}};
  if (summary.convergence) {
    const auto& trace = *summary.convergence;
    json goal = json::array();
    for (const auto& target : trace.goal.targets) goal.push_back(target.describe());
    json steps = json::array();
    for (const auto& step : trace.steps) {
      json options = json::object();
      for (const auto& widths : step.options) {
        json checks = json::array();
        for (std::size_t k = 0; k < widths.target_half_widths.size(); ++k) {
          checks.push_back({{"target", trace.goal.targets[k].describe()},
                            {"half_width", widths.target_half_widths[k]},
                            {"limit", widths.target_limits[k]}});
        }
        options[widths.option] = {{"targets", checks}, {"prob_loss_half_width", widths.prob_loss_half_width}};
      }
      steps.push_back({{"trials", step.trials}, {"worst_ratio", step.worst_ratio}, {"options", options}});
    }
    result["convergence"] = {{"goal", goal},
                             {"prob_loss_half_width", trace.goal.prob_loss_half_width},
                             {"max_trials", trace.goal.max_trials},
                             {"converged", trace.converged},
                             {"trials_used", trace.steps.empty() ? 0 : trace.steps.back().trials},
                             {"trace", steps}};
  }
  if (summary.optimism_bias) {
    const auto& bias = *summary.optimism_bias;
    result["optimism_bias"] = {{"cost_uplift", bias.cost_uplift},
                               {"benefit_delay_months", bias.benefit_delay_months},
                               {"mitigation", bias.mitigation},
                               {"effective_cost_multiplier", bias.effective_cost_multiplier()},
                               {"effective_delay_months", bias.effective_delay_months()},
                               {"rationale", bias.rationale},
                               {"options", options_to_json(summary.optimism_bias_adjusted)}};
  }
  return result;
}

std::string summary_to_csv(const statistics::RunSummary& summary) {
  std::ostringstream csv;
  csv << "option,measure,planned,mean,mean_se,mean_ci95_low,mean_ci95_high,sd";
  for (double level : statistics::kReportedPercentiles) {
    const std::string key = percentile_key(level);
    csv << "," << key << "," << key << "_ci95_low," << key << "_ci95_high";
  }
  csv << ",prob_loss,prob_loss_ci95_low,prob_loss_ci95_high,expected_shortfall_5,expected_shortfall_5_ci95_low,"
         "expected_shortfall_5_ci95_high,prob_best,prob_best_ci95_low,prob_best_ci95_high\n";
  const auto number = [](double value) { return fmt::format(",{:.17g}", value); };
  for (const auto& option : summary.options) {
    const auto row = [&](const char* measure, double planned, const statistics::SampleSummary& s) {
      csv << '"' << option.id << "\"," << measure << number(planned) << number(s.mean) << number(s.mean_se) << number(s.mean_ci95_low)
          << number(s.mean_ci95_high) << number(s.sd);
      for (const auto& p : s.percentiles) csv << number(p.value) << number(p.ci95.low) << number(p.ci95.high);
      csv << number(s.prob_loss) << number(s.prob_loss_ci95.low) << number(s.prob_loss_ci95.high) << number(s.expected_shortfall_5)
          << number(s.expected_shortfall_5_ci95.low) << number(s.expected_shortfall_5_ci95.high) << number(option.prob_best.value)
          << number(option.prob_best.ci95.low) << number(option.prob_best.ci95.high) << "\n";
    };
    row("total_net", option.planned_total_net, option.total_net);
    row("npv", option.planned_npv, option.npv);
    row("npv_green_book", option.planned_npv_green_book, option.npv_green_book);
  }
  return csv.str();
}

void write_summary(const statistics::RunSummary& summary, const std::filesystem::path& directory) {
  std::filesystem::create_directories(directory);
  util::write_file_atomically(directory / "summary.json", summary_to_json(summary).dump(2) + "\n");
  util::write_file_atomically(directory / "summary.csv", summary_to_csv(summary));
}

void write_summary(const statistics::RunSummary& summary, const std::filesystem::path& directory, const json& extra_sections) {
  json document = summary_to_json(summary);
  for (const auto& [key, value] : extra_sections.items()) document[key] = value;
  std::filesystem::create_directories(directory);
  util::write_file_atomically(directory / "summary.json", document.dump(2) + "\n");
  util::write_file_atomically(directory / "summary.csv", summary_to_csv(summary));
}

namespace {

json figures_to_json(const statistics::OutcomeFigures& figures) {
  return {{"mean", figures.mean}, {"P10", figures.p10}, {"P90", figures.p90}, {"prob_loss", figures.prob_loss},
          {"expected_shortfall_5", figures.expected_shortfall_5}};
}

json scenario_to_json(const statistics::ScenarioResult& result, bool with_change) {
  json options = json::object();
  for (const auto& option : result.options) {
    json entry = {{"total_net", figures_to_json(option.figures)}};
    if (with_change) entry["change_vs_base"] = figures_to_json(option.change);
    options[option.option] = entry;
  }
  return {{"name", result.name}, {"description", result.description}, {"overrides", result.overrides}, {"options", options}};
}

}  // namespace

json scenarios_to_json(const statistics::ScenarioComparison& comparison) {
  json scenarios = json::array();
  for (const auto& scenario : comparison.scenarios) scenarios.push_back(scenario_to_json(scenario, true));
  return {{"schema", "mcrisk.scenarios/1"},
          {"model", comparison.model_name},
          {"config_file", comparison.config_file},
          {"config_sha256", comparison.config_sha256},
          {"currency", comparison.currency},
          {"measure", "total_net"},
          {"run", {{"trials", comparison.trials}, {"seed", comparison.seed}, {"sampling", comparison.sampling}}},
          {"note", "every scenario is run on the base case's trials (same seed, same unit-cube points): changes are the scenario's alone"},
          {"base", scenario_to_json(comparison.base, false)},
          {"scenarios", scenarios}};
}

void write_scenarios(const statistics::ScenarioComparison& comparison, const std::filesystem::path& directory) {
  std::filesystem::create_directories(directory);
  util::write_file_atomically(directory / "scenarios.json", scenarios_to_json(comparison).dump(2) + "\n");
}

std::string format_scenarios_table(const statistics::ScenarioComparison& comparison) {
  std::string text = fmt::format("{} — scenarios on the same {} trials, seed {} ({} sampling)\n", comparison.model_name, comparison.trials,
                                 comparison.seed, comparison.sampling);
  text += fmt::format("Total net savings, {}; change against the base case in brackets:\n", comparison.currency);
  const auto signed_money = [](double amount) { return std::string(amount > 0 ? "+" : "") + format_money(amount); };
  const auto block = [&](const statistics::ScenarioResult& result, bool with_change) {
    text += fmt::format("\n{}{}\n", result.name, result.description.empty() ? "" : ": " + result.description);
    for (const auto& words : result.overrides) text += "  - " + words + "\n";
    text += fmt::format("  {:<7}{:>12}{:>13}{:>12}{:>13}{:>12}{:>13}{:>9}{:>9}\n", "option", "mean", "(change)", "P10", "(change)", "P90",
                        "(change)", "P(loss)", "(change)");
    for (const auto& option : result.options) {
      const auto& f = option.figures;
      const auto& c = option.change;
      const auto change = [&](double amount) { return with_change ? "(" + signed_money(amount) + ")" : std::string(); };
      text += fmt::format("  {:<7}{:>12}{:>13}{:>12}{:>13}{:>12}{:>13}{:>9.3f}{:>9}\n", option.option, format_money(f.mean), change(c.mean),
                          format_money(f.p10), change(c.p10), format_money(f.p90), change(c.p90), f.prob_loss,
                          with_change ? fmt::format("({:+.3f})", c.prob_loss) : std::string());
    }
  };
  block(comparison.base, false);
  for (const auto& scenario : comparison.scenarios) block(scenario, true);
  return text;
}

json sensitivity_to_json(const statistics::SensitivityAnalysis& analysis) {
  json options = json::object();
  for (const auto& option : analysis.options) {
    json tornado = json::array();
    for (const auto& bar : option.tornado) {
      tornado.push_back({{"driver", bar.driver},
                         {"components_held", bar.components},
                         {"at_low", figures_to_json(bar.at_low)},
                         {"at_high", figures_to_json(bar.at_high)},
                         {"swing_mean", bar.swing_mean},
                         {"swing_P10", bar.swing_p10},
                         {"swing_expected_shortfall_5", bar.swing_es5},
                         {"rank_correlation", bar.rank_correlation},
                         {"rank_correlation_component", bar.strongest_component}});
    }
    const auto names = [&](const std::string& measure) {
      json list = json::array();
      for (const auto& bar : statistics::ranked_by(option.tornado, measure)) list.push_back(bar.driver);
      return list;
    };
    json correlations = json::array();
    for (const auto& influence : option.rank_correlations) {
      correlations.push_back({{"driver", influence.driver}, {"rank_correlation", influence.rank_correlation}});
    }
    options[option.option] = {{"base", figures_to_json(option.base)},
                              {"tornado", tornado},
                              {"ranking", {{"by_mean", names("mean")}, {"by_P10", names("p10")}, {"by_expected_shortfall_5", names("es5")}}},
                              {"rank_correlations", correlations}};
  }
  json sections = {{"measure", "total_net"},
          {"trials", analysis.trials},
          {"seed", analysis.seed},
          {"method",
           fmt::format("tornado: each driver held at its own P{:g} and P{:g} (a driver over a set: every component at its own percentile), "
                       "the others random, on the base case's trials (common random numbers); held drivers keep their place in the "
                       "Gaussian copula, so their correlates keep their unconditional law. rank_correlation: Spearman of the base "
                       "run's total net with each driver component.",
                       analysis.low_level, analysis.high_level)},
          {"options", options}};
  if (analysis.sobol) sections["sobol"] = sobol_to_json(*analysis.sobol);
  if (analysis.switching) sections["switching_values"] = switching_to_json(*analysis.switching);
  return sections;
}

void write_sensitivity(const statistics::SensitivityAnalysis& analysis, const model::Model& model, const std::filesystem::path& directory) {
  json document = sensitivity_to_json(analysis);
  document["schema"] = "mcrisk.sensitivity/1";
  document["model"] = model.name;
  document["config_file"] = model.source_file;
  document["config_sha256"] = model.config_sha256;
  std::filesystem::create_directories(directory);
  util::write_file_atomically(directory / "sensitivity.json", document.dump(2) + "\n");
}

std::string format_sensitivity_table(const statistics::SensitivityAnalysis& analysis, const std::string& currency) {
  std::string text = fmt::format("What drives each option's total net savings ({}): each driver held at its own P{:g} and P{:g}, the others "
                                 "random, on the same {} trials (seed {}); rho = Spearman rank correlation with the total.\n",
                                 currency, analysis.low_level, analysis.high_level, analysis.trials, analysis.seed);
  const auto signed_money = [](double amount) { return std::string(amount > 0 ? "+" : "") + format_money(amount); };
  for (const auto& option : analysis.options) {
    text += fmt::format("\nOption {}: mean {}, P10 {}, ES 5% {}\n", option.option, format_money(option.base.mean), format_money(option.base.p10),
                        format_money(option.base.expected_shortfall_5));
    text += fmt::format("  {:<6}{:<24}{:>14}{:>14}{:>14}{:>14}{:>14}{:>8}\n", "rank", "driver", "mean at P10", "mean at P90", "swing",
                        "P10 swing", "ES5 swing", "rho");
    std::size_t rank = 1;
    for (const auto& bar : option.tornado) {
      text += fmt::format("  {:<6}{:<24}{:>14}{:>14}{:>14}{:>14}{:>14}{:>8.3f}\n", rank++, bar.driver, format_money(bar.at_low.mean),
                          format_money(bar.at_high.mean), signed_money(bar.swing_mean), signed_money(bar.swing_p10),
                          signed_money(bar.swing_es5), bar.rank_correlation);
    }
    std::string downside;
    const auto by_p10 = statistics::ranked_by(option.tornado, "p10");
    for (std::size_t i = 0; i < std::min<std::size_t>(by_p10.size(), 5); ++i) downside += (i ? ", " : "") + by_p10[i].driver;
    text += "  downside drivers (largest swing of P10 first): " + downside + "\n";
  }
  if (analysis.sobol) text += format_sobol_table(*analysis.sobol);
  if (analysis.switching) text += format_switching_table(*analysis.switching, currency);
  return text;
}

std::string samples_to_csv(const statistics::RunSummary& summary, const simulation::TrialOutputs& outputs) {
  const auto csv_field = [](const std::string& text) {
    if (text.find_first_of(",\"\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  };
  fmt::memory_buffer csv;
  fmt::format_to(std::back_inserter(csv), "trial");
  for (const auto& option : summary.options) fmt::format_to(std::back_inserter(csv), ",{}", csv_field(option.id));
  fmt::format_to(std::back_inserter(csv), "\n");
  for (std::size_t k = 0; k < outputs.trials; ++k) {
    fmt::format_to(std::back_inserter(csv), "{}", k);
    for (std::size_t o = 0; o < summary.options.size(); ++o) fmt::format_to(std::back_inserter(csv), ",{}", outputs.total_net[o][k]);
    fmt::format_to(std::back_inserter(csv), "\n");
  }
  return fmt::to_string(csv);
}

void write_samples(const statistics::RunSummary& summary, const simulation::TrialOutputs& outputs, const std::filesystem::path& directory) {
  std::filesystem::create_directories(directory);
  util::write_file_atomically(directory / "samples.csv", samples_to_csv(summary, outputs));
}

namespace {

std::string money_interval(const statistics::Interval& interval) {
  return "[" + format_money(interval.low) + ", " + format_money(interval.high) + "]";
}

std::string probability_interval(const statistics::Probability& p) {
  return fmt::format("{:.3f} [{:.3f}, {:.3f}]", p.value, p.ci95.low, p.ci95.high);
}

std::string headline_table(const std::vector<statistics::OptionSummary>& options) {
  std::string text = fmt::format("{:<7}{:>12}{:>12}{:>27}{:>12}{:>12}{:>12}{:>22}{:>12}{:>22}\n", "option", "plan", "mean", "mean 95% CI",
                                 "P10", "P50", "P90", "P(loss) [95% CI]", "ES 5%", "P(best) [95% CI]");
  for (const auto& option : options) {
    const auto& s = option.total_net;
    const statistics::Probability loss{s.prob_loss, s.prob_loss_ci95};
    text += fmt::format("{:<7}{:>12}{:>12}{:>27}{:>12}{:>12}{:>12}{:>22}{:>12}{:>22}\n", option.id, format_money(option.planned_total_net),
                        format_money(s.mean), money_interval({s.mean_ci95_low, s.mean_ci95_high}), format_money(s.percentile(10)),
                        format_money(s.percentile(50)), format_money(s.percentile(90)), probability_interval(loss),
                        format_money(s.expected_shortfall_5), probability_interval(option.prob_best));
  }
  return text;
}

std::string appraisal_table(const std::vector<statistics::OptionSummary>& options) {
  std::string text = fmt::format("{:<7}{:>12}{:>12}{:>27}{:>13}{:>10}{:>10}{:>22}\n", "option", "NPV plan", "NPV mean", "NPV 95% CI",
                                 "P(NPV<0)", "BCR plan", "BCR mean", "P(BCR<1) [95% CI]");
  for (const auto& option : options) {
    const auto& npv = option.npv_green_book;
    const auto& bcr = option.bcr;
    text += fmt::format("{:<7}{:>12}{:>12}{:>27}{:>13.3f}{:>10}{:>10}{:>22}\n", option.id, format_money(option.planned_npv_green_book),
                        format_money(npv.mean), money_interval({npv.mean_ci95_low, npv.mean_ci95_high}), npv.prob_loss,
                        bcr.defined ? fmt::format("{:.2f}", bcr.planned) : "-", bcr.defined ? fmt::format("{:.2f}", bcr.ratio.mean) : "-",
                        bcr.defined ? probability_interval(bcr.below_one) : "-");
  }
  return text;
}

}  // namespace

std::string format_summary_table(const statistics::RunSummary& summary) {
  std::string text = fmt::format("{} — {} trials ({} sampling), seed {}, {} thread(s), {:.2f} s\n", summary.model_name, summary.run.trials,
                                 summary.run.sampling, summary.run.seed, summary.run.threads, summary.run.wall_seconds);
  const std::string span = summary.years.size() == 1 ? "in " + summary.years.front() : "over " + summary.years.front() + " to " + summary.years.back();
  text += fmt::format("Total net savings {}, {}; every figure from the same trials, with its 95% interval:\n\n", span, summary.currency);
  text += headline_table(summary.options);
  if (summary.statistics.mode == "streaming") {
    text += fmt::format("Streaming statistics: percentiles and ES from quantile sketches (value error <= {:.1e} relative, rank error <= "
                        "{:.1e}); driver ranking from the first {} trials.\n",
                        summary.statistics.relative_value_error, summary.statistics.max_rank_error, summary.statistics.ranking_trials);
  }
  if (summary.convergence) {
    const auto& trace = *summary.convergence;
    std::string goal;
    for (const auto& target : trace.goal.targets) goal += (goal.empty() ? "" : ", ") + target.describe();
    text += fmt::format("Precision {} (and P(loss) within {:g}): {} after {} trials in {} round(s).\n", goal, trace.goal.prob_loss_half_width,
                        trace.converged ? "reached" : "NOT reached", trace.steps.back().trials, trace.steps.size());
  }

  std::string schedule;
  for (const auto& band : summary.green_book.bands) {
    schedule += fmt::format("{}{:g}% from year {}", schedule.empty() ? "" : ", ", band.rate * 100, band.from_year);
  }
  text += fmt::format("\nGreen Book appraisal (discounted to {}: {}); BCR = PV of savings / PV of costs:\n",
                      summary.years.at(summary.green_book.base_year), schedule);
  text += appraisal_table(summary.options);

  if (!summary.options.empty() && !summary.options.front().targets.empty()) {
    text += "\nProbability of meeting each target [95% CI] (threshold beside it):\n";
    std::size_t id_width = 7;
    for (const auto& option : summary.options) id_width = std::max(id_width, option.id.size() + 1);
    text += fmt::format("{:<{}}", "option", id_width);
    for (const auto& target : summary.options.front().targets) text += fmt::format("{:>36}", target.name);
    text += "\n";
    for (const auto& option : summary.options) {
      text += fmt::format("{:<{}}", option.id, id_width);
      for (const auto& target : option.targets) {
        text += fmt::format("{:>36}", probability_interval(target.probability) + " (" + format_money(target.threshold) + ")");
      }
      text += "\n";
    }
  }

  if (!summary.comparisons.empty()) {
    text += "\nOptions compared on the same trials (total net of A minus B):\n";
    text += fmt::format("{:<10}{:>12}{:>27}{:>12}{:>12}{:>12}{:>24}\n", "A - B", "mean", "mean 95% CI", "P10", "P50", "P90", "P(A > B) [95% CI]");
    for (const auto& c : summary.comparisons) {
      const auto& d = c.difference;
      text += fmt::format("{:<10}{:>12}{:>27}{:>12}{:>12}{:>12}{:>24}\n", c.a + " - " + c.b, format_money(d.mean),
                          money_interval({d.mean_ci95_low, d.mean_ci95_high}), format_money(d.percentile(10)), format_money(d.percentile(50)),
                          format_money(d.percentile(90)), probability_interval(c.a_better));
    }
  }

  if (summary.optimism_bias) {
    const auto& bias = *summary.optimism_bias;
    text += fmt::format("\nWith optimism bias (costs x {:.3f}, benefits {:.1f} months later; uplift {:g}%, delay {:g} months, mitigation {:g}%):\n",
                        bias.effective_cost_multiplier(), bias.effective_delay_months(), bias.cost_uplift * 100, bias.benefit_delay_months,
                        bias.mitigation * 100);
    text += headline_table(summary.optimism_bias_adjusted);
    text += appraisal_table(summary.optimism_bias_adjusted);
  }

  text += "\nDrivers that move each option's total most (Spearman rank correlation):\n";
  for (const auto& option : summary.options) {
    std::string ranking;
    for (const auto& driver : option.drivers) {
      if (ranking.size() > 90 || std::abs(driver.rank_correlation) < 0.05) break;  // the top few that matter
      ranking += fmt::format("{}{} {:+.2f}", ranking.empty() ? "" : ", ", driver.driver, driver.rank_correlation);
    }
    text += fmt::format("{:<7} {}\n", option.id, ranking.empty() ? "no driver moves it (|rank correlation| < 0.05)" : ranking);
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
