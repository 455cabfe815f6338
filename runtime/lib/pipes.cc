// Pipes and FIFOs: the data waiting in a pipe at checkpoint time goes into
// the image without being taken out of the pipe (tee(2) copies it into a
// private pipe), so the program that goes on after the checkpoint finds its
// pipes exactly as they were and nothing is put back. Only a restart, whose
// pipes are new and empty, writes the data back (before any process of the
// computation runs: the refill barrier).
//
// Where tee cannot copy all of it (a user over the kernel's limits on pipe
// buffers cannot make the private pipe large enough), the data is read out
// and written straight back; the writers inside the computation are frozen,
// so only a writer outside it could come between, and that fails the
// checkpoint rather than go unnoticed.
//
// One process saves each pipe: among the processes sharing a read end, the
// one that ends up as its owner (F_SETOWN) after everybody claimed it.
#include "pipes.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plugins.h"
#include "proc_dir.h"
#include "protocol.h"
#include "pty_buffers.h"
#include "runtime.h"
#include "sockets.h"
#include "unix_datagrams.h"

namespace dmtcp::rt {
namespace {

struct SavedPipe {
  int fd;
  int pipe_size;
  uint64_t inode;
  uint64_t offset;  // of its data in the area
  uint64_t len;
};

// One mapping, saved with the image and unmapped after the checkpoint or
// after the refill at restart: the table, then the data. Sized from the
// pipes' capacities, so everything a pipe can hold fits.
struct SavedArea {
  uint64_t bytes;  // of the whole mapping
  int count;
  int cap;
  uint64_t used;  // data bytes
  SavedPipe* pipes;
  char* data;
  uint64_t data_cap;
};
SavedArea g_area;

// The private pipe that tee copies into, for one checkpoint.
int g_scratch[2] = {-1, -1};

// Calls fn(fd, stat) for every pipe read end this process was elected to save.
template <typename Fn>
void ForEachOwnedReadEnd(long me, Fn fn) {
  ForEachNumericEntry("/proc/self/fd", [&](long n, int dir) {
    const int fd = static_cast<int>(n);
    if (fd == dir || fd == g.coord_fd || fd == g_scratch[0] || fd == g_scratch[1]) return;
    struct stat st;
    if (RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) != 0 || !S_ISFIFO(st.st_mode))
      return;
    if ((RawSyscall(SYS_fcntl, fd, F_GETFL) & O_ACCMODE) != O_RDONLY) return;
    if (me && RawSyscall(SYS_fcntl, fd, F_GETOWN) != me) return;
    fn(fd, st);
  });
}

void ProcFdPath(char* out, size_t cap, int fd) {
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
  out[0] = 0;
  StrCat(out, cap, "/proc/self/fd/");
  StrCat(out, cap, num);
}

int OpenPipe(int fd, int flags) {
  char path[32];
  ProcFdPath(path, sizeof path, fd);
  return static_cast<int>(
      RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), flags | O_CLOEXEC));
}

int Queued(int fd) {
  int n = 0;
  return RawSyscall(SYS_ioctl, fd, FIONREAD, reinterpret_cast<long>(&n)) == 0 ? n : 0;
}

// Reads until the pipe is empty or len bytes came; returns the bytes read.
uint64_t ReadSome(int fd, char* dst, uint64_t len) {
  uint64_t got = 0;
  while (got < len) {
    long n =
        RawSyscall(SYS_read, fd, reinterpret_cast<long>(dst + got), static_cast<long>(len - got));
    if (n <= 0) break;
    got += static_cast<uint64_t>(n);
  }
  return got;
}

// Writes without blocking; returns the bytes written.
uint64_t WriteSome(int fd, const char* src, uint64_t len) {
  uint64_t done = 0;
  while (done < len) {
    long n = RawSyscall(SYS_write, fd, reinterpret_cast<long>(src + done),
                        static_cast<long>(len - done));
    if (n <= 0) break;
    done += static_cast<uint64_t>(n);
  }
  return done;
}

void CloseScratch() {
  for (int& fd : g_scratch) {
    if (fd >= 0) RawSyscall(SYS_close, fd);
    fd = -1;
  }
}

