// A child made by clone() with its own stack and no shared memory (CLONE_VM unset), the way some
// launchers and sandboxes start a process: it is a process of the computation as a forked child
// is. It answers requests over a pair of pipes with its running total and its pid; after each
// restart it must still be there, with its total, under the pid clone() returned, and at the end
// it exits with the status its function returned.
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "conformance.h"

static int to_child[2], from_child[2];
static pid_t child;
static long total, asked;
static char child_stack[256 << 10] __attribute__((aligned(16)));

static int child_main(void *arg) {
  (void)arg;
  long child_total = 0, v;
  while (read(to_child[0], &v, sizeof v) == (ssize_t)sizeof v) {
    if (v == 0) return 7;
    long reply[2] = {child_total += v, (long)getpid()};
    if (write(from_child[1], reply, sizeof reply) != (ssize_t)sizeof reply) return 1;
  }
  return 2;
}

static void ask(void) {
  long v = ++asked, reply[2];
  total += v;
  CHECK(write(to_child[1], &v, sizeof v) == (ssize_t)sizeof v, "write to the child: %s",
        strerror(errno));
  CHECK(read(from_child[0], reply, sizeof reply) == (ssize_t)sizeof reply,
        "read from the child: %s", strerror(errno));
  CHECK(reply[0] == total, "the child's total is %ld, not %ld", reply[0], total);
  CHECK(reply[1] == child, "the child says its pid is %ld, clone() returned %d", reply[1], child);
}

static void setup(void) {
  SYS(pipe(to_child));
  SYS(pipe(from_child));
  child = clone(child_main, child_stack + sizeof child_stack, SIGCHLD, NULL);
  CHECK(child > 0, "clone: %s", strerror(errno));
  ask();
}

static void tick(void) { ask(); }

static void finish(void) {
  long zero = 0;
  CHECK(write(to_child[1], &zero, sizeof zero) == (ssize_t)sizeof zero, "write");
  int status;
  CHECK(waitpid(child, &status, 0) == child, "waitpid: %s", strerror(errno));
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7, "the child ended with status 0x%x", status);
  CHECK(asked > 10, "only %ld requests", asked);
}

CONFORMANCE_MAIN
