#include "affinity.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include <cstdint>

#include "cpu_features.h"
#include "restart_info.h"

static_assert(dmtcp::kRestartMaxCpus == dmtcp::image::kMaxCpus);

namespace dmtcp::rt {

namespace {

constexpr int kWords = image::kMaxCpus / 64;

bool Has(const uint64_t* mask, int cpu) { return (mask[cpu / 64] >> (cpu % 64)) & 1; }
void Set(uint64_t* mask, int cpu) { mask[cpu / 64] |= uint64_t{1} << (cpu % 64); }

// A small file (sysfs, /proc) into buf, terminated. Returns false if unreadable.
bool ReadSmall(const char* path, char* buf, size_t cap) {
  int fd = static_cast<int>(
      RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC));
  if (fd < 0) return false;
  long n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(buf), static_cast<long>(cap - 1));
  RawSyscall(SYS_close, fd);
  if (n < 0) return false;
  buf[n] = '\0';
  return true;
}

long ParseNum(const char** s) {
  long v = -1;
  while (**s >= '0' && **s <= '9') {
    v = (v < 0 ? 0 : v * 10) + (**s - '0');
    ++*s;
  }
  return v;
}

// The kernel's CPU list format: "0-3,8,10-11".
bool ParseCpuList(const char* s, uint64_t* mask) {
  for (int i = 0; i < kWords; ++i) mask[i] = 0;
  bool any = false;
  while (*s && *s != '\n') {
    long a = ParseNum(&s), b = a;
    if (a < 0) return false;
    if (*s == '-') {
      ++s;
      b = ParseNum(&s);
      if (b < a) return false;
    }
    for (long c = a; c <= b && c < image::kMaxCpus; ++c) Set(mask, static_cast<int>(c));
    any = true;
    if (*s == ',') ++s;
  }
  return any;
}

// "<a><n><b>" into out.
void Path(char* out, size_t cap, const char* a, long n, const char* b) {
  char num[24];
  FormatUint(num, sizeof num, static_cast<uint64_t>(n));
  StrCopy(out, cap, a);
  StrCat(out, cap, num);
  StrCat(out, cap, b);
}

long ReadNum(const char* path) {
  char buf[32];
  if (!ReadSmall(path, buf, sizeof buf)) return -1;
  const char* p = buf;
  return ParseNum(&p);
}

// The CPUs of this process's cgroup (v2 cpuset), if it has that controller.
bool CgroupCpus(uint64_t* mask) {
  static char buf[4096];
  if (!ReadSmall("/proc/self/cgroup", buf, sizeof buf)) return false;
  const char* line = buf;
  while (*line && !(line[0] == '0' && line[1] == ':' && line[2] == ':')) {
    while (*line && *line != '\n') ++line;
    if (*line) ++line;
  }
  if (!*line) return false;
  static char path[4200];
  StrCopy(path, sizeof path, "/sys/fs/cgroup");
  size_t len = StrLen(path);
  for (const char* p = line + 3; *p && *p != '\n' && len + 1 < sizeof path; ++p) path[len++] = *p;
  path[len] = '\0';
  StrCat(path, sizeof path, "/cpuset.cpus.effective");
  return ReadSmall(path, buf, sizeof buf) && ParseCpuList(buf, mask);
}

int g_os_package[image::kMaxCpus];
int g_os_core[image::kMaxCpus];
int g_os_numa[image::kMaxCpus];

}  // namespace

void SaveThreadAffinity(ThreadRec* rec) {
  rec->cpus_saved =
      RawSyscall(SYS_sched_getaffinity, 0, sizeof rec->cpus, reinterpret_cast<long>(rec->cpus)) > 0;
}

void RestoreThreadAffinity(const ThreadRec* rec) {
  if (!rec->cpus_saved) return;
  if (g.restart.cpu_mode == kCpuExact) {
    RawSyscall(SYS_sched_setaffinity, 0, sizeof rec->cpus, reinterpret_cast<long>(rec->cpus));
    return;
  }
  if (g.restart.cpu_mode != kCpuRemap) return;
  bool unbound = true;
  for (int i = 0; i < kWords; ++i)
    unbound = unbound && (rec->cpus[i] & g.restart.cpu_before[i]) == g.restart.cpu_before[i];
  if (unbound) return;  // it runs where the restart may
  uint64_t mask[kWords] = {};
  bool any = false;
  for (int c = 0; c < image::kMaxCpus; ++c) {
    if (!Has(rec->cpus, c)) continue;
    const int to = g.restart.cpu_map[c];
    if (to < 0 || to >= image::kMaxCpus) continue;
    Set(mask, to);
    any = true;
  }
  if (any) RawSyscall(SYS_sched_setaffinity, 0, sizeof mask, reinterpret_cast<long>(mask));
}

