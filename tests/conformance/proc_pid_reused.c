// A restored child's real pid, free again after it exited, given by the kernel to a new child
// (pids wrap around; forced here through ns_last_pid, as root): the new child must know itself
// by the pid fork returned, and be reaped by it. The restored child reports its real pid (the
// getpid system call made directly: the runtime translates syscall(SYS_getpid)) before it exits.
#include <sys/syscall.h>
#include <sys/wait.h>

#include "conformance.h"

static pid_t child;

static long raw_getpid(void) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_getpid) : "rcx", "r11", "memory");
  return r;
}

static void setup(void) {
  child = SYS(fork());
  if (child == 0) {
    for (;;) {
      if (access(scratch("report"), F_OK) == 0) {
        FILE *f = fopen(scratch("real_pid"), "w");
        if (!f || fprintf(f, "%ld\n", raw_getpid()) < 0 || fclose(f) != 0) _exit(2);
        _exit(0);
      }
      sleep_ms(20);
    }
  }
}

static void tick(void) {
  int st;
  CHECK(waitpid(child, &st, WNOHANG) == 0, "the child ended early (%#x)", st);
}

static void finish(void) {
  FILE *t = fopen(scratch("report"), "w");
  CHECK(t && fclose(t) == 0, "cannot create the file report");
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "the restored child %d was not reaped as itself (%#x)", child, st);
  long real = 0;
  FILE *f = fopen(scratch("real_pid"), "r");
  CHECK(f && fscanf(f, "%ld", &real) == 1, "the child reported no real pid");
  fclose(f);
  printf("the restored child %d was process %ld\n", child, real);
  if (!next_pid_is((pid_t)real)) {
    const char *ci = getenv("CI");
    CHECK(!ci || strcmp(ci, "true") != 0, "not root under CI: cannot set ns_last_pid");
    printf("note: not root: the next pid is left to the kernel\n");
  }
  int p[2];
  SYS(pipe(p));
  pid_t pid = SYS(fork());
  if (pid == 0) {
    pid_t me = getpid();
    _exit(write(p[1], &me, sizeof me) == sizeof me ? 0 : 1);
  }
  pid_t said = 0;
  CHECK(read(p[0], &said, sizeof said) == sizeof said, "the new child said nothing");
  CHECK(said == pid,
        "fork returned %d, and the new child calls itself %d (the restored child "
        "was %d, process %ld)",
        pid, said, child, real);
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "waitpid(%d) did not reap the new child", pid);
}

CONFORMANCE_MAIN
