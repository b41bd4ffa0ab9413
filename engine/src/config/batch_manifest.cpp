#include "mcrisk/config/batch_manifest.h"

#include <fstream>
#include <map>
#include <sstream>

#include "yaml_map.h"

namespace mcrisk::config {

namespace {

constexpr std::uint64_t kMaxTrials = 10'000'000'000ULL;  // as a config's run.trials
constexpr std::size_t kMaxBatchRuns = 100000;            // a manifest that expands further is a mistake

// The settings a run entry inherits from `defaults:`.
struct RunDefaults {
  std::optional<std::uint64_t> seed, trials;
  std::string sampling = "mc";
  std::size_t replicates = 10;
  std::string statistics = "auto";
};

std::string one_of(const YAML::Node& node, const std::string& file, const std::string& key, const std::vector<std::string>& allowed) {
  const std::string value = read_text(node, file, key);
  for (const auto& candidate : allowed)
    if (value == candidate) return value;
  std::string list;
  for (std::size_t i = 0; i < allowed.size(); ++i) list += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + allowed[i];
  throw ConfigError(location_of(node, file, key), "expected " + list + ", got '" + value + "'");
}

// A scalar, or a list of scalars (at least one): each item with its key path.
std::vector<std::pair<YAML::Node, std::string>> scalar_or_list(const YAML::Node& node, const std::string& file, const std::string& key) {
  std::vector<std::pair<YAML::Node, std::string>> items;
  if (node.IsSequence()) {
    if (node.size() == 0) throw ConfigError(location_of(node, file, key), "expected a value or a non-empty list, got an empty list");
    for (std::size_t i = 0; i < node.size(); ++i) items.emplace_back(node[i], key + "[" + std::to_string(i) + "]");
  } else {
    items.emplace_back(node, key);
  }
  return items;
}

std::uint64_t read_seed(const YAML::Node& node, const std::string& file, const std::string& key) {
  return read_whole_number(node, file, key, "a seed", 0, 0xffffffffffffffffULL, "(0 to 2^64 - 1)");
}
std::uint64_t read_trials(const YAML::Node& node, const std::string& file, const std::string& key) {
  return read_whole_number(node, file, key, "trials", 1, kMaxTrials, ">= 1 and at most 10^10");
}
std::size_t read_replicates(const YAML::Node& node, const std::string& file, const std::string& key) {
  return read_whole_number(node, file, key, "replicates", 2, 100000, "(2 to 100,000)");
}

const std::vector<std::string> kSamplings = {"mc", "lhs", "sobol"};
const std::vector<std::string> kStatistics = {"auto", "exact", "streaming"};

class ManifestLoader {
 public:
  ManifestLoader(const std::string& text, std::string file, std::filesystem::path base)
      : file_(std::move(file)), base_(std::move(base)), root_(parse_config_yaml(text, file_)) {}

  BatchManifest load() {
    if (!root_.IsDefined() || root_.IsNull()) throw ConfigError({file_, 1, 1, ""}, "the batch manifest is empty");
    YamlMap top(root_, file_, "", "a batch manifest: mcrisk_batch, out, defaults, runs");
    if (const auto version = top.optional("mcrisk_batch"); version.IsDefined()) {
      if (read_text(version, file_, "mcrisk_batch") != "1") {
        throw ConfigError(location_of(version, file_, "mcrisk_batch"), "this mcrisk reads batch manifest version 1; got '" + version.Scalar() + "'");
      }
    }
    BatchManifest manifest;
    manifest.file = file_;
    const std::string out = top.optional_text("out");
    manifest.out = out.empty() ? std::filesystem::path("results") / std::filesystem::path(file_).stem() : base_ / out;
    RunDefaults defaults;
    if (const auto node = top.optional("defaults"); node.IsDefined()) {
      YamlMap section(node, file_, "defaults", "trials, seed, sampling, replicates, statistics, threads");
      if (const auto threads = section.optional("threads"); threads.IsDefined()) {
        manifest.threads = int(read_whole_number(threads, file_, "defaults.threads", "threads", 0, 4096, "(0 = all cores, up to 4096)"));
      }
      read_settings(section, defaults);
      section.reject_unknown_keys({"trials", "seed", "sampling", "replicates", "statistics", "threads"});
    }
    const YAML::Node runs = top.required("runs");
    if (!runs.IsSequence() || runs.size() == 0) {
      throw ConfigError(location_of(runs, file_, "runs"), "expected a non-empty list of runs ({config, scenario, seed, trials, sampling})");
    }
    std::map<std::string, std::string> names;  // name -> where it was first made
    for (std::size_t i = 0; i < runs.size(); ++i) read_entry(runs[i], "runs[" + std::to_string(i) + "]", defaults, manifest, names);
    top.reject_unknown_keys({"mcrisk_batch", "out", "defaults", "runs"});
    return manifest;
  }