// Copies the `queued` bytes of pipe fd to dst, leaving them in the pipe.
bool CopyWithTee(int fd, int pipe_size, char* dst, uint64_t queued) {
  if (g_scratch[0] < 0 &&
      RawSyscall(SYS_pipe2, reinterpret_cast<long>(g_scratch), O_CLOEXEC | O_NONBLOCK) != 0) {
    g_scratch[0] = g_scratch[1] = -1;
    return false;
  }
  // tee copies buffer by buffer: the copy needs as many as the pipe has.
  RawSyscall(SYS_fcntl, g_scratch[1], F_SETPIPE_SZ, pipe_size);
  long n = RawSyscall(SYS_tee, fd, g_scratch[1], static_cast<long>(queued), SPLICE_F_NONBLOCK);
  const uint64_t copied = n > 0 ? static_cast<uint64_t>(n) : 0;
  const uint64_t got = ReadSome(g_scratch[0], dst, copied);
  if (got == copied && copied == queued) return true;
  char discard[4096];
  while (RawSyscall(SYS_read, g_scratch[0], reinterpret_cast<long>(discard), sizeof discard) > 0) {
  }
  return false;
}

// Takes the data out of the pipe and writes it straight back: exact while
// nobody else writes to the pipe, which the computation's own writers cannot.
uint64_t CopyByReadingBack(int fd, char* dst, uint64_t cap) {
  int rd = OpenPipe(fd, O_RDONLY | O_NONBLOCK);
  int wr = OpenPipe(fd, O_WRONLY | O_NONBLOCK);
  if (rd < 0 || wr < 0) {
    if (rd >= 0) RawSyscall(SYS_close, rd);
    if (wr >= 0) RawSyscall(SYS_close, wr);
    char num[16];
    FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
    CheckpointFailed("cannot open the pipe on descriptor ", num, " to save its data");
    return 0;
  }
  const uint64_t got = ReadSome(rd, dst, cap);
  if (Queued(rd) != 0) {
    CheckpointFailed("a process outside the computation wrote to a pipe while its data was ",
                     "saved; the data cannot be put back in its order");
  }
  if (WriteSome(wr, dst, got) != got) {
    CheckpointFailed("could not put the data of a pipe back while saving it", "", "");
  }
  RawSyscall(SYS_close, rd);
  RawSyscall(SYS_close, wr);
  return got;
}

bool AlreadySaved(uint64_t inode) {
  for (int i = 0; i < g_area.count; ++i)
    if (g_area.pipes[i].inode == inode) return true;
  return false;
}

void Unmap() {
  if (g_area.bytes) RawSyscall(SYS_munmap, reinterpret_cast<long>(g_area.pipes), g_area.bytes);
  g_area = SavedArea{};
}

bool MapArea(int count, uint64_t data_cap) {
  const uint64_t table = (static_cast<uint64_t>(count) * sizeof(SavedPipe) + 4095) & ~4095ULL;
  const uint64_t bytes = table + ((data_cap + 4095) & ~4095ULL);
  long p = RawSyscall(SYS_mmap, 0, static_cast<long>(bytes), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p < 0 && p > -4096) return false;
  g_area.bytes = bytes;
  g_area.cap = count;
  g_area.pipes = reinterpret_cast<SavedPipe*>(p);
  g_area.data = reinterpret_cast<char*>(p) + table;
  g_area.data_cap = data_cap;
  return true;
}

void Save() {
  const long me = RawSyscall(SYS_getpid);
  Unmap();
  // A pipe never holds more than its capacity: their sum bounds the data.
  int count = 0;
  uint64_t capacity = 0;
  ForEachOwnedReadEnd(me, [&](int fd, const struct stat&) {
    ++count;
    long size = RawSyscall(SYS_fcntl, fd, F_GETPIPE_SZ);
    capacity += static_cast<uint64_t>(size > 0 ? size : 0);
  });
  if (!count) return;
  if (!MapArea(count, capacity)) {
    CheckpointFailed("no memory to save the data of its pipes", "", "");
    return;
  }
  ForEachOwnedReadEnd(me, [&](int fd, const struct stat& st) {
    if (AlreadySaved(st.st_ino) || g_area.count >= g_area.cap) return;
    SavedPipe& d = g_area.pipes[g_area.count++];
    d.fd = fd;
    d.inode = st.st_ino;
    d.pipe_size = static_cast<int>(RawSyscall(SYS_fcntl, fd, F_GETPIPE_SZ));
    d.offset = g_area.used;
    d.len = 0;
    const uint64_t room = g_area.data_cap - g_area.used;
    const uint64_t queued = static_cast<uint64_t>(Queued(fd));
    if (queued == 0) return;
    char* dst = g_area.data + g_area.used;
    if (queued <= room && CopyWithTee(fd, d.pipe_size, dst, queued))
      d.len = queued;
    else
      d.len = CopyByReadingBack(fd, dst, room);
    g_area.used += d.len;
  });
  CloseScratch();
}

