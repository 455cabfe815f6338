// 1000 thread(s), each counting in its own slot and checking its own stack variable and its thread
// id: all of them run on after restarts, with their own state.
#include <pthread.h>
#include <sys/syscall.h>

#include "conformance.h"

enum { kThreads = 1000 };
static volatile long counts[kThreads];
static volatile int stop;

static void *run(void *arg) {
  long me = (long)arg;
  long mine = me * 1000;
  pid_t tid = (pid_t)syscall(SYS_gettid);
  while (!stop) {
    if (mine != me * 1000 + counts[me]) conformance_fail("thread %ld: its stack changed", me);
    if ((pid_t)syscall(SYS_gettid) != tid) conformance_fail("thread %ld: its id changed", me);
    counts[me]++;
    mine++;
    sleep_ms(10);
  }
  return (void *)mine;
}

static pthread_t t[kThreads];

static void setup(void) {
  for (long i = 0; i < kThreads; i++) {
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    CHECK(pthread_create(&t[i], &a, run, (void *)i) == 0, "pthread_create %ld", i);
  }
}

static void tick(void) {}

static void finish(void) {
  long before[kThreads];
  for (int i = 0; i < kThreads; i++) before[i] = counts[i];
  sleep_ms(300);
  for (int i = 0; i < kThreads; i++) CHECK(counts[i] > before[i], "thread %d stopped", i);
  stop = 1;
  for (long i = 0; i < kThreads; i++) {
    void *r;
    CHECK(pthread_join(t[i], &r) == 0, "join %ld", i);
    CHECK((long)r == i * 1000 + counts[i], "thread %ld returned %ld", i, (long)r);
  }
}

CONFORMANCE_MAIN
