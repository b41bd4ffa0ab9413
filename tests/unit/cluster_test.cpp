// The single-process cluster and how trials are shared between ranks.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "mcrisk/cluster/cluster.h"

namespace mcrisk::cluster {
namespace {

// Bounds run from first to end, never decrease, and every inner bound is a block boundary.
void expect_valid_shares(std::uint64_t first, std::uint64_t end, std::size_t block, int ranks) {
  const auto bounds = share_trials(first, end, block, ranks);
  ASSERT_EQ(bounds.size(), std::size_t(ranks) + 1);
  EXPECT_EQ(bounds.front(), first);
  EXPECT_EQ(bounds.back(), end);
  std::uint64_t largest = 0, smallest = UINT64_MAX;
  for (int r = 0; r < ranks; ++r) {
    const auto lo = bounds[std::size_t(r)], hi = bounds[std::size_t(r) + 1];
    EXPECT_LE(lo, hi) << "rank " << r;
    if (lo != first && lo != end) {
      EXPECT_EQ(lo % block, 0u) << "rank " << r << " starts inside a block";
    }
    largest = std::max(largest, hi - lo);
    smallest = std::min(smallest, hi - lo);
  }
  // Shares differ by at most one block (plus the partial blocks at either end).
  EXPECT_LE(largest - smallest, 2 * block) << first << ".." << end << " on " << ranks;
}

TEST(ClusterShares, CutAtBlockBoundariesAndCoverTheRange) {
  for (int ranks = 1; ranks <= 7; ++ranks) {
    expect_valid_shares(0, 20000, 256, ranks);
    expect_valid_shares(0, 1, 256, ranks);
    expect_valid_shares(1000, 1000, 256, ranks);
    expect_valid_shares(300, 5000, 256, ranks);  // an extension starting inside a block (--precision)
    expect_valid_shares(256, 512, 256, ranks);
  }
}

TEST(ClusterShares, FourRanksOfTwentyThousandTrials) {
  // 79 blocks of 256 (the last one 32 trials): 19, 20, 20, 20 blocks.
  EXPECT_EQ(share_trials(0, 20000, 256, 4), (std::vector<std::uint64_t>{0, 4864, 9984, 15104, 20000}));
  EXPECT_EQ(share_trials(0, 20000, 256, 1), (std::vector<std::uint64_t>{0, 20000}));
  // More ranks than blocks: some shares are empty.
  EXPECT_EQ(share_trials(0, 300, 256, 3), (std::vector<std::uint64_t>{0, 0, 256, 300}));
}

TEST(ClusterShares, RefusesNoRanksAndBackwardRanges) {
  EXPECT_THROW(share_trials(0, 10, 256, 0), std::invalid_argument);
  EXPECT_THROW(share_trials(10, 0, 256, 2), std::invalid_argument);
}

TEST(SingleProcessCluster, IsRankZeroOfOneAndGathersItsOwnBytes) {
  const Cluster& cluster = current();
  EXPECT_EQ(cluster.rank(), 0);
  EXPECT_EQ(cluster.size(), 1);
  EXPECT_TRUE(is_root());
  const std::vector<std::uint8_t> mine{1, 2, 3};
  const auto all = cluster.allgather(mine);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], mine);
  std::vector<double> data{1.5, 2.5};
  const std::vector<std::uint64_t> offsets{0, 2};
  cluster.allgather_in_place(data, offsets);
  EXPECT_EQ(data, (std::vector<double>{1.5, 2.5}));
}

}  // namespace
}  // namespace mcrisk::cluster

namespace mcrisk::cluster {
namespace {

// Every rank but 0 sends exactly once, to a rank that has already received all
// its own children (so the tree has no cycle and reaches rank 0), and receives
// each child once; depth is ceil(log2 K).
TEST(ClusterReductionTree, EveryRankReachesRankZeroOnceInLogSteps) {
  for (int ranks = 1; ranks <= 70; ++ranks) {
    std::vector<int> received(std::size_t(ranks), 0);
    int steps_needed = 0;
    while ((1 << steps_needed) < ranks) ++steps_needed;
    for (int rank = 0; rank < ranks; ++rank) {
      const ReductionTree tree = reduction_tree(rank, ranks);
      EXPECT_EQ(tree.parent < 0, rank == 0) << rank << " of " << ranks;
      for (int child : tree.children) {
        ASSERT_GT(child, rank);
        ASSERT_LT(child, ranks);
        ++received[std::size_t(child)];
        EXPECT_EQ(reduction_tree(child, ranks).parent, rank);
      }
      // Depth: follow parents to 0.
      int depth = 0;
      for (int at = rank; at != 0; at = reduction_tree(at, ranks).parent) ++depth;
      EXPECT_LE(depth, steps_needed);
    }
    for (int rank = 1; rank < ranks; ++rank) EXPECT_EQ(received[std::size_t(rank)], 1) << rank << " of " << ranks;
    EXPECT_EQ(received[0], 0);
  }
  EXPECT_EQ(reduction_tree(0, 4).children, (std::vector<int>{1, 2}));
  EXPECT_EQ(reduction_tree(2, 4).children, (std::vector<int>{3}));
  EXPECT_EQ(reduction_tree(3, 4).parent, 2);
  EXPECT_THROW(reduction_tree(4, 4), std::invalid_argument);
}

}  // namespace
}  // namespace mcrisk::cluster
