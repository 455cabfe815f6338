// Realtime signals queued while blocked (three of SIGRTMIN+1, each with its own value): after
// restarts all three are delivered, in order, with their values.
#include <signal.h>

#include "conformance.h"

static volatile int values[8], n;
static void h(int s, siginfo_t *si, void *u) {
  (void)s;
  (void)u;
  if (n < 8) values[n++] = si->si_value.sival_int;
}

static void setup(void) {
  struct sigaction sa = {.sa_sigaction = h, .sa_flags = SA_SIGINFO};
  sigemptyset(&sa.sa_mask);
  SYS(sigaction(SIGRTMIN + 1, &sa, NULL));
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 1);
  SYS(sigprocmask(SIG_BLOCK, &s, NULL));
  for (int i = 0; i < 3; i++) {
    union sigval v = {.sival_int = 100 + i};
    SYS(sigqueue(getpid(), SIGRTMIN + 1, v));
  }
}

static void tick(void) {}

static void finish(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 1);
  SYS(sigprocmask(SIG_UNBLOCK, &s, NULL));
  CHECK(n == 3, "%d of 3 queued signals delivered", n);
  CHECK(values[0] == 100 && values[1] == 101 && values[2] == 102, "values %d %d %d", values[0],
        values[1], values[2]);
}

CONFORMANCE_MAIN
