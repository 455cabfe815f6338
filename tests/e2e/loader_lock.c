// A process whose dynamic loader lock (the recursive mutex dlopen, dlsym and exit take) is held
// by a thread that ended: what an image would hold if a thread were saved in the middle of a
// loader call it could never finish. Prints "orphaned" once a second thread's dlopen waits on the
// lock, then, once the file "go" exists, dlopens a library itself and prints "dlopen ok" and
// "waiter done" when the waiting thread's dlopen has returned too.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int waiter_done;

static void *hold_and_end(void *lock) {
  pthread_mutex_lock(lock);  // never unlocked: the thread ends holding it
  return NULL;
}

static void *waiter(void *arg) {
  (void)arg;
  void *h = dlopen("libz.so.1", RTLD_NOW);
  waiter_done = h != NULL ? 1 : 2;
  return NULL;
}

// ld.so's lock is one of the recursive mutexes in _rtld_global: each free one in turn is taken
// by a thread that ends, until a second thread's dlopen waits on it (a candidate it does not
// stop is put back as it was).
static int orphan_loader_lock(pthread_t *w) {
  char *g = dlsym(RTLD_DEFAULT, "_rtld_global");
  for (size_t off = 0; g && off < 8192; off += 8) {
    pthread_mutex_t *m = (pthread_mutex_t *)(g + off);
    if (m->__data.__kind != PTHREAD_MUTEX_RECURSIVE_NP || m->__data.__lock != 0 ||
        m->__data.__owner != 0 || m->__data.__count != 0)
      continue;
    pthread_mutex_t saved;
    memcpy(&saved, m, sizeof saved);
    pthread_t t;
    pthread_create(&t, NULL, hold_and_end, m);
    pthread_join(t, NULL);
    waiter_done = 0;
    pthread_create(w, NULL, waiter, NULL);
    usleep(200 * 1000);
    if (!waiter_done) return 1;
    pthread_join(*w, NULL);
    memcpy(m, &saved, sizeof saved);
  }
  return 0;
}

int main(void) {
  pthread_t w;
  if (!orphan_loader_lock(&w)) {
    puts("FAIL: no lock of _rtld_global makes dlopen wait");
    return 1;
  }
  printf("orphaned\n");
  fflush(stdout);
  while (access("go", F_OK) != 0) usleep(10000);
  void *h = dlopen("libz.so.1", RTLD_NOW);
  printf("dlopen %s\n", h ? "ok" : "failed");
  fflush(stdout);
  pthread_join(w, NULL);
  printf("waiter %s\n", waiter_done == 1 ? "done" : "failed");
  return 0;
}
