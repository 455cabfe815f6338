// CPU-time clocks the program got for itself, a thread and a child (clock_getcpuclockid,
// pthread_getcpuclockid) before the checkpoint: after restarts they still read.
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "conformance.h"

static clockid_t proc_clock, thread_clock, child_clock;
static pthread_t t;
static pid_t child;
static volatile int stop;
static void *spin(void *a) {
  (void)a;
  while (!stop) {
  }
  return NULL;
}

static void setup(void) {
  CHECK(clock_getcpuclockid(getpid(), &proc_clock) == 0, "clock_getcpuclockid");
  pthread_create(&t, NULL, spin, NULL);
  CHECK(pthread_getcpuclockid(t, &thread_clock) == 0, "pthread_getcpuclockid");
  child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  CHECK(clock_getcpuclockid(child, &child_clock) == 0, "the child's clock");
}

static void tick(void) {}

static void finish(void) {
  struct timespec ts;
  CHECK(clock_gettime(proc_clock, &ts) == 0, "the process CPU clock: %s", strerror(errno));
  CHECK(clock_gettime(thread_clock, &ts) == 0, "the thread CPU clock: %s", strerror(errno));
  CHECK(ts.tv_sec > 0 || ts.tv_nsec > 0, "the spinning thread used no CPU");
  CHECK(clock_gettime(child_clock, &ts) == 0, "the child's CPU clock: %s", strerror(errno));
  clockid_t now;
  CHECK(clock_getcpuclockid(child, &now) == 0 && clock_gettime(now, &ts) == 0, "a new child clock");
  stop = 1;
  pthread_join(t, NULL);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
}

CONFORMANCE_MAIN
