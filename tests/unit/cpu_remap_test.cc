// Remapping thread bindings onto another node's processors, against hwloc's synthetic
// topologies: fewer cores, more cores, another numbering, a restricted cpuset.
#include "cpu_remap.h"

#include <gtest/gtest.h>
#include <hwloc.h>

#include <memory>
#include <string>
#include <vector>

namespace dmtcp::restart {
namespace {

std::vector<image::CpuInfo> Synthetic(const char* description, const char* allowed = nullptr) {
  hwloc_topology_t t = nullptr;
  EXPECT_EQ(hwloc_topology_init(&t), 0);
  EXPECT_EQ(hwloc_topology_set_synthetic(t, description), 0) << description;
  EXPECT_EQ(hwloc_topology_load(t), 0);
  hwloc_bitmap_t set = nullptr;
  if (allowed) {
    set = hwloc_bitmap_alloc();
    EXPECT_EQ(hwloc_bitmap_list_sscanf(set, allowed), 0);
  }
  std::vector<image::CpuInfo> cpus = CpusOf(t, set);
  if (set) hwloc_bitmap_free(set);
  hwloc_topology_destroy(t);
  return cpus;
}

int CoreOf(const std::vector<image::CpuInfo>& cpus, int os) {
  for (const auto& c : cpus)
    if (c.os_index == os) return c.core;
  return -1;
}

std::string MappedList(const std::vector<int>& map, const std::vector<int>& cpus) {
  uint64_t in[image::kMaxCpus / 64] = {}, out[image::kMaxCpus / 64];
  for (int c : cpus) in[c / 64] |= uint64_t{1} << (c % 64);
  MapMask(map, in, out);
  return CpuListText(out);
}

TEST(CpuRemap, LogicalIndicesOfASyntheticNode) {
  auto cpus = Synthetic("pack:2 core:8 pu:2");
  ASSERT_EQ(cpus.size(), 32u);
  EXPECT_EQ(cpus[0].core, 0);
  EXPECT_EQ(cpus[1].core, 0);  // two processors per core
  EXPECT_EQ(cpus[2].core, 1);
  EXPECT_EQ(cpus[16].package, 1);
  EXPECT_EQ(cpus[16].core, 8);
}

TEST(CpuRemap, FewerCoresRoundRobin) {
  // 2 sockets x 8 cores restarted on 1 x 4: core k goes to core k % 4.
  auto before = Synthetic("pack:2 core:8 pu:1");
  auto now = Synthetic("pack:1 core:4 pu:1");
  auto map = MapCpus(before, now);
  for (const auto& c : before) {
    ASSERT_GE(map[c.os_index], 0);
    EXPECT_EQ(CoreOf(now, map[c.os_index]), c.core % 4) << "CPU " << c.os_index;
  }
  EXPECT_EQ(MappedList(map, {0}), "0");
  EXPECT_EQ(MappedList(map, {5}), "1");
  EXPECT_EQ(MappedList(map, {8, 9}), "0-1");                    // the second socket's first cores
  EXPECT_EQ(MappedList(map, {0, 1, 2, 3, 4, 5, 6, 7}), "0-3");  // a whole socket: all 4 cores
  EXPECT_EQ(map[16], -1);                                       // not a CPU of the old node
}

TEST(CpuRemap, MoreCoresKeepTheirIndex) {
  // 2 x 8 restarted on 4 x 16: every core keeps its logical index.
  auto before = Synthetic("pack:2 core:8 pu:1");
  auto now = Synthetic("pack:4 core:16 pu:1");
  auto map = MapCpus(before, now);
  for (const auto& c : before) EXPECT_EQ(CoreOf(now, map[c.os_index]), c.core);
  EXPECT_EQ(MappedList(map, {3, 12}), "3,12");
}

TEST(CpuRemap, OtherNumbering) {
  // The same shape, but the kernel numbers the second hyperthreads of each core 4-7 instead
  // of interleaving them: a thread on core 1's second processor stays there.
  auto before = Synthetic("pack:1 core:4 pu:2");  // core k = CPUs 2k, 2k+1
  auto now = Synthetic("pack:1 core:4 pu:2(indexes=0,4,1,5,2,6,3,7)");
  ASSERT_EQ(now.size(), 8u);
  EXPECT_EQ(CoreOf(now, 4), 0);
  EXPECT_EQ(CoreOf(now, 1), 1);
  auto map = MapCpus(before, now);
  EXPECT_EQ(map[3], 5);  // core 1, second processor
  EXPECT_EQ(map[2], 1);  // core 1, first processor
  EXPECT_EQ(map[7], 7);
  EXPECT_EQ(MappedList(map, {0, 1}), "0,4");
}

TEST(CpuRemap, SmtToNoSmt) {
  auto before = Synthetic("pack:1 core:2 pu:2");
  auto now = Synthetic("pack:1 core:2 pu:1");
  auto map = MapCpus(before, now);
  EXPECT_EQ(MappedList(map, {0}), "0");
  EXPECT_EQ(MappedList(map, {1}), "0");  // both processors of core 0 share its one now
  EXPECT_EQ(MappedList(map, {3}), "1");
}

TEST(CpuRemap, RestrictedCpusetRenumbersCores) {
  // Only CPUs 4-7 of an 8-core node (a smaller cgroup or taskset): they are its cores 0-3.
  auto now = Synthetic("pack:1 core:8 pu:1", "4-7");
  ASSERT_EQ(now.size(), 4u);
  EXPECT_EQ(now[0].os_index, 4);
  EXPECT_EQ(now[0].core, 0);
  auto before = Synthetic("pack:1 core:8 pu:1");
  auto map = MapCpus(before, now);
  EXPECT_EQ(MappedList(map, {0}), "4");
  EXPECT_EQ(MappedList(map, {7}), "7");
  EXPECT_EQ(MappedList(map, {5}), "5");
  EXPECT_EQ(MappedList(map, {6}), "6");
}

TEST(CpuRemap, CpuListText) {
  uint64_t m[image::kMaxCpus / 64] = {};
  EXPECT_EQ(CpuListText(m), "none");
  for (int c : {0, 1, 2, 3, 8, 10, 11, 64, 1023}) m[c / 64] |= uint64_t{1} << (c % 64);
  EXPECT_EQ(CpuListText(m), "0-3,8,10-11,64,1023");
}

TEST(CpuRemap, ThisNode) {
  auto now = CurrentCpus();
  ASSERT_FALSE(now.empty());
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_EQ(now.size(), static_cast<size_t>(CPU_COUNT(&set)));
  for (const auto& c : now) EXPECT_TRUE(CPU_ISSET(c.os_index, &set));
}

}  // namespace
}  // namespace dmtcp::restart
