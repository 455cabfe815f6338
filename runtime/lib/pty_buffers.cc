// What a pseudo-terminal's slave side wrote and its master has not read yet.
// A restart makes a new pty, empty: without this the output a program wrote
// just before the checkpoint (the lines a terminal emulator, `script` or a
// job's pty wrapper had still to show) would be lost.
//
// At checkpoint the process elected for the master (like a pipe's: the last
// F_SETOWN on the one open file description a master has) reads the data out
// and writes it straight back through the slave, with output processing off
// (OPOST) so that it comes out unchanged; everyone is frozen, so nothing comes
// between. The data stays in memory that the image holds, and after a restart
// goes into the new pty the same way before any process runs on.
//
// Input typed into the master and not yet read through the slave is not saved
// (putting it back would run it through echo and line editing again).
#include "pty_buffers.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "proc_dir.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

// A pty buffers at most 64 KiB on its way to the master (the kernel's
// tty_buffer limit) plus the master's 4 KiB line buffer.
constexpr uint64_t kRoomPerPty = 128 << 10;

struct SavedPty {
  int fd;
  unsigned index;  // the pty's number
  uint64_t len;
  int flags;  // the master's file status flags (O_NONBLOCK while it is read out)
};

// One mapping, in the image: the table, then kRoomPerPty per pty.
struct Area {
  uint64_t bytes;
  int count;
  SavedPty* ptys;
  char* data;
};
Area g_area;

bool IsMaster(int fd) {
  struct stat st;
  unsigned index = 0;
  return RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) == 0 && S_ISCHR(st.st_mode) &&
         RawSyscall(SYS_ioctl, fd, TIOCGPTN, reinterpret_cast<long>(&index)) == 0;
}

template <typename Fn>
void ForEachMaster(Fn fn) {
  ForEachNumericEntry("/proc/self/fd", [&](long n, int dir) {
    const int fd = static_cast<int>(n);
    if (fd != dir && fd != g.coord_fd && IsMaster(fd)) fn(fd);
  });
}

// Reads what the (non-blocking) master has to read now into dst + got; the new total.
uint64_t ReadAvailable(int fd, char* dst, uint64_t got, uint64_t cap) {
  while (got < cap) {
    long n =
        RawSyscall(SYS_read, fd, reinterpret_cast<long>(dst + got), static_cast<long>(cap - got));
    if (n <= 0) break;
    got += static_cast<uint64_t>(n);
  }
  return got;
}

