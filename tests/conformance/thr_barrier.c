// Three threads waiting at a barrier of four across restarts: the fourth (main) arrives and
// all pass, one of them as the serial thread.
#include <pthread.h>

#include "conformance.h"

static pthread_barrier_t b;
static volatile int arrived, passed, serial;

static void *run(void *arg) {
  (void)arg;
  __sync_fetch_and_add(&arrived, 1);
  if (pthread_barrier_wait(&b) == PTHREAD_BARRIER_SERIAL_THREAD) __sync_fetch_and_add(&serial, 1);
  __sync_fetch_and_add(&passed, 1);
  return NULL;
}

static pthread_t t[3];

static void setup(void) {
  CHECK(pthread_barrier_init(&b, NULL, 4) == 0, "barrier");
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, run, NULL);
  while (arrived < 3) sleep_ms(5);
}

static void tick(void) { CHECK(passed == 0, "a thread passed an incomplete barrier"); }

static void finish(void) {
  if (pthread_barrier_wait(&b) == PTHREAD_BARRIER_SERIAL_THREAD) __sync_fetch_and_add(&serial, 1);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  CHECK(passed == 3 && serial == 1, "passed %d, serial %d", passed, serial);
}

CONFORMANCE_MAIN
