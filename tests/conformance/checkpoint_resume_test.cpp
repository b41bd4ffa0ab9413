// An interrupted run resumes to the same bits: stopped between blocks (at
// whatever blocks the threads had finished), saved, restored and finished on
// another thread count, a streaming run's accumulator and an exact run's
// stored outputs equal those of a run never interrupted.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "bit_identity.h"
#include "mcrisk/config/model_loader.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/report/summary_writer.h"
#include "mcrisk/statistics/appraisal.h"
#include "mcrisk/statistics/run_accumulator.h"
#include "mcrisk/statistics/run_checkpoint.h"

#include <fstream>
#include <sstream>

#include "r1_model.h"

namespace {

using namespace mcrisk;

using mcrisk::testing::r1;

simulation::RunSettings settings(std::size_t trials, int threads) {
  simulation::RunSettings s;
  s.trials = trials;
  s.seed = 20100706;
  s.threads = threads;
  return s;
}

// Asks for a stop once `blocks` blocks have started.
std::function<bool()> stop_after(std::uint64_t blocks) {
  auto started = std::make_shared<std::atomic<std::uint64_t>>(0);
  return [started, blocks] { return started->fetch_add(1) >= blocks; };
}

// Trials [0, trials) not in done.
statistics::TrialRanges missing(const statistics::TrialRanges& done, std::uint64_t trials) {
  statistics::TrialRanges rest;
  std::uint64_t next = 0;
  for (const auto& [begin, end] : done) {
    if (begin > next) rest.emplace_back(next, begin);
    next = end;
  }
  if (next < trials) rest.emplace_back(next, trials);
  return rest;
}

TEST(CheckpointResume, StreamingStoppedAtAnyBlocksResumesToTheSameBits) {
  const std::uint64_t trials = 60000;
  statistics::RunAccumulator whole(r1().model, r1().plan);
  statistics::accumulate(r1().plan, settings(trials, 2), trials, whole);
  const auto expected = whole.serialize();
  for (const std::uint64_t stop_at : {1u, 17u, 100u}) {
    statistics::RunAccumulator interrupted(r1().model, r1().plan);
    simulation::RunSettings stopping = settings(trials, 4);
    stopping.stop_requested = stop_after(stop_at);
    const auto done = statistics::accumulate_ranges(r1().plan, stopping, {{0, trials}}, interrupted);
    ASSERT_FALSE(done.empty());
    ASSERT_LT(interrupted.trials(), trials) << "the stop did not stop the run";
    std::uint64_t held = 0;
    for (const auto& [begin, end] : done) held += end - begin;
    EXPECT_EQ(held, interrupted.trials());

    // Through bytes, as the checkpoint file carries it, then finished on one thread.
    statistics::RunAccumulator resumed(r1().model, r1().plan);
    resumed.restore(interrupted.serialize());
    const auto rest = statistics::accumulate_ranges(r1().plan, settings(trials, 1), missing(done, trials), resumed);
    EXPECT_EQ(rest, missing(done, trials));
    EXPECT_EQ(resumed.trials(), trials);
    EXPECT_EQ(resumed.serialize(), expected) << "stopped after " << stop_at << " blocks";
  }
}

TEST(CheckpointResume, ExactStoppedKeepsAPrefixAndResumesToTheSameOutputs) {
  const std::size_t trials = 30000;
  const auto whole = simulation::simulate(r1().plan, settings(trials, 2));
  simulation::RunSettings stopping = settings(trials, 3);
  stopping.stop_requested = stop_after(40);
  simulation::TrialOutputs outputs = simulation::simulate(r1().plan, settings(0, 1));
  const std::size_t prefix = simulation::extend_until_stopped(r1().plan, stopping, trials, outputs);
  ASSERT_LT(prefix, trials);
  EXPECT_EQ(prefix % stopping.block_size, 0u);
  EXPECT_EQ(outputs.trials, prefix);
  // Through the checkpoint's encoding, then extended on one thread.
  simulation::TrialOutputs resumed = statistics::decode_outputs(statistics::encode_outputs(outputs), r1().plan, prefix);
  EXPECT_EQ(simulation::extend_until_stopped(r1().plan, settings(trials, 1), trials, resumed), trials);
  EXPECT_TRUE(mcrisk::testing::same_outputs(resumed, whole));
}

TEST(CheckpointResume, SimulateIgnoresAStopRequest) {
  // Only the stop-aware calls stop: simulate() always runs every trial asked for.
  simulation::RunSettings stopping = settings(5000, 2);
  stopping.stop_requested = [] { return true; };
  EXPECT_TRUE(mcrisk::testing::same_outputs(simulation::simulate(r1().plan, stopping), simulation::simulate(r1().plan, settings(5000, 2))));
}

TEST(CheckpointResume, CheckpointFileRoundTripsAndRefusesDamage) {
  statistics::RunCheckpoint checkpoint;
  checkpoint.engine_version = "test";
  checkpoint.config_file = "/a/config.yaml";
  checkpoint.config_sha256 = std::string(64, 'a');
  checkpoint.seed = 7;
  checkpoint.trials_requested = 1000;
  checkpoint.statistics_mode = "streaming";
  checkpoint.block_size = 256;
  checkpoint.done = {{0, 256}, {512, 768}};
  checkpoint.command_options = "{}";
  checkpoint.state = {1, 2, 3};
  const auto file = std::filesystem::temp_directory_path() / ("mcrisk_checkpoint_unit_" + std::to_string(::getpid()));
  statistics::write_checkpoint(file, checkpoint);
  const auto back = statistics::read_checkpoint(file);
  EXPECT_EQ(back.done, checkpoint.done);
  EXPECT_EQ(back.state, checkpoint.state);
  EXPECT_EQ(back.seed, 7u);
  EXPECT_EQ(back.trials_done(), 512u);
  EXPECT_EQ(back.config_sha256, checkpoint.config_sha256);
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - 1);
  try {
    statistics::read_checkpoint(file);
    ADD_FAILURE() << "a truncated checkpoint was read";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("damaged or truncated"), std::string::npos) << error.what();
  }
  std::filesystem::remove(file);
}

