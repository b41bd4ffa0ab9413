#include "mcrisk/simulation/simulator.h"

#include <spdlog/spdlog.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_group.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "mcrisk/cluster/cluster.h"
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
    record.npv_green_book.push_back(block.npv_green_book(o, 0));
    record.pv_benefits.push_back(block.pv_benefits(o, 0));
    record.pv_costs.push_back(block.pv_costs(o, 0));
  }
  return record;
}

TrialOutputs empty_outputs(const EvaluationPlan& plan, const RunSettings& settings) {
  TrialOutputs outputs;
  outputs.options = plan.option_count;
  outputs.years = plan.year_count;
  outputs.components = settings.keep_driver_samples ? plan.component_count : 0;
  for (auto* columns : {&outputs.total_net, &outputs.npv, &outputs.npv_green_book, &outputs.pv_benefits, &outputs.pv_costs}) {
    columns->resize(plan.option_count);
  }
  outputs.net_by_year.resize(plan.option_count * plan.year_count);
  outputs.gross_by_year.resize(plan.option_count * plan.year_count);
  outputs.drivers.resize(outputs.components);
  return outputs;
}

void for_each_block_on(const EvaluationPlan& plan, const sampling::UnitCubeSampler& sampler, const RunSettings& settings,
                       std::uint64_t first_trial, std::uint64_t end_trial,
                       const std::function<void(const TrialBlock& block, std::uint64_t first_trial)>& consume) {
  if (end_trial < first_trial) throw std::invalid_argument("for_each_block: the end trial comes before the first");
  if (end_trial == first_trial) return;
  const std::uint64_t block_size = std::max<std::size_t>(settings.block_size, 1);
  // Blocks are aligned to multiples of the block size: block b covers
  // [max(first, (base + b) S), min(end, (base + b + 1) S)).
  const std::uint64_t base = first_trial / block_size;
  const std::uint64_t block_count = (end_trial + block_size - 1) / block_size - base;
  tbb::enumerable_thread_specific<std::optional<TrialBlock>> blocks;
  std::atomic<std::uint64_t> done{first_trial};

  const int concurrency = worker_threads(settings.threads);
  tbb::task_arena arena(concurrency);
  // An interrupted run stops between blocks: a block not yet started is skipped, and
  // the loop is cancelled so that oneTBB deals out no more of them.
  tbb::task_group_context context;
  auto run_block = [&](std::uint64_t b) {
    if (settings.stop_requested && settings.stop_requested()) {
      context.cancel_group_execution();
      return;
    }
    auto& slot = blocks.local();
    if (!slot) slot.emplace(plan, block_size);
    TrialBlock& block = *slot;
    const std::uint64_t first = std::max(first_trial, (base + b) * block_size);
    const std::uint64_t last = std::min(end_trial, (base + b + 1) * block_size);
    block.evaluate(sampler, first, std::size_t(last - first));
    consume(block, first);
    done.fetch_add(last - first, std::memory_order_relaxed);
  };

  // Blocks are dealt out in chunks so that the calling thread can report
  // progress between chunks; the chunking never changes what a trial computes.
  const std::uint64_t chunk = std::max<std::uint64_t>(1, std::min<std::uint64_t>(block_count, 64 * std::uint64_t(concurrency)));
  for (std::uint64_t begin = 0; begin < block_count; begin += chunk) {
    const std::uint64_t end = std::min(block_count, begin + chunk);
    arena.execute([&] {
      tbb::parallel_for(
          tbb::blocked_range<std::uint64_t>(begin, end, 1),
          [&](const tbb::blocked_range<std::uint64_t>& range) {
            for (std::uint64_t b = range.begin(); b != range.end(); ++b) run_block(b);
          },
          context);
    });
    if (settings.progress) settings.progress(done.load(), end_trial);
    if (context.is_group_execution_cancelled()) break;
  }
}

void extend_on(const EvaluationPlan& plan, const sampling::UnitCubeSampler& sampler, const RunSettings& settings, std::size_t total_trials,
               TrialOutputs& outputs, const std::function<void(std::uint64_t first, std::size_t n)>& finished = {});

