// A signalfd for SIGUSR1 (blocked): after restarts a signal sent to the process is read from it.
#include <signal.h>
#include <sys/signalfd.h>

#include "conformance.h"

static int fd;

static void setup(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  SYS(sigprocmask(SIG_BLOCK, &s, NULL));
  fd = SYS(signalfd(-1, &s, SFD_NONBLOCK));
}

static void tick(void) {}

static void finish(void) {
  SYS(kill(getpid(), SIGUSR1));
  struct signalfd_siginfo si;
  CHECK(read(fd, &si, sizeof si) == sizeof si, "no signal from the signalfd: %s", strerror(errno));
  CHECK(si.ssi_signo == SIGUSR1, "signal %u", si.ssi_signo);
}

CONFORMANCE_MAIN
