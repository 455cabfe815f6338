// POSIX shared memory that a parent maps, removes by name (shm_unlink) and shares with its
// child: the usual way to get memory no other program can open. After restarts both still see
// each other's writes, and no file is left in /dev/shm under the removed name.
// FORKED-IN-PLACE: memory shared with other processes is not copied on write for a child
#include <sys/mman.h>
#include <sys/wait.h>

#include "conformance.h"

static volatile int *shared;
static pid_t child;
static char name[64];

static void setup(void) {
  snprintf(name, sizeof name, "/conformance-unlinked-%d", getpid());
  int fd = SYS(shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600));
  SYS(ftruncate(fd, 1 << 20));
  shared = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(shared != MAP_FAILED, "mmap");
  close(fd);
  SYS(shm_unlink(name));
  for (int i = 0; i < (1 << 18); i += 1024) shared[i] = i;
  child = fork();
  if (child == 0) {
    while (shared[1] != 2) sleep_ms(5);  // the parent's word, after restarts
    shared[2] = 3;
    _exit(0);
  }
}

static void tick(void) {}

static void finish(void) {
  for (int i = 1024; i < (1 << 18); i += 1024) CHECK(shared[i] == i, "word %d is %d", i, shared[i]);
  shared[1] = 2;
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st), "child");
  CHECK(shared[2] == 3, "the child's write is not seen");
  char path[128];
  struct stat sb;
  snprintf(path, sizeof path, "/dev/shm%s", name);
  CHECK(stat(path, &sb) != 0, "%s is there again", path);
  snprintf(path, sizeof path, "/dev/shm%s (deleted)", name);
  CHECK(stat(path, &sb) != 0, "'%s' was made", path);
}

CONFORMANCE_MAIN