// simulate() and extend() always run every trial asked for: only the stop-aware
// calls (extend_until_stopped, for_each_block's consumers that track blocks) may stop early.
RunSettings without_stop(const RunSettings& settings) {
  RunSettings copy = settings;
  copy.stop_requested = nullptr;
  return copy;
}

}  // namespace

int worker_threads(int requested) { return requested > 0 ? requested : tbb::this_task_arena::max_concurrency(); }

void within_threads(const RunSettings& settings, const std::function<void()>& work) {
  tbb::task_arena arena(worker_threads(settings.threads));
  arena.execute(work);
}

TrialOutputs simulate(const EvaluationPlan& plan, const RunSettings& settings) {
  TrialOutputs outputs = empty_outputs(plan, settings);
  extend(plan, settings, settings.trials, outputs);
  return outputs;
}

TrialOutputs simulate(const EvaluationPlan& plan, const sampling::UnitCubeSampler& sampler, const RunSettings& settings) {
  if (sampler.dimensions() != plan.dimension_count) {
    throw std::invalid_argument("the sampler has " + std::to_string(sampler.dimensions()) + " dimensions; the plan needs " +
                                std::to_string(plan.dimension_count));
  }
  TrialOutputs outputs = empty_outputs(plan, settings);
  extend_on(plan, sampler, without_stop(settings), settings.trials, outputs);
  return outputs;
}

void extend(const EvaluationPlan& plan, const RunSettings& settings, std::size_t total_trials, TrialOutputs& outputs) {
  extend_on(plan, make_sampler(plan, settings), without_stop(settings), total_trials, outputs);
}

void for_each_block(const EvaluationPlan& plan, const RunSettings& settings, std::uint64_t first_trial, std::uint64_t end_trial,
                    const std::function<void(const TrialBlock& block, std::uint64_t first_trial)>& consume) {
  for_each_block_on(plan, make_sampler(plan, settings), settings, first_trial, end_trial, consume);
}

namespace {

void extend_on(const EvaluationPlan& plan, const sampling::UnitCubeSampler& sampler, const RunSettings& settings, std::size_t total_trials,
               TrialOutputs& outputs, const std::function<void(std::uint64_t first, std::size_t n)>& finished) {
  const std::size_t first_trial = outputs.trials;
  if (total_trials < first_trial) throw std::invalid_argument("a run can only be extended by more trials");
  outputs.for_each_column([&](Column& column) { column.resize(total_trials); });
  outputs.trials = total_trials;

  // Under MPI each rank evaluates its own share of the blocks, then every
  // column's shares are gathered into every rank, so all ranks leave holding
  // the same outputs (bit for bit what one process computes: a block's values
  // do not depend on where it ran).
  const cluster::Cluster& ranks = cluster::current();
  const std::vector<std::uint64_t> shares = cluster::share_trials(first_trial, total_trials, settings.block_size, ranks.size());
  const std::uint64_t mine_first = shares[std::size_t(ranks.rank())], mine_end = shares[std::size_t(ranks.rank()) + 1];
  RunSettings share_settings = settings;
  if (settings.progress && ranks.size() > 1) {
    // This rank's progress stands for the whole run's (rank 0 reports it).
    share_settings.progress = [&](std::size_t done, std::size_t) {
      const std::uint64_t share = std::max<std::uint64_t>(mine_end - mine_first, 1);
      settings.progress(first_trial + std::size_t((done - mine_first) * (total_trials - first_trial) / share), total_trials);
    };
  }

  const auto simulate_start = std::chrono::steady_clock::now();
  for_each_block_on(plan, sampler, share_settings, mine_first, mine_end, [&](const TrialBlock& block, std::uint64_t first) {
    const std::size_t n = block.size();
    // Each block writes only its own trials' positions: no ordering between blocks matters.
    const auto store = [&](Column& column, auto value_of) {
      for (std::size_t i = 0; i < n; ++i) column[first + i] = value_of(i);
    };
    for (std::size_t o = 0; o < plan.option_count; ++o) {
      store(outputs.total_net[o], [&](std::size_t i) { return block.total_net(o, i); });
      store(outputs.npv[o], [&](std::size_t i) { return block.npv(o, i); });
      store(outputs.npv_green_book[o], [&](std::size_t i) { return block.npv_green_book(o, i); });
      store(outputs.pv_benefits[o], [&](std::size_t i) { return block.pv_benefits(o, i); });
      store(outputs.pv_costs[o], [&](std::size_t i) { return block.pv_costs(o, i); });
      for (std::size_t t = 0; t < plan.year_count; ++t) {
        store(outputs.net_by_year[o * plan.year_count + t], [&](std::size_t i) { return block.net(o, t, i); });
        store(outputs.gross_by_year[o * plan.year_count + t], [&](std::size_t i) { return block.gross(o, t, i); });
      }
    }
    for (std::size_t c = 0; c < outputs.components; ++c) {
      store(outputs.drivers[c], [&](std::size_t i) { return block.component(c, i); });
    }
    if (finished) finished(first, n);
  });
  const auto gather_start = std::chrono::steady_clock::now();
  spdlog::debug("rank {}: trials [{}, {}) simulated in {:.3f} s", ranks.rank(), mine_first, mine_end,
                std::chrono::duration<double>(gather_start - simulate_start).count());
  if (ranks.size() == 1) return;
  std::vector<std::uint64_t> offsets(shares.size());
  for (std::size_t r = 0; r < shares.size(); ++r) offsets[r] = shares[r] - first_trial;
  std::size_t gathered = 0;
  outputs.for_each_column([&](Column& column) {
    ranks.allgather_in_place(std::span<double>(column.data() + first_trial, total_trials - first_trial), offsets);
    ++gathered;
  });
  spdlog::debug("trials [{}, {}): gathered {} columns ({:.1f} MB) from {} ranks in {:.3f} s", first_trial, total_trials, gathered,
                double(gathered * (total_trials - first_trial) * sizeof(double)) / 1e6, ranks.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - gather_start).count());
}

}  // namespace

