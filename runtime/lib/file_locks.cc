// fdinfo lists the locks on the descriptor's file that this descriptor or
// this process holds, one line each, e.g.
//   lock:	1: POSIX  ADVISORY  WRITE 23243 fe:00:10953500 5 14
//   lock:	2: FLOCK  ADVISORY  READ  23243 fe:00:10953478 0 EOF
// A line with "->" is a waiter, not a holder. A POSIX lock of a forked
// child on the same open file shows too: its pid tells it apart.
#include "file_locks.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/syscall.h>

#include "runtime.h"

namespace dmtcp::rt {
namespace {

const char* SkipSpace(const char* p) {
  while (*p == ' ' || *p == '\t') ++p;
  return p;
}

const char* Word(const char* p, const char** end) {
  p = SkipSpace(p);
  *end = p;
  while (**end && **end != ' ' && **end != '\t' && **end != '\n') ++*end;
  return p;
}

bool Is(const char* w, const char* e, const char* s) {
  const size_t n = StrLen(s);
  return static_cast<size_t>(e - w) == n && __builtin_memcmp(w, s, n) == 0;
}

int64_t Number(const char* w, const char* e) {
  bool neg = w < e && *w == '-';
  int64_t v = 0;
  for (const char* p = neg ? w + 1 : w; p < e && *p >= '0' && *p <= '9'; ++p)
    v = v * 10 + (*p - '0');
  return neg ? -v : v;
}

// One "lock:" line (after the key); false if it is not a lock held.
bool ParseLine(const char* p, pid_t self, HeldLock* out) {
  const char* e;
  const char* w = Word(p, &e);  // "1:"
  w = Word(e, &e);
  if (Is(w, e, "->")) return false;
  const char* kind_w = w;
  const char* kind_e = e;
  if (Is(kind_w, kind_e, "FLOCK"))
    out->kind = kFlock;
  else if (Is(kind_w, kind_e, "POSIX"))
    out->kind = kPosix;
  else if (Is(kind_w, kind_e, "OFDLCK"))
    out->kind = kOfd;
  else
    return false;   // leases and the like are not held by the program's hand
  w = Word(e, &e);  // ADVISORY
  w = Word(e, &e);  // READ / WRITE
  out->write = Is(w, e, "WRITE") ? 1 : 0;
  w = Word(e, &e);  // pid
  const int64_t pid = Number(w, e);
  if (out->kind == kPosix && pid != self) return false;
  Word(e, &e);  // device:inode
  w = Word(e, &e);
  out->start = Number(w, e);
  w = Word(e, &e);
  out->end = Is(w, e, "EOF") ? -1 : Number(w, e);
  return true;
}

}  // namespace

int ReadHeldLocks(int fd, pid_t self, HeldLock* out, int cap) {
  char path[40] = "/proc/self/fdinfo/";
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
  StrCat(path, sizeof path, num);
  int f = static_cast<int>(
      RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC));
  if (f < 0) return 0;
  // Line by line: the file may list more locks (of others too) than a buffer holds.
  char text[4096];
  size_t have = 0;
  int n = 0;
  for (bool eof = false; !eof;) {
    const long r = RawSyscall(SYS_read, f, reinterpret_cast<long>(text + have),
                              static_cast<long>(sizeof text - 1 - have));
    if (r > 0)
      have += static_cast<size_t>(r);
    else
      eof = true;
    text[have] = 0;
    size_t start = 0;
    for (size_t i = 0; i <= have; ++i) {
      if (i < have && text[i] != '\n') continue;
      if (i == have && !eof) break;  // a line not read to its end yet
      text[i] = 0;
      HeldLock l{};
      if (StartsWith(text + start, "lock:") && ParseLine(text + start + 5, self, &l)) {
        if (n == cap) {
          RawSyscall(SYS_close, f);
          return -1;
        }
        out[n++] = l;
      }
      start = i + 1;
    }
    if (start > have) start = have;
    __builtin_memmove(text, text + start, have - start);
    have -= start;
    if (have == sizeof text - 1) have = 0;  // no line is this long: not one of ours
  }
  RawSyscall(SYS_close, f);
  return n;
}

bool RetakeLocks(int fd, const HeldLock* locks, int n) {
  for (int i = 0; i < n; ++i) {
    const HeldLock& l = locks[i];
    if (l.kind == kFlock) {
      if (RawSyscall(SYS_flock, fd, (l.write ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) return false;
      continue;
    }
    struct flock f = {};
    f.l_type = l.write ? F_WRLCK : F_RDLCK;
    f.l_whence = SEEK_SET;
    f.l_start = l.start;
    f.l_len = l.end < 0 ? 0 : l.end - l.start + 1;
    const int cmd = l.kind == kOfd ? F_OFD_SETLK : F_SETLK;
    if (RawSyscall(SYS_fcntl, fd, cmd, reinterpret_cast<long>(&f)) != 0) return false;
  }
  return true;
}

}  // namespace dmtcp::rt