// "<what> (<n> bytes, descriptor <fd>)"
[[noreturn]] void RefillFailed(const char* what, const SavedPipe& d) {
  char detail[96] = " (";
  char num[24];
  FormatUint(num, sizeof num, d.len);
  StrCat(detail, sizeof detail, num);
  StrCat(detail, sizeof detail, " bytes, descriptor ");
  FormatUint(num, sizeof num, static_cast<uint64_t>(d.fd));
  StrCat(detail, sizeof detail, num);
  StrCat(detail, sizeof detail, ")");
  Fatal("restart: ", what, detail);
}

// After a restart: the pipes are new; each gets its size and its data.
// Every writer of the computation is frozen until the refill barrier, so
// the data goes in first and must fit: the write never waits.
void RefillAfterRestart() {
  for (int i = 0; i < g_area.count; ++i) {
    const SavedPipe& d = g_area.pipes[i];
    if (d.pipe_size > 0) RawSyscall(SYS_fcntl, d.fd, F_SETPIPE_SZ, d.pipe_size);
    if (d.len == 0) continue;
    int wr = OpenPipe(d.fd, O_WRONLY | O_NONBLOCK);
    if (wr < 0) RefillFailed("cannot open a pipe to put its data back", d);
    const char* src = g_area.data + d.offset;
    uint64_t done = WriteSome(wr, src, d.len);
    if (done < d.len) {
      // Smaller than it was (the user's pipe buffers are over the kernel's
      // soft limit): ask for room for all of it.
      long want = 4096;
      while (static_cast<uint64_t>(want) < d.len) want *= 2;
      if (RawSyscall(SYS_fcntl, wr, F_SETPIPE_SZ, want) >= 0)
        done += WriteSome(wr, src + done, d.len - done);
    }
    RawSyscall(SYS_close, wr);
    if (done < d.len)
      RefillFailed(
          "a pipe cannot hold its data again (see /proc/sys/fs/pipe-user-pages-soft and "
          "pipe-max-size)",
          d);
  }
}

void PipesEventHook(const DmtcpEvent_t event, DmtcpEventData_t* data) {
  const bool restart = data && data->refillInfo.isRestart;
  if (event == DMTCP_EVENT_DRAIN) {
    PushPendingTcpData();
    const long me = RawSyscall(SYS_getpid);
    ForEachOwnedReadEnd(
        0, [&](int fd, const struct stat&) { RawSyscall(SYS_fcntl, fd, F_SETOWN, me); });
    ClaimPtyMasters();
    if (!g.cfg.no_coordinator) {
      PublishTcpEndpoints();
      ClaimQueuedDatagrams();
      // Every process has claimed its pipes and published its connections;
      // the last claim of each pipe stands.
      CoordBarrier(proto::kBarrierPipesElected);
      FindTcpPeers();
      FindDatagramOwners();
      DrainTcp();
    }
    Save();
    SavePtyOutput();
  }
  if (event == DMTCP_EVENT_REFILL) {
    if (restart) {
      RefillAfterRestart();
      RestorePtyOutput();
    }
    Unmap();
    ReleasePtyOutput();
    RefillTcp(restart);
  }
}

}  // namespace

void RegisterPipesPlugin() {
  DmtcpPluginDescriptor_t d = {DMTCP_PLUGIN_API_VERSION,
                               DMTCP_PACKAGE_VERSION,
                               "pipes",
                               "dmtcp-ng",
                               "",
                               "pipe, FIFO and pseudo-terminal buffers: saved, refilled at "
                               "restart",
                               PipesEventHook};
  RegisterBuiltin(d);
}

}  // namespace dmtcp::rt
