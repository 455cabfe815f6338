// Files the program holds POSIX record locks on, saved with each checkpoint by the two options
// that save files the program changes: --checkpoint-open-files (a database open for reading and
// writing, a write-only log) and --checkpoint-folder (the folder they are in, and a file there the
// program has no descriptor on). Saving must not drop the locks (locked_files.h checks them and
// the contents from another process); at restart the files go back to the checkpoint, with their
// locks.
// LAUNCH-ARGS: --checkpoint-open-files --checkpoint-folder saved
// MKDIR: saved
// FORKED-IN-PLACE
#include <sys/stat.h>

#include "locked_files.h"

static struct locked_file files[] = {
    {.name = "db", .flags = O_RDWR, .size = (2 << 20) + 512, .lock_type = F_WRLCK, .lock_len = 512},
    {.name = "log",
     .flags = O_WRONLY,
     .size = 100 << 10,
     .lock_type = F_WRLCK,
     .lock_start = 8,
     .lock_len = 0},
};
#define NFILES (int)(sizeof files / sizeof files[0])

static long ticks;

static void setup(void) {
  char prefix[512];
  snprintf(prefix, sizeof prefix, "%s/", scratch("saved"));
  locked_setup(files, NFILES, prefix);
  int o = SYS(open(scratch("saved/notes"), O_WRONLY | O_CREAT | O_TRUNC, 0600));
  CHECK(write(o, "notes\n", 6) == 6, "write notes");
  close(o);
}

static void tick(void) { locked_tick(files, NFILES, ++ticks); }

static void finish(void) { locked_finish(files, NFILES); }

CONFORMANCE_MAIN
