// A thread waiting on a condition variable across restarts: a broadcast afterwards wakes it, and
// it holds the mutex when it returns.
#include <pthread.h>

#include "conformance.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static volatile int flag, waiting, woke;

static void *waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&m);
  waiting = 1;
  while (!flag) pthread_cond_wait(&c, &m);
  woke = 1;
  pthread_mutex_unlock(&m);
  return NULL;
}

static pthread_t t;

static void setup(void) {
  CHECK(pthread_create(&t, NULL, waiter, NULL) == 0, "create");
  while (!waiting) sleep_ms(5);
  sleep_ms(20);
}

static void tick(void) { CHECK(!woke, "woke up with nothing to wake it"); }

static void finish(void) {
  pthread_mutex_lock(&m);
  flag = 1;
  pthread_cond_broadcast(&c);
  pthread_mutex_unlock(&m);
  for (int i = 0; i < 200 && !woke; i++) sleep_ms(5);
  CHECK(woke, "the waiter did not wake up");
  pthread_join(t, NULL);
}

CONFORMANCE_MAIN
