// 2,000 realtime signals queued while blocked, each with its own value (a program that sends
// itself work items with sigqueue, or a timer-driven one stopped for a while): after restarts
// every one is delivered once, in the order they were sent, with its value.
#include <signal.h>

#include "conformance.h"

#define COUNT 2000
static volatile int got, out_of_order, first_bad = -1;
static void h(int s, siginfo_t *si, void *u) {
  (void)s;
  (void)u;
  if (si->si_value.sival_int != got && first_bad < 0) {
    out_of_order = 1;
    first_bad = got;
  }
  got++;
}

static void setup(void) {
  struct sigaction sa = {.sa_sigaction = h, .sa_flags = SA_SIGINFO};
  sigemptyset(&sa.sa_mask);
  SYS(sigaction(SIGRTMIN + 2, &sa, NULL));
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 2);
  SYS(sigprocmask(SIG_BLOCK, &s, NULL));
  for (int i = 0; i < COUNT; i++) {
    union sigval v = {.sival_int = i};
    SYS(sigqueue(getpid(), SIGRTMIN + 2, v));
  }
}

static void tick(void) {}

static void finish(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 2);
  SYS(sigprocmask(SIG_UNBLOCK, &s, NULL));
  CHECK(got == COUNT, "%d of %d signals delivered", got, COUNT);
  CHECK(!out_of_order, "signal %d came with another's value", first_bad);
}

CONFORMANCE_MAIN
