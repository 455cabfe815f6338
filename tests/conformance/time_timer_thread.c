// A POSIX timer that notifies by starting a thread (SIGEV_THREAD): glibc's helper thread cannot
// be made again, so the checkpoint is refused, saying so, and the timer goes on firing.
// EXPECT-REFUSED: SIGEV_THREAD
#include <signal.h>

#include "conformance.h"

static timer_t timer;
static volatile int fired;
static void notify(union sigval v) {
  if (v.sival_int == 77) fired++;
}

static void setup(void) {
  struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = notify};
  ev.sigev_value.sival_int = 77;
  SYS(timer_create(CLOCK_MONOTONIC, &ev, &timer));
  struct itimerspec it = {{0, 20000000}, {0, 20000000}};
  SYS(timer_settime(timer, 0, &it, NULL));
}

static void tick(void) {}

static void finish(void) {
  int before = fired;
  sleep_ms(200);
  CHECK(fired > before, "the timer stopped firing");
}

CONFORMANCE_MAIN
