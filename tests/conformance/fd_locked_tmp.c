// Files in the node's temporary folders that the program holds POSIX record locks on (a job's
// lock files): a small one and one larger than 1 MiB, each open only for writing, and a large one
// open for reading and writing (locked_files.h checks the locks and contents from another
// process). After each kill the driver removes the files, as on a node the restart has never
// seen: the restart must make them again with their contents, and take the locks again.
// AFTER-KILL-REMOVE: /tmp/conformance-locked-{pid}-*
// FORKED-IN-PLACE
#include "locked_files.h"

static struct locked_file files[] = {
    {.name = "small", .flags = O_WRONLY, .size = 64 << 10, .lock_type = F_WRLCK, .lock_len = 100},
    {.name = "large", .flags = O_WRONLY, .size = (3 << 20) + 4096, .lock_type = F_WRLCK},
    {.name = "largerw",
     .flags = O_RDWR,
     .size = 2 << 20,
     .lock_type = F_RDLCK,
     .lock_start = 4096,
     .lock_len = 8192},
};
#define NFILES (int)(sizeof files / sizeof files[0])

static long ticks;

static void setup(void) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "/tmp/conformance-locked-%d-", getpid());
  locked_setup(files, NFILES, prefix);
}

static void tick(void) { locked_tick(files, NFILES, ++ticks); }

static void finish(void) { locked_finish(files, NFILES); }

CONFORMANCE_MAIN
