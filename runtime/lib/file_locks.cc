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
#include <sys/sysmacros.h>

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
  else if (Is(kind_w, kind_e, "LEASE"))
    out->kind = kLease;
  else
    return false;   // delegations and the like are not held by the program's hand
  w = Word(e, &e);  // ADVISORY (a lease: ACTIVE, or BREAKING while it is broken)
  if (out->kind == kLease && !Is(w, e, "ACTIVE")) return false;
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

// Calls on_line(line) for each line of the file at path, read in pieces (it may be longer than
// any buffer) until on_line returns false. False if the file cannot be opened.
template <typename OnLine>
bool ForEachLine(const char* path, OnLine&& on_line) {
  int f = static_cast<int>(
      RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC));
  if (f < 0) return false;
  char text[4096];
  size_t have = 0;
  for (bool eof = false, more = true; !eof && more;) {
    const long r = RawSyscall(SYS_read, f, reinterpret_cast<long>(text + have),
                              static_cast<long>(sizeof text - 1 - have));
    if (r > 0)
      have += static_cast<size_t>(r);
    else
      eof = true;
    text[have] = 0;
    size_t start = 0;
    for (size_t i = 0; i <= have && more; ++i) {
      if (i < have && text[i] != '\n') continue;
      if (i == have && !eof) break;  // a line not read to its end yet
      text[i] = 0;
      more = on_line(static_cast<const char*>(text + start));
      start = i + 1;
    }
    if (start > have) start = have;
    __builtin_memmove(text, text + start, have - start);
    have -= start;
    if (have == sizeof text - 1) have = 0;  // no line is this long: not one we look for
  }
  RawSyscall(SYS_close, f);
  return true;
}

}  // namespace

int ReadHeldLocks(int fd, pid_t self, HeldLock* out, int cap) {
  char path[40] = "/proc/self/fdinfo/";
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
  StrCat(path, sizeof path, num);
  int n = 0;
  ForEachLine(path, [&](const char* line) {
    HeldLock l{};
    if (!StartsWith(line, "lock:") || !ParseLine(line + 5, self, &l)) return true;
    if (n == cap) {
      n = -1;
      return false;
    }
    out[n++] = l;
    return true;
  });
  return n;
}

pid_t WriteLeaseHolder(uint64_t dev, uint64_t inode) {
  pid_t holder = 0;
  ForEachLine("/proc/locks", [&](const char* line) {
    // "1: LEASE  ACTIVE    WRITE 26046 08:01:1234 0 EOF" (BREAKING while it is broken); the
    // file as major:minor:inode, the device numbers in hex.
    const char* e;
    const char* w = Word(line, &e);  // "1:"
    w = Word(e, &e);
    if (!Is(w, e, "LEASE") && !Is(w, e, "DELEG")) return true;
    w = Word(e, &e);
    const bool breaking = Is(w, e, "BREAKING");
    w = Word(e, &e);
    const bool write = Is(w, e, "WRITE");
    w = Word(e, &e);
    const int64_t pid = Number(w, e);
    w = Word(e, &e);
    uint64_t part[3] = {0, 0, 0};
    int k = 0;
    for (const char* p = w; p < e && k < 3; ++p) {
      if (*p == ':') {
        ++k;
        continue;
      }
      const int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
      if (d < 0 || (k == 2 && d > 9)) return true;
      part[k] = part[k] * (k == 2 ? 10 : 16) + static_cast<uint64_t>(d);
    }
    if (k != 2 || part[0] != gnu_dev_major(dev) || part[1] != gnu_dev_minor(dev) ||
        part[2] != inode || !(write || breaking))
      return true;
    holder = pid > 0 ? static_cast<pid_t>(pid) : -1;
    return false;
  });
  return holder;
}

bool RetakeLocks(int fd, const HeldLock* locks, int n) {
  for (int i = 0; i < n; ++i) {
    const HeldLock& l = locks[i];
    if (l.kind == kLease) {
      if (RawSyscall(SYS_fcntl, fd, F_SETLEASE, l.write ? F_WRLCK : F_RDLCK) != 0) return false;
      continue;
    }
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
