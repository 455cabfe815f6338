// A child made with vfork that execs a long-running program (sleep): it is part of the
// computation, and after restarts its parent still waits for it by its pid. Short-lived vfork
// children too, before and after restarts (a compiler driver's passes), each waited for by its
// pid with its own exit code.
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

static long ticks;

static void tick(void) {
  int st;
  CHECK(waitpid(child, &st, WNOHANG) == 0, "the child ended early (%d)", st);
  if (ticks++ % 5) return;
  const int code = (int)(ticks % 50) + 1;
  char script[32];
  snprintf(script, sizeof script, "exit %d", code);
  pid_t pass = vfork();
  if (pass == 0) {
    execl("/bin/sh", "sh", "-c", script, (char *)NULL);
    _exit(127);
  }
  CHECK(pass > 0, "vfork: %s", strerror(errno));
  CHECK(waitpid(pass, &st, 0) == pass, "waitpid(%d): %s", pass, strerror(errno));
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == code, "the pass ended with %d, not exit %d", st, code);
}

static void finish(void) {
  SYS(kill(child, SIGTERM));
  int st;
  CHECK(waitpid(child, &st, 0) == child, "waitpid: %s", strerror(errno));
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "the child ended with %d", st);
}

CONFORMANCE_MAIN
