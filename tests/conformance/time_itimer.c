// An interval timer (setitimer ITIMER_REAL, every 30 ms): it keeps firing after restarts.
#include <signal.h>
#include <sys/time.h>

#include "conformance.h"

static volatile int fired;
static void handler(int s) {
  (void)s;
  fired++;
}

static void setup(void) {
  signal(SIGALRM, handler);
  struct itimerval it = {{0, 30000}, {0, 30000}};
  SYS(setitimer(ITIMER_REAL, &it, NULL));
}

static void tick(void) {}

static void finish(void) {
  int before = fired;
  sleep_ms(300);
  CHECK(fired > before, "the interval timer stopped");
  struct itimerval it;
  SYS(getitimer(ITIMER_REAL, &it));
  CHECK(it.it_interval.tv_usec == 30000, "interval %ld", (long)it.it_interval.tv_usec);
}

CONFORMANCE_MAIN
