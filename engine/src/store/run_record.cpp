#include "mcrisk/util/byte_codec.h"
#include "mcrisk/store/run_record.h"


#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace mcrisk::store {

namespace {

using nlohmann::json;

// A 95% interval's half-width over 1.96: the standard error a normal interval
// implies. For Wilson and order-statistic intervals it is an approximation,
// for replicated designs' Student t intervals it overstates the error a little
// (t(0.975, 9) = 2.26): either way a conservative noise yardstick.
double se_from_interval(const json& interval) { return (interval.at(1).get<double>() - interval.at(0).get<double>()) / (2 * 1.959963984540054); }

const json& field(const json& object, const std::string& key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) throw std::runtime_error(fmt::format("{}: no \"{}\"", where, key));
  return object.at(key);
}

}  // namespace

std::string results_sha256(const json& summary) {
  json results = summary;
  results.erase("run");  // threads, wall time, engine build: how, not what
  if (results.contains("model")) results["model"].erase("config_file");
  if (results.contains("statistics")) results["statistics"].erase("memory_estimate_bytes");
  return util::sha256_hex(results.dump());
}

RunRecord record_from_summary(const json& summary) {
  const std::string where = "summary";
  RunRecord record;
  const json& model = field(summary, "model", where);
  const json& run = field(summary, "run", where);
  record.config_path = field(model, "config_file", where + ".model").get<std::string>();
  record.config_sha256 = field(model, "config_sha256", where + ".model").get<std::string>();
  record.seed = field(run, "seed", where + ".run").get<std::uint64_t>();
  record.trials = field(run, "trials", where + ".run").get<std::uint64_t>();
  record.sampling = field(run, "sampling", where + ".run").get<std::string>();
  if (run.contains("replicate_size") && run["replicate_size"].get<std::uint64_t>() > 0) record.replicate_size = run["replicate_size"].get<std::uint64_t>();
  record.threads = run.value("threads", std::int64_t{0});
  record.engine_version = run.value("engine_version", std::string());
  record.engine_commit = run.value("engine_commit", std::string("unknown"));
  if (run.contains("wall_seconds")) {
    record.wall_seconds = run["wall_seconds"].get<double>();
    if (*record.wall_seconds > 0) record.trials_per_second = double(*record.trials) / *record.wall_seconds;
  }
  if (summary.contains("statistics")) record.statistics_mode = summary["statistics"].value("mode", std::string());
  const json& options = field(summary, "options", where);
  for (const auto& id : field(summary, "option_order", where)) {
    const std::string option_where = where + ".options." + id.get<std::string>();
    const json& option = field(options, id.get<std::string>(), where + ".options");
    const json& total = field(option, "total_net", option_where);
    const std::string total_where = option_where + ".total_net";
    const json& percentiles = field(total, "percentiles", total_where);
    const json& intervals = field(total, "percentiles_ci95", total_where);
    OptionFigures figures;
    figures.option = id.get<std::string>();
    figures.mean = field(total, "mean", total_where).get<double>();
    figures.mean_se = field(total, "mean_se", total_where).get<double>();
    figures.p10 = field(percentiles, "P10", total_where + ".percentiles").get<double>();
    figures.p10_se = se_from_interval(field(intervals, "P10", total_where + ".percentiles_ci95"));
    figures.p50 = field(percentiles, "P50", total_where + ".percentiles").get<double>();
    figures.p90 = field(percentiles, "P90", total_where + ".percentiles").get<double>();
    figures.p90_se = se_from_interval(field(intervals, "P90", total_where + ".percentiles_ci95"));
    figures.prob_loss = field(total, "prob_loss", total_where).get<double>();
    figures.prob_loss_se = se_from_interval(field(total, "prob_loss_ci95", total_where));
    figures.expected_shortfall_5 = field(total, "expected_shortfall_5", total_where).get<double>();
    figures.prob_best = option.value("prob_best", 0.0);
    record.options.push_back(std::move(figures));
  }
  record.results_sha256 = results_sha256(summary);
  return record;
}

std::string read_config_text(const std::filesystem::path& file, const std::string& expected_sha256) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error) || std::filesystem::file_size(file, error) > (std::size_t{1} << 20) || error) return "";
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return "";
  if (!expected_sha256.empty() && util::sha256_hex(text.str()) != expected_sha256) return "";
  return text.str();
}

RunRecord record_from_summary_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open", file.string()));
  json summary;
  try {
    summary = json::parse(in);
  } catch (const json::exception& error) {
    throw std::runtime_error(fmt::format("{}: not valid JSON: {}", file.string(), error.what()));
  }
  if (summary.value("schema", std::string()) != "mcrisk.summary/1") {
    throw std::runtime_error(fmt::format("{}: expected a run summary (schema \"mcrisk.summary/1\")", file.string()));
  }
  RunRecord record;
  try {
    record = record_from_summary(summary);
  } catch (const std::exception& error) {
    throw std::runtime_error(fmt::format("{}: {}", file.string(), error.what()));
  }
  record.summary_path = file.string();
  record.config_text = read_config_text(record.config_path, record.config_sha256);
  return record;
}

}  // namespace mcrisk::store