TEST(CheckpointResume, InterruptedInTheOptimismBiasPassResumesToTheSameSummary) {
  // R1 with an optimism bias: the appraisal runs the trials twice, and a stop can land in the second pass.
  std::ifstream file(std::string(MCRISK_SOURCE_DIR) + "/configs/triborough_2010.yaml");
  std::ostringstream text;
  text << file.rdbuf() << "\noptimism_bias: {cost_uplift: 0.2, benefit_delay_months: 6, rationale: test}\n";
  const model::Model model = config::load_model_from_text(text.str(), "r1_with_bias.yaml");
  ASSERT_TRUE(model.optimism_bias.has_value());
  const auto plan = simulation::EvaluationPlan::compile(model);
  const std::size_t trials = 20480;  // 80 blocks of 256
  const auto without_run_metadata = [](const statistics::RunSummary& summary) {
    nlohmann::json json = report::summary_to_json(summary);
    json["run"].erase("threads");
    json["statistics"].erase("memory_estimate_bytes");  // per thread
    return json;
  };
  for (const auto mode : {statistics::StatisticsMode::Exact, statistics::StatisticsMode::Streaming}) {
    statistics::AppraisalRequest request;
    request.settings = settings(trials, 2);
    request.mode = mode;
    const auto whole = statistics::appraise(model, plan, request, {});
    ASSERT_FALSE(whole.summary.optimism_bias_adjusted.empty());

    statistics::AppraisalRequest stopping = request;
    stopping.settings.stop_requested = stop_after(90);  // past the main pass's 80 blocks
    auto interrupted = statistics::appraise(model, plan, stopping, {});
    ASSERT_TRUE(interrupted.interrupted.has_value()) << statistics::to_string(mode);
    EXPECT_EQ(interrupted.interrupted->done, (statistics::TrialRanges{{0, trials}}));  // the main pass is kept whole

    statistics::AppraisalRequest resuming = request;
    resuming.settings.threads = 1;
    resuming.resume = &*interrupted.interrupted;
    const auto resumed = statistics::appraise(model, plan, resuming, {});
    EXPECT_FALSE(resumed.interrupted.has_value());
    EXPECT_TRUE(without_run_metadata(resumed.summary) == without_run_metadata(whole.summary)) << statistics::to_string(mode);
  }
}

}  // namespace
