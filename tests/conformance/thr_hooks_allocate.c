// A plugin's per-thread hooks allocate and use stdio (tests/plugins/allocating_hooks.c) while the
// program's threads are inside malloc most of the time: no hook may run in a stopped thread's
// signal handler, or the checkpoint deadlocks. Each hook names the thread it is about; after the
// last restart every thread must have been named by PRE_SUSPEND_USER_THREAD and by
// RESUME_USER_THREAD after a restart, and the threads' own checksums must hold.
// LAUNCH-WITH-PLUGIN: allocating_hooks
#include <pthread.h>
#include <sys/syscall.h>

#include "conformance.h"

enum { kThreads = 4 };

static pid_t tids[kThreads + 1];
static volatile long rounds[kThreads];
static volatile int failed;

static void *allocator(void *a) {
  const long me = (long)a;
  tids[me + 1] = (pid_t)syscall(SYS_gettid);
  uint64_t x = 0x9E3779B97F4A7C15ULL * (uint64_t)(me + 1);
  for (;;) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const size_t n = 16 + x % 4096;
    unsigned char *p = malloc(n);
    if (p == NULL) {
      failed = 1;
      return NULL;
    }
    memset(p, (int)(x & 0xff), n);
    if (p[n - 1] != (unsigned char)(x & 0xff)) failed = 1;
    free(p);
    rounds[me]++;
  }
  return NULL;
}

static void setup(void) {
  unlink("hooks.log");
  tids[0] = (pid_t)syscall(SYS_gettid);
  for (long i = 0; i < kThreads; i++) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, allocator, (void *)i) == 0, "pthread_create");
  }
  for (int i = 0; i < 500; i++) {
    int all = 1;
    for (int j = 0; j <= kThreads; j++) all &= tids[j] != 0;
    if (all) break;
    sleep_ms(2);
  }
}

static void tick(void) { CHECK(!failed, "malloc gave bad memory"); }

// How many lines of hooks.log are "<event> <tid>".
static int count(const char *event, pid_t tid) {
  FILE *f = fopen("hooks.log", "r");
  if (f == NULL) return 0;
  char name[64], locale[16];
  int t, n = 0;
  while (fscanf(f, "%63s %d %15s", name, &t, locale) == 3)
    n += strcmp(name, event) == 0 && t == tid && strcmp(locale, "locale") == 0;
  fclose(f);
  return n;
}

static void finish(void) {
  long before[kThreads];
  for (int i = 0; i < kThreads; i++) before[i] = rounds[i];
  sleep_ms(50);
  for (int i = 0; i < kThreads; i++)
    CHECK(rounds[i] > before[i], "thread %d stopped allocating after the restart", i);
  for (int j = 0; j <= kThreads; j++) {
    CHECK(count("PRE_SUSPEND_USER_THREAD", tids[j]) >= 2,
          "PRE_SUSPEND_USER_THREAD named thread %d %d times, expected one per checkpoint",
          (int)tids[j], count("PRE_SUSPEND_USER_THREAD", tids[j]));
    CHECK(count("RESUME_USER_THREAD_RESTART", tids[j]) >= 2,
          "RESUME_USER_THREAD after a restart named thread %d %d times, expected 2", (int)tids[j],
          count("RESUME_USER_THREAD_RESTART", tids[j]));
  }
  printf("hooks named %d threads at every checkpoint and restart\n", kThreads + 1);
}

CONFORMANCE_MAIN
