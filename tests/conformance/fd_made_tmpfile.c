// Temporary files named by path only, like a compiler driver's /tmp/cc*.s between its passes:
// each tick checks the file the last tick made (by path: no descriptor is open on it), removes
// it and makes the next one, with mkstemp, open(O_CREAT) or fopen in turn. The run that goes on
// after a checkpoint removes the file the checkpoint saw; a restart must bring it back.
#include <glob.h>

#include "conformance.h"

static char path[64];
static long made;

static void make_next(void) {
  char text[64];
  snprintf(text, sizeof text, "temporary file %ld\n", made);
  snprintf(path, sizeof path, "/tmp/conformance-made-%d-XXXXXX", getpid());
  switch (made % 3) {
    case 0: {
      int fd = SYS(mkstemp(path));
      CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
      close(fd);
      break;
    }
    case 1: {
      snprintf(path, sizeof path, "/tmp/conformance-made-%d-%ld", getpid(), made);
      int fd = SYS(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640));
      CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
      close(fd);
      break;
    }
    default: {
      snprintf(path, sizeof path, "/tmp/conformance-made-%d-%ld.f", getpid(), made);
      FILE *f = fopen(path, "w");
      CHECK(f != NULL, "fopen %s: %s", path, strerror(errno));
      fputs(text, f);
      fclose(f);
    }
  }
}

static void check_and_remove(void) {
  char want[64], got[64] = "";
  snprintf(want, sizeof want, "temporary file %ld\n", made);
  FILE *f = fopen(path, "r");
  CHECK(f != NULL, "the temporary file %s (number %ld) is gone: %s", path, made, strerror(errno));
  CHECK(fgets(got, sizeof got, f) != NULL && strcmp(got, want) == 0, "%s holds '%s'", path, got);
  fclose(f);
  SYS(unlink(path));
  made++;
}

static void setup(void) { make_next(); }

static void tick(void) {
  check_and_remove();
  make_next();
}

static void finish(void) {
  check_and_remove();
  CHECK(made > 10, "only %ld files made", made);
  // What the killed runs had made last.
  char pattern[64];
  glob_t g;
  snprintf(pattern, sizeof pattern, "/tmp/conformance-made-%d-*", getpid());
  if (glob(pattern, 0, NULL, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; i++) unlink(g.gl_pathv[i]);
    globfree(&g);
  }
}

CONFORMANCE_MAIN
