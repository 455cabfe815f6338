#include "cpu_remap.h"

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>

namespace dmtcp::restart {

namespace {

constexpr int kWords = image::kMaxCpus / 64;

struct TopologyDeleter {
  void operator()(hwloc_topology* t) const { hwloc_topology_destroy(t); }
};
using Topology = std::unique_ptr<hwloc_topology, TopologyDeleter>;
struct BitmapDeleter {
  void operator()(hwloc_bitmap_s* b) const { hwloc_bitmap_free(b); }
};
using Bitmap = std::unique_ptr<hwloc_bitmap_s, BitmapDeleter>;

// Kernel CPU numbers by logical core, each core's in logical order.
std::vector<std::vector<int>> ByCore(const std::vector<image::CpuInfo>& cpus) {
  std::map<int, std::vector<int>> cores;
  for (const auto& c : cpus) cores[c.core].push_back(c.os_index);
  std::vector<std::vector<int>> out;
  for (auto& [core, pus] : cores) out.push_back(std::move(pus));
  return out;
}

}  // namespace

std::vector<image::CpuInfo> CpusOf(hwloc_topology_t topo, hwloc_const_cpuset_t allowed) {
  hwloc_topology_t copy = nullptr;
  if (hwloc_topology_dup(&copy, topo) != 0)
    throw std::runtime_error("hwloc: cannot copy the topology");
  Topology t(copy);
  if (allowed && hwloc_topology_restrict(copy, allowed, 0) != 0)
    throw std::runtime_error("hwloc: this process may use no processor of the node");
  std::vector<image::CpuInfo> out;
  const int n = hwloc_get_nbobjs_by_type(copy, HWLOC_OBJ_PU);
  for (int i = 0; i < n; ++i) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(copy, HWLOC_OBJ_PU, static_cast<unsigned>(i));
    if (static_cast<int>(pu->os_index) >= image::kMaxCpus) continue;
    image::CpuInfo c{};
    c.os_index = static_cast<int32_t>(pu->os_index);
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(copy, HWLOC_OBJ_CORE, pu);
    c.core = static_cast<int32_t>(core ? core->logical_index : pu->logical_index);
    hwloc_obj_t package = hwloc_get_ancestor_obj_by_type(copy, HWLOC_OBJ_PACKAGE, pu);
    c.package = package ? static_cast<int32_t>(package->logical_index) : 0;
    c.numa = -1;
    const int numas = hwloc_get_nbobjs_by_type(copy, HWLOC_OBJ_NUMANODE);
    for (int m = 0; m < numas; ++m) {
      hwloc_obj_t node = hwloc_get_obj_by_type(copy, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(m));
      if (hwloc_bitmap_isset(node->cpuset, pu->os_index)) {
        c.numa = static_cast<int32_t>(node->logical_index);
        break;
      }
    }
    out.push_back(c);
  }
  if (out.empty()) throw std::runtime_error("hwloc: no processor found");
  return out;
}

std::vector<image::CpuInfo> CurrentCpus() {
  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0) throw std::runtime_error("hwloc: cannot initialize");
  Topology topo(raw);
  if (hwloc_topology_load(raw) != 0) throw std::runtime_error("hwloc: cannot read the topology");
  Bitmap bound(hwloc_bitmap_alloc());
  if (!bound || hwloc_get_cpubind(raw, bound.get(), HWLOC_CPUBIND_PROCESS) != 0)
    return CpusOf(raw, nullptr);
  hwloc_bitmap_and(bound.get(), bound.get(), hwloc_topology_get_topology_cpuset(raw));
  return CpusOf(raw, bound.get());
}

std::vector<int> MapCpus(const std::vector<image::CpuInfo>& before,
                         const std::vector<image::CpuInfo>& now) {
  std::vector<int> map(image::kMaxCpus, -1);
  const auto old_cores = ByCore(before);
  const auto new_cores = ByCore(now);
  if (new_cores.empty()) return map;
  for (size_t k = 0; k < old_cores.size(); ++k) {
    const auto& target = new_cores[k % new_cores.size()];
    for (size_t j = 0; j < old_cores[k].size(); ++j)
      map[old_cores[k][j]] = target[j % target.size()];
  }
  return map;
}

void MapMask(const std::vector<int>& map, const uint64_t* in, uint64_t* out) {
  std::fill(out, out + kWords, 0);
  for (int c = 0; c < image::kMaxCpus; ++c) {
    if (!((in[c / 64] >> (c % 64)) & 1)) continue;
    const int to = map[c];
    if (to >= 0) out[to / 64] |= uint64_t{1} << (to % 64);
  }
}

std::string CpuListText(const uint64_t* mask) {
  std::string s;
  for (int c = 0; c < image::kMaxCpus;) {
    if (!((mask[c / 64] >> (c % 64)) & 1)) {
      ++c;
      continue;
    }
    int e = c;
    while (e + 1 < image::kMaxCpus && ((mask[(e + 1) / 64] >> ((e + 1) % 64)) & 1)) ++e;
    if (!s.empty()) s += ',';
    s += std::to_string(c);
    if (e > c) s += "-" + std::to_string(e);
    c = e + 1;
  }
  return s.empty() ? "none" : s;
}

}  // namespace dmtcp::restart