int ReadNodeCpus(image::CpuInfo* out, int cap) {
  static char buf[4096];
  uint64_t cpus[kWords], allowed[kWords];
  if (!ReadSmall("/sys/devices/system/cpu/online", buf, sizeof buf) || !ParseCpuList(buf, cpus))
    return -1;
  if (CgroupCpus(allowed)) {
    uint64_t any = 0;
    for (int i = 0; i < kWords; ++i) any |= cpus[i] & allowed[i];
    if (any)
      for (int i = 0; i < kWords; ++i) cpus[i] &= allowed[i];
  }
  char path[128];
  for (int c = 0; c < image::kMaxCpus; ++c) {
    g_os_numa[c] = -1;
    if (!Has(cpus, c)) continue;
    Path(path, sizeof path, "/sys/devices/system/cpu/cpu", c, "/topology/physical_package_id");
    g_os_package[c] = static_cast<int>(ReadNum(path));
    Path(path, sizeof path, "/sys/devices/system/cpu/cpu", c, "/topology/core_id");
    g_os_core[c] = static_cast<int>(ReadNum(path));
  }
  uint64_t nodes[kWords], node_cpus[kWords];
  if (ReadSmall("/sys/devices/system/node/possible", buf, sizeof buf) && ParseCpuList(buf, nodes)) {
    for (int m = 0; m < image::kMaxCpus; ++m) {
      if (!Has(nodes, m)) continue;
      Path(path, sizeof path, "/sys/devices/system/node/node", m, "/cpulist");
      if (!ReadSmall(path, buf, sizeof buf) || !ParseCpuList(buf, node_cpus)) continue;
      for (int c = 0; c < image::kMaxCpus; ++c)
        if (Has(node_cpus, c)) g_os_numa[c] = m;
    }
  }
  // Logical indices as hwloc gives them: objects in the order of their
  // first processor, cores numbered package after package.
  int n = 0;
  for (int c = 0; c < image::kMaxCpus && n < cap; ++c) {
    if (!Has(cpus, c)) continue;
    image::CpuInfo& ci = out[n];
    ci.os_index = c;
    ci.package = ci.core = ci.numa = -1;
    for (int j = 0; j < n; ++j) {
      const int o = out[j].os_index;
      if (g_os_package[o] == g_os_package[c]) ci.package = out[j].package;
      if (g_os_package[o] == g_os_package[c] && g_os_core[o] == g_os_core[c]) ci.core = out[j].core;
      if (g_os_numa[c] >= 0 && g_os_numa[o] == g_os_numa[c]) ci.numa = out[j].numa;
    }
    if (ci.package < 0) {
      ci.package = 0;
      for (int j = 0; j < n; ++j)
        ci.package = out[j].package + 1 > ci.package ? out[j].package + 1 : ci.package;
    }
    if (ci.numa < 0 && g_os_numa[c] >= 0) {
      ci.numa = 0;
      for (int j = 0; j < n; ++j) ci.numa = out[j].numa + 1 > ci.numa ? out[j].numa + 1 : ci.numa;
    }
    ++n;
  }
  // Cores: ordered by (package, first processor).
  int next_core = 0;
  for (int p = 0; p < n; ++p) {
    for (int i = 0; i < n; ++i) {
      if (out[i].package != p || out[i].core >= 0) continue;
      const int c = out[i].os_index;
      for (int j = i; j < n; ++j) {
        const int o = out[j].os_index;
        if (out[j].package == p && g_os_core[o] == g_os_core[c]) out[j].core = next_core;
      }
      ++next_core;
    }
  }
  return n;
}

// The processor's model and feature flags, from the start of /proc/cpuinfo
// (the first processor's lines); false if they cannot be read.
static bool ReadCpuFeatures(char* model, size_t model_cap, char* flags, size_t flags_cap) {
  static char text[16384];
  long fd = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/cpuinfo"),
                       O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t len = 0;
  for (long r;
       len < sizeof text && (r = RawSyscall(SYS_read, fd, reinterpret_cast<long>(text + len),
                                            static_cast<long>(sizeof text - len))) > 0;)
    len += static_cast<size_t>(r);
  RawSyscall(SYS_close, fd);
  return image::ParseCpuinfo(text, len, model, model_cap, flags, flags_cap);
}

bool WriteCpuRecords(image::ImageWriter& w) {
  // Read once per node the process runs on: again only after a restart.
  static image::CpuInfo cpus[image::kMaxCpus];
  static char model[256], flags[image::kMaxCpuFeaturesText];
  static bool have_features;
  static int n = 0, read_after_restarts = -1;
  if (read_after_restarts != g.num_restarts.load()) {
    n = ReadNodeCpus(cpus, image::kMaxCpus);
    have_features = ReadCpuFeatures(model, sizeof model, flags, sizeof flags);
    read_after_restarts = g.num_restarts.load();
  }
  if (have_features) {
    image::CpuFeaturesInfo cf{static_cast<uint32_t>(StrLen(model)),
                              static_cast<uint32_t>(StrLen(flags))};
    if (!w.WriteRecord(image::RecordType::kCpuFeatures, &cf, sizeof cf, model, cf.model_len, flags,
                       cf.flags_len))
      return false;
  }
  if (n <= 0) return true;  // nothing known: threads are restarted unbound
  image::CpusInfo ci{static_cast<uint32_t>(n), 0};
  if (!w.WriteRecord(image::RecordType::kCpus, &ci, sizeof ci, cpus, n * sizeof cpus[0]))
    return false;
  uint64_t node[kWords] = {};
  for (int i = 0; i < n; ++i) Set(node, cpus[i].os_index);
  const int threads = g.num_threads.load();
  for (int t = 0; t < threads; ++t) {
    const ThreadRec& rec = g.threads[t];
    if (!rec.cpus_saved || rec.is_ckpt) continue;
    bool all = true;
    for (int i = 0; i < kWords; ++i) all = all && (rec.cpus[i] & node[i]) == node[i];
    if (all) continue;
    image::ThreadBinding b{};
    b.vtid = rec.vtid;
    for (int i = 0; i < kWords; ++i) b.mask[i] = rec.cpus[i];
    if (!w.WriteRecord(image::RecordType::kBinding, &b, sizeof b)) return false;
  }
  return true;
}

}  // namespace dmtcp::rt
