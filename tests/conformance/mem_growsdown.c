// A MAP_GROWSDOWN area (as thread stacks of some runtimes are made) with data at its top.
#include <sys/mman.h>

#include "conformance.h"

static char *area;

static void setup(void) {
  area = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN,
              -1, 0);
  CHECK(area != MAP_FAILED, "mmap");
  memset(area, 0x5a, 1 << 16);
}

static void tick(void) {}

static void finish(void) {
  for (int i = 0; i < 1 << 16; i++) CHECK(area[i] == 0x5a, "byte %d", i);
}

CONFORMANCE_MAIN
