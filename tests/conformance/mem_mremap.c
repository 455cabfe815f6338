// An area grown and moved with mremap, with data written before and after the move.
#include <sys/mman.h>

#include "conformance.h"

static char *a;

static void setup(void) {
  a = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(a != MAP_FAILED, "mmap");
  memset(a, 1, 4 * 4096);
  a = mremap(a, 4 * 4096, 64 * 4096, MREMAP_MAYMOVE);
  CHECK(a != MAP_FAILED, "mremap");
  memset(a + 4 * 4096, 2, 60 * 4096);
}

static void tick(void) {}

static void finish(void) {
  CHECK(a[0] == 1 && a[4 * 4096 - 1] == 1 && a[4 * 4096] == 2 && a[64 * 4096 - 1] == 2, "data");
}

CONFORMANCE_MAIN
