// omp_pinned STEPS [DELAY_MS]: an OpenMP loop on two threads, each adding to its own running sum;
// run it with OMP_PROC_BIND and OMP_PLACES to bind the threads (e.g. OMP_PROC_BIND=spread
// OMP_PLACES=cores). Every step it prints the sums and where each thread may run:
//   step N sums S0 S1 cpus A|B
#define _GNU_SOURCE
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void cpu_list(char *out, size_t cap) {
  cpu_set_t set;
  size_t len = 0;
  out[0] = '\0';
  if (sched_getaffinity(0, sizeof set, &set) != 0) {
    snprintf(out, cap, "?");
    return;
  }
  for (int c = 0; c < CPU_SETSIZE && len + 8 < cap; ++c)
    if (CPU_ISSET(c, &set)) len += (size_t)snprintf(out + len, cap - len, len ? ",%d" : "%d", c);
}

int main(int argc, char **argv) {
  int steps = argc > 1 ? atoi(argv[1]) : 50;
  int delay_ms = argc > 2 ? atoi(argv[2]) : 100;
  uint64_t sums[2] = {0, 0};
  char cpus[2][256];
  for (int step = 1; step <= steps; ++step) {
#pragma omp parallel num_threads(2)
    {
      int id = omp_get_thread_num();
      sums[id] = sums[id] * 31 + (uint64_t)step * (id + 1);
      cpu_list(cpus[id], sizeof cpus[id]);
    }
    printf("step %d sums %llu %llu cpus %s|%s\n", step, (unsigned long long)sums[0],
           (unsigned long long)sums[1], cpus[0], cpus[1]);
    fflush(stdout);
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  return 0;
}
