// A pseudo-terminal pair held by the process, with its settings and a line waiting in it.
#include <pty.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "conformance.h"

static int master, slave;

static void setup(void) {
  struct winsize ws = {30, 100, 0, 0};
  SYS(openpty(&master, &slave, NULL, NULL, &ws));
  struct termios t;
  SYS(tcgetattr(slave, &t));
  t.c_lflag &= ~(ECHO);
  SYS(tcsetattr(slave, TCSANOW, &t));
}

static void tick(void) {}

static void finish(void) {
  struct winsize ws;
  SYS(ioctl(slave, TIOCGWINSZ, &ws));
  CHECK(ws.ws_row == 30 && ws.ws_col == 100, "window size %dx%d", ws.ws_row, ws.ws_col);
  struct termios t;
  SYS(tcgetattr(slave, &t));
  CHECK(!(t.c_lflag & ECHO), "echo came back on");
  CHECK(write(master, "line\n", 5) == 5, "write to master");
  char buf[16] = {0};
  CHECK(read(slave, buf, sizeof buf) == 5 && strcmp(buf, "line\n") == 0, "read from slave: %s",
        buf);
}

CONFORMANCE_MAIN
