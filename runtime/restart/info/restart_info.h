// What dmtcp_restart tells a restored process (through the restart loader):
// the coordinator to rejoin and the settings that may change at restart.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>

namespace dmtcp {

constexpr int kRestartMaxCpus = 1024;  // image::kMaxCpus
enum : uint32_t {
  kCpuKeep = 0,   // threads keep what the restart gave them
  kCpuRemap = 1,  // bound through cpu_map
  kCpuExact = 2,  // bound to the same CPU numbers (dmtcp_restart --no-remap)
};

struct RestartInfo {
  uint32_t magic;               // kRestartInfoMagic
  uint32_t size;                // sizeof(RestartInfo)
  sockaddr_storage coord_addr;  // already resolved: no DNS while frozen
  uint32_t coord_addr_len;
  int32_t coord_port;
  char coord_host[256];
  char secret[80];
  char ckpt_dir[4096];  // empty: keep the checkpointed one
  int32_t fail_rc;
  uint32_t no_coordinator;
  int32_t pid_table_fd;   // a memfd holding a PidTable, -1 if none
  int32_t sysv_table_fd;  // a memfd holding a SysvRestartTable, -1 if none
  // Descriptors of shared memory objects (POSIX, memfd, shared anonymous
  // and file mappings) that the loader mapped: the runtime closes them once
  // the program's own descriptors are back. A memfd holds num_shared_fds of
  // them (int32_t each), as many as the descriptor limit allows; -1 if none.
  uint32_t num_shared_fds;
  int32_t shared_fds_table_fd;
  // How threads are bound again (kCpu*), and for kCpuRemap where each CPU
  // of the checkpointed node went: its kernel number then -> now, -1 none.
  uint32_t cpu_mode;
  int16_t cpu_map[kRestartMaxCpus];
  // The CPUs the checkpointed node let the process use: a thread allowed on
  // all of them was not bound, and stays unbound.
  uint64_t cpu_before[kRestartMaxCpus / 64];
};

// Virtual -> real pids of every process dmtcp_restart restored on this
// node, in shared memory: each process adds itself once it exists and
// waits until the table is complete before it runs the program again.
constexpr int kMaxPidEntries = 65536;            // more than the kernel's default pid_max
constexpr uint32_t kPidTableMagic = 0x44495056;  // "VPID"

struct PidTable {
  uint32_t magic;
  uint32_t expected;             // entries the processes being restored make
  std::atomic<uint32_t> count;   // entries taken
  std::atomic<uint32_t> filled;  // entries written: all are once it is `expected`
  // real < 0: -real is the new leader of a session or process group whose
  // old leader (vpid) had ended; the program still knows it by that id.
  struct Entry {
    int32_t vpid;
    int32_t real;
  } entries[kMaxPidEntries];
};

// The System V objects dmtcp_restart made again or found: the program's id
// of each and the kernel's now. A SysvRestartTable, then `count` entries.
constexpr uint32_t kSysvTableMagic = 0x56535953;  // "SYSV"
struct SysvRestartTable {
  uint32_t magic;
  uint32_t count;
};
struct SysvRestartEntry {
  uint32_t kind;  // image::SysvKind
  int32_t virt_id;
  int32_t old_id;  // the kernel's at checkpoint
  int32_t real_id;
  uint32_t flags;  // image::kSysv*
};

constexpr uint32_t kRestartInfoMagic = 0x52535452;  // "RTSR"

}  // namespace dmtcp
