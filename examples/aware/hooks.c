// aware_hooks ROUNDS DELAY_MS HOOK_LOG [TRIGGER_FILE]
//
// The DMTCP 1 "dmtcpaware" interface (dmtcp/dmtcpaware.h, link with -ldmtcpaware):
//   - at start it prints dmtcpIsEnabled(), and under the runtime installs checkpoint hooks with
//     dmtcpInstallHooks(), runs the coordinator command 's' with dmtcpRunCommand(), takes and
//     releases the recursive checkpoint-delay lock three times, and prints the coordinator and
//     local status (NULL without the runtime);
//   - every round it prints "round <i> checkpoints=<c> restarts=<r> processes=<n>" from
//     dmtcpGetLocalStatus() and dmtcpGetCoordinatorStatus() ("round <i>" without the runtime)
//     and sleeps DELAY_MS;
//   - when TRIGGER_FILE exists it removes it and checkpoints itself with dmtcpCheckpoint(),
//     printing "dmtcpCheckpoint=1 (after checkpoint)", "=2 (after restart)" in a restarted
//     process, or "=3 (not present)" without the runtime.
// The hooks run on the checkpoint thread while the program is stopped: preCheckpoint, then
// postCheckpoint, or postRestart in a restarted process. Each appends "<pid> pre", "<pid> post"
// or "<pid> restart" to HOOK_LOG with open(O_APPEND)/write (no stdio in a hook).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dmtcp/dmtcpaware.h"

static const char *hook_log;

static void log_hook(const char *what) {
  char line[64];
  int len = snprintf(line, sizeof line, "%d %s\n", (int)getpid(), what);
  int fd = open(hook_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 || len <= 0) return;
  ssize_t n = write(fd, line, (size_t)len);
  (void)n;
  close(fd);
}

static void pre(void) { log_hook("pre"); }
static void post(void) { log_hook("post"); }
static void restart(void) { log_hook("restart"); }

static void sleep_ms(long ms) {
  struct timespec req = {ms / 1000, (ms % 1000) * 1000000L};
  struct timespec rem;
  while (ms > 0 && nanosleep(&req, &rem) == -1 && errno == EINTR) req = rem;
}

static long arg(const char *s) {
  char *end = NULL;
  long v = strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < 0) {
    fprintf(stderr, "aware_hooks: bad number '%s'\n", s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: aware_hooks ROUNDS DELAY_MS HOOK_LOG [TRIGGER_FILE]\n");
    return 2;
  }
  long rounds = arg(argv[1]);
  long delay_ms = arg(argv[2]);
  hook_log = argv[3];
  const char *trigger = argc > 4 ? argv[4] : NULL;

  int enabled = dmtcpIsEnabled();
  printf("dmtcpIsEnabled=%d\n", enabled);
  if (enabled) {
    printf("dmtcpInstallHooks=%d\n", dmtcpInstallHooks(pre, post, restart));
    printf("dmtcpRunCommand('s')=%d\n", dmtcpRunCommand('s'));
  }
  int l1 = dmtcpDelayCheckpointsLock();
  int l2 = dmtcpDelayCheckpointsLock();
  int l3 = dmtcpDelayCheckpointsLock();
  int u1 = dmtcpDelayCheckpointsUnlock();
  int u2 = dmtcpDelayCheckpointsUnlock();
  int u3 = dmtcpDelayCheckpointsUnlock();
  printf("lock=%d,%d,%d unlock=%d,%d,%d\n", l1, l2, l3, u1, u2, u3);
  const DmtcpCoordinatorStatus *cs = dmtcpGetCoordinatorStatus();
  if (cs == NULL) {
    printf("coordinator status: NULL\n");
  } else {
    printf("coordinator status: numProcesses=%d isRunning=%d\n", cs->numProcesses, cs->isRunning);
  }
  const DmtcpLocalStatus *ls = dmtcpGetLocalStatus();
  if (ls == NULL) {
    printf("local status: NULL\n");
  } else {
    printf("local status: checkpoints=%d restarts=%d\n", ls->numCheckpoints, ls->numRestarts);
    fprintf(stderr, "aware_hooks: image %s\naware_hooks: uniquepid %s\n",
            ls->checkpointFilename ? ls->checkpointFilename : "(null)",
            ls->uniquePidStr ? ls->uniquePidStr : "(null)");
  }
  fflush(stdout);

  for (long i = 1; i <= rounds; i++) {
    if (trigger != NULL && unlink(trigger) == 0) {
      int r = dmtcpCheckpoint();
      const char *what = r == DMTCP_AFTER_CHECKPOINT ? "after checkpoint"
                         : r == DMTCP_AFTER_RESTART  ? "after restart"
                         : r == DMTCP_NOT_PRESENT    ? "not present"
                                                     : "error";
      printf("dmtcpCheckpoint=%d (%s)\n", r, what);
    }
    ls = dmtcpGetLocalStatus();
    cs = dmtcpGetCoordinatorStatus();
    printf("round %ld", i);
    if (ls != NULL) printf(" checkpoints=%d restarts=%d", ls->numCheckpoints, ls->numRestarts);
    if (cs != NULL) printf(" processes=%d", cs->numProcesses);
    printf("\n");
    fflush(stdout);
    if (i < rounds) sleep_ms(delay_ms);
  }
  printf("done\n");
  return 0;
}
