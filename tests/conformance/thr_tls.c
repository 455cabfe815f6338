// Thread-local storage (__thread, initialized and not, and pthread keys) of 8 threads.
#include <pthread.h>

#include "conformance.h"

static __thread long tls_init = 7;
static __thread char tls_buf[256];
static pthread_key_t key;
static volatile int stop;

static void *run(void *arg) {
  long me = (long)arg;
  tls_init = me * 3;
  snprintf(tls_buf, sizeof tls_buf, "thread %ld", me);
  pthread_setspecific(key, (void *)(me + 100));
  char want[32];
  snprintf(want, sizeof want, "thread %ld", me);
  while (!stop) {
    if (tls_init != me * 3 || strcmp(tls_buf, want) != 0 ||
        pthread_getspecific(key) != (void *)(me + 100))
      conformance_fail("thread %ld: its thread-local data changed", me);
    sleep_ms(10);
  }
  return NULL;
}

static pthread_t t[8];

static void setup(void) {
  CHECK(pthread_key_create(&key, NULL) == 0, "key");
  for (long i = 0; i < 8; i++) CHECK(pthread_create(&t[i], NULL, run, (void *)i) == 0, "create");
}

static void tick(void) { CHECK(tls_init == 7, "main thread's TLS"); }

static void finish(void) {
  stop = 1;
  for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
}

CONFORMANCE_MAIN
