// R1 throughput and its pieces, against the random-number limit of the
// machine (issue 6). One run prints, after the usual table, a summary with
// the raw-variate rate (R1's uniforms and normal deviates generated alone by
// fast engines), R1's trials/s on 1 and 2 threads, and their ratios. (The
// console table always shows counters as columns: the program passes its own
// reporter, so --benchmark_counters_tabular has no effect.)
//
//   ./build/benchmarks/r1_throughput
//   ./build/benchmarks/r1_throughput --benchmark_out=r1.json --benchmark_out_format=json
//   ./build/benchmarks/r1_throughput --benchmark_repetitions=5   (the summary uses the medians)
//
// Benchmarks:
//   BM_R1UniformsOnly           the engine's sampler (Philox4x32-10, vector kernels) for R1's unit-cube dimensions
//   BM_RawVariates/threads      R1's raw variates per trial generated alone, the way the issue's
//                               reference does: the uniforms by Philox4x32-10 in bulk, the normal
//                               deviates by Boost's ziggurat normal_distribution on mt19937_64
//   BM_StandardNormalQuantile   Phi^-1 as the engine computes it (AS241) ...
//   BM_StandardNormalQuantileBoostErfcInv  ... and as it did before (Boost erfc_inv)
//   BM_PertQuantileTable        R1's PERT(0.7, 0.95, 1.05) from u through the table ...
//   BM_PertFromNormalScoreTable ... from a normal score through the table (the copula path) ...
//   BM_PertQuantileBoostExact   ... and by Boost's exact ibeta_inv, as before
//   BM_R1CopulaTransform        R1's 9-dimensional copula block: Phi^-1, L z, the marginals
//   BM_R1Simulate/trials/threads  the trial loop (sampling, copula, marginals, programs, events, outputs)
//   BM_R1EndToEnd/trials/threads  the trial loop and every statistic `mcrisk run` computes
//   BM_R1Summarise              the statistics alone

#include <benchmark/benchmark.h>

#include <Random123/philox.h>
#include <Random123/uniform.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "mcrisk/config/model_loader.h"
#include "mcrisk/model/distribution.h"
#include "mcrisk/sampling/unit_cube_sampler.h"
#include "mcrisk/simulation/evaluation_plan.h"
#include "mcrisk/simulation/simulator.h"
#include "mcrisk/statistics/appraisal.h"
#include "mcrisk/statistics/run_summary.h"
#include "mcrisk/util/allocator_tuning.h"

namespace {

using namespace mcrisk;

namespace bmp = boost::math::policies;
// As the engine calls Boost: double precision, no exceptions.
using Quiet = bmp::policy<bmp::domain_error<bmp::ignore_error>, bmp::pole_error<bmp::ignore_error>,
                          bmp::overflow_error<bmp::ignore_error>, bmp::underflow_error<bmp::ignore_error>,
                          bmp::denorm_error<bmp::ignore_error>, bmp::evaluation_error<bmp::ignore_error>,
                          bmp::rounding_error<bmp::ignore_error>, bmp::indeterminate_result_error<bmp::ignore_error>,
                          bmp::promote_double<false>, bmp::promote_float<false>>;

constexpr std::size_t kTrials = 100000;  // per end-to-end iteration
// Streaming runs are long runs: at 10^5 trials their fixed costs (sketch pages,
// the driver ranking's sort, intervals) are most of the time, at 4 x 10^6 the
// per-trial cost is what shows, as in a nightly 10^7-trial run.
constexpr std::size_t kStreamingTrials = 4000000;
constexpr std::size_t kBlock = 256;      // lanes per block, as the engine's default

struct R1 {
  model::Model model = config::load_model(std::string(MCRISK_SOURCE_DIR) + "/configs/triborough_2010.yaml");
  simulation::EvaluationPlan plan = simulation::EvaluationPlan::compile(model);
  // Raw variates per trial: one normal deviate per component that consumes a
  // score (copula members, normal and lognormal marginals, AR(1) innovations),
  // one uniform per other unit-cube dimension (other marginals, events).
  std::size_t normals = 0, uniforms = 0;
  R1() {
    for (const auto& t : plan.transforms) {
      const bool score = t.copula_position != simulation::kNotInCopula ||
                         t.kind != simulation::ComponentTransform::Kind::Marginal || t.marginal.prefers_normal_score();
      normals += score ? 1 : 0;
    }
    uniforms = plan.dimension_count - normals;
  }
};

const R1& r1() {
  static const R1 instance;
  return instance;
}

// Uniforms in (0,1), as the samplers give them.
std::vector<double> test_uniforms(std::size_t n) {
  std::vector<double> u(n);
  for (std::size_t i = 0; i < n; ++i) u[i] = (double(i) + 0.5) / double(n);
  std::sort(u.begin(), u.end(), [](double a, double b) { return std::fmod(a * 7919.0, 1.0) < std::fmod(b * 7919.0, 1.0); });
  return u;  // shuffled deterministically, so branches are not predictable by position
}

void set_items(benchmark::State& state, std::size_t items_per_iteration, const char* counter) {
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(items_per_iteration));
  state.counters[counter] =
      benchmark::Counter(double(state.iterations()) * double(items_per_iteration), benchmark::Counter::kIsRate);
}

