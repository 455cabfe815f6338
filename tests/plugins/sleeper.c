// plugin_sleeper N SECONDS [USECONDS]
//
// Test program for wrapper plugins: N times, calls sleep(SECONDS) (and usleep(USECONDS) if
// given), measuring each call with CLOCK_MONOTONIC, and prints
//   tick <i> sleep_rc=<rc> sleep_ms=<ms>[ usleep_rc=<rc> usleep_ms=<ms>]
// then "done". Exit 0. The calls go through the PLT, so plugins preloaded before libc wrap them.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: plugin_sleeper N SECONDS [USECONDS]\n");
    return 2;
  }
  int n = atoi(argv[1]);
  unsigned secs = (unsigned)atoi(argv[2]);
  long usecs = argc > 3 ? atol(argv[3]) : -1;
  for (int i = 1; i <= n; i++) {
    long t0 = now_ms();
    unsigned rc = sleep(secs);
    long t1 = now_ms();
    printf("tick %d sleep_rc=%u sleep_ms=%ld", i, rc, t1 - t0);
    if (usecs >= 0) {
      int urc = usleep((useconds_t)usecs);
      printf(" usleep_rc=%d usleep_ms=%ld", urc, now_ms() - t1);
    }
    printf("\n");
    fflush(stdout);
  }
  printf("done\n");
  return 0;
}
