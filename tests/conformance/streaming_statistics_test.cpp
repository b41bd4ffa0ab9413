// Streaming statistics keep the engine's promises: bit-identical summaries on
// any thread count and block size, a run extended in rounds equals one run of
// the same length, figures within the stated sketch error of the exact ones
// (R1, same trials), runs refused beyond the memory cap, and a non-finite
// trial output failing the run with the trial named.

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "config_edit.h"
#include "mcrisk/config/model_loader.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/appraisal.h"
#include "mcrisk/statistics/run_accumulator.h"
#include "mcrisk/statistics/run_summary.h"

#include "event_model.h"
#include "r1_model.h"

namespace {

using namespace mcrisk;

using mcrisk::testing::r1;

simulation::RunSettings settings(std::size_t trials, int threads, std::size_t block_size = 256) {
  simulation::RunSettings s;
  s.trials = trials;
  s.seed = 20100706;
  s.threads = threads;
  s.block_size = block_size;
  return s;
}

statistics::RunAccumulator streamed(std::size_t trials, int threads, std::size_t block_size = 256) {
  statistics::RunAccumulator accumulator(r1().model, r1().plan);
  statistics::accumulate(r1().plan, settings(trials, threads, block_size), trials, accumulator);
  return accumulator;
}

// Every figure of two summaries, compared bit for bit.
void expect_same_bits(const statistics::SampleSummary& a, const statistics::SampleSummary& b, const std::string& what) {
  EXPECT_EQ(a.count, b.count) << what;
  EXPECT_EQ(a.mean, b.mean) << what;
  EXPECT_EQ(a.sd, b.sd) << what;
  EXPECT_EQ(a.prob_loss, b.prob_loss) << what;
  EXPECT_EQ(a.expected_shortfall_5, b.expected_shortfall_5) << what;
  EXPECT_EQ(a.expected_shortfall_5_ci95.low, b.expected_shortfall_5_ci95.low) << what;
  ASSERT_EQ(a.percentiles.size(), b.percentiles.size()) << what;
  for (std::size_t k = 0; k < a.percentiles.size(); ++k) {
    EXPECT_EQ(a.percentiles[k].value, b.percentiles[k].value) << what;
    EXPECT_EQ(a.percentiles[k].ci95.low, b.percentiles[k].ci95.low) << what;
    EXPECT_EQ(a.percentiles[k].ci95.high, b.percentiles[k].ci95.high) << what;
  }
}

void expect_same_bits(const statistics::RunAccumulator& a, const statistics::RunAccumulator& b) {
  const auto options_a = a.summarise_options(r1().model), options_b = b.summarise_options(r1().model);
  ASSERT_EQ(options_a.size(), options_b.size());
  for (std::size_t o = 0; o < options_a.size(); ++o) {
    const std::string id = options_a[o].id;
    expect_same_bits(options_a[o].total_net, options_b[o].total_net, id + " total");
    expect_same_bits(options_a[o].npv_green_book, options_b[o].npv_green_book, id + " npv");
    expect_same_bits(options_a[o].bcr.ratio, options_b[o].bcr.ratio, id + " bcr");
    EXPECT_EQ(options_a[o].prob_best.value, options_b[o].prob_best.value) << id;
    for (std::size_t t = 0; t < options_a[o].by_year.size(); ++t) {
      EXPECT_EQ(options_a[o].by_year[t].mean, options_b[o].by_year[t].mean) << id;
      EXPECT_EQ(options_a[o].by_year[t].p10, options_b[o].by_year[t].p10) << id;
    }
    for (std::size_t d = 0; d < options_a[o].drivers.size(); ++d) {
      EXPECT_EQ(options_a[o].drivers[d].rank_correlation, options_b[o].drivers[d].rank_correlation) << id;
    }
  }
  const auto comparisons_a = a.compare_options(r1().model), comparisons_b = b.compare_options(r1().model);
  for (std::size_t k = 0; k < comparisons_a.size(); ++k) {
    expect_same_bits(comparisons_a[k].difference, comparisons_b[k].difference, comparisons_a[k].a + "-" + comparisons_a[k].b);
    EXPECT_EQ(comparisons_a[k].a_better.value, comparisons_b[k].a_better.value);
  }
}

TEST(StreamingStatistics, BitIdenticalOnAnyThreadCountAndBlockSize) {
  const auto reference = streamed(30000, 1, 256);
  expect_same_bits(reference, streamed(30000, 2, 256));
  expect_same_bits(reference, streamed(30000, 2, 1024));
  expect_same_bits(reference, streamed(30000, 8, 512));
  // A block size that is not a multiple of the summation group is rounded up to one, not an error.
  expect_same_bits(reference, streamed(30000, 2, 300));
}

TEST(StreamingStatistics, ARunExtendedInRoundsEqualsOneRun) {
  statistics::RunAccumulator grown(r1().model, r1().plan);
  statistics::accumulate(r1().plan, settings(0, 2), 2560, grown);
  statistics::accumulate(r1().plan, settings(0, 1), 10240, grown);
  statistics::accumulate(r1().plan, settings(0, 2), 25600, grown);
  EXPECT_EQ(grown.trials(), 25600u);
  expect_same_bits(grown, streamed(25600, 2));
  // Continuing mid-group would split a summation group: refused, not silently different.
  statistics::RunAccumulator odd(r1().model, r1().plan);
  statistics::accumulate(r1().plan, settings(0, 2), 1000, odd);
  EXPECT_THROW(statistics::accumulate(r1().plan, settings(0, 2), 2000, odd), std::invalid_argument);
}

TEST(StreamingStatistics, AgreesWithExactStatisticsWithinTheStatedError) {
  const std::size_t n = 100000;
  const auto outputs = simulation::simulate(r1().plan, settings(n, 2));
  const auto exact = statistics::summarise_options(r1().model, r1().plan, outputs, {});
  const auto stream = streamed(n, 2).summarise_options(r1().model);
  for (std::size_t o = 0; o < exact.size(); ++o) {
    const auto& e = exact[o].total_net;
    const auto& s = stream[o].total_net;
    const std::string id = exact[o].id;
    EXPECT_FALSE(s.accuracy.exact);
    EXPECT_TRUE(e.accuracy.exact);
    // Sums and counts are exact up to rounding: the mean to 1e-12 of the spread, P(loss) exactly.
    EXPECT_NEAR(s.mean, e.mean, 1e-9 * e.sd) << id;
    EXPECT_NEAR(s.sd, e.sd, 1e-9 * e.sd) << id;
    EXPECT_EQ(s.prob_loss, e.prob_loss) << id;
    EXPECT_EQ(s.min, e.min) << id;
    EXPECT_EQ(s.max, e.max) << id;
    EXPECT_EQ(stream[o].prob_best.value, exact[o].prob_best.value) << id;
    // Percentiles and their interval ends: within the sketch's value bound of
    // the exact order statistics they interpolate (2^-12 of the larger magnitude).
    for (std::size_t k = 0; k < e.percentiles.size(); ++k) {
      const double scale = 0x1p-12 * std::max(std::abs(e.percentiles[k].ci95.high), std::abs(e.percentiles[k].ci95.low));
      EXPECT_NEAR(s.percentiles[k].value, e.percentiles[k].value, scale) << id << " P" << e.percentiles[k].level;
      EXPECT_NEAR(s.percentiles[k].ci95.low, e.percentiles[k].ci95.low, scale) << id;
      EXPECT_NEAR(s.percentiles[k].ci95.high, e.percentiles[k].ci95.high, scale) << id;
    }
    EXPECT_NEAR(s.expected_shortfall_5, e.expected_shortfall_5, 0x1p-12 * std::abs(e.percentile(5)) + 0x1p-12 * std::abs(e.min)) << id;
    EXPECT_LT(s.accuracy.rank_error, 0.002) << id;
    for (std::size_t t = 0; t < exact[o].by_year.size(); ++t) {
      EXPECT_NEAR(stream[o].by_year[t].mean, exact[o].by_year[t].mean, 1e-6 * std::abs(exact[o].by_year[t].mean) + 1e-6) << id;
      EXPECT_NEAR(stream[o].by_year[t].p50, exact[o].by_year[t].p50, 0x1p-11 * std::abs(exact[o].by_year[t].p90) + 1.0) << id;
    }
    for (std::size_t k = 0; k < exact[o].targets.size(); ++k) {
      EXPECT_EQ(stream[o].targets[k].probability.value, exact[o].targets[k].probability.value) << id;
    }
    EXPECT_EQ(stream[o].bcr.defined, exact[o].bcr.defined) << id;
    if (exact[o].bcr.defined) {
      EXPECT_NEAR(stream[o].bcr.ratio.mean, exact[o].bcr.ratio.mean, 1e-9 * exact[o].bcr.ratio.sd) << id;
    }
  }
}

// Events only, no savings: most trials cost nothing, so options tie for best
// (two, three or all four at once: shares of 1/2, 1/3, 1/4), and the
// benefit-cost ratio is defined in some trials of a group and not in others.
// The streaming path splits ties lane by lane and counts whole wins only in
// groups without a tie; both must agree with the stored-sample path.
TEST(StreamingStatistics, TiesAndUndefinedRatiosAgreeWithExactStatistics) {
  // The shared events model with 'recurring' replaced by 'never', exposed with hazard 0.
  const std::string text = mcrisk::testing::with(mcrisk::testing::kEventModel, "  recurring:\n    events: {strike: {slots: [s1], hazard: 0.05}}",
                                                 "  never:\n    events: {withdrawal: {slots: [s2], hazard: 0}}");
  const model::Model tied = config::load_model_from_text(text, "tied.yaml");
  const simulation::EvaluationPlan plan = simulation::EvaluationPlan::compile(tied);
  const std::size_t n = 20000;
  const auto exact = statistics::summarise_options(tied, plan, simulation::simulate(plan, settings(n, 2)), {});
  statistics::RunAccumulator accumulator(tied, plan);
  statistics::accumulate(plan, settings(n, 2), n, accumulator);
  const auto stream = accumulator.summarise_options(tied);
  ASSERT_EQ(stream.size(), 4u);
  double best_total = 0;
  for (std::size_t o = 0; o < exact.size(); ++o) {
    const std::string id = exact[o].id;
    EXPECT_NEAR(stream[o].prob_best.value, exact[o].prob_best.value, 1e-12) << id;
    best_total += stream[o].prob_best.value;
    EXPECT_EQ(stream[o].bcr.defined, exact[o].bcr.defined) << id;
    EXPECT_FALSE(stream[o].bcr.defined) << id << ": some trials have no costs";
    EXPECT_EQ(stream[o].total_net.prob_loss, exact[o].total_net.prob_loss) << id;
  }
  EXPECT_NEAR(best_total, 1.0, 1e-12);
  // 'never' costs nothing: it is best (alone or tied) in every trial, so its
  // share is at least P(no other option has an event) and below 1.
  EXPECT_GT(stream[3].prob_best.value, 0.25);
  EXPECT_LT(stream[3].prob_best.value, 1.0);
}

TEST(StreamingStatistics, AppraisalChoosesTheModeAndRefusesBeyondTheMemoryCap) {
  statistics::AppraisalRequest request;
  request.settings = settings(10000, 2);
  EXPECT_EQ(statistics::choose_mode(r1().model, r1().plan, request), statistics::StatisticsMode::Exact);
  request.settings.trials = 100000000;
  EXPECT_EQ(statistics::choose_mode(r1().model, r1().plan, request), statistics::StatisticsMode::Streaming);
  const auto estimate = statistics::estimate_memory(r1().model, r1().plan, request);
  EXPECT_LT(estimate.streaming_bytes, std::size_t{1} << 30);  // 10^8 trials in under 1 GiB
  EXPECT_GT(estimate.exact_bytes, std::size_t{50} << 30);
  request.mode = statistics::StatisticsMode::Exact;
  try {
    (void)statistics::choose_mode(r1().model, r1().plan, request);
    FAIL() << "an exact run of 10^8 trials should be refused";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("100000000 trials"), std::string::npos) << message;
    EXPECT_NE(message.find("GiB"), std::string::npos) << message;
    EXPECT_NE(message.find("--statistics streaming"), std::string::npos) << message;
  }
  request.mode = statistics::StatisticsMode::Streaming;
  request.keep_outputs = true;
  EXPECT_THROW((void)statistics::choose_mode(r1().model, r1().plan, request), std::invalid_argument);
  request.keep_outputs = false;
  request.design.replicate_size = 1024;
  EXPECT_THROW((void)statistics::choose_mode(r1().model, r1().plan, request), std::invalid_argument);
}

