#include "pids.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include "environment.h"
#include "made_files.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

pid_t g_vpid;
const PidTable* g_table;
int g_table_fd = -1;
__thread pid_t t_vtid __attribute__((tls_model("initial-exec")));
// This process's recreated threads: virtual -> real thread ids.
constexpr int kMaxThreadIds = kMaxThreads;
struct {
  pid_t vtid, real;
} g_tids[kMaxThreadIds];
int g_num_tids;

pid_t RealGetpid() { return static_cast<pid_t>(RawSyscall(SYS_getpid)); }

// Guards g_table_handed and the descriptor's close-on-exec flag together.
std::atomic<int> g_table_lock;
int g_table_handed;

void LockTableFd() {
  while (g_table_lock.exchange(1, std::memory_order_acquire)) RawSyscall(SYS_sched_yield);
}
void UnlockTableFd() { g_table_lock.store(0, std::memory_order_release); }

}  // namespace

void InitPids() {
  g_vpid = VirtualPid(RealGetpid());
  // A forked child: no spawn of its own under way (a parent's thread may
  // have been in one, holding the lock).
  g_table_lock.store(0);
  g_table_handed = 0;
  if (g_table_fd >= 0) RawSyscall(SYS_fcntl, g_table_fd, F_SETFD, FD_CLOEXEC);
}

void HandOnPidTable(char* entry, size_t cap) {
  entry[0] = 0;
  // A vfork child shares this memory but has a descriptor table of its own.
  if (InVforkChild()) {
    HandOn(kPidTableFd, g_table_fd, entry, cap);
    return;
  }
  LockTableFd();
  if (HandOn(kPidTableFd, g_table_fd, entry, cap)) ++g_table_handed;
  UnlockTableFd();
}

void TakeBackPidTable() {
  if (g_table_fd < 0 || InVforkChild()) return;
  LockTableFd();
  if (g_table_handed > 0 && --g_table_handed == 0) TakeBack(g_table_fd);
  UnlockTableFd();
}

bool MapPidTable(int fd) {
  if (g_table) {
    RawSyscall(SYS_munmap, reinterpret_cast<long>(g_table), sizeof(PidTable));
    g_table = nullptr;
  }
  // Not after a restart: the restored process never had this descriptor.
  if (g_table_fd >= 0 && g_table_fd != fd && !g.restarting) RawSyscall(SYS_close, g_table_fd);
  g_table_fd = -1;
  if (fd < 0) return true;
  long p = RawSyscall(SYS_mmap, 0, sizeof(PidTable), PROT_READ, MAP_SHARED, fd, 0);
  if (p < 0 && p > -4096) {
    RawSyscall(SYS_close, fd);
    return false;
  }
  RawSyscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
  g_table_fd = fd;
  g_table = reinterpret_cast<const PidTable*>(p);
  return g_table->magic == kPidTableMagic;
}

int PidTableFd() { return g_table_fd; }

void PidTableFdMoved(int fd) { g_table_fd = fd; }

void PidTableRange(uint64_t* start, uint64_t* end) {
  *start = reinterpret_cast<uint64_t>(g_table);
  *end = g_table ? *start + ((sizeof(PidTable) + 4095) & ~size_t{4095}) : 0;
}

pid_t RealPid(pid_t vpid) {
  if (!g_table || vpid <= 0) return vpid;
  const uint32_t n = g_table->count.load();
  for (uint32_t i = 0; i < n && i < kMaxPidEntries; ++i)
    if (g_table->entries[i].vpid == vpid) {
      const int32_t real = g_table->entries[i].real;
      return real < 0 ? -real : real;
    }
  return vpid;
}

pid_t VirtualGroupId(pid_t real) {
  if (!g_table || real <= 0) return real;
  const uint32_t n = g_table->count.load();
  for (uint32_t i = 0; i < n && i < kMaxPidEntries; ++i)
    if (g_table->entries[i].real == -real) return g_table->entries[i].vpid;
  return VirtualPid(real);
}

pid_t VirtualPid(pid_t real) {
  if (!g_table || real <= 0) return real;
  const uint32_t n = g_table->count.load();
  for (uint32_t i = 0; i < n && i < kMaxPidEntries; ++i)
    if (g_table->entries[i].real == real) return g_table->entries[i].vpid;
  return real;
}

