// Output a program wrote to its terminal and the terminal's reader had not read yet at the
// checkpoint (a pty's slave side written, its master not read): after restarts the master reads
// it exactly, with the terminal's own line endings, and then what was written since.
#include <poll.h>
#include <pty.h>
#include <termios.h>

#include "conformance.h"

static int master, slave;
static const char kBefore[] = "written before the checkpoints\nand a second line\n";
static const char kBeforeSeen[] = "written before the checkpoints\r\nand a second line\r\n";

static void setup(void) {
  SYS(openpty(&master, &slave, NULL, NULL, NULL));
  CHECK(write(slave, kBefore, strlen(kBefore)) == (ssize_t)strlen(kBefore), "write to slave");
}

static void tick(void) {}

// Reads from the master until n bytes came or it stays silent for a second.
static size_t read_master(char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    struct pollfd p = {master, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0) break;
    ssize_t r = read(master, buf + got, n - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  return got;
}

static void finish(void) {
  char buf[256] = {0};
  size_t want = strlen(kBeforeSeen);
  size_t got = read_master(buf, want);
  CHECK(got == want && memcmp(buf, kBeforeSeen, want) == 0,
        "the master read %zu bytes, '%.*s', not the %zu written before the checkpoint", got,
        (int)got, buf, want);
  CHECK(write(slave, "after\n", 6) == 6, "write to slave after the restarts");
  memset(buf, 0, sizeof buf);
  got = read_master(buf, 7);
  CHECK(got == 7 && memcmp(buf, "after\r\n", 7) == 0, "then the master read '%.*s'", (int)got, buf);
}

CONFORMANCE_MAIN
