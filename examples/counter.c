// counter [N] [delay_ms]
//
// Prints "count i sum" for i = 1..N, one line per step (flushed), sleeping delay_ms between
// steps, then exits 0. `sum` is a running checksum of the program's state: a stack variable and
// a heap array that every step updates, so a restart that loses or corrupts memory shows up as a
// wrong number. The output depends only on N: it is deterministic, whatever the timing.
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { kHeapWords = 4096 };

static void sleep_ms(long ms) {
  if (ms <= 0) return;
  struct timespec req = {ms / 1000, (ms % 1000) * 1000000L};
  struct timespec rem;
  // A signal (e.g. the checkpoint signal) may wake us early: sleep the rest of the time.
  while (nanosleep(&req, &rem) == -1 && errno == EINTR) req = rem;
}

static long parse_arg(const char *s, const char *what) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 0) {
    fprintf(stderr, "counter: bad %s '%s'\n", what, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? parse_arg(argv[1], "N") : 60;
  long delay_ms = argc > 2 ? parse_arg(argv[2], "delay_ms") : 500;

  uint32_t *heap = calloc(kHeapWords, sizeof *heap);
  if (heap == NULL) {
    perror("counter: calloc");
    return 2;
  }
  uint32_t sum = 0;
  for (long i = 1; i <= n; i++) {
    uint32_t idx = (uint32_t)(i * 7) % kHeapWords;
    sum = sum * 31u + (uint32_t)i + heap[idx];
    heap[(uint32_t)i % kHeapWords] = sum ^ (uint32_t)i;
    printf("count %ld %u\n", i, (unsigned)sum);
    fflush(stdout);
    if (i < n) sleep_ms(delay_ms);
  }
  free(heap);
  return 0;
}
