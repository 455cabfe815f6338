#include "file_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "file_locks.h"
#include "files.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

struct OutsideRead {
  int dirfd;
  const char* path;
  int flags;
  uint64_t dev, inode;
  char* buf;
  size_t len;
  uint64_t off;
  long result;
};

// In the child: its descriptor table is a copy, so the close below (and
// its exit, which closes every copy) drops only locks it holds: none.
void ReadInChild(void* arg) {
  auto* r = static_cast<OutsideRead*>(arg);
  const long fd = RawSyscall(SYS_openat, r->dirfd, reinterpret_cast<long>(r->path), r->flags);
  if (fd < 0) {
    r->result = fd;
    return;
  }
  struct stat st;
  long e = RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st));
  if (e == 0 && (st.st_dev != r->dev || st.st_ino != r->inode)) e = -ESTALE;
  size_t got = 0;
  while (e == 0 && got < r->len) {
    const long n = RawSyscall(SYS_pread64, fd, reinterpret_cast<long>(r->buf + got),
                              static_cast<long>(r->len - got), static_cast<long>(r->off + got));
    if (n < 0) e = n;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  RawSyscall(SYS_close, fd);
  r->result = e < 0 ? e : static_cast<long>(got);
}

}  // namespace

long ReadOutsideTable(int dirfd, const char* path, int flags, uint64_t dev, uint64_t inode,
                      char* buf, size_t len, uint64_t off) {
  constexpr size_t kStack = 64 << 10;
  const long stack = RawSyscall(SYS_mmap, 0, kStack, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack < 0 && stack > -4096) return stack;
  OutsideRead r{dirfd, path, flags, dev, inode, buf, len, off, -EIO};
  // Shared memory, its own descriptor table; no exit signal (the program's
  // wait calls do not see it: they take no __WALL), reaped below. The
  // caller sleeps until it has exited (CLONE_VFORK); no signal of the
  // program reaches it (all blocked).
  uint64_t all = ~uint64_t{0}, old = 0;
  RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all),
             reinterpret_cast<long>(&old), sizeof all);
  const long pid = dmtcp_raw_clone(CLONE_VM | CLONE_VFORK, reinterpret_cast<char*>(stack) + kStack,
                                   nullptr, nullptr, 0, ReadInChild, &r);
  RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&old), 0, sizeof old);
  if (pid > 0)
    while (RawSyscall(SYS_wait4, pid, 0, __WALL, 0) == -EINTR) {
    }
  RawSyscall(SYS_munmap, stack, kStack);
  return pid < 0 ? pid : r.result;
}

long FileReader::Open(int dir, const char* file, int open_flags, long program_fd, bool locked,
                      struct stat* st) {
  Close();
  if (program_fd >= 0) {
    fd = program_fd;
    return RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(st));
  }
  // A stat by path opens nothing; the child checks it opened this file.
  const long e =
      RawSyscall(SYS_newfstatat, dir, reinterpret_cast<long>(file), reinterpret_cast<long>(st),
                 (open_flags & O_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0);
  if (e != 0) return e;
  // An open would wait for the lease's holder (stopped for this checkpoint too, perhaps) up to
  // the kernel's lease-break-time, and break its lease.
  if (S_ISREG(st->st_mode) && (lease_holder = WriteLeaseHolder(st->st_dev, st->st_ino)) != 0) {
    // Its own (not a forked writer's): given up while the file is read, which then breaks
    // nothing, and taken again. Another's: not read.
    const int own =
        lease_holder == RawSyscall(SYS_getpid) ? WriteLeaseFd(st->st_dev, st->st_ino) : -1;
    if (own < 0 || RawSyscall(SYS_fcntl, own, F_SETLEASE, F_UNLCK) != 0) return -EWOULDBLOCK;
    lease_fd = own;
    lease_holder = 0;
  }
  if (!locked) {
    const long f = RawSyscall(SYS_openat, dir, reinterpret_cast<long>(file), open_flags);
    if (f < 0) return f;
    fd = f;
    owned = true;
    return RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(st));
  }
  dirfd = dir;
  path = file;
  flags = open_flags;
  dev = st->st_dev;
  inode = st->st_ino;
  return 0;
}

long FileReader::Pread(char* buf, size_t len, uint64_t off) const {
  if (fd >= 0)
    return RawSyscall(SYS_pread64, fd, reinterpret_cast<long>(buf), static_cast<long>(len),
                      static_cast<long>(off));
  if (!path) return -EBADF;
  return ReadOutsideTable(dirfd, path, flags, dev, inode, buf, len, off);
}

void FileReader::Close() {
  if (owned) RawSyscall(SYS_close, fd);
  // No other open of the file is left then, unless one came from outside the computation
  // meanwhile, which the lease would have told the program of: it is gone, as a break ends it.
  if (lease_fd >= 0 && RawSyscall(SYS_fcntl, lease_fd, F_SETLEASE, F_WRLCK) != 0)
    Log("checkpoint: the program's write lease (F_SETLEASE) on a file it has open could not be "
        "taken again after the file was read: another process opened it meanwhile");
  *this = FileReader{};
}

}  // namespace dmtcp::rt
