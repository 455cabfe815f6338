// A default mutex held by a thread across restarts: nobody else gets it meanwhile, and once
// its owner unlocks it, another thread does.
#include <pthread.h>

#include "conformance.h"

static pthread_mutex_t m;
static volatile int phase;  // 1: the holder holds it; 2: it may go on; 3: it is done

static void *holder(void *arg) {
  (void)arg;
  int r = pthread_mutex_lock(&m);
  if (r != 0) conformance_fail("first lock: %s", strerror(r));

  phase = 1;
  while (phase != 2) sleep_ms(5);
  r = pthread_mutex_unlock(&m);
  if (r != 0) conformance_fail("unlock by its owner: %s", strerror(r));
  phase = 3;
  return NULL;
}

static pthread_t t;

static void setup(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);

  CHECK(pthread_mutex_init(&m, &a) == 0, "mutex init");
  CHECK(pthread_create(&t, NULL, holder, NULL) == 0, "create");
  while (phase != 1) sleep_ms(5);
}

static void tick(void) {
  int r = pthread_mutex_trylock(&m);
  CHECK(r == EBUSY, "trylock by another thread of the held mutex: %s", r ? strerror(r) : "got it");
}

static void finish(void) {
  phase = 2;
  while (phase != 3) sleep_ms(5);
  CHECK(pthread_join(t, NULL) == 0, "join");
  int r = pthread_mutex_lock(&m);
  CHECK(r == 0, "lock once the holder let go: %s", strerror(r));
  CHECK(pthread_mutex_unlock(&m) == 0, "unlock");
}

CONFORMANCE_MAIN