std::size_t extend_until_stopped(const EvaluationPlan& plan, const RunSettings& settings, std::size_t total_trials, TrialOutputs& outputs) {
  const std::size_t first_trial = outputs.trials;
  if (total_trials <= first_trial) return outputs.trials;
  if (cluster::current().size() > 1) {
    // Under MPI every rank holds other ranks' blocks too (gathered): no stop, as interrupts are not checkpointed across ranks.
    extend_on(plan, make_sampler(plan, settings), without_stop(settings), total_trials, outputs);
    return outputs.trials;
  }
  const std::size_t block_size = std::max<std::size_t>(settings.block_size, 1);
  const std::size_t base = first_trial / block_size;
  std::vector<std::atomic<bool>> finished((total_trials + block_size - 1) / block_size - base);
  extend_on(plan, make_sampler(plan, settings), settings, total_trials, outputs,
            [&](std::uint64_t first, std::size_t) { finished[std::size_t(first) / block_size - base].store(true, std::memory_order_relaxed); });
  // Only a prefix counts as done, so the stop point does not depend on which blocks the threads happened to finish.
  const auto unfinished = std::find_if(finished.begin(), finished.end(), [](const std::atomic<bool>& f) { return !f.load(); });
  if (unfinished == finished.end()) return outputs.trials;
  const std::size_t prefix = std::max(first_trial, (base + std::size_t(unfinished - finished.begin())) * block_size);
  outputs.for_each_column([&](Column& column) { column.resize(prefix); });
  outputs.trials = prefix;
  return prefix;
}

sampling::UnitCubeSampler make_sampler(const EvaluationPlan& plan, const RunSettings& settings) {
  return sampling::UnitCubeSampler::create(settings.sampling, settings.seed, plan.dimension_count,
                                           std::max<std::size_t>(settings.replicate_size, 1));
}

TrialRecord replay_trial(const EvaluationPlan& plan, const RunSettings& settings, std::uint64_t trial) {
  TrialBlock block(plan, 1);
  block.evaluate(make_sampler(plan, settings), trial, 1);
  return record_lane(plan, block, trial);
}

TrialRecord replay_trial(const EvaluationPlan& plan, std::uint64_t seed, std::uint64_t trial) {
  RunSettings settings;
  settings.seed = seed;
  return replay_trial(plan, settings, trial);
}

TrialRecord planned_case(const EvaluationPlan& plan) {
  TrialBlock block(plan, 1);
  block.evaluate_planned();
  return record_lane(plan, block, 0);
}

}  // namespace mcrisk::simulation
