// e2e_subreaper CMD ARGS...
//
// Runs one end-to-end test as a child subreaper (PR_SET_CHILD_SUBREAPER): every process the test
// starts that becomes an orphan is reparented to us and reaped here, not left as a zombie under
// PID 1 (which does not reap promptly on these machines, see shared/INFRA.md). SIGTERM, SIGINT and
// SIGHUP are forwarded to the test. When the test exits, any descendant still alive is a leak: it
// is reported by pid and name, killed, and the test fails (exit 1) if it had passed. Otherwise the
// exit status is the test's (128+signal if it was killed by a signal).
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t test_pid = -1;

static void forward(int sig) {
  if (test_pid > 0) kill(test_pid, sig);
}

static void reap_all_nohang(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

// Collects the pids of our live (not zombie) children into pids[], returns how many.
static int live_children(pid_t *pids, int max) {
  DIR *d = opendir("/proc");
  if (d == NULL) return 0;
  int n = 0;
  pid_t self = getpid();
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < max) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) continue;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    char *p = strrchr(buf, ')');
    if (p == NULL) continue;
    char state;
    int ppid;
    if (sscanf(p + 1, " %c %d", &state, &ppid) != 2) continue;
    if (ppid == self && state != 'Z') pids[n++] = (pid_t)pid;
  }
  closedir(d);
  return n;
}

static void comm_of(pid_t pid, char *out, size_t len) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
  FILE *f = fopen(path, "r");
  out[0] = '\0';
  if (f == NULL) return;
  if (fgets(out, (int)len, f) == NULL) out[0] = '\0';
  fclose(f);
  out[strcspn(out, "\n")] = '\0';
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: e2e_subreaper CMD [ARGS...]\n");
    return 2;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    perror("e2e_subreaper: prctl(PR_SET_CHILD_SUBREAPER)");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);

  pid_t child = fork();
  if (child < 0) {
    perror("e2e_subreaper: fork");
    return 2;
  }
  if (child == 0) {
    // Descriptors ctest leaves open (its Testing/Temporary/LastTest.log.tmp) are not the test's:
    // the programs it checkpoints would carry them into their images, and a restart refuses a
    // file shorter than its checkpointed offset, which that log is once ctest rewrites it.
    close_range(3, ~0U, 0);
    execvp(argv[1], argv + 1);
    fprintf(stderr, "e2e_subreaper: cannot run %s: %s\n", argv[1], strerror(errno));
    _exit(127);
  }
  test_pid = child;

  int status = 0;
  for (;;) {
    int st;
    pid_t p = waitpid(-1, &st, 0);
    if (p == child) {
      status = st;
      break;
    }
    if (p < 0 && errno != EINTR) {
      perror("e2e_subreaper: waitpid");
      return 2;
    }
  }
  test_pid = -1;
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

  // Leftovers: give them a short grace to finish, then kill and report them.
  enum { kMax = 1024 };
  static pid_t pids[kMax];
  int leaked = 0;
  for (int i = 0; i < 40; i++) {  // 2 s
    reap_all_nohang();
    if (live_children(pids, kMax) == 0) break;
    sleep_ms(50);
  }
  for (int round = 0; round < 100; round++) {
    reap_all_nohang();
    int n = live_children(pids, kMax);
    if (n == 0) break;
    for (int i = 0; i < n; i++) {
      char comm[64];
      comm_of(pids[i], comm, sizeof comm);
      fprintf(stderr, "e2e_subreaper: process %d (%s) left behind by the test: killed\n",
              (int)pids[i], comm);
      kill(pids[i], SIGKILL);
      leaked++;
    }
    sleep_ms(50);
  }
  reap_all_nohang();
  if (leaked > 0 && rc == 0) {
    fprintf(stderr, "e2e_subreaper: FAIL: %d process(es) outlived the test\n", leaked);
    rc = 1;
  }
  return rc;
}
