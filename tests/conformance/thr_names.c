// Thread names (pthread_setname_np) of the main thread and two others.
#include <pthread.h>

#include "conformance.h"

static volatile int stop;
static void *run(void *arg) {
  (void)arg;
  while (!stop) sleep_ms(10);
  return NULL;
}
static pthread_t t[2];

static void setup(void) {
  pthread_setname_np(pthread_self(), "main-conf");
  for (int i = 0; i < 2; i++) {
    pthread_create(&t[i], NULL, run, NULL);
    char name[16];
    snprintf(name, sizeof name, "worker-%d", i);
    pthread_setname_np(t[i], name);
  }
}

static void tick(void) {}

static void finish(void) {
  char name[16];
  pthread_getname_np(pthread_self(), name, sizeof name);
  CHECK(strcmp(name, "main-conf") == 0, "main thread's name %s", name);
  for (int i = 0; i < 2; i++) {
    char want[16];
    snprintf(want, sizeof want, "worker-%d", i);
    pthread_getname_np(t[i], name, sizeof name);
    CHECK(strcmp(name, want) == 0, "thread %d's name %s", i, name);
  }
  stop = 1;
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
}

CONFORMANCE_MAIN
