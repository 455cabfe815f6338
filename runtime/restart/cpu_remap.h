// Binding threads again when a restart lands on a node whose processors
// differ (fewer or more cores, other numbering, a smaller cpuset): each CPU
// of the checkpointed node goes to the corresponding logical core of this
// one, round robin when there are fewer, and the same processor within it.
#pragma once

#include <hwloc.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image_format.h"

namespace dmtcp::restart {

// The processors of a topology that are in `allowed` (all when null), as
// the image records them: logical core, package and NUMA indices after the
// topology is restricted to them. Throws std::runtime_error.
std::vector<image::CpuInfo> CpusOf(hwloc_topology_t topo, hwloc_const_cpuset_t allowed);

// The processors this process may use on this node (its cgroup, and its own
// binding, e.g. from taskset). Throws std::runtime_error.
std::vector<image::CpuInfo> CurrentCpus();

// For each kernel CPU number of `before` (index), the CPU of `now` it
// becomes; -1 for CPUs not in `before`. Size image::kMaxCpus.
std::vector<int> MapCpus(const std::vector<image::CpuInfo>& before,
                         const std::vector<image::CpuInfo>& now);

// A thread's mask after the map.
void MapMask(const std::vector<int>& map, const uint64_t* in, uint64_t* out);

// "0-3,8" for a mask of image::kMaxCpus bits.
std::string CpuListText(const uint64_t* mask);

}  // namespace dmtcp::restart
