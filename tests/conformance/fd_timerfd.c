// A periodic timerfd (every 10 ms): it still fires after restarts, with its interval.
#include <sys/timerfd.h>

#include "conformance.h"

static int fd;

static void setup(void) {
  fd = SYS(timerfd_create(CLOCK_MONOTONIC, 0));
  struct itimerspec it = {{0, 10000000}, {0, 10000000}};
  SYS(timerfd_settime(fd, 0, &it, NULL));
}

static void tick(void) {}

static void finish(void) {
  uint64_t n;
  CHECK(read(fd, &n, 8) == 8 && n >= 1, "the timer does not fire");
  struct itimerspec it;
  SYS(timerfd_gettime(fd, &it));
  CHECK(it.it_interval.tv_nsec == 10000000 && it.it_interval.tv_sec == 0, "interval lost");
}

CONFORMANCE_MAIN
