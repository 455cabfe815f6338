// A tree of processes three levels deep (a parent, two children, a grandchild under each): every
// process keeps its pid, its parent's pid, and exits with its own code, which its parent reaps.
#include <sys/wait.h>

#include "conformance.h"

static pid_t kids[2];

static int run_child(int depth, int index) {
  pid_t me = getpid(), parent = getppid();
  pid_t grandchild = 0;
  if (depth == 1) {
    grandchild = fork();
    if (grandchild == 0) _exit(run_child(2, index));
  }
  while (!conformance_done()) {
    if (getpid() != me || getppid() != parent) return 50;
    sleep_ms(20);
  }
  if (grandchild) {
    int st;
    if (waitpid(grandchild, &st, 0) != grandchild || !WIFEXITED(st) ||
        WEXITSTATUS(st) != 20 + index)
      return 51;
  }
  return depth * 10 + index;
}

static void setup(void) {
  for (int i = 0; i < 2; i++) {
    kids[i] = fork();
    if (kids[i] == 0) _exit(run_child(1, i));
  }
}

static void tick(void) {}

static void finish(void) {
  for (int i = 0; i < 2; i++) {
    int st;
    CHECK(waitpid(kids[i], &st, 0) == kids[i], "waitpid %d: %s", kids[i], strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 10 + i, "child %d ended with %d", i, st);
  }
}

CONFORMANCE_MAIN
