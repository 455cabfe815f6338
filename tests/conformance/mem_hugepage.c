// 64 MiB of anonymous memory the program asked to back with transparent huge pages
// (MADV_HUGEPAGE), filled with a pattern: the data and the advice come back.
#include <sys/mman.h>

#include "conformance.h"

static uint64_t *a;
enum { kSize = 64 << 20 };

static void setup(void) {
  a = mmap(NULL, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(a != MAP_FAILED, "mmap");
  SYS(madvise(a, kSize, MADV_HUGEPAGE));
  for (size_t i = 0; i < kSize / 8; i++) a[i] = i * 0x9e3779b97f4a7c15ULL;
}

static void tick(void) {}

static void finish(void) {
  for (size_t i = 0; i < kSize / 8; i++) CHECK(a[i] == i * 0x9e3779b97f4a7c15ULL, "word %zu", i);
  FILE *f = fopen("/proc/self/smaps", "r");
  CHECK(f != NULL, "smaps");
  char line[512];
  int in_area = 0, hg = 0;
  char start[32];
  snprintf(start, sizeof start, "%lx-", (unsigned long)a);
  while (fgets(line, sizeof line, f)) {
    if (strchr(line, '-') && strchr(line, ' ') && line[0] != ' ' &&
        strncmp(line, "VmFlags", 7) != 0)
      in_area = strncmp(line, start, strlen(start)) == 0;
    if (in_area && strncmp(line, "VmFlags:", 8) == 0 && strstr(line, " hg")) hg = 1;
  }
  fclose(f);
  CHECK(hg, "the MADV_HUGEPAGE advice is gone");
}

CONFORMANCE_MAIN
