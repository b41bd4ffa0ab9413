#pragma once
// A batch manifest (`mcrisk batch MANIFEST.yaml`): many runs in one command,
// each entry a product config x scenario x seed x trials x sampling. Errors
// are ConfigErrors with file:line:column, key path and what was expected;
// unknown keys are errors. Documented in README.md ("Batch runs").
//
//   mcrisk_batch: 1
//   out: results/nightly                # relative to the manifest's folder
//   defaults: {trials: 20000, seed: 1, sampling: mc, replicates: 10, statistics: auto, threads: 0}
//   runs:
//     - config: triborough_2010.yaml    # relative to the manifest's folder; or a list
//       scenario: [base, deep_grant_cut]
//       seed: [1, 2]
//       sampling: [mc, sobol]

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mcrisk/config/config_error.h"

namespace mcrisk::config {

//! One run of a batch, after expanding its entry's lists.
struct BatchRun {
  std::string name;                     //!< unique in the batch; its output folder under BatchManifest::out
  std::filesystem::path config;         //!< resolved against the manifest's folder
  std::string scenario;                 //!< empty: the base case
  std::optional<std::uint64_t> seed;    //!< empty: the config's run.seed
  std::optional<std::uint64_t> trials;  //!< empty: the config's run.trials
  std::string sampling = "mc";          //!< mc, lhs, sobol
  std::size_t replicates = 10;          //!< lhs, sobol
  std::string statistics = "auto";      //!< auto, exact, streaming
  SourceLocation where;                 //!< the entry in the manifest
};

struct BatchManifest {
  std::string file;
  std::filesystem::path out;  //!< where each run's folder goes (default results/<manifest name>)
  int threads = 0;            //!< 0: all cores
  std::vector<BatchRun> runs;
};

//! Reads and checks a manifest. Throws ConfigError.
BatchManifest load_batch_manifest(const std::filesystem::path& file);
//! Same, from text; relative paths are resolved against base_folder.
BatchManifest load_batch_manifest_from_text(const std::string& yaml_text, const std::string& file_name, const std::filesystem::path& base_folder);

}  // namespace mcrisk::config
