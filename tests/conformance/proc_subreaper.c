// A subreaper (PR_SET_CHILD_SUBREAPER): it stays one after restarts, and the grandchild whose
// parent ends afterwards becomes its child.
#include <sys/prctl.h>
#include <sys/wait.h>

#include "conformance.h"

static int p[2];
static pid_t mid;

static void setup(void) {
  SYS(prctl(PR_SET_CHILD_SUBREAPER, 1));
  SYS(pipe(p));
  mid = fork();
  if (mid == 0) {
    pid_t g = fork();
    if (g == 0) {
      char c;
      if (read(p[0], &c, 1) != 1) _exit(3);  // until released
      _exit(5);
    }
    while (!conformance_done()) sleep_ms(20);
    _exit(0);  // the grandchild is orphaned now
  }
}

static void tick(void) {
  int on = 0;
  SYS(prctl(PR_GET_CHILD_SUBREAPER, &on));
  CHECK(on == 1, "no longer a subreaper");
}

static void finish(void) {
  int st;
  CHECK(waitpid(mid, &st, 0) == mid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "mid");
  CHECK(write(p[1], "x", 1) == 1, "write");
  pid_t g = wait(&st);
  CHECK(g > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 5, "the orphan did not come to the subreaper");
}

CONFORMANCE_MAIN
