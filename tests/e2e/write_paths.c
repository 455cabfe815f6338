// write_paths STEPS DELAY_MS: changes its memory one page per step, each step by another path
// the kernel may or may not report as a write (a store, read() and pread() into the page, a write
// through /proc/self/mem, MADV_DONTNEED, a refault, mprotect, fork with copy-on-write, mremap
// away and back, munmap and mmap again, an identical rewrite), in anonymous memory, the heap, the
// main thread's stack, and memory advised MADV_HUGEPAGE. Every page's content is a function of
// its place and its version (kept in a table), so every step checks all of the memory and prints
// "MISMATCH ..." (exit 1) at the first wrong byte: after a restart from an incremental image, a
// block taken as unchanged that was not shows there. Prints "step N" every 50 steps, and at the
// end "done SUM", a sum of the versions (the same in every run of the same STEPS).
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define ANON_PAGES 4096  // 16 MiB
#define HEAP_PAGES 512   // 2 MiB
#define HUGE_PAGES 1024  // 4 MiB, MADV_HUGEPAGE
#define STACK_PAGES 32   // 128 KiB
enum { kAnon, kHeap, kHuge, kStack, kRegions };
static const int npages[kRegions] = {ANON_PAGES, HEAP_PAGES, HUGE_PAGES, STACK_PAGES};
static char *base[kRegions];
static uint32_t version[kRegions][ANON_PAGES];  // 0: the page is all zeros

static uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static void fill(uint64_t *out, int region, int page, uint32_t v) {
  uint64_t seed = ((uint64_t)region << 48) ^ ((uint64_t)page << 24) ^ v;
  for (int i = 0; i < PAGE / 8; i++) out[i] = v ? mix(seed + (uint64_t)i) : 0;
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

static void check_all(long step) {
  static uint64_t want[PAGE / 8];
  for (int r = 0; r < kRegions; r++)
    for (int p = 0; p < npages[r]; p++) {
      fill(want, r, p, version[r][p]);
      if (memcmp(want, base[r] + (size_t)p * PAGE, PAGE) != 0) {
        printf("MISMATCH at step %ld: region %d page %d (version %" PRIu32 ")\n", step, r, p,
               version[r][p]);
        fflush(stdout);
        exit(1);
      }
    }
}

// One step: page p of region r becomes version v, by path `op`.
static void change(int op, int r, int p, uint32_t v) {
  static uint64_t buf[PAGE / 8];
  char *page = base[r] + (size_t)p * PAGE;
  const int anon = r == kAnon || r == kHuge;  // may be unmapped and advised
  fill(buf, r, p, v);
  switch (anon ? op : 0) {
    case 1: {  // read() from a pipe: the kernel copies into the page
      int fds[2];
      if (pipe(fds) != 0 || write(fds[1], buf, PAGE) != PAGE || read(fds[0], page, PAGE) != PAGE)
        die("pipe");
      close(fds[0]);
      close(fds[1]);
      break;
    }
    case 2: {  // pread() from a file
      char path[] = "/tmp/write_paths.XXXXXX";
      int fd = mkstemp(path);
      if (fd < 0) die("mkstemp");
      unlink(path);
      if (pwrite(fd, buf, PAGE, 0) != PAGE || pread(fd, page, PAGE, 0) != PAGE) die("pread");
      close(fd);
      break;
    }
    case 3: {  // a write through /proc/self/mem (the kernel's access to another's memory)
      int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
      if (fd < 0 || pwrite(fd, buf, PAGE, (off_t)(uintptr_t)page) != PAGE) die("/proc/self/mem");
      close(fd);
      break;
    }
    case 4:  // dropped: zeros
      if (madvise(page, PAGE, MADV_DONTNEED) != 0) die("madvise");
      v = 0;
      break;
    case 5:  // dropped, then written again
      if (madvise(page, PAGE, MADV_DONTNEED) != 0) die("madvise");
      memcpy(page, buf, PAGE);
      break;
    case 6:  // read-only for a moment, then written
      if (mprotect(page, PAGE, PROT_READ) != 0 || mprotect(page, PAGE, PROT_READ | PROT_WRITE))
        die("mprotect");
      memcpy(page, buf, PAGE);
      break;
    case 7: {  // a child writes its copy; the parent writes after it (copy-on-write both ways)
      pid_t c = fork();
      if (c < 0) die("fork");
      if (c == 0) {
        memset(page, 0x5a, PAGE);
        _exit(0);
      }
      int st;
      if (waitpid(c, &st, 0) != c || !WIFEXITED(st)) die("waitpid");
      memcpy(page, buf, PAGE);
      break;
    }
    case 8: {  // the 64 KiB around it moved away, written there, and moved back
      char *start = base[r] + (size_t)(p & ~15) * PAGE;
      char *away = mmap(NULL, 16 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (away == MAP_FAILED) die("mmap");
      if (mremap(start, 16 * PAGE, 16 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, away) != away)
        die("mremap away");
      memcpy(away + (page - start), buf, PAGE);
      if (mremap(away, 16 * PAGE, 16 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, start) != start)
        die("mremap back");
      break;
    }
    case 9: {  // the 64 KiB around it unmapped and mapped again: zeros, then the page written
      char *start = base[r] + (size_t)(p & ~15) * PAGE;
      if (munmap(start, 16 * PAGE) != 0 ||
          mmap(start, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
               -1, 0) != start)
        die("munmap/mmap");
      if (r == kHuge) madvise(start, 16 * PAGE, MADV_HUGEPAGE);
      for (int i = 0; i < 16; i++) version[r][(p & ~15) + i] = 0;
      memcpy(page, buf, PAGE);
      break;
    }
    case 10:  // the same bytes again: written, not changed
      fill(buf, r, p, version[r][p]);
      memcpy(page, buf, PAGE);
      v = version[r][p];
      break;
    default:  // a store
      memcpy(page, buf, PAGE);
  }
  version[r][p] = v;
}

static int run(long steps, long delay_ms) {
  char stack_pages[STACK_PAGES * PAGE] __attribute__((aligned(PAGE)));
  memset(stack_pages, 0, sizeof stack_pages);
  base[kStack] = stack_pages;
  for (long s = 1; s <= steps; s++) {
    const uint64_t x = mix((uint64_t)s);
    const int r = (int)(x % kRegions);
    change((int)((x >> 8) % 11), r, (int)((x >> 16) % (uint64_t)npages[r]), (uint32_t)s);
    check_all(s);
    if (s % 50 == 0) {
      printf("step %ld\n", s);
      fflush(stdout);
    }
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  uint64_t sum = 0;
  for (int r = 0; r < kRegions; r++)
    for (int p = 0; p < npages[r]; p++) sum = mix(sum ^ version[r][p]);
  printf("done %016" PRIx64 "\n", sum);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: write_paths STEPS DELAY_MS\n");
    return 2;
  }
  base[kAnon] =
      mmap(NULL, ANON_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  base[kHuge] =
      mmap(NULL, HUGE_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  base[kHeap] = sbrk(HEAP_PAGES * PAGE + PAGE);
  if (base[kAnon] == MAP_FAILED || base[kHuge] == MAP_FAILED || base[kHeap] == (void *)-1)
    die("memory");
  base[kHeap] = (char *)(((uintptr_t)base[kHeap] + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
  madvise(base[kHuge], HUGE_PAGES * PAGE, MADV_HUGEPAGE);
  memset(base[kHeap], 0, HEAP_PAGES * PAGE);
  // Every page starts at version 1 (present, not zero).
  for (int r = 0; r < kRegions; r++)
    if (r != kStack)
      for (int p = 0; p < npages[r]; p++) change(0, r, p, 1);
  printf("anon %p\n", (void *)base[kAnon]);
  fflush(stdout);
  return run(atol(argv[1]), atol(argv[2]));
}
