// Threads created and ending all the time (detached and joined ones), as thread pools and
// servers do, while checkpoints come: every one that starts also finishes its work.
#include <pthread.h>

#include "conformance.h"

static volatile long started, finished;
static volatile int stop;
static void *work(void *a) {
  (void)a;
  __sync_fetch_and_add(&started, 1);
  volatile long x = 0;
  for (int i = 0; i < 10000; i++) x += i;
  __sync_fetch_and_add(&finished, 1);
  return NULL;
}
static void *spawner(void *a) {
  (void)a;
  while (!stop) {
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &at, work, NULL) == 0) {
    }
    pthread_t j;
    if (pthread_create(&j, NULL, work, NULL) == 0) pthread_join(j, NULL);
    sleep_ms(1);
  }
  return NULL;
}
static pthread_t sp;

static void setup(void) { pthread_create(&sp, NULL, spawner, NULL); }

static void tick(void) {}

static void finish(void) {
  long before = finished;
  sleep_ms(200);
  CHECK(finished > before, "no more threads run");
  stop = 1;
  pthread_join(sp, NULL);
  for (int i = 0; i < 200 && finished != started; i++) sleep_ms(5);
  CHECK(finished == started, "%ld threads started, %ld finished", started, finished);
}

CONFORMANCE_MAIN
