// A child made by clone(CLONE_VM) that is not a thread (stress-ng's vm-rw, some runtimes'
// helpers): it runs in its parent's memory with no runtime of its own, so it can never join a
// checkpoint. The checkpoint must be refused, naming it, not taken without it (a restart would
// then miss a process the parent still talks to). The child counts in the memory it shares.
// EXPECT-REFUSED: made by clone\(\) sharing its memory without being a thread
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "conformance.h"

static volatile int count, stop;
static pid_t child;
static char child_stack[256 << 10] __attribute__((aligned(16)));

static int child_main(void *arg) {
  (void)arg;
  while (!stop) {
    count++;
    struct timespec t = {0, 5000000};
    syscall(SYS_nanosleep, &t, NULL);
  }
  return 5;
}

static void setup(void) {
  child = clone(child_main, child_stack + sizeof child_stack, CLONE_VM | SIGCHLD, NULL);
  CHECK(child > 0, "clone: %s", strerror(errno));
  for (int i = 0; i < 500 && count < 3; i++) sleep_ms(10);
  CHECK(count >= 3, "the child does not count");
}

static void tick(void) {}

static void finish(void) {
  int before = count;
  sleep_ms(100);
  CHECK(count > before, "the child stopped counting");
  stop = 1;
  int status;
  CHECK(waitpid(child, &status, 0) == child, "waitpid: %s", strerror(errno));
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5, "the child ended with status 0x%x", status);
}

CONFORMANCE_MAIN
