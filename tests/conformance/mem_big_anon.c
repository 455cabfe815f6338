// 256 MiB of anonymous memory of random content, its checksum checked after restarts.
#include <sys/mman.h>

#include "conformance.h"

enum { kSize = 256 << 20 };
static uint64_t *a;
static uint64_t sum;

static void setup(void) {
  a = mmap(NULL, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(a != MAP_FAILED, "mmap");
  uint64_t x = 88172645463325252ULL;
  for (size_t i = 0; i < kSize / 8; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    a[i] = x;
  }
  sum = checksum(a, kSize);
}

static void tick(void) {}

static void finish(void) { CHECK(checksum(a, kSize) == sum, "the memory changed"); }

CONFORMANCE_MAIN
