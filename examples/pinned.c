// pinned STEPS [DELAY_MS]: three worker threads, two bound to one CPU each (the first and the
// last CPU the program may use) with pthread_setaffinity_np, one left unbound, each adding to
// its own running sum. Every step the main thread prints the sums and where each thread may run:
//   step N sums S1 S2 S3 cpus A|B|C
// The sums depend only on N; the CPU lists show the bindings (after a restart on other CPUs,
// the corresponding ones).
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define WORKERS 3

static atomic_int step_now;
static atomic_int done[WORKERS];
static uint64_t sums[WORKERS];

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  for (int step = 1;; ++step) {
    while (atomic_load(&step_now) < step) {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
    sums[id] = sums[id] * 31 + (uint64_t)step * (id + 1);
    atomic_store(&done[id], step);
  }
  return NULL;
}

static void cpu_list(pthread_t t, char *out, size_t cap) {
  cpu_set_t set;
  size_t len = 0;
  out[0] = '\0';
  if (pthread_getaffinity_np(t, sizeof set, &set) != 0) {
    snprintf(out, cap, "?");
    return;
  }
  for (int c = 0; c < CPU_SETSIZE && len + 8 < cap; ++c)
    if (CPU_ISSET(c, &set)) len += (size_t)snprintf(out + len, cap - len, len ? ",%d" : "%d", c);
}

int main(int argc, char **argv) {
  int steps = argc > 1 ? atoi(argv[1]) : 50;
  int delay_ms = argc > 2 ? atoi(argv[2]) : 100;
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 1;
  int first = -1, last = -1;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &allowed)) {
      if (first < 0) first = c;
      last = c;
    }
  pthread_t t[WORKERS];
  for (int i = 0; i < WORKERS; ++i) {
    if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0) return 1;
    if (i < 2) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(i == 0 ? first : last, &one);
      if (pthread_setaffinity_np(t[i], sizeof one, &one) != 0) return 1;
    }
  }
  for (int step = 1; step <= steps; ++step) {
    atomic_store(&step_now, step);
    for (int i = 0; i < WORKERS; ++i)
      while (atomic_load(&done[i]) < step) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
      }
    char a[256], b[256], c[256];
    cpu_list(t[0], a, sizeof a);
    cpu_list(t[1], b, sizeof b);
    cpu_list(t[2], c, sizeof c);
    printf("step %d sums %llu %llu %llu cpus %s|%s|%s\n", step, (unsigned long long)sums[0],
           (unsigned long long)sums[1], (unsigned long long)sums[2], a, b, c);
    fflush(stdout);
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  return 0;
}
