// Process groups and sessions: a child in its own session, another in its own process group;
// after restarts getsid/getpgid give the same (virtual) ids, and a signal to the group reaches it.
#include <signal.h>
#include <sys/wait.h>

#include "conformance.h"

static pid_t a, b;

static void setup(void) {
  a = fork();
  if (a == 0) {
    setsid();
    for (;;) pause();
  }
  b = fork();
  if (b == 0) {
    setpgid(0, 0);
    for (;;) pause();
  }
  setpgid(b, b);
  sleep_ms(50);
}

static void tick(void) {
  CHECK(getsid(a) == a && getpgid(a) == a, "child a: session %d, group %d", getsid(a), getpgid(a));
  CHECK(getpgid(b) == b && getsid(b) == getsid(0), "child b: group %d", getpgid(b));
}

static void finish(void) {
  SYS(kill(-b, SIGTERM));
  SYS(kill(a, SIGTERM));
  int st;
  CHECK(waitpid(b, &st, 0) == b && WIFSIGNALED(st), "the group signal did not end b");
  CHECK(waitpid(a, &st, 0) == a && WIFSIGNALED(st), "a");
}

CONFORMANCE_MAIN
