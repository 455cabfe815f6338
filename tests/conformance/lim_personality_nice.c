// The execution domain flags (personality: ADDR_NO_RANDOMIZE) and the nice value the program
// set come back.
#include <sys/personality.h>
#include <sys/resource.h>

#include "conformance.h"

static void setup(void) {
  SYS(personality(PER_LINUX | ADDR_NO_RANDOMIZE));
  SYS(setpriority(PRIO_PROCESS, 0, 5));
}

static void tick(void) {}

static void finish(void) {
  int p = personality(0xffffffff);
  CHECK(p & ADDR_NO_RANDOMIZE, "personality %x", p);
  errno = 0;
  int n = getpriority(PRIO_PROCESS, 0);
  CHECK(n == 5, "nice %d", n);
}

CONFORMANCE_MAIN
