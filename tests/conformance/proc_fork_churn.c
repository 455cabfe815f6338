// Processes forked all the time (a shell's subshells, make's jobs) while checkpoints are written
// and right after restarts: every child, and the grandchild it forks, must run and exit at once.
// A child forked while a checkpoint was under way (being written by a forked child, or just
// restored) must not inherit it: it would wait for its end for ever when it forks or exits.
// A parent restored from a checkpoint taken just after a fork must not fork that child again: it
// reaps only children that fork returned. 32 MiB of data makes each image take a while to
// write; the test plugin slow_events widens the windows (after each checkpoint and restart,
// where the program runs before the checkpoint thread is done; after each fork in the parent).
// LAUNCH-WITH-PLUGIN: slow_events
#include <pthread.h>
#include <sys/wait.h>

#include "conformance.h"

enum { kDataBytes = 32 << 20, kExitWithinMs = 20000, kSlots = 16 };

static unsigned char *data;
static uint64_t data_sum;
static volatile long children;
static volatile int stop;
static volatile int failed;
static char failure[256];

// Waits for pid to end with status 0; false otherwise (in a child: no output, its status says).
static int ended_well(pid_t pid) {
  for (long waited = 0; waited < kExitWithinMs; waited++) {
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (r < 0 && errno != EINTR) return 0;
    sleep_ms(1);
  }
  return 0;
}

static void fail_with(const char *fmt, long a, long b) {
  snprintf(failure, sizeof failure, fmt, a, b);
  failed = 1;
}

// Forks without waiting for the children it made (up to kSlots at once), so that forks come
// every millisecond or so whatever the children do; reaps them and checks each ends at once.
static void *spawner(void *a) {
  (void)a;
  pid_t pids[kSlots] = {0};
  long age[kSlots] = {0};  // in rounds of about 1 ms
  int outstanding = 0;
  while (!failed && (!stop || outstanding > 0)) {
    if (!stop && outstanding < kSlots) {
      pid_t pid = fork();
      if (pid < 0) {
        fail_with("fork failed: errno %ld after %ld children", errno, children);
        break;
      }
      if (pid == 0) {
        // The child ends with exit() (destructors run), the grandchild with _exit() (as dash
        // ends): neither may end inside a checkpoint it is part of.
        pid_t g = fork();
        if (g == 0) _exit(0);
        exit(g > 0 && ended_well(g) ? 0 : 2);
      }
      for (int i = 0; i < kSlots; i++)
        if (!pids[i]) {
          pids[i] = pid, age[i] = 0, outstanding++;
          break;
        }
    }
    int st = 0;
    pid_t r;
    while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
      int known = 0;
      for (int i = 0; i < kSlots; i++)
        if (pids[i] == r) pids[i] = 0, outstanding--, known = 1;
      if (!known)
        fail_with("reaped child %ld, which no fork returned (%ld children so far)", r, children);
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_with("child %ld ended with status %#lx (2: its own child did not exit)", r, st);
      __sync_fetch_and_add(&children, 1);
    }
    for (int i = 0; i < kSlots; i++)
      if (pids[i] && ++age[i] > kExitWithinMs)
        fail_with("child %ld did not exit within %ld s", pids[i], kExitWithinMs / 1000);
    sleep_ms(1);
  }
  return NULL;
}
static pthread_t sp;

static void setup(void) {
  data = malloc(kDataBytes);
  CHECK(data, "malloc");
  uint64_t x = 88172645463325252ULL;
  for (size_t i = 0; i < kDataBytes; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    data[i] = (unsigned char)x;
  }
  data_sum = checksum(data, kDataBytes);
  pthread_create(&sp, NULL, spawner, NULL);
}

static void tick(void) { CHECK(!failed, "%s", failure); }

static void finish(void) {
  long before = children;
  for (int i = 0; i < 2000 && children == before && !failed; i++) sleep_ms(5);
  CHECK(!failed, "%s", failure);
  CHECK(children > before, "no child was forked in 10 s");
  stop = 1;
  pthread_join(sp, NULL);
  CHECK(!failed, "%s", failure);
  CHECK(checksum(data, kDataBytes) == data_sum, "the data changed");
  printf("%ld children\n", children);
}

CONFORMANCE_MAIN
