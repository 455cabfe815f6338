// A thread that forks all the time beside one that relies on the kernel's lowest-free rule:
// close(k) then open() must give k again, and dup2() onto a number just closed must not fail
// with EBUSY. A runtime that makes a descriptor for the child's connection in the parent, even
// for a moment, takes k from the program (make, xargs and shells close and reopen 0-2 this way).
// In forked mode the checkpoint syncs the image folder while the program runs: an open() of it
// there took k too (EBUSY, in 1 run of 3; found by the full matrix).
#include <pthread.h>
#include <sys/wait.h>

#include "conformance.h"

static volatile long forks, reopens;
static volatile int stop, failed;
static char failure[256];

static void *forker(void *a) {
  (void)a;
  while (!stop && !failed) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid < 0) {
      snprintf(failure, sizeof failure, "fork: %s", strerror(errno));
      failed = 1;
      break;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    __sync_fetch_and_add(&forks, 1);
  }
  return NULL;
}

// Numbers 3..9 are the lowest free ones: the runtime keeps its own far above them.
static void *reopener(void *a) {
  (void)a;
  int other = open("/dev/null", O_RDONLY | O_CLOEXEC);
  while (!stop && !failed) {
    int k = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (k < 0) continue;
    close(k);
    int again = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (again != k) {
      char link[64], target[128] = "";
      snprintf(link, sizeof link, "/proc/self/fd/%d", k);
      ssize_t n = readlink(link, target, sizeof target - 1);
      if (n > 0) target[n] = 0;
      snprintf(failure, sizeof failure, "closed %d, open() then gave %d (%d is now %s)", k, again,
               k, n > 0 ? target : "free");
      failed = 1;
    }
    if (again >= 0) close(again);
    if (dup2(other, k) < 0) {
      snprintf(failure, sizeof failure, "dup2 onto the free %d: %s", k, strerror(errno));
      failed = 1;
    } else {
      close(k);
    }
    __sync_fetch_and_add(&reopens, 1);
  }
  close(other);
  return NULL;
}

static pthread_t ft, rt;

static void setup(void) {
  pthread_create(&ft, NULL, forker, NULL);
  pthread_create(&rt, NULL, reopener, NULL);
}

static void tick(void) { CHECK(!failed, "%s", failure); }

static void finish(void) {
  long f = forks, r = reopens;
  for (int i = 0; i < 200 && !failed; i++) sleep_ms(5);
  stop = 1;
  pthread_join(ft, NULL);
  pthread_join(rt, NULL);
  CHECK(!failed, "%s", failure);
  CHECK(forks > f && reopens > r, "no fork (%ld) or reopen (%ld) after the last restart", forks,
        reopens);
  printf("%ld forks, %ld reopens\n", forks, reopens);
}

CONFORMANCE_MAIN
