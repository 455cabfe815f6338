// Children that ended and were not waited for (zombies, one exited 7, one killed by SIGTERM):
// after restarts the parent collects their status by their pids.
#include <signal.h>
#include <sys/wait.h>

#include "conformance.h"

static pid_t exited, killed;

static void setup(void) {
  exited = fork();
  if (exited == 0) _exit(7);
  killed = fork();
  if (killed == 0) {
    for (;;) pause();
  }
  kill(killed, SIGTERM);
  sleep_ms(100);
}

static void tick(void) {}

static void finish(void) {
  int st;
  CHECK(waitpid(exited, &st, 0) == exited && WIFEXITED(st) && WEXITSTATUS(st) == 7, "exited: %d",
        st);
  CHECK(waitpid(killed, &st, 0) == killed && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
        "killed: %d", st);
}

CONFORMANCE_MAIN
