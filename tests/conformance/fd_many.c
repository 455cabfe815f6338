// 3,000 descriptors: 1,000 files (each at its own offset), 1,000 pipes.
#include <sys/resource.h>

#include "conformance.h"

enum { kFiles = 1000, kPipes = 1000 };
static int files[kFiles], pipes[kPipes][2];

static void setup(void) {
  struct rlimit rl = {4096, 4096};
  SYS(setrlimit(RLIMIT_NOFILE, &rl));
  for (int i = 0; i < kFiles; i++) {
    char name[32];
    snprintf(name, sizeof name, "f%d", i % 10);
    files[i] = SYS(open(scratch(name), O_RDWR | O_CREAT, 0600));
    if (i < 10) CHECK(ftruncate(files[i], 2000) == 0, "ftruncate");
    SYS(lseek(files[i], i, SEEK_SET));
  }
  for (int i = 0; i < kPipes; i++) {
    SYS(pipe(pipes[i]));
    CHECK(write(pipes[i][1], &i, sizeof i) == sizeof i, "write");
  }
}

static void tick(void) {}

static void finish(void) {
  for (int i = 0; i < kFiles; i++)
    CHECK(lseek(files[i], 0, SEEK_CUR) == i, "file %d: offset %ld", i,
          (long)lseek(files[i], 0, SEEK_CUR));
  for (int i = 0; i < kPipes; i++) {
    int v = -1;
    CHECK(read(pipes[i][0], &v, sizeof v) == sizeof v && v == i, "pipe %d holds %d", i, v);
  }
}

CONFORMANCE_MAIN
