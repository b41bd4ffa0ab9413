#include "mcrisk/cluster/cluster.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace mcrisk::cluster {

namespace {

// This process alone: every collective is a copy or nothing.
class SingleProcess final : public Cluster {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allgather_in_place(std::span<double>, std::span<const std::uint64_t>) const override {}
  std::vector<std::vector<std::uint8_t>> allgather(std::span<const std::uint8_t> mine) const override {
    return {std::vector<std::uint8_t>(mine.begin(), mine.end())};
  }
  void send(std::span<const std::uint8_t>, int) const override { throw std::logic_error("a single process has no other rank to send to"); }
  std::vector<std::uint8_t> receive(int) const override { throw std::logic_error("a single process has no other rank to receive from"); }
  void broadcast(std::vector<std::uint8_t>&, int) const override {}
  // NOLINTNEXTLINE(concurrency-mt-unsafe): ends the job on a failure; the workers' state no longer matters
  [[noreturn]] void abort(int exit_code) const override { std::exit(exit_code); }
  std::string describe() const override { return "single process"; }
};

const SingleProcess kSingleProcess;
const Cluster* active = &kSingleProcess;

}  // namespace

const Cluster& current() { return *active; }

void set_current(const Cluster* cluster) { active = cluster ? cluster : &kSingleProcess; }

std::vector<std::uint64_t> share_trials(std::uint64_t first, std::uint64_t end, std::size_t block_size, int ranks) {
  if (ranks < 1) throw std::invalid_argument("share_trials: a cluster has at least one rank");
  if (end < first) throw std::invalid_argument("share_trials: the end trial comes before the first");
  const std::uint64_t size = std::max<std::size_t>(block_size, 1);
  // The blocks of [first, end) are numbered from the one holding `first`; rank r
  // takes blocks [B r / K, B (r + 1) / K), and its bounds are clipped to [first, end).
  const std::uint64_t base = first / size;
  const std::uint64_t blocks = end == first ? 0 : (end + size - 1) / size - base;
  std::vector<std::uint64_t> bounds(std::size_t(ranks) + 1);
  for (int r = 0; r <= ranks; ++r) {
    const std::uint64_t block = blocks * std::uint64_t(r) / std::uint64_t(ranks);
    bounds[std::size_t(r)] = std::clamp((base + block) * size, first, end);
  }
  return bounds;
}

ReductionTree reduction_tree(int rank, int ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks) throw std::invalid_argument("reduction_tree: no such rank");
  ReductionTree tree;
  // Step s = 1, 2, 4, ...: a rank that is an odd multiple of s sends to rank - s
  // and is done; a multiple of 2s receives from rank + s if there is one.
  for (int step = 1; step < ranks; step *= 2) {
    if (rank % (2 * step) == step) {
      tree.parent = rank - step;
      break;
    }
    if (rank + step < ranks) tree.children.push_back(rank + step);
  }
  return tree;
}

void inject_test_fault(int rank) {
  const char* fault = std::getenv("MCRISK_TEST_FAULT");  // NOLINT(concurrency-mt-unsafe): test hook; nothing sets the environment during a run
  if (!fault) return;
  const std::string text = fault;
  const auto at = text.find('@');
  if (at == std::string::npos || std::atoi(text.c_str() + at + 1) != rank) return;
  const std::string kind = text.substr(0, at);
  if (kind == "kill") ::kill(::getpid(), SIGKILL);
  if (kind == "throw") throw std::runtime_error("rank " + std::to_string(rank) + " failed on purpose (MCRISK_TEST_FAULT=" + text + ")");
}

}  // namespace mcrisk::cluster
