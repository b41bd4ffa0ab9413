// How `mcrisk` (the plain build) starts its cluster: it is this process alone.
// `mcrisk-mpi` links src/cluster/mpi_cluster.cpp's ClusterSession instead.

#include "mcrisk/cluster/cluster.h"

namespace mcrisk::cluster {

ClusterSession::ClusterSession(int& argc, char**& argv) {
  (void)argc;
  (void)argv;
}

ClusterSession::~ClusterSession() = default;

}  // namespace mcrisk::cluster
