// R1 trials per second on 1 and 2 threads, and the random-number limit of the
// machine for R1's unit-cube dimensions (the ceiling a trial loop could reach
// if everything but drawing the uniforms were free).
//
//   ./build/benchmarks/r1_throughput --benchmark_counters_tabular=true

#include <benchmark/benchmark.h>

#include <vector>

#include "mcrisk/config/model_loader.h"
#include "mcrisk/sampling/unit_cube_sampler.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/run_summary.h"

namespace {

using namespace mcrisk;

struct R1 {
  model::Model model = config::load_model(std::string(MCRISK_SOURCE_DIR) + "/configs/triborough_2010.yaml");
  simulation::EvaluationPlan plan = simulation::EvaluationPlan::compile(model);
};

const R1& r1() {
  static const R1 instance;
  return instance;
}

// The trial loop alone: sampling, copula, marginals, expressions, events, outputs.
void BM_R1Simulate(benchmark::State& state) {
  simulation::RunSettings settings;
  settings.trials = std::size_t(state.range(0));
  settings.threads = int(state.range(1));
  settings.keep_driver_samples = false;
  for (auto _ : state) {
    auto outputs = simulation::simulate(r1().plan, settings);
    benchmark::DoNotOptimize(outputs.total_net.front().data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["trials_per_s"] = benchmark::Counter(double(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_R1Simulate)->Args({100000, 1})->Args({100000, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

// What `mcrisk run` does after the trial loop: percentiles, ES, P(best), driver ranking.
void BM_R1Summarise(benchmark::State& state) {
  simulation::RunSettings settings;
  settings.trials = std::size_t(state.range(0));
  const auto outputs = simulation::simulate(r1().plan, settings);
  for (auto _ : state) {
    auto summary = statistics::summarise_run(r1().model, r1().plan, outputs, {});
    benchmark::DoNotOptimize(summary.options.data());
  }
  state.counters["trials_per_s"] = benchmark::Counter(double(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_R1Summarise)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

// Philox uniforms for R1's dimensions, one thread: the random-number limit per core.
void BM_R1UniformsOnly(benchmark::State& state) {
  const std::size_t block = 256;
  const sampling::IndependentSampler sampler(1, r1().plan.dimension_count);
  std::vector<double> u(r1().plan.dimension_count * block);
  std::uint64_t trial = 0;
  for (auto _ : state) {
    sampler.fill(trial, block, u.data(), block);
    benchmark::DoNotOptimize(u.data());
    trial += block;
  }
  state.counters["trials_per_s"] = benchmark::Counter(double(state.iterations() * block), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_R1UniformsOnly);

}  // namespace

BENCHMARK_MAIN();
