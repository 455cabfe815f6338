// A child started with posix_spawn (as system() and many libraries start programs) that runs
// on: part of the computation, and reaped by its pid after restarts. Children started after the
// restarts by posix_spawn, vfork and fork, when the kernel's next pid is the first child's old
// pid (set through ns_last_pid, as root), get other pids and are reaped as themselves.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "conformance.h"

extern char **environ;
static pid_t child;

static void setup(void) {
  char *argv[] = {"sleep", "1000", NULL};
  CHECK(posix_spawnp(&child, "sleep", NULL, NULL, argv, environ) == 0, "posix_spawnp");
}

static void tick(void) {
  int st;
  CHECK(waitpid(child, &st, WNOHANG) == 0, "the child ended early (%d)", st);
}

static void started(const char *how, pid_t pid) {
  CHECK(pid > 0, "%s: %s", how, strerror(errno));
  CHECK(pid != child, "%s gave a new child the pid %d the restored child has", how, pid);
  int st;
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "%s: waitpid(%d) did not reap the new child: %s", how, pid, strerror(errno));
}

static void finish(void) {
  const int forced = next_pid_is(child);
  if (!forced) printf("note: not root: the next pid is left to the kernel\n");
  char *argv[] = {"true", NULL};
  pid_t pid = -1;
  CHECK(posix_spawnp(&pid, "true", NULL, NULL, argv, environ) == 0, "posix_spawnp true");
  started("posix_spawn", pid);
  if (forced) next_pid_is(child);
  pid = vfork();
  if (pid == 0) {
    execvp("true", argv);
    _exit(127);
  }
  started("vfork", pid);
  if (forced) next_pid_is(child);
  pid = fork();
  if (pid == 0) _exit(0);
  started("fork", pid);
  SYS(kill(child, SIGKILL));
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFSIGNALED(st), "waitpid");
}

CONFORMANCE_MAIN
