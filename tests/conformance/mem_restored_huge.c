// Anonymous memory the program never advised, restored at restart into transparent huge pages
// where the node gives them only to advised memory (THP "madvise"): 64 MiB filled, 64 MiB half
// filled, 16 MiB filled and advised MADV_NOHUGEPAGE. After restarts the data are intact; the
// filled area is mostly huge pages; the half that was empty at the checkpoint, touched now, is
// not (only blocks the image filled whole are advised); the MADV_NOHUGEPAGE area has no huge
// page.
#include <sys/mman.h>

#include "conformance.h"

enum { kFull = 64 << 20, kHalf = 64 << 20, kNo = 16 << 20 };
static uint64_t *full, *half, *no;

// Sum of a field (kB) over the mappings that start in [p, p + n): the restart may split an area
// into a part in huge pages and the parts around it.
static long smaps_kb(void *p, size_t n, const char *field) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  char line[512];
  unsigned long lo = (unsigned long)p, hi = lo + n, s, e;
  int in = 0;
  long sum = 0, v;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strncmp(line, "VmFlags", 7) != 0)
      in = s >= lo && s < hi;
    else if (in && strncmp(line, field, strlen(field)) == 0 &&
             sscanf(line + strlen(field), " %ld", &v) == 1)
      sum += v;
  }
  fclose(f);
  return sum;
}

static int thp_mode_is(const char *mode) {
  FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  char line[128] = "";
  if (f) {
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    fclose(f);
  }
  char want[32];
  snprintf(want, sizeof want, "[%s]", mode);
  return strstr(line, want) != NULL;
}

static uint64_t word(size_t i, uint64_t salt) { return (i + salt) * 0x9e3779b97f4a7c15ULL; }

static void setup(void) {
  full = mmap(NULL, kFull, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  half = mmap(NULL, kHalf, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  no = mmap(NULL, kNo, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(full != MAP_FAILED && half != MAP_FAILED && no != MAP_FAILED, "mmap");
  SYS(madvise(no, kNo, MADV_NOHUGEPAGE));
  for (size_t i = 0; i < kFull / 8; i++) full[i] = word(i, 1);
  for (size_t i = 0; i < kHalf / 16; i++) half[i] = word(i, 2);
  for (size_t i = 0; i < kNo / 8; i++) no[i] = word(i, 3);
}

static void tick(void) {}

static void finish(void) {
  for (size_t i = 0; i < kFull / 8; i++) CHECK(full[i] == word(i, 1), "full: word %zu", i);
  for (size_t i = 0; i < kHalf / 16; i++) CHECK(half[i] == word(i, 2), "half: word %zu", i);
  for (size_t i = kHalf / 16; i < kHalf / 8; i++) CHECK(half[i] == 0, "half: word %zu", i);
  for (size_t i = 0; i < kNo / 8; i++) CHECK(no[i] == word(i, 3), "no: word %zu", i);
  // Touched only now: faults after the restart.
  for (size_t i = kHalf / 16; i < kHalf / 8; i += 512) half[i] = 1;
  const long full_huge = smaps_kb(full, kFull, "AnonHugePages:");
  const long half_huge = smaps_kb(half, kHalf, "AnonHugePages:");
  const long no_huge = smaps_kb(no, kNo, "AnonHugePages:");
  CHECK(no_huge == 0, "the MADV_NOHUGEPAGE area has %ld kB in huge pages", no_huge);
  if (thp_mode_is("madvise")) {
    CHECK(full_huge >= (kFull >> 10) / 2, "only %ld kB of %d kB restored in huge pages", full_huge,
          kFull >> 10);
    CHECK(half_huge <= (kHalf >> 11) + 2048, "%ld kB of the half-filled area in huge pages",
          half_huge);
  } else {
    printf("THP is not \"madvise\" here: huge pages not checked\n");
  }
}

CONFORMANCE_MAIN