pid_t MyVirtualPid() { return g_vpid ? g_vpid : RealGetpid(); }

bool InVforkChild() { return RealPid(MyVirtualPid()) != RealGetpid(); }

pid_t MyVirtualTid() {
  if (!t_vtid) {
    pid_t real = static_cast<pid_t>(RawSyscall(SYS_gettid));
    t_vtid = real == RealGetpid() ? MyVirtualPid() : real;
  }
  return t_vtid;
}

void RecordThreadId(pid_t vtid, pid_t real) {
  if (g_num_tids < kMaxThreadIds) g_tids[g_num_tids++] = {vtid, real};
}

void ClearThreadIds() { g_num_tids = 0; }

void ThreadIdsAfterFork() {
  g_num_tids = 0;
  t_vtid = 0;  // the child's one thread is its main thread
}

pid_t RealTid(pid_t vtid) {
  if (vtid == MyVirtualPid()) return RealGetpid();
  for (int i = 0; i < g_num_tids; ++i)
    if (g_tids[i].vtid == vtid) return g_tids[i].real;
  return vtid;
}

pid_t VirtualTid(pid_t real) {
  if (real == RealGetpid()) return MyVirtualPid();
  for (int i = 0; i < g_num_tids; ++i)
    if (g_tids[i].real == real) return g_tids[i].vtid;
  return real;
}

bool PidsMoved() {
  if (!g_table) return false;
  const uint32_t n = g_table->count.load();
  for (uint32_t i = 0; i < n && i < kMaxPidEntries; ++i)
    if (g_table->entries[i].vpid != g_table->entries[i].real) return true;
  return false;
}

// True if a new process's real pid is some restored process's virtual pid
// (the two could not be told apart), or the real pid of a restored process
// that has exited since (the table, never pruned, would still translate it
// to that process's virtual pid: the new one would take itself for it).
bool PidTaken(pid_t real) {
  if (!g_table) return false;
  const uint32_t n = g_table->count.load();
  for (uint32_t i = 0; i < n && i < kMaxPidEntries; ++i) {
    const auto& e = g_table->entries[i];
    if (e.vpid != e.real && (e.vpid == real || e.real == real)) return true;
  }
  return false;
}

void SkipTakenPids() {
  if (!PidsMoved()) return;
  for (int tries = 0; tries < 64; ++tries) {
    long fd =
        RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/sys/kernel/ns_last_pid"),
                   O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[24];
    long n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(buf), sizeof buf - 1);
    RawSyscall(SYS_close, fd);
    if (n <= 0) return;
    long last = 0;
    for (long i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i)
      last = last * 10 + (buf[i] - '0');
    if (!PidTaken(static_cast<pid_t>(last + 1))) return;
    // No exit signal: the program's wait never sees it (only __WCLONE does).
    long pid = RawSyscall(SYS_clone, 0, 0, 0, 0, 0);
    if (pid == 0) RawSyscall(SYS_exit, 0);
    if (pid < 0) return;
    RawSyscall(SYS_wait4, pid, 0, __WCLONE, 0);
  }
}

}  // namespace dmtcp::rt

using namespace dmtcp::rt;

