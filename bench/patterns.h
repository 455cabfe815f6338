// The memory contents the benchmark uses, shared by the checkpointed program and the tool that
// measures the machine's limits on the same bytes.
#ifndef DMTCP_BENCH_PATTERNS_H
#define DMTCP_BENCH_PATTERNS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t bench_next_random(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

// "random": does not compress; "text": words, deflates about 4.7:1; "zeropage": only read, so
// the kernel maps its zero page; anything else: zeros written.
static inline void bench_fill(uint8_t *p, size_t n, const char *pattern) {
  uint64_t x = 88172645463325252ull;
  if (strcmp(pattern, "random") == 0) {
    for (size_t i = 0; i + 8 <= n; i += 8) {
      uint64_t v = bench_next_random(&x);
      memcpy(p + i, &v, 8);
    }
  } else if (strcmp(pattern, "text") == 0) {
    static const char *const words[] = {"alpha ", "beta ",  "gamma ", "delta ", "epsilon ", "zeta ",
                                        "eta ",   "theta ", "0.125 ", "42 ",    "-7.5e3 ",  "\n"};
    for (size_t i = 0; i < n;) {
      const char *w = words[bench_next_random(&x) % 12];
      for (; *w && i < n; ++w) p[i++] = (uint8_t)*w;
    }
  } else if (strcmp(pattern, "zeropage") == 0) {
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < n; i += 4096) sink = (uint8_t)(sink + p[i]);
  } else {
    memset(p, 0, n);
  }
}

#endif
