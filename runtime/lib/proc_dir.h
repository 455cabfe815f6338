// Listing /proc directories whose entries are numbers (threads in
// /proc/self/task, descriptors in /proc/self/fd) without allocating.
#pragma once

#include <fcntl.h>
#include <sys/syscall.h>

#include <cstdint>

#include "runtime.h"

namespace dmtcp::rt {

// Calls fn(number, dir) for every numeric entry of the open directory dir,
// from its start; false if it cannot be read.
template <typename Fn>
bool ForEachNumericEntryOf(int dir, Fn fn) {
  struct Dirent64 {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
  };
  if (RawSyscall(SYS_lseek, dir, 0, SEEK_SET) < 0) return false;
  alignas(8) char buf[8192];
  for (;;) {
    long r = RawSyscall(SYS_getdents64, dir, reinterpret_cast<long>(buf), sizeof buf);
    if (r <= 0) break;
    for (long off = 0; off < r;) {
      auto* d = reinterpret_cast<Dirent64*>(buf + off);
      off += d->reclen;
      if (d->name[0] < '0' || d->name[0] > '9') continue;
      long n = 0;
      for (const char* p = d->name; *p; ++p) n = n * 10 + (*p - '0');
      fn(n, dir);
    }
  }
  return true;
}

// The same for a path; dir is then the listing's own descriptor.
template <typename Fn>
bool ForEachNumericEntry(const char* path, Fn fn) {
  int dir = static_cast<int>(RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path),
                                        O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir < 0) return false;
  const bool ok = ForEachNumericEntryOf(dir, fn);
  RawSyscall(SYS_close, dir);
  return ok;
}

// Calls fn(pid) for every child of this process (of any of its threads),
// from /proc/self/task/<tid>/children.
template <typename Fn>
void ForEachChild(Fn fn) {
  ForEachNumericEntry("/proc/self/task", [&](long tid, int) {
    char path[64] = "/proc/self/task/";
    char num[16];
    FormatUint(num, sizeof num, static_cast<uint64_t>(tid));
    StrCat(path, sizeof path, num);
    StrCat(path, sizeof path, "/children");
    int fd = static_cast<int>(
        RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC));
    if (fd < 0) return;
    // Read piece by piece, however many children there are; a number cut
    // between two pieces goes on in the next.
    static char list[4096];
    long child = 0;
    for (long n; (n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(list), sizeof list)) > 0;) {
      for (long i = 0; i < n; ++i) {
        if (list[i] >= '0' && list[i] <= '9') {
          child = child * 10 + (list[i] - '0');
        } else {
          if (child > 0) fn(static_cast<pid_t>(child));
          child = 0;
        }
      }
    }
    RawSyscall(SYS_close, fd);
    if (child > 0) fn(static_cast<pid_t>(child));
  });
}

}  // namespace dmtcp::rt
