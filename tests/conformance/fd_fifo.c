// A named FIFO between a parent (reader) and a child (writer), with data waiting in it.
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "conformance.h"

static int rd;
static pid_t child;

static void setup(void) {
  SYS(mkfifo(scratch("fifo"), 0600));
  rd = SYS(open(scratch("fifo"), O_RDONLY | O_NONBLOCK));
  child = fork();
  if (child == 0) {
    int w = open(scratch("fifo"), O_WRONLY);
    if (w < 0 || write(w, "hello through a fifo", 20) != 20) _exit(3);
    while (!conformance_done()) sleep_ms(20);
    if (write(w, "!", 1) != 1) _exit(4);
    _exit(0);
  }
  while (1) {
    int n = 0;
    if (ioctl(rd, FIONREAD, &n) == 0 && n >= 20) break;
    sleep_ms(5);
  }
}

static void tick(void) {}

static void finish(void) {
  char buf[32] = {0};
  CHECK(read(rd, buf, 20) == 20 && strcmp(buf, "hello through a fifo") == 0, "fifo data: %s", buf);
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer ended %d",
        st);
  fcntl(rd, F_SETFL, 0);
  CHECK(read(rd, buf, 1) == 1 && buf[0] == '!', "the writer's last byte");
}

CONFORMANCE_MAIN
