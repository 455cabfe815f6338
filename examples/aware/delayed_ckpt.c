// delayed_ckpt [ROUNDS] [CRIT_MS] [GAP_MS]
//
// A program with a critical section that must not be checkpointed half-way (say, a transaction
// with a remote service). Each round it calls dmtcp_disable_ckpt(), works for CRIT_MS
// milliseconds, and calls dmtcp_enable_ckpt(); then it works GAP_MS outside. A checkpoint
// requested meanwhile (`dmtcp_command -c`) waits until the section is left. The calls nest:
// inside the section a second disable/enable pair runs, and only the outer enable lets the
// checkpoint through.
//
// Every line goes to stdout with write(2) as "<seq> <ms> <text>" (a sequence number and the
// milliseconds since start), and hooks installed with dmtcp_install_hooks() log the checkpoint
// into the same stream ("hook: pre-checkpoint", "hook: post-checkpoint", "hook: restart"), so the
// order shows where the checkpoint happened:
//
//   1 0 start enabled=1
//   2 0 enter critical 1 (disable=1)
//   3 0 nested disable=1
//   4 750 nested enable=1
//   5 1500 leave critical 1
//   6 1500 hook: pre-checkpoint        <- only after the outer enable
//   7 1530 hook: post-checkpoint
//   8 1530 outside 1 (enable=1)
//   ...
//   done
//
// Without the runtime the calls return DMTCP_NOT_PRESENT (3) and no hook runs. Exit 0.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dmtcp.h"

static struct timespec t0;
static int seq;

static long elapsed_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)(t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
}

// One line to stdout with write(2): usable from the hooks, which run on the checkpoint thread
// while this program's thread is stopped (possibly inside stdio).
static void say(const char *text) {
  char line[160];
  int len = snprintf(line, sizeof line, "%d %ld %s\n",
                     __atomic_add_fetch(&seq, 1, __ATOMIC_SEQ_CST), elapsed_ms(), text);
  if (len <= 0) return;
  if (len >= (int)sizeof line) len = (int)sizeof line - 1;
  ssize_t n = write(STDOUT_FILENO, line, (size_t)len);
  (void)n;
}

static void pre_checkpoint(void) { say("hook: pre-checkpoint"); }
static void post_checkpoint(void) { say("hook: post-checkpoint"); }
static void post_restart(void) { say("hook: restart"); }

static void sleep_ms(long ms) {
  struct timespec req = {ms / 1000, (ms % 1000) * 1000000L};
  struct timespec rem;
  while (ms > 0 && nanosleep(&req, &rem) == -1 && errno == EINTR) req = rem;
}

static long arg(int argc, char **argv, int i, long dflt) {
  if (argc <= i) return dflt;
  char *end = NULL;
  long v = strtol(argv[i], &end, 10);
  if (end == argv[i] || *end != '\0' || v < 0) {
    fprintf(stderr, "delayed_ckpt: bad argument '%s'\n", argv[i]);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  long rounds = arg(argc, argv, 1, 3);
  long crit_ms = arg(argc, argv, 2, 1500);
  long gap_ms = arg(argc, argv, 3, 1000);
  char text[96];

  clock_gettime(CLOCK_MONOTONIC, &t0);
  int enabled = dmtcp_is_enabled();
  if (enabled) dmtcp_install_hooks(pre_checkpoint, post_checkpoint, post_restart);
  snprintf(text, sizeof text, "start enabled=%d", enabled);
  say(text);
  for (long r = 1; r <= rounds; r++) {
    int rc = dmtcp_disable_ckpt();
    snprintf(text, sizeof text, "enter critical %ld (disable=%d)", r, rc);
    say(text);
    rc = dmtcp_disable_ckpt();
    snprintf(text, sizeof text, "nested disable=%d", rc);
    say(text);
    sleep_ms(crit_ms / 2);
    rc = dmtcp_enable_ckpt();
    snprintf(text, sizeof text, "nested enable=%d", rc);
    say(text);
    sleep_ms(crit_ms - crit_ms / 2);
    snprintf(text, sizeof text, "leave critical %ld", r);
    say(text);
    rc = dmtcp_enable_ckpt();
    snprintf(text, sizeof text, "outside %ld (enable=%d)", r, rc);
    say(text);
    sleep_ms(gap_ms);
  }
  say("done");
  return 0;
}
