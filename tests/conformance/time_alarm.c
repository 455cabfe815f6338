// An alarm set for far ahead before the checkpoint: after restarts it is still set, with what
// was left of it at the checkpoint (the time the program was not running does not count).
#include <signal.h>

#include "conformance.h"

static time_t set_at;

static void setup(void) {
  signal(SIGALRM, SIG_IGN);
  alarm(600);
  set_at = time(NULL);
}

static void tick(void) {}

static void finish(void) {
  unsigned left = alarm(0);
  long expect = 600 - (long)(time(NULL) - set_at);
  CHECK(left > 0, "the alarm is gone");
  CHECK(left <= 600 && (long)left >= expect - 1, "%u s left, expected at least %ld", left, expect);
}

CONFORMANCE_MAIN
