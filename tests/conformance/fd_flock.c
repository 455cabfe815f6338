// A whole-file lock (flock, exclusive) the program holds: after restarts it still holds it, so
// another process cannot take it.
#include <sys/file.h>
#include <sys/wait.h>

#include "conformance.h"

static int fd;

static int other_can_lock(void) {
  pid_t p = fork();
  if (p == 0) {
    int f = open(scratch("locked"), O_RDONLY);
    _exit(flock(f, LOCK_EX | LOCK_NB) == 0 ? 1 : 0);
  }
  int st;
  waitpid(p, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 1;
}

static void setup(void) {
  fd = SYS(open(scratch("locked"), O_RDWR | O_CREAT, 0600));
  SYS(flock(fd, LOCK_EX));
  CHECK(!other_can_lock(), "the lock does not hold even before the checkpoint");
}

static void tick(void) {}

static void finish(void) {
  CHECK(!other_can_lock(), "another process took the lock the program holds");
}

CONFORMANCE_MAIN
