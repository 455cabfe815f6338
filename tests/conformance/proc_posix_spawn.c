// A child started with posix_spawn (as system() and many libraries start programs) that runs
// on: part of the computation, and reaped by its pid after restarts.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "conformance.h"

extern char **environ;
static pid_t child;

static void setup(void) {
  char *argv[] = {"sleep", "1000", NULL};
  CHECK(posix_spawnp(&child, "sleep", NULL, NULL, argv, environ) == 0, "posix_spawnp");
}

static void tick(void) {
  int st;
  CHECK(waitpid(child, &st, WNOHANG) == 0, "the child ended early (%d)", st);
}

static void finish(void) {
  SYS(kill(child, SIGKILL));
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFSIGNALED(st), "waitpid");
}

CONFORMANCE_MAIN
