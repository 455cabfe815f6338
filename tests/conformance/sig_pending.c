// Signals blocked and pending for the process at the checkpoint (SIGUSR1, SIGTERM): after
// restarts they are still pending, and delivered when unblocked.
#include <signal.h>

#include "conformance.h"

static volatile int got1, got_term;
static void h1(int s) {
  (void)s;
  got1++;
}
static void hterm(int s) {
  (void)s;
  got_term++;
}

static void setup(void) {
  signal(SIGUSR1, h1);
  signal(SIGTERM, hterm);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigaddset(&s, SIGTERM);
  SYS(sigprocmask(SIG_BLOCK, &s, NULL));
  raise(SIGUSR1);
  kill(getpid(), SIGTERM);
}

static void tick(void) {
  sigset_t p;
  sigpending(&p);
  CHECK(sigismember(&p, SIGUSR1) && sigismember(&p, SIGTERM), "a pending signal is gone");
}

static void finish(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigaddset(&s, SIGTERM);
  SYS(sigprocmask(SIG_UNBLOCK, &s, NULL));
  CHECK(got1 == 1 && got_term == 1, "delivered %d and %d times", got1, got_term);
}

CONFORMANCE_MAIN