namespace {

pid_t ToRealTarget(pid_t pid) {
  if (pid > 0) return RealPid(pid);
  if (pid < -1) return -RealPid(-pid);
  return pid;
}

// A process, or a thread of this one (the calls that take either).
pid_t RealTask(pid_t id) {
  if (id <= 0) return id;
  const pid_t t = RealTid(id);
  return t != id ? t : RealPid(id);
}

pid_t VirtualTask(pid_t real) {
  if (real <= 0) return real;
  const pid_t t = VirtualTid(real);
  return t != real ? t : VirtualPid(real);
}

long Result(long r) {
  if (r < 0 && r > -4096) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}

// fcntl's owner of signal-driven I/O, as the program knows it.
long OwnerCall(int fd, int cmd, long arg) {
  switch (cmd) {
    case F_SETOWN: {
      const pid_t who = static_cast<pid_t>(arg);  // passed as an int: the upper half is undefined
      return Result(RawSyscall(SYS_fcntl, fd, cmd, who < 0 ? -RealPid(-who) : RealTask(who)));
    }
    case F_GETOWN: {
      // As glibc does: F_GETOWN_EX, which cannot confuse a group with an error.
      struct f_owner_ex o {};
      const long r = RawSyscall(SYS_fcntl, fd, F_GETOWN_EX, reinterpret_cast<long>(&o));
      if (r < 0) return Result(r);
      return o.type == F_OWNER_PGRP ? -VirtualGroupId(o.pid) : VirtualTask(o.pid);
    }
    case F_SETOWN_EX: {
      const auto* in = reinterpret_cast<const struct f_owner_ex*>(arg);
      if (!in) return Result(RawSyscall(SYS_fcntl, fd, cmd, arg));
      struct f_owner_ex o = *in;
      o.pid = o.type == F_OWNER_PGRP ? RealPid(o.pid) : RealTask(o.pid);
      return Result(RawSyscall(SYS_fcntl, fd, cmd, reinterpret_cast<long>(&o)));
    }
    case F_GETOWN_EX: {
      auto* out = reinterpret_cast<struct f_owner_ex*>(arg);
      const long r = RawSyscall(SYS_fcntl, fd, cmd, arg);
      if (r == 0 && out)
        out->pid = out->type == F_OWNER_PGRP ? VirtualGroupId(out->pid) : VirtualTask(out->pid);
      return Result(r);
    }
  }
  return -2;  // not an owner call
}

}  // namespace

extern "C" {

pid_t getpid(void) {
  return g.enabled ? MyVirtualPid() : static_cast<pid_t>(RawSyscall(SYS_getpid));
}

pid_t getppid(void) { return VirtualPid(static_cast<pid_t>(RawSyscall(SYS_getppid))); }

int kill(pid_t pid, int sig) {
  static auto real = Next<int (*)(pid_t, int)>("kill");
  return real(ToRealTarget(pid), sig);
}

pid_t waitpid(pid_t pid, int* status, int options) {
  static auto real = Next<pid_t (*)(pid_t, int*, int)>("waitpid");
  return VirtualPid(real(ToRealTarget(pid), status, options));
}

pid_t wait(int* status) { return waitpid(-1, status, 0); }

pid_t wait4(pid_t pid, int* status, int options, struct rusage* ru) {
  static auto real = Next<pid_t (*)(pid_t, int*, int, struct rusage*)>("wait4");
  return VirtualPid(real(ToRealTarget(pid), status, options, ru));
}

// glibc's wait3 calls the kernel itself (dash waits for its jobs with it).
pid_t wait3(int* status, int options, struct rusage* ru) { return wait4(-1, status, options, ru); }

int waitid(idtype_t type, id_t id, siginfo_t* info, int options) {
  static auto real = Next<int (*)(idtype_t, id_t, siginfo_t*, int)>("waitid");
  if (type == P_PID || type == P_PGID) id = static_cast<id_t>(RealPid(static_cast<pid_t>(id)));
  int r = real(type, id, info, options);
  if (r == 0 && info && info->si_pid) info->si_pid = VirtualPid(info->si_pid);
  return r;
}

pid_t getpgrp(void) { return VirtualGroupId(static_cast<pid_t>(RawSyscall(SYS_getpgid, 0))); }

pid_t getpgid(pid_t pid) {
  long r = RawSyscall(SYS_getpgid, RealPid(pid));
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return VirtualGroupId(static_cast<pid_t>(r));
}

pid_t getsid(pid_t pid) {
  long r = RawSyscall(SYS_getsid, RealPid(pid));
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return VirtualGroupId(static_cast<pid_t>(r));
}

int setpgid(pid_t pid, pid_t pgid) {
  static auto real = Next<int (*)(pid_t, pid_t)>("setpgid");
  return real(RealPid(pid), RealPid(pgid));
}

pid_t tcgetpgrp(int fd) {
  static auto real = Next<pid_t (*)(int)>("tcgetpgrp");
  return VirtualGroupId(real(fd));
}

int tcsetpgrp(int fd, pid_t pgrp) {
  static auto real = Next<int (*)(int, pid_t)>("tcsetpgrp");
  return real(fd, RealPid(pgrp));
}

}  // extern "C"

