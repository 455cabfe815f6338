// Each thread's own signal mask: a thread that blocks SIGUSR1, one that blocks SIGUSR2, the main
// thread blocking SIGHUP.
#include <pthread.h>
#include <signal.h>

#include "conformance.h"

static volatile int stop, bad;
static void *run(void *arg) {
  int sig = (int)(long)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  pthread_sigmask(SIG_SETMASK, &s, NULL);
  while (!stop) {
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    if (!sigismember(&now, sig) || sigismember(&now, sig == SIGUSR1 ? SIGUSR2 : SIGUSR1)) bad = sig;
    sleep_ms(10);
  }
  return NULL;
}
static pthread_t t[2];

static void setup(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGHUP);
  pthread_sigmask(SIG_SETMASK, &s, NULL);
  pthread_create(&t[0], NULL, run, (void *)(long)SIGUSR1);
  pthread_create(&t[1], NULL, run, (void *)(long)SIGUSR2);
}

static void tick(void) {
  sigset_t now;
  pthread_sigmask(SIG_SETMASK, NULL, &now);
  CHECK(sigismember(&now, SIGHUP) && !sigismember(&now, SIGUSR1), "main thread's mask changed");
  CHECK(!bad, "the mask of the thread blocking signal %d changed", bad);
}

static void finish(void) {
  stop = 1;
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
}

CONFORMANCE_MAIN