// ---------------------------------------------------------------------------
// Random streams
// ---------------------------------------------------------------------------

// Philox4x32-10 uniforms for R1's dimensions, one thread: the engine's own sampler (its fastest kernel here).
void BM_R1UniformsOnly(benchmark::State& state) {
  const sampling::IndependentSampler sampler(1, r1().plan.dimension_count);
  std::vector<double> u(r1().plan.dimension_count * kBlock);
  std::uint64_t trial = 0;
  for (auto _ : state) {
    sampler.fill(trial, kBlock, u.data(), kBlock);
    benchmark::DoNotOptimize(u.data());
    trial += kBlock;
  }
  set_items(state, kBlock, "trials_per_s");
}
BENCHMARK(BM_R1UniformsOnly);

// R1's raw variates generated alone, in blocks of 256 trials laid out as the
// engine lays them out (one row per variate): the uniforms from
// Philox4x32-10 (four 32-bit words a call, each mapped to (0,1)), the normal
// deviates from Boost's ziggurat normal_distribution on mt19937_64. Chunks of
// 16 blocks run in parallel on `threads` threads, each chunk with its own
// streams; the rate is trials per second of wall time.
void BM_RawVariates(benchmark::State& state) {
  const int threads = int(state.range(0));
  const std::size_t uniforms = r1().uniforms, normals = r1().normals;
  constexpr std::size_t kChunkBlocks = 16;
  constexpr std::size_t kChunks = 64;  // 64 x 16 x 256 = 262,144 trials an iteration
  tbb::task_arena arena(threads);
  std::uint64_t iteration = 0;
  for (auto _ : state) {
    arena.execute([&] {
      tbb::parallel_for(std::size_t{0}, kChunks, [&](std::size_t chunk) {
        thread_local std::vector<double> out;
        out.resize((uniforms + normals) * kBlock);
        r123::Philox4x32 philox;
        r123::Philox4x32::key_type key = {{std::uint32_t(chunk), std::uint32_t(iteration)}};
        r123::Philox4x32::ctr_type counter = {{0, 0, 0, 0}};
        boost::random::mt19937_64 engine(iteration * kChunks + chunk);
        boost::random::normal_distribution<double> normal;
        for (std::size_t block = 0; block < kChunkBlocks; ++block) {
          double* u = out.data();
          for (std::size_t k = 0; k < uniforms * kBlock; k += 4) {
            counter.v[0] += 1;
            const auto bits = philox(counter, key);
            for (std::size_t lane = 0; lane < 4 && k + lane < uniforms * kBlock; ++lane) {
              u[k + lane] = r123::u01fixedpt<double>(bits.v[lane]);
            }
          }
          double* z = out.data() + uniforms * kBlock;
          for (std::size_t k = 0; k < normals * kBlock; ++k) z[k] = normal(engine);
          benchmark::DoNotOptimize(out.data());
          benchmark::ClobberMemory();
        }
      });
    });
    ++iteration;
  }
  set_items(state, kChunks * kChunkBlocks * kBlock, "trials_per_s");
  state.counters["variates_per_trial"] = double(uniforms + normals);
}
BENCHMARK(BM_RawVariates)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---------------------------------------------------------------------------
// Phi^-1 and the PERT quantile
// ---------------------------------------------------------------------------

