// One thread starts commands all the time, two at once, the way xargs -P2 does (fork, exec
// /bin/true, waitpid(-1)): each command the parent started must come back to its wait under the
// pid fork returned, with exit status 0, also those that were being forked or were inside their
// exec when a checkpoint came. One left out of the checkpoint is gone after the restart (ECHILD).
// ROUNDS: 10
#include <pthread.h>
#include <sys/wait.h>

#include "conformance.h"

static pthread_t starter;
static volatile int stop, failed;
static volatile long rounds;
static char why[256];

static void *start_commands(void *arg) {
  (void)arg;
  while (!stop && !failed) {
    pid_t pid[2];
    for (int i = 0; i < 2; ++i) {
      pid[i] = fork();
      if (pid[i] == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
      }
      if (pid[i] < 0) {
        snprintf(why, sizeof why, "fork: %s", strerror(errno));
        failed = 1;
        return NULL;
      }
    }
    for (int n = 0; n < 2;) {
      int st;
      const pid_t r = waitpid(-1, &st, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0)
        snprintf(why, sizeof why, "round %ld: waitpid(-1): %s (started %d and %d)", rounds,
                 strerror(errno), pid[0], pid[1]);
      else if (r != pid[0] && r != pid[1])
        snprintf(why, sizeof why, "round %ld: waitpid(-1) returned %d, not %d or %d", rounds, r,
                 pid[0], pid[1]);
      else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        snprintf(why, sizeof why, "round %ld: child %d ended with status %#x", rounds, r, st);
      if (why[0]) {
        failed = 1;
        return NULL;
      }
      ++n;
    }
    ++rounds;
  }
  return NULL;
}

static void setup(void) {
  CHECK(pthread_create(&starter, NULL, start_commands, NULL) == 0, "pthread_create");
}

static void tick(void) { CHECK(!failed, "%s", why); }

static void finish(void) {
  stop = 1;
  CHECK(pthread_join(starter, NULL) == 0, "pthread_join");
  CHECK(!failed, "%s", why);
  CHECK(rounds > 0, "no command ran");
}

CONFORMANCE_MAIN