TEST(StreamingStatistics, AppraisalSummariesAreBitIdenticalAcrossThreads) {
  statistics::AppraisalRequest request;
  request.settings = settings(20000, 1);
  request.mode = statistics::StatisticsMode::Streaming;
  const auto one = statistics::appraise(r1().model, r1().plan, request, {});
  request.settings.threads = 2;
  const auto two = statistics::appraise(r1().model, r1().plan, request, {});
  EXPECT_EQ(one.summary.statistics.mode, "streaming");
  EXPECT_FALSE(one.outputs.has_value());
  ASSERT_EQ(one.summary.options.size(), two.summary.options.size());
  for (std::size_t o = 0; o < one.summary.options.size(); ++o) {
    expect_same_bits(one.summary.options[o].total_net, two.summary.options[o].total_net, one.summary.options[o].id);
  }
  ASSERT_EQ(one.summary.optimism_bias_adjusted.size(), two.summary.optimism_bias_adjusted.size());
  for (std::size_t o = 0; o < one.summary.optimism_bias_adjusted.size(); ++o) {
    expect_same_bits(one.summary.optimism_bias_adjusted[o].total_net, two.summary.optimism_bias_adjusted[o].total_net, "bias");
  }
}

// A model whose output is NaN in about half the trials: sqrt of a driver that is negative half the time.
constexpr const char* kNaNModel = R"yaml(mcrisk: 1
model:
  name: "NaN in half the trials"
  currency: units
  years: ["y"]
  discount_rate: 0
