// bench_memory MiB random|text|zero
//
// The program the benchmark checkpoints: it fills MiB of memory with random bytes (which do not
// compress), text-like bytes (which deflate about 4.7:1) or zeros (touched pages, all zero), and
// prints "ready <checksum>". Then it watches the clock every millisecond: when it finds it was
// stopped for more than 2 ms (a checkpoint, a kill and restart, or the scheduler) it prints
// "resumed <pause_ms> <realtime_ns>" at once, then checks its memory again and prints
// "verified <checksum>", which must equal the first.
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "patterns.h"

static int64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t checksum(const uint8_t *p, size_t n) {
  uint64_t h = 1469598103934665603ull, v;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    memcpy(&v, p + i, 8);
    h = (h ^ v) * 1099511628211ull;
  }
  return h;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: bench_memory MiB random|text|zero\n");
    return 2;
  }
  size_t n = (size_t)atol(argv[1]) << 20;
  uint8_t *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("bench_memory: mmap");
    return 2;
  }
  bench_fill(p, n, argv[2]);
  const uint64_t sum = checksum(p, n);
  printf("ready %016llx\n", (unsigned long long)sum);
  fflush(stdout);
  int64_t last = clock_ns(CLOCK_MONOTONIC);
  for (;;) {
    struct timespec ms = {0, 1000000};
    while (nanosleep(&ms, &ms) == -1 && errno == EINTR) {
    }
    int64_t now = clock_ns(CLOCK_MONOTONIC);
    if (now - last > 3000000) {
      printf("resumed %.1f %lld\n", (double)(now - last - 1000000) / 1e6,
             (long long)clock_ns(CLOCK_REALTIME));
      fflush(stdout);
      printf("verified %016llx\n", (unsigned long long)checksum(p, n));
      fflush(stdout);
      now = clock_ns(CLOCK_MONOTONIC);
    }
    last = now;
  }
}
