// A periodic interval timer (ITIMER_REAL, every 20 ms) whose SIGALRM the program blocks: the
// signal stays pending across the checkpoints, and the kernel rearms such a timer only when the
// signal is taken. Once unblocked after the restarts, the handler runs and the timer fires again
// and again.
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
  sigset_t alrm;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  SYS(sigprocmask(SIG_BLOCK, &alrm, NULL));
  struct itimerval it = {{0, 20000}, {0, 20000}};
  SYS(setitimer(ITIMER_REAL, &it, NULL));
  sleep_ms(50);  // expired, its signal pending
}

static void tick(void) {}

static void finish(void) {
  sigset_t alrm, pending;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  SYS(sigpending(&pending));
  CHECK(sigismember(&pending, SIGALRM), "SIGALRM is no longer pending");
  CHECK(fired == 0, "the handler ran while SIGALRM was blocked");
  SYS(sigprocmask(SIG_UNBLOCK, &alrm, NULL));
  sleep_ms(300);
  CHECK(fired >= 3, "the interval timer fired %d times in 300 ms after the unblock", fired);
  struct itimerval it;
  SYS(getitimer(ITIMER_REAL, &it));
  CHECK(it.it_interval.tv_usec == 20000, "interval %ld", (long)it.it_interval.tv_usec);
}

CONFORMANCE_MAIN
