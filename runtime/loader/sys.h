// Raw system calls for the loader, which has no libc.
#pragma once

#include <stdint.h>

namespace loader {

inline long Syscall6(long n, long a, long b, long c, long d, long e, long f) {
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
inline long Syscall(long n, long a = 0, long b = 0, long c = 0, long d = 0) {
  return Syscall6(n, a, b, c, d, 0, 0);
}

enum : long {
  kRead = 0,
  kWrite = 1,
  kOpen = 2,
  kClose = 3,
  kMmap = 9,
  kMprotect = 10,
  kMunmap = 11,
  kPread = 17,
  kMremap = 25,
  kMadvise = 28,
  kShmat = 30,
  kPrctl = 157,
  kArchPrctl = 158,
  kExitGroup = 231,
};

}  // namespace loader
