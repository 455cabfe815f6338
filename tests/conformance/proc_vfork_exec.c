// A child made with vfork that execs a long-running program (sleep): it is part of the
// computation, and after restarts its parent still waits for it by its pid.
#include <signal.h>
#include <sys/wait.h>

#include "conformance.h"

static pid_t child;

static void setup(void) {
  child = vfork();
  if (child == 0) {
    execlp("sleep", "sleep", "1000", (char *)NULL);
    _exit(127);
  }
  CHECK(child > 0, "vfork");
}

static void tick(void) {
  int st;
  CHECK(waitpid(child, &st, WNOHANG) == 0, "the child ended early (%d)", st);
}

static void finish(void) {
  SYS(kill(child, SIGTERM));
  int st;
  CHECK(waitpid(child, &st, 0) == child, "waitpid: %s", strerror(errno));
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "the child ended with %d", st);
}

CONFORMANCE_MAIN
