// A child made by clone(CLONE_FILES) shares its parent's descriptor table without sharing its
// memory: a checkpoint cannot save that sharing, and must say so rather than save a computation
// that would come back without the child. The child opens and closes a descriptor the parent sees.
// EXPECT-REFUSED: made by clone\(\) sharing its descriptor table
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "conformance.h"

static int go[2];
static pid_t child;
static char child_stack[256 << 10] __attribute__((aligned(16)));

static int child_main(void *arg) {
  (void)arg;
  char c;
  // In the shared table: the parent finds it open.
  int fd = open("/dev/null", O_RDONLY);
  if (dup2(fd, 100) != 100) return 1;
  while (read(go[0], &c, 1) == 1)
    if (c == 'q') return 5;
  return 2;
}

static void setup(void) {
  SYS(pipe(go));
  child = clone(child_main, child_stack + sizeof child_stack, CLONE_FILES | SIGCHLD, NULL);
  CHECK(child > 0, "clone: %s", strerror(errno));
  for (int i = 0; i < 500 && fcntl(100, F_GETFD) < 0; i++) sleep_ms(10);
  CHECK(fcntl(100, F_GETFD) >= 0, "descriptor 100, opened by the child, is not in the table");
}

static void tick(void) { CHECK(fcntl(100, F_GETFD) >= 0, "descriptor 100 went away"); }

static void finish(void) {
  CHECK(write(go[1], "q", 1) == 1, "write");
  int status;
  CHECK(waitpid(child, &status, 0) == child, "waitpid: %s", strerror(errno));
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5, "the child ended with status 0x%x", status);
}

CONFORMANCE_MAIN
