#pragma once
// The MPI cluster (built only with -DMCRISK_MPI=ON): MPI_COMM_WORLD's ranks.

#include <memory>

#include "mcrisk/cluster/cluster.h"

namespace mcrisk::cluster {

//! MPI_Init_thread (MPI_THREAD_FUNNELED) and the cluster of MPI_COMM_WORLD.
std::unique_ptr<Cluster> start_mpi(int& argc, char**& argv);
//! MPI_Finalize.
void finish_mpi();

}  // namespace mcrisk::cluster
