// An alternate signal stack: a handler installed with SA_ONSTACK runs on it after restarts.
#include <signal.h>

#include "conformance.h"

static char stack_area[65536];
static volatile int on_alt;

static void handler(int sig) {
  (void)sig;
  char here;
  on_alt = &here >= stack_area && &here < stack_area + sizeof stack_area;
}

static void setup(void) {
  stack_t ss = {.ss_sp = stack_area, .ss_size = sizeof stack_area, .ss_flags = 0};
  SYS(sigaltstack(&ss, NULL));
  struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_ONSTACK};
  sigemptyset(&sa.sa_mask);
  SYS(sigaction(SIGUSR1, &sa, NULL));
}

static void tick(void) {}

static void finish(void) {
  stack_t ss;
  SYS(sigaltstack(NULL, &ss));
  CHECK(ss.ss_sp == stack_area && ss.ss_size == sizeof stack_area, "the alternate stack changed");
  raise(SIGUSR1);
  CHECK(on_alt, "the handler did not run on the alternate stack");
}

CONFORMANCE_MAIN
