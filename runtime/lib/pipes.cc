// Pipes and FIFOs: data in the kernel's pipe buffers at checkpoint time is
// read out (drained) into memory that goes into the image, and written back
// (refilled) after the image is written and after a restart. One process
// drains each pipe: among the processes sharing a read end, the one that
// ends up as its owner (F_SETOWN) after everybody claimed it.
#include "pipes.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plugins.h"
#include "proc_dir.h"
#include "protocol.h"
#include "runtime.h"
#include "sockets.h"
#include "unix_datagrams.h"

namespace dmtcp::rt {
namespace {

constexpr int kMaxPipes = 1024;
constexpr uint64_t kBufferSize = 64ULL << 20;  // address space; touched pages only

struct Drained {
  int fd;
  uint64_t inode;
  uint64_t offset;  // in the buffer
  uint64_t len;
  int pipe_size;
};

Drained g_drained[kMaxPipes];
int g_num_drained;
char* g_buffer;  // mmap'd while a checkpoint holds drained data
uint64_t g_used;

// Calls fn(fd, stat) for every pipe read end we have.
template <typename Fn>
void ForEachPipeReadEnd(Fn fn) {
  ForEachNumericEntry("/proc/self/fd", [&](long n, int dir) {
    const int fd = static_cast<int>(n);
    if (fd == dir || fd == g.coord_fd) return;
    struct stat st;
    if (RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) != 0 || !S_ISFIFO(st.st_mode))
      return;
    if ((RawSyscall(SYS_fcntl, fd, F_GETFL) & O_ACCMODE) != O_RDONLY) return;
    fn(fd, st);
  });
}

void ProcPath(char* out, size_t cap, int fd) {
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
  out[0] = 0;
  StrCat(out, cap, "/proc/self/fd/");
  StrCat(out, cap, num);
}

bool AlreadyDrained(uint64_t inode) {
  for (int i = 0; i < g_num_drained; ++i)
    if (g_drained[i].inode == inode) return true;
  return false;
}

void Drain() {
  PushPendingTcpData();
  const long me = RawSyscall(SYS_getpid);
  ForEachPipeReadEnd([&](int fd, const struct stat&) { RawSyscall(SYS_fcntl, fd, F_SETOWN, me); });
  if (!g.cfg.no_coordinator) {
    PublishTcpEndpoints();
    ClaimQueuedDatagrams();
  }
  // Every process has claimed its pipes and published its connections; the
  // last claim of each pipe stands.
  if (!g.cfg.no_coordinator) {
    CoordBarrier(proto::kBarrierPipesElected);
    FindTcpPeers();
    FindDatagramOwners();
    DrainTcp();
  }
  g_num_drained = 0;
  g_used = 0;
  ForEachPipeReadEnd([&](int fd, const struct stat& st) {
    if (RawSyscall(SYS_fcntl, fd, F_GETOWN) != me || AlreadyDrained(st.st_ino) ||
        g_num_drained >= kMaxPipes)
      return;
    if (!g_buffer) {
      long p = RawSyscall(SYS_mmap, 0, kBufferSize, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (p < 0 && p > -4096) return;
      g_buffer = reinterpret_cast<char*>(p);
    }
    char path[32];
    ProcPath(path, sizeof path, fd);
    int rd = static_cast<int>(RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path),
                                         O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (rd < 0) return;
    Drained& d = g_drained[g_num_drained++];
    d.fd = fd;
    d.inode = st.st_ino;
    d.offset = g_used;
    d.pipe_size = static_cast<int>(RawSyscall(SYS_fcntl, fd, F_GETPIPE_SZ));
    for (;;) {
      long n = RawSyscall(SYS_read, rd, reinterpret_cast<long>(g_buffer + g_used),
                          static_cast<long>(kBufferSize - g_used));
      if (n <= 0) break;
      g_used += static_cast<uint64_t>(n);
    }
    d.len = g_used - d.offset;
    RawSyscall(SYS_close, rd);
  });
}

void Refill() {
  for (int i = 0; i < g_num_drained; ++i) {
    const Drained& d = g_drained[i];
    if (d.pipe_size > 0) RawSyscall(SYS_fcntl, d.fd, F_SETPIPE_SZ, d.pipe_size);
    if (d.len == 0) continue;
    char path[32];
    ProcPath(path, sizeof path, d.fd);
    int wr = static_cast<int>(
        RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_WRONLY | O_CLOEXEC));
    if (wr < 0) {
      Log("cannot refill a pipe: its data is lost");
      continue;
    }
    uint64_t done = 0;
    while (done < d.len) {
      long n = RawSyscall(SYS_write, wr, reinterpret_cast<long>(g_buffer + d.offset + done),
                          static_cast<long>(d.len - done));
      if (n <= 0) break;
      done += static_cast<uint64_t>(n);
    }
    RawSyscall(SYS_close, wr);
  }
  g_num_drained = 0;
  if (g_buffer) RawSyscall(SYS_munmap, reinterpret_cast<long>(g_buffer), kBufferSize);
  g_buffer = nullptr;
}

void PipesEventHook(const DmtcpEvent_t event, DmtcpEventData_t* data) {
  if (event == DMTCP_EVENT_DRAIN) Drain();
  if (event == DMTCP_EVENT_REFILL) {
    Refill();
    RefillTcp(data && data->refillInfo.isRestart);
  }
}

}  // namespace

void RegisterPipesPlugin() {
  DmtcpPluginDescriptor_t d = {DMTCP_PLUGIN_API_VERSION,
                               DMTCP_PACKAGE_VERSION,
                               "pipes",
                               "dmtcp-ng",
                               "",
                               "pipe and FIFO buffers: drained and refilled",
                               PipesEventHook};
  RegisterBuiltin(d);
}

}  // namespace dmtcp::rt
