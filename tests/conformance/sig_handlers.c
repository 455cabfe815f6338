// Signal handlers with their flags (SA_SIGINFO, SA_RESTART, SA_NODEFER, SA_RESETHAND) and
// masks, and ignored signals: all as the program set them.
#include <signal.h>

#include "conformance.h"

static volatile int info_ok, plain;
static void with_info(int s, siginfo_t *si, void *u) {
  (void)u;
  info_ok = s == SIGUSR1 && si->si_pid == getpid();
}
static void without(int s) {
  (void)s;
  plain++;
}

static void setup(void) {
  struct sigaction sa = {.sa_sigaction = with_info, .sa_flags = SA_SIGINFO | SA_RESTART};
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGHUP);
  SYS(sigaction(SIGUSR1, &sa, NULL));
  struct sigaction sb = {.sa_handler = without, .sa_flags = SA_RESETHAND | SA_NODEFER};
  sigemptyset(&sb.sa_mask);
  SYS(sigaction(SIGUSR2, &sb, NULL));
  signal(SIGPIPE, SIG_IGN);
}

static void tick(void) {}

static void finish(void) {
  struct sigaction sa;
  SYS(sigaction(SIGUSR1, NULL, &sa));
  CHECK(sa.sa_sigaction == with_info && (sa.sa_flags & SA_SIGINFO) && (sa.sa_flags & SA_RESTART),
        "SIGUSR1's action");
  CHECK(sigismember(&sa.sa_mask, SIGHUP), "SIGUSR1's mask");
  raise(SIGUSR1);
  CHECK(info_ok, "the SA_SIGINFO handler");
  SYS(sigaction(SIGUSR2, NULL, &sa));
  CHECK(sa.sa_handler == without && (sa.sa_flags & SA_RESETHAND), "SIGUSR2's action");
  raise(SIGUSR2);
  SYS(sigaction(SIGUSR2, NULL, &sa));
  CHECK(plain == 1 && sa.sa_handler == SIG_DFL, "SA_RESETHAND");
  SYS(sigaction(SIGPIPE, NULL, &sa));
  CHECK(sa.sa_handler == SIG_IGN, "SIGPIPE is no longer ignored");
}

CONFORMANCE_MAIN
