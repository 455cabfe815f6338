// Unlinked files larger than a descriptor's record holds, any size: 40 MiB of random data with a
// hole in the middle (held read-write, the offset at its end), and a 3 MiB one held write-only
// through a second descriptor that shares it. Their contents, sizes and offsets come back; they
// stay unlinked, and the program goes on appending to the large one after each restart.
// FORKED-IN-PLACE: a forked writer would read the large file while the program changes it.
#include "conformance.h"

enum {
  kMiB = 1 << 20,
  kLarge = 40 * kMiB,
  kHoleAt = 16 * kMiB,
  kHole = 4 * kMiB,
  kSmall = 3 * kMiB
};

static int big, small_w, small_r;
static uint64_t big_sum, small_sum;
static long appended;

static void fill(unsigned char *p, size_t n, uint64_t seed) {
  uint64_t x = seed;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    p[i] = (unsigned char)x;
  }
}

static uint64_t file_sum(int fd, off_t size) {
  unsigned char *p = malloc((size_t)size);
  CHECK(p != NULL, "malloc");
  CHECK(pread(fd, p, (size_t)size, 0) == size, "pread of %lld bytes", (long long)size);
  uint64_t s = checksum(p, (size_t)size);
  free(p);
  return s;
}

static void setup(void) {
  unsigned char *p = calloc(1, kLarge);
  CHECK(p != NULL, "calloc");
  fill(p, kHoleAt, 1);
  fill(p + kHoleAt + kHole, kLarge - kHoleAt - kHole, 2);
  big = SYS(open(scratch("big.dat"), O_RDWR | O_CREAT | O_TRUNC, 0600));
  CHECK(write(big, p, kHoleAt) == kHoleAt, "write");
  SYS(lseek(big, kHoleAt + kHole, SEEK_SET));
  CHECK(write(big, p + kHoleAt + kHole, kLarge - kHoleAt - kHole) == kLarge - kHoleAt - kHole,
        "write");
  big_sum = checksum(p, kLarge);
  SYS(unlink(scratch("big.dat")));
  fill(p, kSmall, 3);
  small_w = SYS(open(scratch("small.dat"), O_WRONLY | O_CREAT | O_TRUNC, 0600));
  CHECK(write(small_w, p, kSmall) == kSmall, "write");
  small_r = SYS(open(scratch("small.dat"), O_RDONLY));
  small_sum = checksum(p, kSmall);
  SYS(unlink(scratch("small.dat")));
  free(p);
}

// A line appended now and then: the file goes on growing, at its own offset.
static void tick(void) {
  if (++appended % 10) return;
  CHECK(write(big, "tick\n", 5) == 5, "append");
}

static void finish(void) {
  struct stat st;
  SYS(fstat(big, &st));
  CHECK(st.st_nlink == 0 && st.st_size == kLarge + 5 * (appended / 10),
        "the large file: %ld links, %lld bytes, expected %lld", (long)st.st_nlink,
        (long long)st.st_size, (long long)(kLarge + 5 * (appended / 10)));
  CHECK(lseek(big, 0, SEEK_CUR) == st.st_size, "the large file's offset is not at its end");
  CHECK(file_sum(big, kLarge) == big_sum, "the large file's first %d bytes changed", kLarge);
  SYS(fstat(small_w, &st));
  CHECK(st.st_nlink == 0 && st.st_size == kSmall, "the write-only file: %lld bytes",
        (long long)st.st_size);
  CHECK(lseek(small_w, 0, SEEK_CUR) == kSmall, "the write-only file's offset");
  CHECK(file_sum(small_r, kSmall) == small_sum, "the write-only file's contents changed");
  struct stat a, b;
  SYS(fstat(small_w, &a));
  SYS(fstat(small_r, &b));
  CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "the two descriptors of one file differ");
  CHECK(access(scratch("big.dat"), F_OK) != 0 && access(scratch("small.dat"), F_OK) != 0,
        "a name came back");
  printf("%d MiB and %d MiB unlinked files came back\n", kLarge / kMiB, kSmall / kMiB);
}

CONFORMANCE_MAIN
