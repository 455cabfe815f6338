// 300 children that ended and were not waited for (a parent that forks a worker per core and
// collects them at the end): each exited with its own status or was killed by its own signal.
// After restarts the parent collects every one by its pid, with its status, and no other.
#include <signal.h>
#include <sys/wait.h>

#include "conformance.h"

#define N 300

static pid_t kids[N];

static int killed(int i) { return i % 5 == 0; }
static int signal_of(int i) { return (int[]){SIGTERM, SIGKILL, SIGUSR1, SIGUSR2}[i / 5 % 4]; }

static void setup(void) {
  for (int i = 0; i < N; ++i) {
    kids[i] = SYS(fork());
    if (kids[i] == 0) {
      if (!killed(i)) _exit(i % 251);
      for (;;) pause();
    }
    if (killed(i)) kill(kids[i], signal_of(i));
  }
  // Every one has ended (WNOWAIT leaves it a zombie).
  for (int i = 0; i < N; ++i) {
    siginfo_t info;
    SYS(waitid(P_PID, (id_t)kids[i], &info, WEXITED | WNOWAIT));
  }
}

static void tick(void) {}

static void finish(void) {
  for (int i = 0; i < N; ++i) {
    int st;
    CHECK(waitpid(kids[i], &st, 0) == kids[i], "child %d (pid %d): %s", i, kids[i],
          strerror(errno));
    if (killed(i))
      CHECK(WIFSIGNALED(st) && WTERMSIG(st) == signal_of(i), "child %d: status %#x", i, st);
    else
      CHECK(WIFEXITED(st) && WEXITSTATUS(st) == i % 251, "child %d: status %#x", i, st);
  }
  CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "a child more than it made");
}

CONFORMANCE_MAIN