void BM_StandardNormalQuantile(benchmark::State& state) {
  const std::vector<double> u = test_uniforms(4096);
  std::vector<double> z(u.size());
  for (auto _ : state) {
    for (std::size_t i = 0; i < u.size(); ++i) z[i] = model::standard_normal_quantile(u[i]);
    benchmark::DoNotOptimize(z.data());
  }
  set_items(state, u.size(), "calls_per_s");
}
BENCHMARK(BM_StandardNormalQuantile);

// What standard_normal_quantile computed before AS241.
void BM_StandardNormalQuantileBoostErfcInv(benchmark::State& state) {
  const std::vector<double> u = test_uniforms(4096);
  std::vector<double> z(u.size());
  constexpr double root_two = boost::math::constants::root_two<double>();
  for (auto _ : state) {
    for (std::size_t i = 0; i < u.size(); ++i) {
      const double v = u[i];
      z[i] = v > 0.5 ? root_two * boost::math::erfc_inv(2.0 * (1.0 - v), Quiet())
                     : -root_two * boost::math::erfc_inv(2.0 * v, Quiet());
    }
    benchmark::DoNotOptimize(z.data());
  }
  set_items(state, u.size(), "calls_per_s");
}
BENCHMARK(BM_StandardNormalQuantileBoostErfcInv);

// R1's education realisation, PERT(0.7, 0.95, 1.05).
const model::Distribution& r1_pert() {
  static const model::Distribution pert = model::Distribution::pert(0.7, 0.95, 1.05);
  return pert;
}

void BM_PertQuantileTable(benchmark::State& state) {
  const std::vector<double> u = test_uniforms(4096);
  std::vector<double> x(u.size());
  for (auto _ : state) {
    r1_pert().quantile_block(u.data(), x.data(), u.size());
    benchmark::DoNotOptimize(x.data());
  }
  set_items(state, u.size(), "calls_per_s");
}
BENCHMARK(BM_PertQuantileTable);

void BM_PertFromNormalScoreTable(benchmark::State& state) {
  const std::vector<double> u = test_uniforms(4096);
  std::vector<double> z(u.size()), x(u.size());
  for (std::size_t i = 0; i < u.size(); ++i) z[i] = model::standard_normal_quantile(u[i]);
  for (auto _ : state) {
    r1_pert().from_normal_score_block(z.data(), x.data(), z.size());
    benchmark::DoNotOptimize(x.data());
  }
  set_items(state, z.size(), "calls_per_s");
}
BENCHMARK(BM_PertFromNormalScoreTable);

// What the PERT quantile computed before the table: min + (max-min) ibeta_inv.
void BM_PertQuantileBoostExact(benchmark::State& state) {
  const std::vector<double> u = test_uniforms(1024);
  std::vector<double> x(u.size());
  const double alpha = 1.0 + 4.0 * 0.25 / 0.35, beta = 1.0 + 4.0 * 0.1 / 0.35;
  for (auto _ : state) {
    for (std::size_t i = 0; i < u.size(); ++i) {
      x[i] = std::min(0.7 + 0.35 * boost::math::ibeta_inv(alpha, beta, u[i], Quiet()), 1.05);
    }
    benchmark::DoNotOptimize(x.data());
  }
  set_items(state, u.size(), "calls_per_s");
}
BENCHMARK(BM_PertQuantileBoostExact);

// R1's copula block as TrialBlock::transform_drivers computes it, on 256
// lanes: z = Phi^-1(u) for the 9 correlated components, z' = L z in place,
// then each component's marginal from its score (7 realisation PERTs and the
// grant cut PERT through the table, the AR(1) start as mean + sd z).
void BM_R1CopulaTransform(benchmark::State& state) {
  const auto& plan = r1().plan;
  const std::size_t k = plan.copula_components.size();
  const sampling::IndependentSampler sampler(1, plan.dimension_count);
  std::vector<double> u(plan.dimension_count * kBlock), z(k * kBlock), x(k * kBlock), sum(kBlock);
  std::uint64_t trial = 0;
  sampler.fill(trial, kBlock, u.data(), kBlock);
  for (auto _ : state) {
    for (std::size_t row = 0; row < k; ++row) {
      const double* ur = u.data() + plan.copula_components[row] * kBlock;
      for (std::size_t i = 0; i < kBlock; ++i) z[row * kBlock + i] = model::standard_normal_quantile(ur[i]);
    }
    for (std::size_t row = k; row-- > 0;) {
      std::fill(sum.begin(), sum.end(), 0.0);
      for (std::size_t j = 0; j <= row; ++j) {
        const double weight = plan.copula_cholesky(Eigen::Index(row), Eigen::Index(j));
        for (std::size_t i = 0; i < kBlock; ++i) sum[i] += weight * z[j * kBlock + i];
      }
      std::copy(sum.begin(), sum.end(), z.begin() + std::ptrdiff_t(row * kBlock));
    }
    for (std::size_t row = 0; row < k; ++row) {
      const auto& transform = plan.transforms[plan.copula_components[row]];
      const double* zr = z.data() + row * kBlock;
      double* xr = x.data() + row * kBlock;
      if (transform.kind == simulation::ComponentTransform::Kind::Marginal) {
        transform.marginal.from_normal_score_block(zr, xr, kBlock);
      } else {
        for (std::size_t i = 0; i < kBlock; ++i) xr[i] = transform.ar_mean + transform.ar_sd * zr[i];
      }
    }
    benchmark::DoNotOptimize(x.data());
  }
  set_items(state, kBlock, "trials_per_s");
  state.counters["dimensions"] = double(k);
}
BENCHMARK(BM_R1CopulaTransform);

