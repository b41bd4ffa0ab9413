// The MPI cluster: MPI_COMM_WORLD's ranks. Linked only into mcrisk-mpi
// (-DMCRISK_MPI=ON), the one file that includes <mpi.h>.

#include "mcrisk/cluster/cluster.h"

#include <fmt/format.h>
#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <stdexcept>

namespace mcrisk::cluster {

namespace {

void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw std::runtime_error(fmt::format("{} failed: {}", call, std::string(text, std::size_t(length))));
}

// MPI counts and displacements are int: a share beyond INT_MAX elements needs
// the large-count calls of MPI 4, which Debian's Open MPI 4.1 does not have.
int as_count(std::uint64_t n, const char* what) {
  if (n > std::uint64_t(INT_MAX)) {
    throw std::runtime_error(fmt::format("{} of {} elements is beyond MPI's int counts; use fewer trials per run or more ranks", what, n));
  }
  return int(n);
}

class MpiCluster final : public Cluster {
  static constexpr int kSizeTag = 1, kBytesTag = 2;

 public:
  MpiCluster() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    // Errors come back as codes (turned into exceptions, then MPI_Abort in main)
    // rather than Open MPI's default of aborting without saying where.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void allgather_in_place(std::span<double> data, std::span<const std::uint64_t> offsets) const override {
    inject_test_fault(rank_);
    if (offsets.size() != std::size_t(size_) + 1 || offsets.back() != data.size()) {
      throw std::invalid_argument("allgather_in_place: offsets must cut the data into one part per rank");
    }
    if (size_ == 1) return;
    const auto ranks = static_cast<std::size_t>(size_);
    std::vector<int> counts(ranks), displacements(ranks);
    for (std::size_t r = 0; r < counts.size(); ++r) {
      counts[r] = as_count(offsets[r + 1] - offsets[r], "a rank's share");
      displacements[r] = as_count(offsets[r], "a gathered column");
    }
    check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data.data(), counts.data(), displacements.data(), MPI_DOUBLE, MPI_COMM_WORLD),
          "MPI_Allgatherv");
  }

  std::vector<std::vector<std::uint8_t>> allgather(std::span<const std::uint8_t> mine) const override {
    inject_test_fault(rank_);
    std::uint64_t my_size = mine.size();
    std::vector<std::uint64_t> sizes(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&my_size, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD), "MPI_Allgather");
    const auto ranks = static_cast<std::size_t>(size_);
    std::vector<int> counts(ranks), displacements(ranks);
    std::uint64_t total = 0;
    for (std::size_t r = 0; r < sizes.size(); ++r) {
      counts[r] = as_count(sizes[r], "a rank's buffer");
      displacements[r] = as_count(total, "the gathered buffers");
      total += sizes[r];
    }
    std::vector<std::uint8_t> all(total);
    check(MPI_Allgatherv(mine.data(), counts[std::size_t(rank_)], MPI_BYTE, all.data(), counts.data(), displacements.data(), MPI_BYTE,
                         MPI_COMM_WORLD),
          "MPI_Allgatherv");
    std::vector<std::vector<std::uint8_t>> parts;
    for (std::size_t r = 0; r < sizes.size(); ++r) {
      const auto begin = all.begin() + displacements[r];
      parts.emplace_back(begin, begin + counts[r]);
    }
    return parts;
  }

  void send(std::span<const std::uint8_t> bytes, int to) const override {
    inject_test_fault(rank_);
    const std::uint64_t size = bytes.size();
    check(MPI_Send(&size, 1, MPI_UINT64_T, to, kSizeTag, MPI_COMM_WORLD), "MPI_Send");
    check(MPI_Send(bytes.data(), as_count(size, "a sent buffer"), MPI_BYTE, to, kBytesTag, MPI_COMM_WORLD), "MPI_Send");
  }

  std::vector<std::uint8_t> receive(int from) const override {
    inject_test_fault(rank_);
    std::uint64_t size = 0;
    check(MPI_Recv(&size, 1, MPI_UINT64_T, from, kSizeTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
    std::vector<std::uint8_t> bytes(size);
    check(MPI_Recv(bytes.data(), as_count(size, "a received buffer"), MPI_BYTE, from, kBytesTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
          "MPI_Recv");
    return bytes;
  }

  void broadcast(std::vector<std::uint8_t>& bytes, int root) const override {
    inject_test_fault(rank_);
    std::uint64_t size = bytes.size();
    check(MPI_Bcast(&size, 1, MPI_UINT64_T, root, MPI_COMM_WORLD), "MPI_Bcast");
    bytes.resize(size);
    check(MPI_Bcast(bytes.data(), as_count(size, "a broadcast buffer"), MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
  }

  [[noreturn]] void abort(int exit_code) const override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this is in case an implementation does
  }

  std::string describe() const override {
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    MPI_Get_library_version(version, &length);
    std::string library(version, std::size_t(length));
    if (const auto comma = library.find(','); comma != std::string::npos) library.resize(comma);
    return fmt::format("MPI rank {} of {} ({})", rank_, size_, library);
  }

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace

ClusterSession::ClusterSession(int& argc, char**& argv) {
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Init_thread failed");
  }
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw std::runtime_error("this MPI library cannot be used from a threaded program (MPI_THREAD_FUNNELED not provided)");
  }
  cluster_ = std::make_unique<MpiCluster>();
  set_current(cluster_.get());
}

ClusterSession::~ClusterSession() {
  set_current(nullptr);
  MPI_Finalize();
}

}  // namespace mcrisk::cluster
