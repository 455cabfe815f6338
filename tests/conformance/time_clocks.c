// Every clock the program can read: after restarts each still reads, the realtime clock shows
// the real time, and the monotonic clocks never went back.
#include "conformance.h"

static const clockid_t ids[] = {
    CLOCK_REALTIME,         CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW,      CLOCK_REALTIME_COARSE,
    CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,  CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
static struct timespec last[8];

static double sec(struct timespec t) { return (double)t.tv_sec + t.tv_nsec / 1e9; }

static void setup(void) {
  for (int i = 0; i < 8; i++) SYS(clock_gettime(ids[i], &last[i]));
}

static void tick(void) {
  for (int i = 0; i < 8; i++) {
    struct timespec now;
    CHECK(clock_gettime(ids[i], &now) == 0, "clock %d: %s", (int)ids[i], strerror(errno));
    if (ids[i] != CLOCK_REALTIME && ids[i] != CLOCK_REALTIME_COARSE)
      CHECK(sec(now) + 1e-3 >= sec(last[i]), "clock %d went back by %.3f s", (int)ids[i],
            sec(last[i]) - sec(now));
    last[i] = now;
  }
  struct timespec rt;
  clock_gettime(CLOCK_REALTIME, &rt);
  // time() reads the coarse clock, which may be a tick behind or ahead across a second.
  long d = (long)(time(NULL) - rt.tv_sec);
  CHECK(d >= -1 && d <= 1, "time() and the clock disagree by %ld s", d);
}

static void finish(void) { tick(); }

CONFORMANCE_MAIN
