// bench_memory MiB random|text|zero|zeropage [REQUEST_FILE]
//
// The program the benchmark checkpoints: it fills MiB of memory with random bytes (which do not
// compress), text-like bytes (which deflate about 4.7:1), zeros (written pages, all zero) or
// zero pages (read only: the kernel's zero page), and
// prints "ready <checksum>". Then it watches the clock every millisecond:
//   - when it finds it was stopped for more than 10 ms (a restart, say) it prints
//     "resumed <stop_ms> <realtime_ns>" at once, then "verified <checksum>" of its memory;
//   - when REQUEST_FILE appears it removes it and prints "pause <ms>", the longest stop since
//     the last request, then "verified <checksum>";
//   - when REQUEST_FILE.change appears it removes it, changes 1% of its memory (one contiguous
//     run, the next one each time) and prints "changed <checksum>".
// A checksum other than the last one printed means the memory was not restored exactly.
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

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
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: bench_memory MiB random|text|zero|zeropage [REQUEST_FILE]\n");
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
  const char *request = argc > 3 ? argv[3] : NULL;
  char change[4096] = "";
  if (request) snprintf(change, sizeof change, "%s.change", request);
  size_t changed_at = 0;
  int64_t last = clock_ns(CLOCK_MONOTONIC), longest = 0;
  for (;;) {
    struct timespec ms = {0, 1000000};
    while (nanosleep(&ms, &ms) == -1 && errno == EINTR) {
    }
    int64_t now = clock_ns(CLOCK_MONOTONIC);
    const int64_t stop = now - last - 1000000;  // beyond the sleep itself
    if (stop > longest) longest = stop;
    int report = 0;
    if (stop > 10000000) {
      printf("resumed %.1f %lld\n", (double)stop / 1e6, (long long)clock_ns(CLOCK_REALTIME));
      report = 1;
    }
    if (change[0] && unlink(change) == 0) {
      const size_t len = n / 100;
      if (changed_at + len > n) changed_at = 0;
      for (size_t i = changed_at; i < changed_at + len; ++i) p[i] ^= 0xa5;
      changed_at += len;
      printf("changed %016llx\n", (unsigned long long)checksum(p, n));
      fflush(stdout);
      now = clock_ns(CLOCK_MONOTONIC);
    }
    if (request && unlink(request) == 0) {
      printf("pause %.2f\n", (double)longest / 1e6);
      longest = 0;
      report = 1;
    }
    if (report) {
      fflush(stdout);
      printf("verified %016llx\n", (unsigned long long)checksum(p, n));
      fflush(stdout);
      now = clock_ns(CLOCK_MONOTONIC);
    }
    last = now;
  }
}
