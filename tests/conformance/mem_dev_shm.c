// A POSIX shared memory object (/dev/shm) mapped by a parent and its child: after restarts both
// see each other's writes.
// FORKED-IN-PLACE: memory shared with other processes is not copied on write for a child
#include <sys/mman.h>
#include <sys/wait.h>

#include "conformance.h"

static volatile int *shared;
static pid_t child;
static char name[64];

static void setup(void) {
  snprintf(name, sizeof name, "/conformance-%d", getpid());
  int fd = SYS(shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600));
  SYS(ftruncate(fd, 4096));
  shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(shared != MAP_FAILED, "mmap");
  close(fd);
  shared[0] = 1;
  child = fork();
  if (child == 0) {
    while (shared[1] != 2) sleep_ms(5);  // the parent's word, after restarts
    shared[2] = 3;
    _exit(0);
  }
}

static void tick(void) {}

static void finish(void) {
  shared[1] = 2;
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st), "child");
  CHECK(shared[2] == 3, "the child's write is not seen");
  shm_unlink(name);
}

CONFORMANCE_MAIN
