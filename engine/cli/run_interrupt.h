#pragma once
// `mcrisk run` interrupted and resumed: the stop check the run's blocks ask,
// what is written when a signal stops the run (checkpoint, partial summary),
// and how `mcrisk run --resume DIR` reads it back (statistics/run_checkpoint.h
// has the state and the format).

#include <CLI/CLI.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "mcrisk/model/model.h"
#include "mcrisk/statistics/appraisal.h"
#include "mcrisk/statistics/run_checkpoint.h"

namespace mcrisk::cli {

//! The options of `mcrisk run` that a checkpoint keeps besides RunCheckpoint's own fields.
struct RunCommandOptions {
  std::string scenarios_file;  //!< overlay, if any (absolute)
  std::size_t replicates = 10;
  bool samples = false, report = false, sensitivity = false;
  double memory_limit_gib = 8;
};

//! Installs the SIGINT/SIGTERM handlers and returns the check a run's blocks call. With the
//! test-only environment variable MCRISK_TEST_STOP_AFTER_BLOCKS=K (or K:TERM) the check raises
//! SIGINT (SIGTERM) itself when block K + 1 is about to start, so tests stop a run at a known point.
std::function<bool()> install_stop_check();
//! Puts back the default SIGINT/SIGTERM actions (for the steps after the checkpointed part of a run).
void remove_stop_handlers();

//! `--resume` takes every setting from the checkpoint: throws naming any other run option given.
void refuse_options_with_resume(const CLI::App& run);
//! Reads DIR's checkpoint (throws naming the file and the problem) and the command options it keeps.
statistics::RunCheckpoint read_checkpoint_to_resume(const std::filesystem::path& directory, RunCommandOptions& options);
//! Throws when the config (or the scenarios overlay) is not the one the interrupted run used.
void require_same_config(const statistics::RunCheckpoint& checkpoint, const model::Model& model);

//! Fills the checkpoint's command-level fields, writes it and the partial summary (status "partial")
//! to DIR, prints what happened and how to resume; returns the exit code, 128 + the signal.
int finish_interrupted_run(statistics::Appraisal& appraisal, const model::Model& model, const std::string& config_file,
                           const std::string& scenario, const RunCommandOptions& options, const std::filesystem::path& directory);
//! After a run completes: removes DIR's checkpoint if there is one.
void remove_checkpoint(const std::filesystem::path& directory);

}  // namespace mcrisk::cli
