// A signal sent to one thread (pthread_kill) that blocks it, pending at the checkpoint: after
// restarts it is still pending for that thread, and delivered to it when it unblocks.
#include <pthread.h>
#include <signal.h>

#include "conformance.h"

static volatile int phase, got_in;
static volatile pid_t handled_by;

static void handler(int sig) {
  (void)sig;
  got_in = 1;
}

static void *run(void *arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  phase = 1;
  while (phase != 2) sleep_ms(5);
  sigset_t p;
  sigpending(&p);
  if (!sigismember(&p, SIGUSR1)) conformance_fail("the thread's pending signal is gone");
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
  phase = 3;
  return NULL;
}

static pthread_t t;

static void setup(void) {
  signal(SIGUSR1, handler);
  pthread_create(&t, NULL, run, NULL);
  while (phase != 1) sleep_ms(5);
  pthread_kill(t, SIGUSR1);
}

static void tick(void) { CHECK(!got_in, "delivered while blocked"); }

static void finish(void) {
  phase = 2;
  pthread_join(t, NULL);
  CHECK(got_in, "the pending signal was never delivered");
}

CONFORMANCE_MAIN