// ---------------------------------------------------------------------------
// R1 end to end
// ---------------------------------------------------------------------------

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
  set_items(state, std::size_t(state.range(0)), "trials_per_s");
}
BENCHMARK(BM_R1Simulate)->Args({kTrials, 1})->Args({kTrials, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

// What `mcrisk run` computes: the trial loop keeping the drivers (for the
// driver ranking), then every statistic.
void BM_R1EndToEnd(benchmark::State& state) {
  simulation::RunSettings settings;
  settings.trials = std::size_t(state.range(0));
  settings.threads = int(state.range(1));
  for (auto _ : state) {
    const auto outputs = simulation::simulate(r1().plan, settings);
    auto summary = statistics::summarise_run(r1().model, r1().plan, outputs, {});
    benchmark::DoNotOptimize(summary.options.data());
  }
  set_items(state, std::size_t(state.range(0)), "trials_per_s");
}
BENCHMARK(BM_R1EndToEnd)->Args({kTrials, 1})->Args({kTrials, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

// The same with streaming statistics (what `mcrisk run` uses beyond 256 MiB of
// stored trials, and with --statistics streaming): per-thread accumulators and
// quantile sketches merged exactly, then the summary; flat memory.
void BM_R1EndToEndStreaming(benchmark::State& state) {
  statistics::AppraisalRequest request;
  request.settings.trials = std::size_t(state.range(0));
  request.settings.threads = int(state.range(1));
  request.mode = statistics::StatisticsMode::Streaming;
  for (auto _ : state) {
    auto appraisal = statistics::appraise(r1().model, r1().plan, request, {});
    benchmark::DoNotOptimize(appraisal.summary.options.data());
  }
  set_items(state, std::size_t(state.range(0)), "trials_per_s");
}
BENCHMARK(BM_R1EndToEndStreaming)
    ->Args({kTrials, 1})
    ->Args({kTrials, 2})
    ->Args({kStreamingTrials, 1})
    ->Args({kStreamingTrials, 2})
    ->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// What `mcrisk run` does after the trial loop: percentiles, ES, P(best), driver ranking.
void BM_R1Summarise(benchmark::State& state) {
  simulation::RunSettings settings;
  settings.trials = std::size_t(state.range(0));
  const auto outputs = simulation::simulate(r1().plan, settings);
  for (auto _ : state) {
    auto summary = statistics::summarise_run(r1().model, r1().plan, outputs, {});
    benchmark::DoNotOptimize(summary.options.data());
  }
  set_items(state, std::size_t(state.range(0)), "trials_per_s");
}
BENCHMARK(BM_R1Summarise)->Arg(kTrials)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---------------------------------------------------------------------------
// Summary: the console table as usual, and each benchmark's trials_per_s
// (the median when repeated) kept for the ratios printed at the end.
// ---------------------------------------------------------------------------

class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  // Counters as columns; colour only on a terminal.
  SummaryReporter() : ConsoleReporter(isatty(fileno(stdout)) ? OO_ColorTabular : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const auto counter = run.counters.find("trials_per_s");
      if (counter == run.counters.end() || run.error_occurred) continue;
      const std::string name = run.run_name.str();
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Aggregate && !median) continue;
      if (median || !medians_.count(name)) rates_[name] = counter->second.value;
      if (median) medians_[name] = true;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  //! trials/s of the named run, or 0 if it did not run.
  double rate(const std::string& name) const {
    const auto it = rates_.find(name);
    return it == rates_.end() ? 0.0 : it->second;
  }

 private:
  std::map<std::string, double> rates_;
  std::map<std::string, bool> medians_;
};

void print_summary(const SummaryReporter& reporter) {
  const std::string trials = std::to_string(kTrials);
  const double raw1 = reporter.rate("BM_RawVariates/1/real_time");
  const double raw2 = reporter.rate("BM_RawVariates/2/real_time");
  const double sim1 = reporter.rate("BM_R1Simulate/" + trials + "/1/real_time");
  const double sim2 = reporter.rate("BM_R1Simulate/" + trials + "/2/real_time");
  const double e2e1 = reporter.rate("BM_R1EndToEnd/" + trials + "/1/real_time");
  const double e2e2 = reporter.rate("BM_R1EndToEnd/" + trials + "/2/real_time");
  const double stream1 = reporter.rate("BM_R1EndToEndStreaming/" + trials + "/1/iterations:1/real_time");
  const double stream2 = reporter.rate("BM_R1EndToEndStreaming/" + trials + "/2/iterations:1/real_time");
  const std::string long_trials = std::to_string(kStreamingTrials);
  const double long1 = reporter.rate("BM_R1EndToEndStreaming/" + long_trials + "/1/iterations:1/real_time");
  const double long2 = reporter.rate("BM_R1EndToEndStreaming/" + long_trials + "/2/iterations:1/real_time");
  const auto rate = [](double v) { return v > 0.0 ? std::to_string(std::lround(v)) : std::string("(not run)"); };
  const auto ratio = [](double a, double b) {
    char text[32];
    if (a > 0.0 && b > 0.0) std::snprintf(text, sizeof text, "%.3f", a / b);
    else std::snprintf(text, sizeof text, "-");
    return std::string(text);
  };
  std::printf("\nR1 summary (issue 6), trials per second in this run:\n");
  std::printf("  raw variates (%zu uniforms + %zu normal deviates a trial), 1 thread:  %s\n", r1().uniforms,
              r1().normals, rate(raw1).c_str());
  std::printf("  raw variates, 2 threads:                                    %s\n", rate(raw2).c_str());
  std::printf("  R1 trial loop, 1 thread:                                    %s\n", rate(sim1).c_str());
  std::printf("  R1 trial loop, 2 threads:                                   %s  (%s x 1 thread)\n",
              rate(sim2).c_str(), ratio(sim2, sim1).c_str());
  std::printf("  R1 end to end (trial loop + statistics), 1 thread:          %s\n", rate(e2e1).c_str());
  std::printf("  R1 end to end, 2 threads:                                   %s  (%s x 1 thread)\n",
              rate(e2e2).c_str(), ratio(e2e2, e2e1).c_str());
  std::printf("  R1 end to end, streaming statistics, 1 thread:             %s\n", rate(stream1).c_str());
  std::printf("  R1 end to end, streaming statistics, 2 threads:            %s  (%s x 1 thread)\n", rate(stream2).c_str(),
              ratio(stream2, stream1).c_str());
  std::printf("  R1 end to end, streaming, %zu trials, 1 thread:         %s\n", kStreamingTrials, rate(long1).c_str());
  std::printf("  R1 end to end, streaming, %zu trials, 2 threads:        %s  (%s x 1 thread; target >= 1.8)\n", kStreamingTrials,
              rate(long2).c_str(), ratio(long2, long1).c_str());
  std::printf("  ratio R1 end to end (exact), 2 threads / raw variates:      %s\n", ratio(e2e2, raw2).c_str());
  std::printf("  ratio R1 end to end (streaming), 2 threads / raw variates:  %s\n", ratio(stream2, raw2).c_str());
  std::printf("  ratio R1 end to end (streaming, %zu trials), 2 threads / raw variates: %s  (target >= 0.40)\n",
              kStreamingTrials, ratio(long2, raw2).c_str());
  std::printf("  ratio R1 trial loop, 2 threads / raw variates, 2 threads:   %s\n", ratio(sim2, raw2).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  util::tune_allocator_for_large_buffers();  // as `mcrisk` does
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_summary(reporter);
  benchmark::Shutdown();
  return 0;
}