// Writes data through the slave of master fd, unchanged; false if not all.
bool WriteThroughSlave(int master, const char* data, uint64_t len) {
  int slave = static_cast<int>(
      RawSyscall(SYS_ioctl, master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (slave < 0) return false;
  struct termios saved, raw;
  bool ok = RawSyscall(SYS_ioctl, slave, TCGETS, reinterpret_cast<long>(&saved)) == 0;
  raw = saved;
  raw.c_oflag &= ~static_cast<tcflag_t>(OPOST);
  ok = ok && RawSyscall(SYS_ioctl, slave, TCSETS, reinterpret_cast<long>(&raw)) == 0;
  uint64_t done = 0;
  for (int idle = 0; ok && done < len && idle < 100;) {
    long n = RawSyscall(SYS_write, slave, reinterpret_cast<long>(data + done),
                        static_cast<long>(len - done));
    if (n > 0) {
      done += static_cast<uint64_t>(n);
      idle = 0;
    } else if (n == -EAGAIN) {
      pollfd p = {slave, POLLOUT, 0};
      RawSyscall(SYS_poll, reinterpret_cast<long>(&p), 1, 10);
      ++idle;
    } else {
      break;
    }
  }
  if (ok) RawSyscall(SYS_ioctl, slave, TCSETS, reinterpret_cast<long>(&saved));
  RawSyscall(SYS_close, slave);
  return ok && done == len;
}

}  // namespace

void ClaimPtyMasters() {
  const long me = RawSyscall(SYS_getpid);
  ForEachMaster([&](int fd) { RawSyscall(SYS_fcntl, fd, F_SETOWN, me); });
}

void SavePtyOutput() {
  ReleasePtyOutput();
  const long me = RawSyscall(SYS_getpid);
  int count = 0;
  ForEachMaster([&](int fd) { count += RawSyscall(SYS_fcntl, fd, F_GETOWN) == me; });
  if (!count) return;
  const uint64_t table = (static_cast<uint64_t>(count) * sizeof(SavedPty) + 4095) & ~4095ULL;
  const uint64_t bytes = table + static_cast<uint64_t>(count) * kRoomPerPty;
  long p = RawSyscall(SYS_mmap, 0, static_cast<long>(bytes), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p < 0 && p > -4096) {
    CheckpointFailed("no memory to save the output waiting in its pseudo-terminals");
    return;
  }
  g_area = Area{bytes, 0, reinterpret_cast<SavedPty*>(p), reinterpret_cast<char*>(p) + table};
  ForEachMaster([&](int fd) {
    if (g_area.count >= count || RawSyscall(SYS_fcntl, fd, F_GETOWN) != me) return;
    // The same master on several descriptors: saved once.
    unsigned index = 0;
    RawSyscall(SYS_ioctl, fd, TIOCGPTN, reinterpret_cast<long>(&index));
    for (int i = 0; i < g_area.count; ++i)
      if (g_area.ptys[i].index == index) return;
    SavedPty& s = g_area.ptys[g_area.count];
    char* dst = g_area.data + static_cast<uint64_t>(g_area.count) * kRoomPerPty;
    ++g_area.count;
    s.fd = fd;
    s.index = index;
    s.flags = static_cast<int>(RawSyscall(SYS_fcntl, fd, F_GETFL));
    RawSyscall(SYS_fcntl, fd, F_SETFL, s.flags | O_NONBLOCK);
    s.len = ReadAvailable(fd, dst, 0, kRoomPerPty);
  });
  // The kernel moves what the slave wrote into the master's line buffer a little later than it
  // arrives: a short wait, once for all of them (a program may hold thousands), and again
  // while it brings more.
  for (bool more = true; more;) {
    const struct timespec wait = {0, 20 * 1000 * 1000};
    RawSyscall(SYS_nanosleep, reinterpret_cast<long>(&wait), 0);
    more = false;
    for (int i = 0; i < g_area.count; ++i) {
      SavedPty& s = g_area.ptys[i];
      const uint64_t before = s.len;
      s.len = ReadAvailable(s.fd, g_area.data + static_cast<uint64_t>(i) * kRoomPerPty, s.len,
                            kRoomPerPty);
      more = more || (s.len != before && s.len < kRoomPerPty);
    }
  }
  for (int i = 0; i < g_area.count; ++i) {
    const SavedPty& s = g_area.ptys[i];
    if (s.len == kRoomPerPty)
      CheckpointFailed("a pseudo-terminal held more output than a checkpoint keeps (128 KiB)");
    if (s.len &&
        !WriteThroughSlave(s.fd, g_area.data + static_cast<uint64_t>(i) * kRoomPerPty, s.len))
      CheckpointFailed("could not put back the output waiting in a pseudo-terminal");
    RawSyscall(SYS_fcntl, s.fd, F_SETFL, s.flags);
  }
}

void RestorePtyOutput() {
  for (int i = 0; i < g_area.count; ++i) {
    const SavedPty& s = g_area.ptys[i];
    const char* src = g_area.data + static_cast<uint64_t>(i) * kRoomPerPty;
    if (s.len && !WriteThroughSlave(s.fd, src, s.len))
      Fatal("restart: cannot put back the output that was waiting in a pseudo-terminal");
  }
}

void ReleasePtyOutput() {
  if (g_area.bytes)
    RawSyscall(SYS_munmap, reinterpret_cast<long>(g_area.ptys), static_cast<long>(g_area.bytes));
  g_area = Area{};
}

}  // namespace dmtcp::rt
