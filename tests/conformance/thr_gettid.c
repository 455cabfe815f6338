// Thread ids as the program sees them (gettid, pthread_self, the tid glibc keeps): the same
// after restarts, and a signal sent by tid (tgkill) to a thread still reaches it.
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

#include "conformance.h"

static volatile pid_t tid;
static volatile int got, stop;
static void handler(int s) {
  (void)s;
  if ((pid_t)syscall(SYS_gettid) == tid) got = 1;
}
static void *run(void *arg) {
  (void)arg;
  tid = (pid_t)syscall(SYS_gettid);
  while (!stop) sleep_ms(5);
  return NULL;
}
static pthread_t t;
static pid_t main_tid;

static void setup(void) {
  signal(SIGUSR2, handler);
  main_tid = (pid_t)syscall(SYS_gettid);
  pthread_create(&t, NULL, run, NULL);
  while (!tid) sleep_ms(5);
}

static void tick(void) {
  CHECK((pid_t)syscall(SYS_gettid) == main_tid && main_tid == getpid(), "main thread id changed");
}

static void finish(void) {
  SYS(syscall(SYS_tgkill, getpid(), tid, SIGUSR2));
  for (int i = 0; i < 100 && !got; i++) sleep_ms(5);
  CHECK(got, "tgkill to the thread's id did not reach it");
  stop = 1;
  pthread_join(t, NULL);
}

CONFORMANCE_MAIN
