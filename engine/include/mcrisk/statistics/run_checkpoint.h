#pragma once
// The checkpoint of an interrupted run (SIGINT, SIGTERM): what `mcrisk run
// --resume DIR` needs to finish the run so that its results are bit-identical
// to an uninterrupted run's, on any thread count.
//
//  - streaming: the RunAccumulator's state (serialize()) and the exact set of
//    trial ranges it holds (whole blocks, in any pattern the threads left);
//    resuming runs the other blocks into the restored accumulator, and exact
//    merging makes the result independent of the split;
//  - exact: every output of the longest finished prefix of trials [0, P)
//    (later finished blocks are dropped and recomputed, to the same bits);
//    resuming extends the stored outputs to the requested trials.
// The optimism-bias pass (if the model has one) is not checkpointed: it runs
// again in full after the main pass. --precision runs are not checkpointed.
//
// File DIR/checkpoint.mcrisk, written atomically (util/atomic_file.h), little-endian
// (util/byte_codec.h): magic "MCRISKCP", u32 format version, the fields below in
// order, the state, and a SHA-256 of everything before it.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/run_accumulator.h"

namespace mcrisk::statistics {

struct RunCheckpoint {
  //! 2 since the MC stream became Philox4x32-10 (src/sampling/monte_carlo_stream.h): a version-1
  //! checkpoint's trials came from the Philox4x64 stream, and finishing them with the new one would
  //! give a run that no single run reproduces, so it is refused.
  static constexpr std::uint32_t kFormatVersion = 2;
  std::string engine_version;
  std::string config_file;       //!< absolute path of the run's config
  std::string config_sha256;     //!< the config's SHA-256 when the run started: resume refuses a changed config
  std::string scenario;          //!< the scenario run ("" for the base case)
  std::uint64_t seed = 0;
  std::uint64_t trials_requested = 0;
  std::string sampling = "mc";   //!< mc, lhs, sobol
  std::uint64_t replicate_size = 0;
  std::string statistics_mode;   //!< "exact" or "streaming" (resolved, never auto)
  std::uint64_t block_size = 0;
  TrialRanges done;              //!< trials whose results `state` holds
  std::string command_options;   //!< JSON: the other options of the run command (overlay file, replicates, --samples ...)
  std::vector<std::uint8_t> state;  //!< streaming: RunAccumulator::serialize(); exact: encode_outputs()

  std::uint64_t trials_done() const;
};

//! DIR/checkpoint.mcrisk
std::filesystem::path checkpoint_path(const std::filesystem::path& directory);
//! Writes the checkpoint atomically (temporary file, fsync, rename).
void write_checkpoint(const std::filesystem::path& file, const RunCheckpoint& checkpoint);
//! Reads a checkpoint; throws std::runtime_error naming the file and what is wrong
//! (missing, not a checkpoint, another format version, damaged or truncated).
RunCheckpoint read_checkpoint(const std::filesystem::path& file);

//! Stored per-trial outputs as bytes (exact mode's checkpoint state), and back:
//! decode_outputs checks the sizes against the plan and the trial count expected.
std::vector<std::uint8_t> encode_outputs(const simulation::TrialOutputs& outputs);
simulation::TrialOutputs decode_outputs(std::span<const std::uint8_t> bytes, const simulation::EvaluationPlan& plan, std::uint64_t trials);

}  // namespace mcrisk::statistics
