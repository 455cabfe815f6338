// Pages of shared anonymous memory rearranged with remap_file_pages (stress-ng's remap; old
// database buffer managers): each page of the area shows another page of the object, one area
// per page; the last half of the areas all show page 0, so half of the object's pages are shown
// nowhere at the checkpoint. After restarts each address still shows the page it was made to
// show, and pages rearranged again (forward, then reversed) show the object's pages they name,
// those shown nowhere included: the areas are still windows on one whole object.
// FORKED-IN-PLACE: memory shared with other processes is not copied on write for a child
#include <sys/mman.h>

#include "conformance.h"

enum { kPages = 64 };
static unsigned char *buf;
static long page;

// Half a permutation (37 is prime to 64), then page 0.
static int shown(int i) { return i < kPages / 2 ? (i * 37 + 11) % kPages : 0; }

static void setup(void) {
  page = sysconf(_SC_PAGESIZE);
  buf = mmap(NULL, (size_t)(kPages * page), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
             0);
  CHECK(buf != MAP_FAILED, "mmap");
  for (int i = 0; i < kPages; ++i) memset(buf + (long)i * page, i + 1, (size_t)page);
  for (int i = 0; i < kPages; ++i)
    SYS(remap_file_pages(buf + (long)i * page, (size_t)page, 0, (size_t)shown(i), 0));
  for (int i = 0; i < kPages; ++i)
    CHECK(buf[(long)i * page] == shown(i) + 1, "before: page %d shows %d", i, buf[(long)i * page]);
}

static void tick(void) {}

static void finish(void) {
  for (int i = 0; i < kPages; ++i)
    CHECK(buf[(long)i * page] == shown(i) + 1 && buf[(long)i * page + page - 1] == shown(i) + 1,
          "page %d shows page %d of the object, not %d", i, buf[(long)i * page] - 1, shown(i));
  for (int i = 0; i < kPages; ++i)
    SYS(remap_file_pages(buf + (long)i * page, (size_t)page, 0, (size_t)i, 0));
  for (int i = 0; i < kPages; ++i)
    CHECK(buf[(long)i * page] == i + 1, "remapped in order: page %d shows page %d", i,
          buf[(long)i * page] - 1);
  for (int i = 0; i < kPages; ++i)
    SYS(remap_file_pages(buf + (long)i * page, (size_t)page, 0, (size_t)(kPages - 1 - i), 0));
  for (int i = 0; i < kPages; ++i)
    CHECK(buf[(long)i * page] == kPages - i, "remapped in reverse: page %d shows page %d", i,
          buf[(long)i * page] - 1);
}

CONFORMANCE_MAIN