// /proc/<pid>/... paths name virtual pids in the program: rewritten to the
// real pid (only when the pid is a translated one).
namespace {

// "/proc/<n>/rest" with n replaced by map(n) when that differs; else path.
template <typename Map>
const char* MapProcPid(const char* path, char* buf, size_t cap, Map map) {
  if (!path || path[0] != '/' || __builtin_strncmp(path, "/proc/", 6) != 0) return path;
  const char* p = path + 6;
  long v = 0;
  const char* q = p;
  while (*q >= '0' && *q <= '9') v = v * 10 + (*q++ - '0');
  if (q == p || (*q && *q != '/')) return path;
  const pid_t mapped = map(static_cast<pid_t>(v));
  if (mapped == v) return path;
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(mapped));
  buf[0] = 0;
  StrCat(buf, cap, "/proc/");
  StrCat(buf, cap, num);
  StrCat(buf, cap, q);
  return buf;
}

const char* ProcPath(const char* path, char* buf, size_t cap) {
  return MapProcPid(path, buf, cap, [](pid_t v) { return RealPid(v); });
}

}  // namespace

namespace dmtcp::rt {

const char* KernelProcPath(const char* path, char* buf, size_t cap) {
  return ProcPath(path, buf, cap);
}

const char* VirtualProcPath(const char* path, char* buf, size_t cap) {
  return MapProcPid(path, buf, cap, [](pid_t real) {
    return real == static_cast<pid_t>(RawSyscall(SYS_getpid)) ? MyVirtualPid() : VirtualPid(real);
  });
}

}  // namespace dmtcp::rt

