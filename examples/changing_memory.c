// changing_memory MIB STEPS DELAY_MS
//
// A program that holds MIB MiB of memory and changes a little of it at each step, as a long
// computation with large tables does: the case incremental checkpoints are for. The changes fall
// in the first sixteenth of the memory (at least 1 MiB); the rest is written once. It keeps a
// weighted sum of every byte up to date as it changes them, and at each step sums the whole
// memory again and compares: a restart that brings back any byte wrong, or a block at the wrong
// place, prints "MISMATCH" and exits 1. Each step prints
//   step <i> sum <hex>
// the same in every run, and at the end "done".
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t full_sum(const uint8_t* m, size_t n) {
  uint64_t s = 0;
  for (size_t i = 0; i < n; ++i) s += (uint64_t)m[i] * (i + 1);
  return s;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: changing_memory MIB STEPS DELAY_MS\n");
    return 2;
  }
  const size_t n = (size_t)atol(argv[1]) << 20;
  const long steps = atol(argv[2]);
  const long delay_ms = atol(argv[3]);
  uint8_t* m = malloc(n);
  if (!m) return 2;
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    m[i] = (uint8_t)x;
  }
  uint64_t tracked = full_sum(m, n);
  const size_t hot = n / 16 > (1 << 20) ? n / 16 : (n < (1 << 20) ? n : (1 << 20));
  for (long step = 1; step <= steps; ++step) {
    // A few bytes on 4 pages somewhere: the rest stays as it was.
    for (int k = 0; k < 4; ++k) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      const size_t at = (size_t)(x % hot);
      const uint8_t v = (uint8_t)(m[at] + 1 + k);
      tracked += ((uint64_t)v - m[at]) * (at + 1);
      m[at] = v;
    }
    const uint64_t s = full_sum(m, n);
    if (s != tracked) {
      printf("MISMATCH at step %ld: %016llx, expected %016llx\n", step, (unsigned long long)s,
             (unsigned long long)tracked);
      return 1;
    }
    printf("step %ld sum %016llx\n", step, (unsigned long long)s);
    fflush(stdout);
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  printf("done\n");
  return 0;
}
