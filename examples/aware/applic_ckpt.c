// applic_ckpt [N] [K] [delay_ms]
//
// A program that checkpoints itself: it prints "step i" for i = 1..N (sleeping delay_ms between
// steps) and at step K calls dmtcp_checkpoint(), which blocks until the checkpoint is written,
// then prints which return it got:
//
//   dmtcp_checkpoint returned 1: after checkpoint    (the process that was checkpointed)
//   dmtcp_checkpoint returned 2: after restart       (a process restarted from that image)
//   dmtcp_checkpoint returned 3: not present         (not running under dmtcp_launch)
//
// followed, under the runtime, by "local status: checkpoints=<c> restarts=<r>" and, after a
// checkpoint, "generation <g>". The image file and the unique process id go to stderr. Exit 0.
//
// dmtcp.h declares every call as a weak symbol behind a guard macro, so this program links with
// no library and runs with or without the runtime. Build it as PIE (the default) or with -fPIC:
//   cc -I<prefix>/include -o applic_ckpt applic_ckpt.c
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dmtcp.h"

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
    fprintf(stderr, "applic_ckpt: bad argument '%s'\n", argv[i]);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  long n = arg(argc, argv, 1, 10);
  long k = arg(argc, argv, 2, 5);
  long delay_ms = arg(argc, argv, 3, 200);

  printf("dmtcp_is_enabled %d\n", dmtcp_is_enabled());
  fflush(stdout);
  for (long i = 1; i <= n; i++) {
    printf("step %ld\n", i);
    fflush(stdout);
    if (i == k) {
      int r = dmtcp_checkpoint();
      const char *what = r == DMTCP_AFTER_CHECKPOINT ? "after checkpoint"
                         : r == DMTCP_AFTER_RESTART  ? "after restart"
                         : r == DMTCP_NOT_PRESENT    ? "not present"
                                                     : "error";
      printf("dmtcp_checkpoint returned %d: %s\n", r, what);
      if (r == DMTCP_AFTER_CHECKPOINT || r == DMTCP_AFTER_RESTART) {
        int ckpts = -1, restarts = -1;
        dmtcp_get_local_status(&ckpts, &restarts);
        printf("local status: checkpoints=%d restarts=%d\n", ckpts, restarts);
        if (r == DMTCP_AFTER_CHECKPOINT)
          printf("generation %u\n", (unsigned)dmtcp_get_generation());
        const char *image = dmtcp_get_ckpt_filename();
        const char *upid = dmtcp_get_uniquepid_str();
        fprintf(stderr, "applic_ckpt: image %s\napplic_ckpt: uniquepid %s\n",
                image ? image : "(null)", upid ? upid : "(null)");
      }
      fflush(stdout);
      if (r != DMTCP_AFTER_CHECKPOINT && r != DMTCP_AFTER_RESTART && r != DMTCP_NOT_PRESENT) {
        return 1;
      }
    }
    if (i < n) sleep_ms(delay_ms);
  }
  printf("done\n");
  return 0;
}
