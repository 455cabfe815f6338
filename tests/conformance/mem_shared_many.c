// 6,000 separate shared anonymous mappings (each its own shared memory object, as mlock-heavy
// and pool allocators make them), shared with a child: after restarts each one still holds its
// own value, and the child's writes to all of them are seen by the parent. A restart once
// refused more than 4,096 such objects per node.
// FORKED-IN-PLACE: memory shared with other processes is not copied on write for a child
#include <sys/mman.h>
#include <sys/wait.h>

#include "conformance.h"

enum { kAreas = 6000 };
static volatile int *area[kAreas];
static pid_t child;

static void setup(void) {
  long page = sysconf(_SC_PAGESIZE);
  for (int i = 0; i < kAreas; ++i) {
    // (The kernel never merges shared anonymous areas: each stays its own object.)
    void *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap %d", i);
    area[i] = p;
    area[i][0] = i;
  }
  child = fork();
  if (child == 0) {
    while (area[kAreas - 1][1] != 2) sleep_ms(5);  // the parent's word, after restarts
    for (int i = 0; i < kAreas; ++i) area[i][2] = i + 7;
    _exit(0);
  }
}

static void tick(void) {}

static void finish(void) {
  for (int i = 0; i < kAreas; ++i) CHECK(area[i][0] == i, "area %d holds %d", i, area[i][0]);
  area[kAreas - 1][1] = 2;
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child");
  for (int i = 0; i < kAreas; ++i)
    CHECK(area[i][2] == i + 7, "the child's write to area %d is not seen (%d)", i, area[i][2]);
}

CONFORMANCE_MAIN