extern "C" {

pid_t gettid(void) { return MyVirtualTid(); }

pid_t dmtcp_virtual_to_real_pid(pid_t vpid) {
  return vpid == MyVirtualPid() ? static_cast<pid_t>(RawSyscall(SYS_getpid)) : RealPid(vpid);
}

pid_t dmtcp_real_to_virtual_pid(pid_t real) {
  return real == static_cast<pid_t>(RawSyscall(SYS_getpid)) ? MyVirtualPid() : VirtualPid(real);
}

int tgkill(pid_t tgid, pid_t tid, int sig) {
  // Our own threads translate through our table; the main thread's id is
  // the (virtual) pid.
  pid_t real_tgid = RealPid(tgid);
  pid_t real_tid = tgid == MyVirtualPid() ? RealTid(tid) : (tid == tgid ? real_tgid : tid);
  long r = RawSyscall(SYS_tgkill, real_tgid, real_tid, sig);
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return 0;
}

int fcntl(int fd, int cmd, ...) {
  static auto real = Next<int (*)(int, int, ...)>("fcntl");
  va_list ap;
  va_start(ap, cmd);
  const long arg = va_arg(ap, long);
  va_end(ap);
  const long r = OwnerCall(fd, cmd, arg);
  return r != -2 ? static_cast<int>(r) : real(fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

// glibc's (2.36) calls the kernel itself.
int pidfd_open(pid_t pid, unsigned int flags) {
  return static_cast<int>(Result(RawSyscall(SYS_pidfd_open, RealPid(pid), flags)));
}

int sigqueue(pid_t pid, int sig, const union sigval value) {
  static auto real = Next<int (*)(pid_t, int, const union sigval)>("sigqueue");
  return real(RealPid(pid), sig, value);
}

int sched_setscheduler(pid_t pid, int policy, const struct sched_param* param) {
  static auto real = Next<int (*)(pid_t, int, const struct sched_param*)>("sched_setscheduler");
  return real(RealTask(pid), policy, param);
}

int sched_getscheduler(pid_t pid) {
  static auto real = Next<int (*)(pid_t)>("sched_getscheduler");
  return real(RealTask(pid));
}

int sched_setparam(pid_t pid, const struct sched_param* param) {
  static auto real = Next<int (*)(pid_t, const struct sched_param*)>("sched_setparam");
  return real(RealTask(pid), param);
}

int sched_getparam(pid_t pid, struct sched_param* param) {
  static auto real = Next<int (*)(pid_t, struct sched_param*)>("sched_getparam");
  return real(RealTask(pid), param);
}

int sched_rr_get_interval(pid_t pid, struct timespec* t) {
  static auto real = Next<int (*)(pid_t, struct timespec*)>("sched_rr_get_interval");
  return real(RealTask(pid), t);
}

int getpriority(__priority_which_t which, id_t who) {
  static auto real = Next<int (*)(__priority_which_t, id_t)>("getpriority");
  const pid_t id = static_cast<pid_t>(who);
  return real(which, static_cast<id_t>(which == PRIO_PROCESS ? RealTask(id)
                                       : which == PRIO_PGRP  ? RealPid(id)
                                                             : id));
}

int setpriority(__priority_which_t which, id_t who, int prio) {
  static auto real = Next<int (*)(__priority_which_t, id_t, int)>("setpriority");
  const pid_t id = static_cast<pid_t>(who);
  return real(which,
              static_cast<id_t>(which == PRIO_PROCESS ? RealTask(id)
                                : which == PRIO_PGRP  ? RealPid(id)
                                                      : id),
              prio);
}

int prlimit(pid_t pid, enum __rlimit_resource resource, const struct rlimit* set,
            struct rlimit* old) {
  static auto real =
      Next<int (*)(pid_t, enum __rlimit_resource, const struct rlimit*, struct rlimit*)>("prlimit");
  return real(RealPid(pid), resource, set, old);
}

int prlimit64(pid_t pid, enum __rlimit_resource resource, const struct rlimit64* set,
              struct rlimit64* old) {
  static auto real =
      Next<int (*)(pid_t, enum __rlimit_resource, const struct rlimit64*, struct rlimit64*)>(
          "prlimit64");
  return real(RealPid(pid), resource, set, old);
}

int sched_setaffinity(pid_t pid, size_t size, const cpu_set_t* mask) {
  static auto real = Next<int (*)(pid_t, size_t, const cpu_set_t*)>("sched_setaffinity");
  return real(RealPid(pid), size, mask);
}

int sched_getaffinity(pid_t pid, size_t size, cpu_set_t* mask) {
  static auto real = Next<int (*)(pid_t, size_t, cpu_set_t*)>("sched_getaffinity");
  return real(RealPid(pid), size, mask);
}

// Cross-memory attach (Open MPI's shared-memory transport copies large
// messages between ranks with it): the peer's pid is the one the program
// knows, which after a restart without root is not the kernel's.
ssize_t process_vm_readv(pid_t pid, const struct iovec* local, unsigned long liovcnt,
                         const struct iovec* remote, unsigned long riovcnt, unsigned long flags) {
  static auto real =
      Next<ssize_t (*)(pid_t, const struct iovec*, unsigned long, const struct iovec*,
                       unsigned long, unsigned long)>("process_vm_readv");
  return real(RealPid(pid), local, liovcnt, remote, riovcnt, flags);
}

ssize_t process_vm_writev(pid_t pid, const struct iovec* local, unsigned long liovcnt,
                          const struct iovec* remote, unsigned long riovcnt, unsigned long flags) {
  static auto real =
      Next<ssize_t (*)(pid_t, const struct iovec*, unsigned long, const struct iovec*,
                       unsigned long, unsigned long)>("process_vm_writev");
  return real(RealPid(pid), local, liovcnt, remote, riovcnt, flags);
}

int open(const char* path, int flags, ...) {
  static auto real = Next<int (*)(const char*, int, ...)>("open");
  va_list ap;
  va_start(ap, flags);
  mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
  va_end(ap);
  char buf[4096];
  const int fd = real(ProcPath(path, buf, sizeof buf), flags, mode);
  if (fd >= 0 && (flags & O_CREAT)) NoteMadeFile(AT_FDCWD, path);
  return fd;
}

int open64(const char* path, int flags, ...) __attribute__((alias("open")));

int openat(int dirfd, const char* path, int flags, ...) {
  static auto real = Next<int (*)(int, const char*, int, ...)>("openat");
  va_list ap;
  va_start(ap, flags);
  mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
  va_end(ap);
  char buf[4096];
  const int fd = real(dirfd, ProcPath(path, buf, sizeof buf), flags, mode);
  if (fd >= 0 && (flags & O_CREAT)) NoteMadeFile(dirfd, path);
  return fd;
}

int openat64(int dirfd, const char* path, int flags, ...) __attribute__((alias("openat")));

FILE* fopen(const char* path, const char* mode) {
  static auto real = Next<FILE* (*)(const char*, const char*)>("fopen");
  char buf[4096];
  FILE* f = real(ProcPath(path, buf, sizeof buf), mode);
  if (f && mode && (mode[0] == 'w' || mode[0] == 'a')) NoteMadeFile(AT_FDCWD, path);
  return f;
}

FILE* fopen64(const char* path, const char* mode) __attribute__((alias("fopen")));

ssize_t readlink(const char* path, char* out, size_t cap) {
  static auto real = Next<ssize_t (*)(const char*, char*, size_t)>("readlink");
  char buf[4096];
  return real(ProcPath(path, buf, sizeof buf), out, cap);
}

}  // extern "C"

// syscall(SYS_getpid) and friends, as programs call them directly.
extern "C" long syscall(long n, ...) {
  va_list ap;
  va_start(ap, n);
  long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
  long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
  va_end(ap);
  long r;
  switch (n) {
    case SYS_getpid:
      return getpid();
    case SYS_getppid:
      return getppid();
    case SYS_gettid:
      return MyVirtualTid();
    case SYS_kill:
      return kill(static_cast<pid_t>(a), static_cast<int>(b));
    case SYS_tgkill:
      return tgkill(static_cast<pid_t>(a), static_cast<pid_t>(b), static_cast<int>(c));
    case SYS_set_tid_address:  // returns the caller's thread id
      r = RawSyscall(n, a);
      return r < 0 ? Result(r) : MyVirtualTid();
    case SYS_tkill:
      return Result(RawSyscall(n, RealTask(static_cast<pid_t>(a)), b));
    case SYS_rt_sigqueueinfo:
      return Result(RawSyscall(n, RealPid(static_cast<pid_t>(a)), b, c));
    case SYS_rt_tgsigqueueinfo:
      return Result(RawSyscall(n, RealPid(static_cast<pid_t>(a)),
                               static_cast<pid_t>(a) == MyVirtualPid()
                                   ? RealTid(static_cast<pid_t>(b))
                                   : static_cast<long>(b),
                               c, d));
    case SYS_fcntl:
      r = OwnerCall(static_cast<int>(a), static_cast<int>(b), c);
      return r != -2 ? r : Result(RawSyscall(n, a, b, c));
    case SYS_sched_setaffinity:
    case SYS_sched_getaffinity:
    case SYS_sched_setscheduler:
    case SYS_sched_getscheduler:
    case SYS_sched_setparam:
    case SYS_sched_getparam:
    case SYS_sched_setattr:
    case SYS_sched_getattr:
    case SYS_sched_rr_get_interval:
    case SYS_get_robust_list:
      return Result(RawSyscall(n, RealTask(static_cast<pid_t>(a)), b, c, d, e, f));
    case SYS_prlimit64:
    case SYS_process_vm_readv:
    case SYS_process_vm_writev:
    case SYS_pidfd_open:
    case SYS_getpgid:
    case SYS_getsid:
      r = Result(RawSyscall(n, RealPid(static_cast<pid_t>(a)), b, c, d, e, f));
      return (n == SYS_getpgid || n == SYS_getsid) && r > 0 ? VirtualGroupId(static_cast<pid_t>(r))
                                                            : r;
    case SYS_kcmp:
      return Result(
          RawSyscall(n, RealPid(static_cast<pid_t>(a)), RealPid(static_cast<pid_t>(b)), c, d, e));
    case SYS_ioprio_set:
    case SYS_ioprio_get: {
      // IOPRIO_WHO_PROCESS (1): a process or thread; IOPRIO_WHO_PGRP (2): a group.
      const int which = static_cast<int>(a);
      const pid_t who = static_cast<pid_t>(b);
      return Result(RawSyscall(n, which,
                               which == 1   ? RealTask(who)
                               : which == 2 ? RealPid(who)
                                            : who,
                               c));
    }
    default:
      r = RawSyscall(n, a, b, c, d, e, f);
      if (r < 0 && r > -4096) {
        errno = static_cast<int>(-r);
        return -1;
      }
      return r;
  }
}
