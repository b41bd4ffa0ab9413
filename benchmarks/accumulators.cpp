// The streaming statistics' pieces, on their own (issue 6): what a streaming
// run spends per trial after the trial loop. Each writes JSON with
//   ./build/benchmarks/accumulators --benchmark_out=acc.json --benchmark_out_format=json
// (scripts/benchmarks does this for every benchmark program).
//
//   BM_ExactSumAdd                one double into the Kulisch accumulator (once per 256-trial group in a run)
//   BM_QuantileSketchAdd/spread   one value into a sketch; spread = how many binades the values cover
//                                 (1: a narrow output such as an option's total; 24: net savings in a
//                                 year that crosses zero), the cost of the bucket increment's cache misses
//   BM_QuantileSketchMerge        merging one per-thread sketch into another (once per thread per run)
//   BM_QuantileSketchPercentiles  the reported percentiles with their binomial intervals and ES5
//   BM_RunAccumulatorAddBlock     everything streaming keeps of one evaluated R1 block of 256 trials
//                                 (42 sketched outputs, sums, counts, P(best), the stored first trials)
//   BM_RankSample/spread          average ranks of 2^17 values (one column of the driver ranking, which
//                                 ranks some 30 in every streaming run); spread as above

#include <benchmark/benchmark.h>

#include <Random123/philox.h>
#include <Random123/uniform.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "mcrisk/config/model_loader.h"
#include "mcrisk/sampling/unit_cube_sampler.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/trial_block.h"
#include "mcrisk/statistics/exact_sum.h"
#include "mcrisk/statistics/output_accumulator.h"
#include "mcrisk/statistics/quantile_sketch.h"
#include "mcrisk/statistics/run_accumulator.h"
#include "mcrisk/statistics/sample_statistics.h"

namespace {

using namespace mcrisk;

constexpr std::size_t kValues = 1 << 16;

// Values around £500k, log-uniform over `binades` binades, signs mixed when the spread is wide:
// a fixed stream (Philox) so every run of the benchmark adds the same values.
std::vector<double> test_values(int binades, std::size_t count = kValues) {
  std::vector<double> values(count);
  r123::Philox4x32 philox;
  const r123::Philox4x32::key_type key = {{20261203u, std::uint32_t(binades)}};
  for (std::size_t i = 0; i < count; ++i) {
    const auto bits = philox({{std::uint32_t(i), 0, 0, 0}}, key);
    const double u = r123::u01fixedpt<double>(bits.v[0]);
    const double sign = binades > 4 && (bits.v[1] & 1u) ? -1.0 : 1.0;
    values[i] = sign * 5e5 * std::exp2(double(binades) * (u - 0.5));
  }
  return values;
}

void set_rate(benchmark::State& state, std::size_t items_per_iteration, const char* counter) {
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(items_per_iteration));
  state.counters[counter] = benchmark::Counter(double(state.iterations()) * double(items_per_iteration), benchmark::Counter::kIsRate);
}

void BM_ExactSumAdd(benchmark::State& state) {
  const std::vector<double> values = test_values(8);
  statistics::ExactSum sum;
  for (auto _ : state) {
    for (const double v : values) sum.add(v);
    benchmark::DoNotOptimize(sum);
  }
  set_rate(state, kValues, "adds_per_s");
}
BENCHMARK(BM_ExactSumAdd);

void BM_QuantileSketchAdd(benchmark::State& state) {
  const std::vector<double> values = test_values(int(state.range(0)));
  statistics::QuantileSketch sketch;
  for (auto _ : state) {
    sketch.add_many(values.size(), [&](std::size_t i) { return values[i]; });
    benchmark::DoNotOptimize(sketch.count());
  }
  set_rate(state, kValues, "adds_per_s");
  state.counters["sketch_bytes"] = double(sketch.bytes());
}
BENCHMARK(BM_QuantileSketchAdd)->Arg(1)->Arg(4)->Arg(24);

void BM_QuantileSketchMerge(benchmark::State& state) {
  const std::vector<double> values = test_values(24);
  statistics::QuantileSketch part, into;
  part.add_many(values.size(), [&](std::size_t i) { return values[i]; });
  for (auto _ : state) {
    into.merge(part);
    benchmark::DoNotOptimize(into.count());
  }
  set_rate(state, 1, "merges_per_s");
  state.counters["sketch_bytes"] = double(part.bytes());
}
BENCHMARK(BM_QuantileSketchMerge);

void BM_QuantileSketchPercentiles(benchmark::State& state) {
  const std::vector<double> values = test_values(4);
  statistics::OutputAccumulator accumulator(5e5);
  for (std::size_t i = 0; i < values.size(); i += 256) {
    accumulator.add_group(256, [&](std::size_t k) { return values[i + k]; });
  }
  for (auto _ : state) {
    auto summary = accumulator.summary();
    benchmark::DoNotOptimize(summary);
  }
  set_rate(state, 1, "summaries_per_s");
}
BENCHMARK(BM_QuantileSketchPercentiles);

struct R1Block {
  model::Model model = config::load_model(std::string(MCRISK_SOURCE_DIR) + "/configs/triborough_2010.yaml");
  simulation::EvaluationPlan plan = simulation::EvaluationPlan::compile(model);
};

void BM_RunAccumulatorAddBlock(benchmark::State& state) {
  static const R1Block r1;
  constexpr std::size_t kBlock = 256;
  const auto sampler = sampling::UnitCubeSampler::create(sampling::SamplingMethod::MonteCarlo, 1, r1.plan.dimension_count, 1);
  // 64 distinct evaluated blocks, added in turn, so the sketches see a run's spread of values.
  std::vector<simulation::TrialBlock> blocks;
  for (std::size_t b = 0; b < 64; ++b) {
    blocks.emplace_back(r1.plan, kBlock);
    blocks.back().evaluate(sampler, b * kBlock, kBlock);
  }
  statistics::RunAccumulator accumulator(r1.model, r1.plan);
  std::uint64_t trial = 1u << 20;  // past the stored first trials, as in most of a long run
  for (auto _ : state) {
    for (const auto& block : blocks) {
      accumulator.add_block(block, trial);
      trial += kBlock;
    }
  }
  set_rate(state, 64 * kBlock, "trials_per_s");
  state.counters["accumulator_bytes"] = double(accumulator.bytes());
}
BENCHMARK(BM_RunAccumulatorAddBlock)->Unit(benchmark::kMicrosecond);

void BM_RankSample(benchmark::State& state) {
  constexpr std::size_t kRankingTrials = std::size_t{1} << 17;  // StreamingOptions::ranking_trials
  const std::vector<double> values = test_values(int(state.range(0)), kRankingTrials);
  std::vector<double> result(values.size());
  statistics::RankWorkspace workspace;
  for (auto _ : state) {
    workspace.ranks(values, result);
    benchmark::DoNotOptimize(result.data());
  }
  set_rate(state, values.size(), "values_per_s");
}
BENCHMARK(BM_RankSample)->Arg(1)->Arg(24)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
