// The processes of the computation find shared file descriptions with two
// rounds of marks on the descriptions themselves (the owner that F_SETOWN_EX
// sets belongs to the open file description, not the descriptor), each
// ended by a barrier:
//  1. every process claims each of its file descriptions as its own (owner:
//     this process); the last claim stands, and that process is the one that
//     records the description;
//  2. every process that holds a description another one won marks it
//     (owner: the winner's main thread instead of the winner as a process),
//     so that the winner learns others hold it too.
// The pairs of descriptors are then matched with kcmp(2) (or, where the
// kernel lacks it, by file, offset and flags from /proc/<pid>/fdinfo). A
// program's own owner is kept where it matters: files with a lease or with
// O_ASYNC are left alone.
#include "shared_files.h"

#include <fcntl.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "pids.h"
#include "proc_dir.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

template <typename Fn>
void ForEachTrackedFile(Fn fn) {
  ForEachNumericEntry("/proc/self/fd", [&](long n, int dir) {
    const int fd = static_cast<int>(n);
    if (fd == dir || fd == g.coord_fd || fd == PidTableFd()) return;
    struct stat st;
    if (RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) == 0 && TrackedFile(fd, st.st_mode))
      fn(fd);
  });
}

bool GetOwner(int fd, f_owner_ex* owner) {
  return RawSyscall(SYS_fcntl, fd, F_GETOWN_EX, reinterpret_cast<long>(owner)) == 0;
}

void SetOwner(int fd, __pid_type type, pid_t pid) {
  f_owner_ex owner = {type, pid};
  RawSyscall(SYS_fcntl, fd, F_SETOWN_EX, reinterpret_cast<long>(&owner));
}

void FdPath(char* out, size_t cap, pid_t pid, const char* dir, int fd) {
  char num[24];
  StrCopy(out, cap, "/proc/");
  FormatUint(num, sizeof num, static_cast<uint64_t>(pid));
  StrCat(out, cap, num);
  StrCat(out, cap, dir);
  FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
  StrCat(out, cap, num);
}

// Without kcmp: the same file at the same offset with the same flags, as
// /proc/<pid>/fdinfo shows them ("pos:" and "flags:" lead it).
bool SameByFdinfo(pid_t a, int fd_a, pid_t b, int fd_b) {
  char path[64], text_a[128], text_b[128];
  struct stat st_a, st_b;
  FdPath(path, sizeof path, a, "/fd/", fd_a);
  if (RawSyscall(SYS_stat, reinterpret_cast<long>(path), reinterpret_cast<long>(&st_a)) != 0)
    return false;
  FdPath(path, sizeof path, b, "/fd/", fd_b);
  if (RawSyscall(SYS_stat, reinterpret_cast<long>(path), reinterpret_cast<long>(&st_b)) != 0 ||
      st_a.st_dev != st_b.st_dev || st_a.st_ino != st_b.st_ino)
    return false;
  char* texts[2] = {text_a, text_b};
  const pid_t pids[2] = {a, b};
  const int fds[2] = {fd_a, fd_b};
  for (int i = 0; i < 2; ++i) {
    FdPath(path, sizeof path, pids[i], "/fdinfo/", fds[i]);
    long f = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC);
    if (f < 0) return false;
    long n = RawSyscall(SYS_read, f, reinterpret_cast<long>(texts[i]), sizeof text_a - 1);
    RawSyscall(SYS_close, f);
    if (n <= 0) return false;
    texts[i][n] = 0;
    // Up to the end of the "flags:" line; later lines (mnt_id, ino) agree anyway.
    int lines = 0;
    for (long k = 0; k < n; ++k)
      if (texts[i][k] == '\n' && ++lines == 2) texts[i][k] = 0;
  }
  return StrLen(text_a) == StrLen(text_b) && __builtin_memcmp(text_a, text_b, StrLen(text_a)) == 0;
}

bool SameDescription(pid_t a, int fd_a, pid_t b, int fd_b) {
  static bool no_kcmp = false;
  if (!no_kcmp) {
    long r = RawSyscall(SYS_kcmp, a, b, KCMP_FILE, fd_a, fd_b);
    if (r >= 0) return r == 0;
    if (r != -38 /*ENOSYS*/ && r != -1 /*EPERM*/) return false;  // EBADF: not open there
    no_kcmp = true;
  }
  return SameByFdinfo(a, fd_a, b, fd_b);
}

}  // namespace

bool TrackedFile(int fd, mode_t mode) {
  if (!S_ISREG(mode) && !S_ISDIR(mode)) return false;
  // A lease breaks with a signal to the owner, O_ASYNC sends SIGIO to it.
  return (RawSyscall(SYS_fcntl, fd, F_GETFL) & O_ASYNC) == 0 &&
         RawSyscall(SYS_fcntl, fd, F_GETLEASE) == F_UNLCK;
}

void ClaimFileDescriptions() {
  const pid_t me = static_cast<pid_t>(RawSyscall(SYS_getpid));
  ForEachTrackedFile([&](int fd) { SetOwner(fd, F_OWNER_PID, me); });
}

void MarkSharedFileDescriptions() {
  const pid_t me = static_cast<pid_t>(RawSyscall(SYS_getpid));
  ForEachTrackedFile([&](int fd) {
    f_owner_ex owner;
    if (GetOwner(fd, &owner) && owner.pid > 0 && owner.pid != me)
      SetOwner(fd, F_OWNER_TID, owner.pid);
  });
}

void ReleaseFileDescriptions() {
  ForEachTrackedFile([](int fd) { SetOwner(fd, F_OWNER_PID, 0); });
}

pid_t DescriptionWinner(int fd, bool* held_by_others) {
  f_owner_ex owner;
  if (!GetOwner(fd, &owner) || owner.pid <= 0) return 0;
  *held_by_others = owner.type == F_OWNER_TID;
  return owner.pid;
}

bool SameDescriptionHere(int fd_a, int fd_b) {
  const pid_t me = static_cast<pid_t>(RawSyscall(SYS_getpid));
  return SameDescription(me, fd_a, me, fd_b);
}

int SameDescriptionIn(pid_t pid, int fd) {
  const pid_t me = static_cast<pid_t>(RawSyscall(SYS_getpid));
  if (SameDescription(me, fd, pid, fd)) return fd;  // inherited through fork: the usual case
  char dir[48];
  FdPath(dir, sizeof dir, pid, "/fd", 0);
  dir[StrLen(dir) - 1] = 0;  // "/proc/<pid>/fd"
  int found = -1;
  ForEachNumericEntry(dir, [&](long n, int) {
    if (found < 0 && n != fd && SameDescription(me, fd, pid, static_cast<int>(n)))
      found = static_cast<int>(n);
  });
  return found;
}

}  // namespace dmtcp::rt