 private:
  // trials, seed, sampling, replicates, statistics as single values (defaults).
  void read_settings(YamlMap& section, RunDefaults& settings) {
    if (const auto node = section.optional("trials"); node.IsDefined()) settings.trials = read_trials(node, file_, section.child_path("trials"));
    if (const auto node = section.optional("seed"); node.IsDefined()) settings.seed = read_seed(node, file_, section.child_path("seed"));
    if (const auto node = section.optional("sampling"); node.IsDefined()) settings.sampling = one_of(node, file_, section.child_path("sampling"), kSamplings);
    if (const auto node = section.optional("replicates"); node.IsDefined()) settings.replicates = read_replicates(node, file_, section.child_path("replicates"));
    if (const auto node = section.optional("statistics"); node.IsDefined()) settings.statistics = one_of(node, file_, section.child_path("statistics"), kStatistics);
  }

  void read_entry(const YAML::Node& entry_node, const std::string& path, const RunDefaults& defaults, BatchManifest& manifest,
                  std::map<std::string, std::string>& names) {
    YamlMap entry(entry_node, file_, path, "a run: config, and optionally name, scenario, seed, trials, sampling, replicates, statistics");
    std::vector<std::string> configs;
    for (const auto& [item, key] : scalar_or_list(entry.required("config"), file_, entry.child_path("config"))) configs.push_back(read_text(item, file_, key));
    std::vector<std::string> scenarios{""};
    if (const auto list = entry.optional("scenario"); list.IsDefined()) {
      scenarios.clear();
      for (const auto& [item, key] : scalar_or_list(list, file_, entry.child_path("scenario"))) {
        const std::string name = read_text(item, file_, key);
        scenarios.push_back(name == "base" ? "" : name);
      }
    }
    std::vector<std::optional<std::uint64_t>> seeds{defaults.seed}, trials{defaults.trials};
    if (const auto list = entry.optional("seed"); list.IsDefined()) {
      seeds.clear();
      for (const auto& [item, key] : scalar_or_list(list, file_, entry.child_path("seed"))) seeds.push_back(read_seed(item, file_, key));
    }
    if (const auto list = entry.optional("trials"); list.IsDefined()) {
      trials.clear();
      for (const auto& [item, key] : scalar_or_list(list, file_, entry.child_path("trials"))) trials.push_back(read_trials(item, file_, key));
    }
    std::vector<std::string> samplings{defaults.sampling};
    if (const auto list = entry.optional("sampling"); list.IsDefined()) {
      samplings.clear();
      for (const auto& [item, key] : scalar_or_list(list, file_, entry.child_path("sampling"))) samplings.push_back(one_of(item, file_, key, kSamplings));
    }
    RunDefaults settings = defaults;
    if (const auto node = entry.optional("replicates"); node.IsDefined()) settings.replicates = read_replicates(node, file_, entry.child_path("replicates"));
    if (const auto node = entry.optional("statistics"); node.IsDefined()) settings.statistics = one_of(node, file_, entry.child_path("statistics"), kStatistics);
    const std::string prefix = entry.optional_text("name");
    entry.reject_unknown_keys({"name", "config", "scenario", "seed", "trials", "sampling", "replicates", "statistics"});

    const SourceLocation where = entry.location();
    for (const auto& config : configs) {
      for (const auto& scenario : scenarios) {
        for (const auto& seed : seeds) {
          for (const auto& count : trials) {
            for (const auto& sampling : samplings) {
              BatchRun run;
              run.config = std::filesystem::path(config).is_absolute() ? std::filesystem::path(config) : base_ / config;
              run.scenario = scenario;
              run.seed = seed;
              run.trials = count;
              run.sampling = sampling;
              run.replicates = settings.replicates;
              run.statistics = settings.statistics;
              run.where = where;
              // Names say what the run is: config (or the entry's name), scenario, then what was set.
              run.name = prefix.empty() ? std::filesystem::path(config).stem().string() : prefix;
              if (!scenario.empty()) run.name += "-" + scenario;
              if (seed) run.name += "-s" + std::to_string(*seed);
              if (count) run.name += "-n" + std::to_string(*count);
              run.name += "-" + sampling;
              const auto [first, inserted] = names.emplace(run.name, where.describe());
              if (!inserted) {
                throw ConfigError(where, "this entry makes run '" + run.name + "' again (first made by " + first->second +
                                             "); give the entry a different `name:` or remove the repeat");
              }
              if (manifest.runs.size() >= kMaxBatchRuns) {
                throw ConfigError(where, "the manifest expands to more than " + with_thousands(kMaxBatchRuns) + " runs");
              }
              manifest.runs.push_back(std::move(run));
            }
          }
        }
      }
    }
  }

  std::string file_;
  std::filesystem::path base_;
  YAML::Node root_;
};

}  // namespace

BatchManifest load_batch_manifest_from_text(const std::string& yaml_text, const std::string& file_name, const std::filesystem::path& base_folder) {
  return ManifestLoader(yaml_text, file_name, base_folder).load();
}

BatchManifest load_batch_manifest(const std::filesystem::path& file) {
  std::error_code error;
  const auto size = std::filesystem::file_size(file, error);
  if (error) throw ConfigError({file.string(), 0, 0, ""}, "cannot read the batch manifest: " + error.message());
  if (size > kMaxConfigBytes) {
    throw ConfigError({file.string(), 0, 0, ""}, "the batch manifest is " + with_thousands(size) + " bytes; the limit is 1 MiB");
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw ConfigError({file.string(), 0, 0, ""}, "cannot read the batch manifest");
  return load_batch_manifest_from_text(text.str(), file.string(), file.parent_path());
}

}  // namespace mcrisk::config
