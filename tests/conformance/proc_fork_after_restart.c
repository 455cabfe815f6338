// A child forked after a restart, by a process whose image a forked writer wrote, that writes
// its own image in place (it has MADV_WIPEONFORK memory, which a forked writer would not
// inherit). The parent forks one more child every 100 ms (up to 48), so that the checkpoints
// after a restart stop children that the restored parent made (a restart is not seen from
// inside: its downtime can be shorter than a tick's gap). Each child checks its buffer; the
// parent checks on every tick that no child ended (a checkpoint that crashed one shows as a
// signal).
// FORKED-IN-PLACE: some
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "conformance.h"

#define PAGES 4
#define MAX_CHILDREN 48
static pid_t children[MAX_CHILDREN];
static int num_children;
static struct timespec last_fork;

static long ms_since(const struct timespec *t) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static void run_child(void) {
  char *p = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED || madvise(p, PAGES * 4096, MADV_WIPEONFORK) != 0) _exit(3);
  for (int i = 0; i < PAGES * 4096; i++) p[i] = (char)(i * 7 + getpid());
  for (;;) {
    for (int i = 0; i < PAGES * 4096; i++)
      if (p[i] != (char)(i * 7 + getpid())) _exit(4);
    sleep_ms(5);
  }
}

static pid_t start_child(void) {
  pid_t c = fork();
  CHECK(c >= 0, "fork: %s", strerror(errno));
  if (c == 0) run_child();
  return c;
}

static void add_child(void) {
  if (num_children < MAX_CHILDREN) children[num_children++] = start_child();
  clock_gettime(CLOCK_MONOTONIC, &last_fork);
}

static void setup(void) { add_child(); }

static void tick(void) {
  for (int i = 0; i < num_children; i++) {
    int st;
    const pid_t r = waitpid(children[i], &st, WNOHANG);
    CHECK(r == 0, "child %d ended: %s %d", children[i],
          r < 0             ? "waitpid failed"
          : WIFSIGNALED(st) ? "by signal"
                            : "with status",
          r < 0             ? errno
          : WIFSIGNALED(st) ? WTERMSIG(st)
                            : WEXITSTATUS(st));
  }
  if (ms_since(&last_fork) >= 100) add_child();
}

static void finish(void) {
  CHECK(num_children >= 3, "only %d children: the program hardly ran", num_children);
  for (int i = 0; i < num_children; i++) {
    int st;
    kill(children[i], SIGKILL);
    CHECK(waitpid(children[i], &st, 0) == children[i] && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
          "child %d ended with status 0x%x, not by SIGKILL", children[i], st);
  }
}

CONFORMANCE_MAIN