run:
  trials: 1000
  seed: 3
drivers:
  x: {distribution: {type: normal, mean: 0.0, sd: 1.0}, planned: 1}
savings_items:
  root:
    factors: ["sqrt(x)"]
cost_items:
  fixed:
    amount: 10
options:
  A:
    savings: {root: [100]}
    cost_phasing: [1]
)yaml";

TEST(StreamingStatistics, ANonFiniteOutputFailsTheRunNamingTheFirstTrial) {
  const model::Model model = config::load_model_from_text(kNaNModel, "nan.yaml");
  const auto plan = simulation::EvaluationPlan::compile(model);
  // The first trial with x < 0, found directly.
  std::uint64_t first_bad = 0;
  while (std::isfinite(simulation::replay_trial(plan, 3, first_bad).total_net[0])) ++first_bad;
  for (auto mode : {statistics::StatisticsMode::Exact, statistics::StatisticsMode::Streaming}) {
    statistics::AppraisalRequest request;
    request.settings.trials = 4096;
    request.settings.seed = 3;
    request.settings.threads = 2;
    request.mode = mode;
    try {
      (void)statistics::appraise(model, plan, request, {});
      FAIL() << "a run with NaN outputs must fail (" << statistics::to_string(mode) << ")";
    } catch (const statistics::NonFiniteOutputError& error) {
      EXPECT_EQ(error.trial.trial, first_bad) << statistics::to_string(mode);
      const std::string message = error.what();
      EXPECT_NE(message.find("trial " + std::to_string(first_bad)), std::string::npos) << message;
      EXPECT_NE(message.find("option A"), std::string::npos) << message;
      EXPECT_NE(message.find("mcrisk replay"), std::string::npos) << message;
    }
  }
}

}  // namespace
