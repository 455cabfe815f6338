// The heap grown with sbrk and with malloc (many small blocks and a large one), its data checked.
#include "conformance.h"

static char *grown;
static char *blocks[1000];
static char *large;

static void setup(void) {
  grown = sbrk(1 << 20);
  CHECK(grown != (void *)-1, "sbrk");
  memset(grown, 7, 1 << 20);
  for (int i = 0; i < 1000; i++) {
    blocks[i] = malloc(100 + i);
    memset(blocks[i], i & 0xff, 100 + i);
  }
  large = malloc(32 << 20);
  for (int i = 0; i < 32 << 20; i += 4096) large[i] = (char)i;
}

static void tick(void) {}

static void finish(void) {
  for (int i = 0; i < 1 << 20; i++) CHECK(grown[i] == 7, "sbrk byte %d", i);
  for (int i = 0; i < 1000; i++)
    for (int j = 0; j < 100 + i; j++) CHECK(blocks[i][j] == (char)(i & 0xff), "block %d", i);
  for (int i = 0; i < 32 << 20; i += 4096) CHECK(large[i] == (char)i, "large");
  free(malloc(1 << 20));  // the allocator works on
}

CONFORMANCE_MAIN
