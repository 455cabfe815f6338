// A periodic POSIX timer (timer_create, every 20 ms, SIGRTMIN with a value): it keeps firing
// after restarts, under the same timer id.
#include <signal.h>

#include "conformance.h"

static timer_t timer;
static volatile int fired, bad_value;
static void handler(int s, siginfo_t *si, void *u) {
  (void)s;
  (void)u;
  if (si->si_value.sival_int != 1234) bad_value = 1;
  fired++;
}

static void setup(void) {
  struct sigaction sa = {.sa_sigaction = handler, .sa_flags = SA_SIGINFO | SA_RESTART};
  sigemptyset(&sa.sa_mask);
  SYS(sigaction(SIGRTMIN, &sa, NULL));
  struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN};
  ev.sigev_value.sival_int = 1234;
  SYS(timer_create(CLOCK_MONOTONIC, &ev, &timer));
  struct itimerspec it = {{0, 20000000}, {0, 20000000}};
  SYS(timer_settime(timer, 0, &it, NULL));
}

static void tick(void) {}

static void finish(void) {
  int before = fired;
  sleep_ms(200);
  CHECK(fired > before, "the timer stopped firing");
  CHECK(!bad_value, "the signal lost its value");
  struct itimerspec it;
  CHECK(timer_gettime(timer, &it) == 0, "timer_gettime on the program's id: %s", strerror(errno));
  CHECK(it.it_interval.tv_nsec == 20000000, "interval");
}

CONFORMANCE_MAIN
