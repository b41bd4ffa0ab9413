#include "mcrisk/simulation/simulator.h"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <optional>

#include "mcrisk/sampling/unit_cube_sampler.h"
#include "mcrisk/simulation/trial_block.h"

namespace mcrisk::simulation {

namespace {

TrialRecord record_lane(const EvaluationPlan& plan, const TrialBlock& block, std::uint64_t trial) {
  TrialRecord record;
  record.trial = trial;
  for (std::size_t c = 0; c < plan.component_count; ++c) record.components.push_back(block.component(c, 0));
  for (std::size_t o = 0; o < plan.option_count; ++o) {
    record.gross.emplace_back();
    record.cost.emplace_back();
    record.net.emplace_back();
    for (std::size_t t = 0; t < plan.year_count; ++t) {
      record.gross[o].push_back(block.gross(o, t, 0));
      record.cost[o].push_back(block.cost(o, t, 0));
      record.net[o].push_back(block.net(o, t, 0));
    }
    record.total_net.push_back(block.total_net(o, 0));
    record.npv.push_back(block.npv(o, 0));
  }
  return record;
}

}  // namespace

TrialOutputs simulate(const EvaluationPlan& plan, const RunSettings& settings) {
  TrialOutputs outputs;
  outputs.trials = settings.trials;
  outputs.options = plan.option_count;
  outputs.years = plan.year_count;
  outputs.components = settings.keep_driver_samples ? plan.component_count : 0;
  outputs.total_net.resize(plan.option_count * settings.trials);
  outputs.npv.resize(plan.option_count * settings.trials);
  outputs.net_by_year.resize(plan.option_count * plan.year_count * settings.trials);
  outputs.drivers.resize(outputs.components * settings.trials);

  const sampling::IndependentSampler sampler(settings.seed, plan.dimension_count);
  const std::size_t block_size = std::max<std::size_t>(settings.block_size, 1);
  const std::size_t block_count = (settings.trials + block_size - 1) / block_size;
  tbb::enumerable_thread_specific<std::optional<TrialBlock>> blocks;
  std::atomic<std::size_t> done{0};

  const int concurrency = settings.threads > 0 ? settings.threads : tbb::this_task_arena::max_concurrency();
  tbb::task_arena arena(concurrency);
  const std::size_t trials = settings.trials;
  auto run_block = [&](std::size_t b) {
    auto& slot = blocks.local();
    if (!slot) slot.emplace(plan, block_size);
    TrialBlock& block = *slot;
    const std::size_t first = b * block_size;
    const std::size_t n = std::min(block_size, trials - first);
    block.evaluate(sampler, first, n);
    for (std::size_t o = 0; o < plan.option_count; ++o) {
      for (std::size_t i = 0; i < n; ++i) {
        outputs.total_net[o * trials + first + i] = block.total_net(o, i);
        outputs.npv[o * trials + first + i] = block.npv(o, i);
      }
      for (std::size_t t = 0; t < plan.year_count; ++t) {
        double* net = outputs.net_by_year.data() + (o * plan.year_count + t) * trials + first;
        for (std::size_t i = 0; i < n; ++i) net[i] = block.net(o, t, i);
      }
    }
    for (std::size_t c = 0; c < outputs.components; ++c) {
      double* values = outputs.drivers.data() + c * trials + first;
      for (std::size_t i = 0; i < n; ++i) values[i] = block.component(c, i);
    }
    done.fetch_add(n, std::memory_order_relaxed);
  };

  // Blocks are dealt out in chunks so that the calling thread can report
  // progress between chunks; the chunking never changes what a trial computes.
  const std::size_t chunk = std::max<std::size_t>(1, std::min<std::size_t>(block_count, 64 * std::size_t(concurrency)));
  for (std::size_t begin = 0; begin < block_count; begin += chunk) {
    const std::size_t end = std::min(block_count, begin + chunk);
    arena.execute([&] {
      tbb::parallel_for(tbb::blocked_range<std::size_t>(begin, end, 1), [&](const tbb::blocked_range<std::size_t>& range) {
        for (std::size_t b = range.begin(); b != range.end(); ++b) run_block(b);
      });
    });
    if (settings.progress) settings.progress(done.load(), settings.trials);
  }
  return outputs;
}

TrialRecord replay_trial(const EvaluationPlan& plan, std::uint64_t seed, std::uint64_t trial) {
  const sampling::IndependentSampler sampler(seed, plan.dimension_count);
  TrialBlock block(plan, 1);
  block.evaluate(sampler, trial, 1);
  return record_lane(plan, block, trial);
}

TrialRecord planned_case(const EvaluationPlan& plan) {
  TrialBlock block(plan, 1);
  block.evaluate_planned();
  return record_lane(plan, block, 0);
}

}  // namespace mcrisk::simulation
