// A thread in a 3-second nanosleep when the checkpoint comes: after restarts it wakes up,
// having slept at least until its deadline.
#include <pthread.h>

#include "conformance.h"

static volatile int woke;
static struct timespec deadline;
static void *sleeper(void *a) {
  (void)a;
  struct timespec t = {3, 0};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  woke = now.tv_sec > deadline.tv_sec ||
                 (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)
             ? 1
             : 2;
  return NULL;
}
static pthread_t t;

static void setup(void) {
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 3;
  pthread_create(&t, NULL, sleeper, NULL);
}

static void tick(void) {}

static void finish(void) {
  pthread_join(t, NULL);
  CHECK(woke == 1, "the sleeper woke up before its deadline");
}

CONFORMANCE_MAIN
