// A Unix stream socketpair between a parent and a child, with data waiting in both directions.
#include <sys/socket.h>
#include <sys/wait.h>

#include "conformance.h"

static int sv[2];
static pid_t child;

static void setup(void) {
  SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  child = fork();
  if (child == 0) {
    close(sv[0]);
    if (write(sv[1], "to parent", 9) != 9) _exit(3);
    char buf[16] = {0};
    while (!conformance_done()) sleep_ms(20);
    if (read(sv[1], buf, 9) != 9 || strcmp(buf, "to child!") != 0) _exit(4);
    _exit(0);
  }
  close(sv[1]);
  CHECK(write(sv[0], "to child!", 9) == 9, "write");
  sleep_ms(50);
}

static void tick(void) {}

static void finish(void) {
  char buf[16] = {0};
  CHECK(read(sv[0], buf, 9) == 9 && strcmp(buf, "to parent") == 0, "parent read: %s", buf);
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "the child's end lost its data (status %d)", st);
}

CONFORMANCE_MAIN
