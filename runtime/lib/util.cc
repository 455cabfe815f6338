#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

namespace dmtcp::rt {

// Zero before any code runs, with no constructor of its own: the runtime
// starts (DmtcpInit, its checkpoint thread) before C++ initializers of this
// library would run, and a dynamic initializer here zeroed the atomics
// again under a checkpoint already under way (a shell spawned during a
// checkpoint joined it at once: it exited halfway, or hung in its resume).
constinit State g{};

size_t StrLen(const char* s) {
  size_t n = 0;
  while (s && s[n]) ++n;
  return n;
}

bool StartsWith(const char* s, const char* prefix) {
  while (*prefix && *s == *prefix) ++s, ++prefix;
  return *prefix == 0;
}

void StrCopy(char* dst, size_t cap, const char* src) {
  if (cap == 0) return;
  size_t n = 0;
  while (src && src[n] && n + 1 < cap) {
    dst[n] = src[n];
    ++n;
  }
  dst[n] = 0;
}

void StrCat(char* dst, size_t cap, const char* src) {
  size_t n = StrLen(dst);
  if (n < cap) StrCopy(dst + n, cap - n, src);
}

void FormatUint(char* out, size_t cap, uint64_t v, int base) {
  char tmp[32];
  int i = 0;
  do {
    tmp[i++] = "0123456789abcdef"[v % static_cast<unsigned>(base)];
    v /= static_cast<unsigned>(base);
  } while (v && i < 32);
  size_t n = 0;
  while (i > 0 && n + 1 < cap) out[n++] = tmp[--i];
  out[n] = 0;
}

long RawSyscall(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

pid_t GetTid() { return static_cast<pid_t>(RawSyscall(SYS_gettid)); }

void FutexWait(std::atomic<int>* addr, int expected) {
  RawSyscall(SYS_futex, reinterpret_cast<long>(addr), FUTEX_WAIT_PRIVATE, expected, 0);
}

void FutexWakeAll(std::atomic<int>* addr) {
  RawSyscall(SYS_futex, reinterpret_cast<long>(addr), FUTEX_WAKE_PRIVATE, 0x7fffffff);
}

void Log(const char* a, const char* b, const char* c, const char* d) {
  char buf[1024];
  buf[0] = 0;
  StrCat(buf, sizeof buf, "[dmtcp] ");
  StrCat(buf, sizeof buf, a);
  StrCat(buf, sizeof buf, b);
  StrCat(buf, sizeof buf, c);
  StrCat(buf, sizeof buf, d);
  StrCat(buf, sizeof buf, "\n");
  RawSyscall(SYS_write, 2, reinterpret_cast<long>(buf), static_cast<long>(StrLen(buf)));
}

long MonotonicMs() {
  struct timespec ts;
  RawSyscall(SYS_clock_gettime, CLOCK_MONOTONIC, reinterpret_cast<long>(&ts));
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool GrowRoom(GrowingRoom& r, uint64_t n, uint64_t initial) {
  if (r.base && r.cap - r.used >= n) return true;
  uint64_t want = r.cap * 2 > initial ? r.cap * 2 : initial;
  if (want < r.used + n) want = r.used + n;
  want = (want + 4095) & ~uint64_t{4095};
  const long p = r.base
                     ? RawSyscall(SYS_mremap, reinterpret_cast<long>(r.base),
                                  static_cast<long>(r.cap), static_cast<long>(want), MREMAP_MAYMOVE)
                     : RawSyscall(SYS_mmap, 0, static_cast<long>(want), PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p < 0 && p > -4096) return false;
  r.base = reinterpret_cast<char*>(p);
  r.cap = want;
  return true;
}

void LogNum(const char* what, long value) {
  char num[32];
  if (value < 0) {
    num[0] = '-';
    FormatUint(num + 1, sizeof num - 1, static_cast<uint64_t>(-value));
  } else {
    FormatUint(num, sizeof num, static_cast<uint64_t>(value));
  }
  Log(what, num);
}

void Fatal(const char* a, const char* b, const char* c) {
  Log(a, b, c);
  RawSyscall(SYS_exit_group, g.cfg.fail_rc ? g.cfg.fail_rc : 99);
  __builtin_unreachable();
}

void CheckpointFailed(const char* a, const char* b, const char* c) {
  if (g.ckpt_error[0]) return;
  StrCopy(g.ckpt_error, sizeof g.ckpt_error, g.program);
  StrCat(g.ckpt_error, sizeof g.ckpt_error, ": ");
  StrCat(g.ckpt_error, sizeof g.ckpt_error, a);
  StrCat(g.ckpt_error, sizeof g.ckpt_error, b);
  StrCat(g.ckpt_error, sizeof g.ckpt_error, c);
}

}  // namespace dmtcp::rt
