// Threads blocked in waitpid(pid), waitid(P_PID) and waitpid(-pgid) across checkpoints and
// restarts: the kernel restarts each call after the restart, and it must wait for the same
// child (whose kernel pid changed), not fail with ECHILD. Each child exits with its own code.
#include <pthread.h>
#include <sys/wait.h>

#include "conformance.h"

enum { kChildren = 3 };
static pid_t child[kChildren];
static volatile int result[kChildren];  // exit code seen, or -errno
static pthread_t waiter[kChildren];

static pid_t start_child(int code, int own_group) {
  pid_t p = SYS(fork());
  if (p == 0) {
    if (own_group) setpgid(0, 0);
    while (!conformance_done()) sleep_ms(20);
    _exit(code);
  }
  if (own_group) setpgid(p, p);  // either side may run first
  return p;
}

static void *wait_pid(void *arg) {
  (void)arg;
  int st;
  pid_t r = waitpid(child[0], &st, 0);
  result[0] = r == child[0] && WIFEXITED(st) ? WEXITSTATUS(st) : r < 0 ? -errno : -1000;
  return NULL;
}

static void *wait_id(void *arg) {
  (void)arg;
  siginfo_t info;
  memset(&info, 0, sizeof info);
  int r = waitid(P_PID, (id_t)child[1], &info, WEXITED);
  result[1] = r == 0 && info.si_pid == child[1] && info.si_code == CLD_EXITED ? info.si_status
              : r < 0                                                         ? -errno
                                                                              : -1000;
  return NULL;
}

static void *wait_group(void *arg) {
  (void)arg;
  int st;
  pid_t r = waitpid(-child[2], &st, 0);
  result[2] = r == child[2] && WIFEXITED(st) ? WEXITSTATUS(st) : r < 0 ? -errno : -1000;
  return NULL;
}

static void setup(void) {
  for (int i = 0; i < kChildren; i++) {
    child[i] = start_child(40 + i, i == 2);
    result[i] = -2000;  // still waiting
  }
  CHECK(pthread_create(&waiter[0], NULL, wait_pid, NULL) == 0, "pthread_create");
  CHECK(pthread_create(&waiter[1], NULL, wait_id, NULL) == 0, "pthread_create");
  CHECK(pthread_create(&waiter[2], NULL, wait_group, NULL) == 0, "pthread_create");
}

static void tick(void) {
  for (int i = 0; i < kChildren; i++)
    CHECK(result[i] == -2000, "waiter %d returned %d before its child ended", i, result[i]);
}

static void finish(void) {
  for (int i = 0; i < kChildren; i++) {
    CHECK(pthread_join(waiter[i], NULL) == 0, "join %d", i);
    CHECK(result[i] == 40 + i, "waiter %d: expected exit code %d, got %d", i, 40 + i, result[i]);
  }
}

CONFORMANCE_MAIN
