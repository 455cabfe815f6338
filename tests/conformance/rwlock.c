// A read-write lock held for writing by one thread and waited for by a reader across restarts.
#include <pthread.h>

#include "conformance.h"

static pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
static volatile int phase, reader_in;

static void *writer(void *arg) {
  (void)arg;
  pthread_rwlock_wrlock(&l);
  phase = 1;
  while (phase != 2) sleep_ms(5);
  if (pthread_rwlock_unlock(&l) != 0) conformance_fail("the writer's unlock");
  return NULL;
}

static void *reader(void *arg) {
  (void)arg;
  pthread_rwlock_rdlock(&l);
  reader_in = 1;
  pthread_rwlock_unlock(&l);
  return NULL;
}

static pthread_t w, r;

static void setup(void) {
  pthread_create(&w, NULL, writer, NULL);
  while (phase != 1) sleep_ms(5);
  pthread_create(&r, NULL, reader, NULL);
}

static void tick(void) { CHECK(!reader_in, "a reader got in while a writer held the lock"); }

static void finish(void) {
  phase = 2;
  pthread_join(w, NULL);
  pthread_join(r, NULL);
  CHECK(reader_in, "the reader never got in");
  CHECK(pthread_rwlock_wrlock(&l) == 0, "wrlock");
}

CONFORMANCE_MAIN
