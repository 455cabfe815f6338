// A thread loading and unloading a library without pause (dlopen, dlsym, dlclose hold the
// dynamic loader's recursive lock, which records its owner's thread id): after restarts it
// keeps going, and the main thread can still load a library and find a symbol in it.
#include <dlfcn.h>
#include <pthread.h>

#include "conformance.h"

static volatile long rounds;
static volatile int stop;
static pthread_t t;

static void *load_unload(void *arg) {
  (void)arg;
  while (!stop) {
    void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
    CHECK(h != NULL, "dlopen libz.so.1: %s", dlerror());
    CHECK(dlsym(h, "crc32") != NULL, "dlsym crc32");
    CHECK(dlclose(h) == 0, "dlclose");
    rounds++;
  }
  return NULL;
}

static void setup(void) {
  CHECK(pthread_create(&t, NULL, load_unload, NULL) == 0, "pthread_create");
}

static void tick(void) {}

static void finish(void) {
  long before = rounds;
  sleep_ms(200);
  CHECK(rounds > before, "the loading thread stopped after %ld rounds", rounds);
  stop = 1;
  CHECK(pthread_join(t, NULL) == 0, "join");
  void *h = dlopen("libz.so.1", RTLD_NOW);
  CHECK(h != NULL && dlsym(h, "adler32") != NULL, "dlopen from main: %s", dlerror());
}

CONFORMANCE_MAIN
