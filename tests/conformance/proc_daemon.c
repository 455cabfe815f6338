// A daemonized grandchild (fork, setsid, fork, the middle one exits): it runs on, detached,
// after restarts, and reports through a pipe it keeps.
#include <sys/wait.h>

#include "conformance.h"

static int p[2];

static void setup(void) {
  SYS(pipe(p));
  pid_t mid = fork();
  if (mid == 0) {
    setsid();
    if (fork() == 0) {
      close(p[0]);
      pid_t sid = getsid(0);
      while (!conformance_done()) sleep_ms(20);
      char ok = getsid(0) == sid && getppid() != sid ? 'y' : 'n';
      if (write(p[1], &ok, 1) != 1) _exit(2);
      _exit(0);
    }
    _exit(0);
  }
  int st;
  SYS(waitpid(mid, &st, 0));
  close(p[1]);
}

static void tick(void) {}

static void finish(void) {
  char c = 0;
  CHECK(read(p[0], &c, 1) == 1, "the daemon is gone");
  CHECK(c == 'y', "the daemon's session changed");
}

CONFORMANCE_MAIN
