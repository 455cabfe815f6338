// Files larger than 1 MiB in the node's temporary folders, which a restart on another node does
// not find: one kept open for reading and writing (its offset, and 8-byte slots the ticks update
// in place), one made and closed, named again by path only, and one made, closed and opened again
// for reading (sort's temporary files as it merges them). After each kill the driver
// removes both, as on a node the restart has never seen; the restart must make them again with
// the contents they had at the checkpoint (a hole in the first stays zeros).
// AFTER-KILL-REMOVE: /tmp/conformance-nodelocal-{pid}-*
// FORKED-IN-PLACE
#include "conformance.h"

#define OPEN_SIZE (5L << 20)
#define HOLE_START (2L << 20)
#define HOLE_END (3L << 20)
#define MADE_SIZE ((3L << 20) + 100)
#define BACK_SIZE ((2L << 20) + 10)
#define BACK_OFFSET ((1L << 20) + 7)
#define SLOTS 64
#define SLOT_OFF(k) ((long)(k)*65536 + 24)
#define OFFSET 12345

static char open_path[96], made_path[96], back_path[96];
static int fd, back_fd;
static long ticks;
static uint64_t expected[SLOTS];

static unsigned char pattern(long off, unsigned salt) {
  return (unsigned char)(((uint64_t)off * 2654435761u + salt) >> 11);
}

static void fill(char *buf, long start, long n, unsigned salt) {
  for (long i = 0; i < n; i++) buf[i] = (char)pattern(start + i, salt);
}

static void write_file(int f, long size, unsigned salt, long hole_start, long hole_end) {
  static char buf[1 << 16];
  for (long at = 0; at < size; at += (long)sizeof buf) {
    long n = size - at < (long)sizeof buf ? size - at : (long)sizeof buf;
    if (at >= hole_start && at < hole_end) continue;  // left unwritten: a hole of zeros
    fill(buf, at, n, salt);
    CHECK(pwrite(f, buf, n, at) == n, "pwrite: %s", strerror(errno));
  }
  CHECK(ftruncate(f, size) == 0, "ftruncate: %s", strerror(errno));
}

static void setup(void) {
  snprintf(open_path, sizeof open_path, "/tmp/conformance-nodelocal-%d-open", getpid());
  snprintf(made_path, sizeof made_path, "/tmp/conformance-nodelocal-%d-made", getpid());
  fd = SYS(open(open_path, O_RDWR | O_CREAT | O_TRUNC, 0640));
  write_file(fd, OPEN_SIZE, 1, HOLE_START, HOLE_END);
  for (int k = 0; k < SLOTS; k++) {
    expected[k] = 1000 + k;
    CHECK(pwrite(fd, &expected[k], 8, SLOT_OFF(k)) == 8, "pwrite slot");
  }
  SYS(lseek(fd, OFFSET, SEEK_SET));
  int m = SYS(open(made_path, O_WRONLY | O_CREAT | O_TRUNC, 0600));
  write_file(m, MADE_SIZE, 2, 0, 0);
  close(m);
  snprintf(back_path, sizeof back_path, "/tmp/conformance-nodelocal-%d-back", getpid());
  m = SYS(open(back_path, O_WRONLY | O_CREAT | O_TRUNC, 0600));
  write_file(m, BACK_SIZE, 3, 0, 0);
  close(m);
  back_fd = SYS(open(back_path, O_RDONLY));
  SYS(lseek(back_fd, BACK_OFFSET, SEEK_SET));
}

static void tick(void) {
  const int k = (int)(ticks % SLOTS);
  uint64_t v = 0;
  CHECK(pread(fd, &v, 8, SLOT_OFF(k)) == 8, "pread slot %d: %s", k, strerror(errno));
  CHECK(v == expected[k], "slot %d of %s holds %llu, not %llu", k, open_path, (unsigned long long)v,
        (unsigned long long)expected[k]);
  expected[k] = (uint64_t)ticks + 1000000;
  CHECK(pwrite(fd, &expected[k], 8, SLOT_OFF(k)) == 8, "pwrite slot %d", k);
  CHECK(lseek(fd, 0, SEEK_CUR) == OFFSET, "the offset of %s moved", open_path);
  // The made file, by path: a page of it.
  char got[4096], want[4096];
  const long at = (ticks * 7 * 4096) % (MADE_SIZE - 4096);
  int m = open(made_path, O_RDONLY);
  CHECK(m >= 0, "%s is gone: %s", made_path, strerror(errno));
  CHECK(pread(m, got, sizeof got, at) == (ssize_t)sizeof got, "pread %s", made_path);
  close(m);
  fill(want, at, sizeof want, 2);
  CHECK(memcmp(got, want, sizeof got) == 0, "%s differs at offset %ld", made_path, at);
  // The one read back, through its descriptor.
  const long back_at = (ticks * 5 * 4096) % (BACK_SIZE - 4096);
  CHECK(pread(back_fd, got, sizeof got, back_at) == (ssize_t)sizeof got, "pread %s: %s", back_path,
        strerror(errno));
  fill(want, back_at, sizeof want, 3);
  CHECK(memcmp(got, want, sizeof got) == 0, "%s differs at offset %ld", back_path, back_at);
  CHECK(lseek(back_fd, 0, SEEK_CUR) == BACK_OFFSET, "the offset of %s moved", back_path);
  ticks++;
}

// Every byte of the file at path: the pattern, zeros in the hole, the slots' values.
static void check_file(const char *path, long size, unsigned salt, long hole_start, long hole_end,
                       int slots) {
  int f = open(path, O_RDONLY);
  CHECK(f >= 0, "%s is gone: %s", path, strerror(errno));
  struct stat st;
  SYS(fstat(f, &st));
  CHECK(st.st_size == size, "%s has %lld bytes, not %ld", path, (long long)st.st_size, size);
  static char buf[1 << 16];
  for (long at = 0; at < size; at += (long)sizeof buf) {
    long n = size - at < (long)sizeof buf ? size - at : (long)sizeof buf;
    CHECK(pread(f, buf, n, at) == n, "pread %s", path);
    for (int k = 0; k < slots; k++)
      if (SLOT_OFF(k) >= at && SLOT_OFF(k) < at + n) {
        uint64_t v;
        memcpy(&v, buf + SLOT_OFF(k) - at, 8);
        CHECK(v == expected[k], "slot %d of %s holds %llu at the end", k, path,
              (unsigned long long)v);
        memset(buf + SLOT_OFF(k) - at, 0, 8);
      }
    for (long i = 0; i < n; i++) {
      const long off = at + i;
      if ((unsigned char)buf[i] == (off >= hole_start && off < hole_end ? 0 : pattern(off, salt)))
        continue;
      int in_slot = 0;  // zeroed above
      for (int k = 0; k < slots && !in_slot; k++)
        in_slot = off >= SLOT_OFF(k) && off < SLOT_OFF(k) + 8 && buf[i] == 0;
      CHECK(in_slot, "%s differs at offset %ld", path, off);
    }
  }
  close(f);
}

static void finish(void) {
  CHECK(ticks > 10, "only %ld ticks", ticks);
  check_file(open_path, OPEN_SIZE, 1, HOLE_START, HOLE_END, SLOTS);
  check_file(made_path, MADE_SIZE, 2, 0, 0, 0);
  check_file(back_path, BACK_SIZE, 3, 0, 0, 0);
  unlink(open_path);
  unlink(made_path);
  unlink(back_path);
}

CONFORMANCE_MAIN
