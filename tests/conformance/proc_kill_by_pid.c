// Signals sent by pid to a child, and by the child to its parent (getppid), after restarts.
#include <signal.h>
#include <sys/wait.h>

#include "conformance.h"

static volatile int got;
static void handler(int s) {
  (void)s;
  got++;
}
static pid_t child;

static void setup(void) {
  signal(SIGUSR1, handler);
  child = fork();
  if (child == 0) {
    got = 0;
    while (!got) pause();
    kill(getppid(), SIGUSR1);
    _exit(0);
  }
}

static void tick(void) {}

static void finish(void) {
  SYS(kill(child, SIGUSR1));
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child");
  for (int i = 0; i < 100 && !got; i++) sleep_ms(5);
  CHECK(got == 1, "the child's signal to its parent did not arrive");
}

CONFORMANCE_MAIN
