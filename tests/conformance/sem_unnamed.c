// An unnamed POSIX semaphore in the process's memory, with a thread waiting on it.
#include <pthread.h>
#include <semaphore.h>

#include "conformance.h"

static sem_t s;
static volatile int waiting, passed;
static void *run(void *arg) {
  (void)arg;
  waiting = 1;
  sem_wait(&s);
  passed = 1;
  return NULL;
}
static pthread_t t;

static void setup(void) {
  SYS(sem_init(&s, 0, 2));
  sem_wait(&s);
  pthread_create(&t, NULL, run, NULL);
  while (!waiting) sleep_ms(5);
}

static void tick(void) {}

static void finish(void) {
  pthread_join(t, NULL);
  CHECK(passed, "the waiter did not pass");
  int v = -1;
  sem_getvalue(&s, &v);
  CHECK(v == 0, "value %d", v);
  sem_post(&s);
  CHECK(sem_trywait(&s) == 0, "trywait");
}

CONFORMANCE_MAIN
