// A directory stream in the middle of its listing: it goes on after restarts.
#include <dirent.h>

#include "conformance.h"

static DIR *d;
static int seen;

static void setup(void) {
  SYS(mkdir(scratch("dir"), 0700));
  for (int i = 0; i < 50; i++) {
    char name[64];
    snprintf(name, sizeof name, "dir/e%02d", i);
    close(SYS(open(scratch(name), O_CREAT | O_WRONLY, 0600)));
  }
  d = opendir(scratch("dir"));
  CHECK(d != NULL, "opendir");
  for (int i = 0; i < 20; i++) CHECK(readdir(d) != NULL, "readdir");
  seen = 20;
}

static void tick(void) {}

static void finish(void) {
  while (readdir(d)) seen++;
  CHECK(seen == 52, "the listing has %d entries, not 52", seen);
}

CONFORMANCE_MAIN
