#include "mcrisk/store/run_comparison.h"

#include <yaml-cpp/yaml.h>

#include <bit>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

namespace mcrisk::store {

namespace {

const std::string kAbsent = "(absent)";

std::string describe_node(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return kAbsent;
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

void diff_nodes(const YAML::Node& a, const YAML::Node& b, const std::string& path, std::vector<ConfigDifference>& out) {
  const bool a_present = a.IsDefined() && !a.IsNull(), b_present = b.IsDefined() && !b.IsNull();
  if (!a_present && !b_present) return;
  if (a_present && b_present && a.IsMap() && b.IsMap()) {
    // Keys in A's order, then those only in B.
    std::vector<std::string> keys;
    for (const auto& entry : a) keys.push_back(entry.first.Scalar());
    for (const auto& entry : b)
      if (!a[entry.first.Scalar()]) keys.push_back(entry.first.Scalar());
    for (const auto& key : keys) diff_nodes(a[key], b[key], path.empty() ? key : path + "." + key, out);
    return;
  }
  if (a_present && b_present && a.IsSequence() && b.IsSequence()) {
    const std::size_t count = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < count; ++i) {
      diff_nodes(i < a.size() ? a[i] : YAML::Node(), i < b.size() ? b[i] : YAML::Node(), fmt::format("{}[{}]", path, i), out);
    }
    return;
  }
  const std::string a_text = describe_node(a), b_text = describe_node(b);
  if (a_text != b_text || a.Type() != b.Type()) out.push_back({path.empty() ? "(document)" : path, a_text, b_text});
}

std::string optional_text(const std::optional<std::uint64_t>& value) { return value ? std::to_string(*value) : std::string("(unknown)"); }

FigureChange change_of(const std::string& option, const std::string& measure, double a, double se_a, double b, double se_b) {
  FigureChange change{option, measure, a, b, se_a, se_b, b - a};
  change.identical = std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
  const double noise = std::sqrt(se_a * se_a + se_b * se_b);
  if (change.change == 0) change.z = 0;
  else if (std::isnan(noise)) change.z = noise;  // a run without standard errors: no verdict on noise
  else if (noise > 0) change.z = change.change / noise;
  else change.z = std::copysign(std::numeric_limits<double>::infinity(), change.change);
  change.beyond_noise = std::abs(change.z) > kNoiseZ;
  return change;
}

std::string run_label(const RunRecord& run) {
  if (run.id > 0) return fmt::format("run {}", run.id);
  return run.summary_path;
}

std::string format_value(const std::string& measure, double value) {
  if (measure == "prob_loss") return fmt::format("{:.4f}", value);
  return fmt::format("{:.0f}", value);
}

}  // namespace

std::vector<ConfigDifference> diff_config_texts(const std::string& a, const std::string& b) {
  const auto parse = [](const std::string& text, const char* which) {
    try {
      return YAML::Load(text);
    } catch (const YAML::Exception& error) {
      throw std::runtime_error(fmt::format("config {} is not valid YAML: {}", which, error.what()));
    }
  };
  std::vector<ConfigDifference> differences;
  diff_nodes(parse(a, "A"), parse(b, "B"), "", differences);
  return differences;
}

RunComparison compare_runs(const RunRecord& a, const RunRecord& b) {
  RunComparison comparison;
  std::map<std::string, const OptionFigures*> in_b;
  for (const auto& option : b.options) in_b[option.option] = &option;
  for (const auto& x : a.options) {
    const auto found = in_b.find(x.option);
    if (found == in_b.end()) {
      comparison.options_only_in_a.push_back(x.option);
      continue;
    }
    const OptionFigures& y = *found->second;
    for (auto change : {change_of(x.option, "mean", x.mean, x.mean_se, y.mean, y.mean_se),
                        change_of(x.option, "P10", x.p10, x.p10_se, y.p10, y.p10_se),
                        change_of(x.option, "P90", x.p90, x.p90_se, y.p90, y.p90_se),
                        change_of(x.option, "prob_loss", x.prob_loss, x.prob_loss_se, y.prob_loss, y.prob_loss_se)}) {
      comparison.beyond_noise += change.beyond_noise ? 1 : 0;
      comparison.figures.push_back(change);
    }
    in_b.erase(found);
  }
  for (const auto& option : b.options)
    if (in_b.count(option.option)) comparison.options_only_in_b.push_back(option.option);

  const auto setting = [&](const std::string& key, const std::string& x, const std::string& y) {
    if (x != y) comparison.settings.push_back({key, x.empty() ? kAbsent : x, y.empty() ? kAbsent : y});
  };
  setting("config_path", a.config_path, b.config_path);
  setting("config_sha256", a.config_sha256, b.config_sha256);
  setting("scenario", a.scenario.empty() ? "(base case)" : a.scenario, b.scenario.empty() ? "(base case)" : b.scenario);
  setting("seed", optional_text(a.seed), optional_text(b.seed));
  setting("trials", optional_text(a.trials), optional_text(b.trials));
  setting("sampling", a.sampling, b.sampling);
  const auto replicates = [](const RunRecord& run) { return run.replicate_size ? std::to_string(*run.replicate_size) : std::string("none (independent trials)"); };
  setting("replicate_size", replicates(a), replicates(b));
  setting("statistics_mode", a.statistics_mode, b.statistics_mode);
  setting("engine_version", a.engine_version, b.engine_version);
  setting("engine_commit", a.engine_commit, b.engine_commit);

  comparison.same_config = !a.config_sha256.empty() && a.config_sha256 == b.config_sha256;
  comparison.results_identical = !a.results_sha256.empty() && a.results_sha256 == b.results_sha256;
  comparison.config_texts_known = comparison.same_config || (!a.config_text.empty() && !b.config_text.empty());
  if (!comparison.same_config && comparison.config_texts_known) comparison.config = diff_config_texts(a.config_text, b.config_text);
  return comparison;
}

nlohmann::json comparison_to_json(const RunComparison& comparison, const RunRecord& a, const RunRecord& b) {
  using nlohmann::json;
  const auto side = [](const RunRecord& run) {
    return json{{"id", run.id > 0 ? json(run.id) : json(nullptr)},
                {"summary", run.summary_path},
                {"config_file", run.config_path},
                {"config_sha256", run.config_sha256},
                {"scenario", run.scenario},
                {"seed", run.seed ? json(*run.seed) : json(nullptr)},
                {"trials", run.trials ? json(*run.trials) : json(nullptr)},
                {"sampling", run.sampling},
                {"engine_version", run.engine_version},
                {"engine_commit", run.engine_commit},
                {"results_sha256", run.results_sha256}};
  };
  json figures = json::array();
  for (const auto& f : comparison.figures) {
    figures.push_back({{"option", f.option},
                       {"measure", f.measure},
                       {"a", f.a},
                       {"b", f.b},
                       {"se_a", f.se_a},
                       {"se_b", f.se_b},
                       {"change", f.change},
                       {"z", std::isnan(f.z) ? json(nullptr) : std::isfinite(f.z) ? json(f.z) : json(f.z > 0 ? "inf" : "-inf")},
                       {"identical", f.identical},
                       {"beyond_noise", f.beyond_noise}});
  }
  const auto differences = [](const std::vector<ConfigDifference>& list) {
    json out = json::array();
    for (const auto& d : list) out.push_back({{"key", d.key}, {"a", d.a}, {"b", d.b}});
    return out;
  };
  return {{"schema", "mcrisk.compare/1"},
          {"noise_rule", fmt::format("|z| > {:g}, z = (B - A) / sqrt(SE_A^2 + SE_B^2)", kNoiseZ)},
          {"a", side(a)},
          {"b", side(b)},
          {"results_identical", comparison.results_identical},
          {"beyond_noise", comparison.beyond_noise},
          {"figures", figures},
          {"options_only_in_a", comparison.options_only_in_a},
          {"options_only_in_b", comparison.options_only_in_b},
          {"settings", differences(comparison.settings)},
          {"config_texts_known", comparison.config_texts_known},
          {"config", differences(comparison.config)}};
}

std::string format_comparison(const RunComparison& comparison, const RunRecord& a, const RunRecord& b) {
  const auto describe = [](const RunRecord& run) {
    return fmt::format("{}{} seed {}, {} trials, {} (engine {} {})", run.config_path, run.scenario.empty() ? "" : " scenario " + run.scenario,
                       optional_text(run.seed), optional_text(run.trials), run.sampling, run.engine_version,
                       short_commit(run.engine_commit));
  };
  std::string text = fmt::format("A: {}: {}\nB: {}: {}\n", run_label(a), describe(a), run_label(b), describe(b));
  text += fmt::format("Total net savings, B - A. Noise rule: a change is beyond Monte Carlo noise when |z| > {:g}, "
                      "z = (B - A) / sqrt(SE_A^2 + SE_B^2)\n(SEs of percentiles and P(loss) from their 95% intervals / 1.96).\n\n",
                      kNoiseZ);
  text += fmt::format("{:<10} {:<10} {:>14} {:>14} {:>14} {:>8}  {}\n", "option", "measure", "A", "B", "change", "z", "verdict");
  for (const auto& f : comparison.figures) {
    const std::string verdict = f.identical          ? "identical"
                                : std::isnan(f.z)    ? "changed (no standard error to judge noise)"
                                : f.beyond_noise     ? "CHANGED (beyond noise)"
                                                     : "within noise";
    const std::string change = f.measure == "prob_loss" ? fmt::format("{:+.4f}", f.change) : fmt::format("{:+.0f}", f.change);
    text += fmt::format("{:<10} {:<10} {:>14} {:>14} {:>14} {:>8.2f}  {}\n", f.option, f.measure, format_value(f.measure, f.a),
                        format_value(f.measure, f.b), change, f.z, verdict);
  }
  for (const auto& option : comparison.options_only_in_a) text += fmt::format("option {} is only in A\n", option);
  for (const auto& option : comparison.options_only_in_b) text += fmt::format("option {} is only in B\n", option);
  text += fmt::format("\n{} of {} figures beyond noise{}.\n", comparison.beyond_noise, comparison.figures.size(),
                      comparison.results_identical ? "; the results are bit-identical" : "");
  text += "\nWhat differs between the runs:\n";
  if (comparison.settings.empty()) text += "  settings: nothing (same config, scenario, seed, trials, sampling and engine)\n";
  for (const auto& d : comparison.settings) text += fmt::format("  {}: {} -> {}\n", d.key, d.a, d.b);
  if (comparison.same_config) {
    text += "  config: the same text (same SHA-256)\n";
  } else if (!comparison.config_texts_known) {
    text += "  config: the texts differ (different SHA-256) but at least one is not available to compare key by key\n";
  } else if (comparison.config.empty()) {
    text += "  config: the texts differ only in formatting or comments (no key or value differs)\n";
  } else {
    text += fmt::format("  config: {} key(s) differ:\n", comparison.config.size());
    for (const auto& d : comparison.config) text += fmt::format("    {}: {} -> {}\n", d.key, d.a, d.b);
  }
  return text;
}

}  // namespace mcrisk::store
