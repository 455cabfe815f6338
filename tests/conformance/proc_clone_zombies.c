// Twenty children made by clone() with no exit signal (not SIGCHLD; threads libraries and
// stress-ng make such), each ended and not yet waited for: the checkpoint records them as zombies
// at once (a plain waitid does not see such a child: the checkpoint used to wait two seconds for
// each), and after restarts each is still there to be waited for with __WALL, with its exit code.
#include <sched.h>
#include <sys/wait.h>

#include "conformance.h"

enum { kKids = 20 };
static pid_t kids[kKids];
static char stacks[kKids][16384];

static int child_main(void *arg) { _exit(40 + (int)(long)arg); }

static void setup(void) {
  for (long i = 0; i < kKids; i++) {
    kids[i] = clone(child_main, stacks[i] + sizeof stacks[i], 0, (void *)i);
    CHECK(kids[i] > 0, "clone: %s", strerror(errno));
  }
  // Every one ended before the first checkpoint.
  for (int i = 0; i < kKids; i++) {
    siginfo_t si = {0};
    for (int t = 0; t < 500 && si.si_pid != kids[i]; t++) {
      si.si_pid = 0;
      SYS(waitid(P_PID, (id_t)kids[i], &si, WEXITED | WNOWAIT | WNOHANG | __WALL));
      if (si.si_pid != kids[i]) sleep_ms(2);
    }
    CHECK(si.si_pid == kids[i], "child %d did not end", (int)kids[i]);
  }
}

static void tick(void) {}

static void finish(void) {
  for (int i = 0; i < kKids; i++) {
    int st = 0;
    CHECK(waitpid(kids[i], &st, __WALL) == kids[i], "child %d: %s", (int)kids[i], strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 40 + i, "child %d: status %#x", (int)kids[i], st);
  }
}

CONFORMANCE_MAIN
