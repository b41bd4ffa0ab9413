#pragma once
// The processes a run is spread over: MPI ranks when `mcrisk-mpi` (built with
// -DMCRISK_MPI=ON) is started under mpirun, otherwise this process alone. The
// engine asks it which trials are this rank's and gathers every rank's
// results, so that after each simulation step every rank holds the same full
// state and the code after it (statistics, precision rounds, scenarios,
// sensitivity) runs unchanged and identically on every rank. MPI itself stays
// in src/cluster/mpi_cluster.cpp; nothing else includes <mpi.h>.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace mcrisk::cluster {

//! The collective operations the engine needs. Every rank must make the same calls in the same order.
class Cluster {
 public:
  virtual ~Cluster() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  //! Fills each rank r's part [offsets[r], offsets[r + 1]) of data from rank r (offsets has size() + 1 entries).
  virtual void allgather_in_place(std::span<double> data, std::span<const std::uint64_t> offsets) const = 0;
  //! Every rank's bytes, in rank order.
  virtual std::vector<std::vector<std::uint8_t>> allgather(std::span<const std::uint8_t> mine) const = 0;
  //! Point to point, for tree reductions: sends bytes to rank `to`; receives what rank `from` sent.
  virtual void send(std::span<const std::uint8_t> bytes, int to) const = 0;
  virtual std::vector<std::uint8_t> receive(int from) const = 0;
  //! Rank root's bytes on every rank (the others' `bytes` are replaced).
  virtual void broadcast(std::vector<std::uint8_t>& bytes, int root) const = 0;
  //! Ends every rank of the job at once with this exit code (MPI_Abort); a single process just exits.
  [[noreturn]] virtual void abort(int exit_code) const = 0;
  //! "MPI (Open MPI 4.1.4)" or "single process", for logs.
  virtual std::string describe() const = 0;
};

//! The cluster of this process: the one a ClusterSession started, else a single process.
const Cluster& current();

//! True on the rank that writes files, prints results and logs at info level (rank 0).
inline bool is_root() { return current().rank() == 0; }

//! Makes `cluster` this process's cluster (nullptr: this process alone again); ClusterSession does this.
void set_current(const Cluster* cluster);

//! Starts the cluster for the life of main(). Defined twice, and each
//! executable links one: `mcrisk` (src/cluster/single_process_session.cpp)
//! does nothing; `mcrisk-mpi` (src/cluster/mpi_cluster.cpp) calls
//! MPI_Init_thread (threads never call MPI: only the thread that started the
//! run does) and, in the destructor, MPI_Finalize.
class ClusterSession {
 public:
  ClusterSession(int& argc, char**& argv);
  ~ClusterSession();
  ClusterSession(const ClusterSession&) = delete;
  ClusterSession& operator=(const ClusterSession&) = delete;

 private:
  std::unique_ptr<Cluster> cluster_;
};

//! Trials [first, end) cut into `ranks` consecutive shares along block boundaries
//! (blocks start at multiples of block_size, as in simulation::for_each_block):
//! rank r runs [bounds[r], bounds[r + 1]). Shares differ by at most one block; a
//! share may be empty. Which rank runs a block never changes what it computes.
std::vector<std::uint64_t> share_trials(std::uint64_t first, std::uint64_t end, std::size_t block_size, int ranks);

//! The partners of `rank` in a binomial-tree reduction to rank 0 over `ranks`
//! ranks, in order: it receives from each `children` rank (merging as it goes),
//! then sends to `parent` (none for rank 0). ceil(log2 ranks) steps in all.
struct ReductionTree {
  std::vector<int> children;
  int parent = -1;
};
ReductionTree reduction_tree(int rank, int ranks);

//! Test-only fault injection, read from $MCRISK_TEST_FAULT ("throw@R" or "kill@R"):
//! rank R throws or sends itself SIGKILL at its first collective, to test that a
//! failing rank ends the whole job instead of hanging it.
void inject_test_fault(int rank);

}  // namespace mcrisk::cluster
