// A Unix socket listening on a path: after restarts a client connects and is accepted.
#include <sys/socket.h>
#include <sys/un.h>

#include "conformance.h"

static int l;
static struct sockaddr_un a;

static void setup(void) {
  a.sun_family = AF_UNIX;
  snprintf(a.sun_path, sizeof a.sun_path, "%s", scratch("sock"));
  l = SYS(socket(AF_UNIX, SOCK_STREAM, 0));
  SYS(bind(l, (struct sockaddr *)&a, sizeof a));
  SYS(listen(l, 4));
}

static void tick(void) {}

static void finish(void) {
  int c = SYS(socket(AF_UNIX, SOCK_STREAM, 0));
  SYS(connect(c, (struct sockaddr *)&a, sizeof a));
  int s = SYS(accept(l, NULL, NULL));
  CHECK(write(c, "ping", 4) == 4, "write");
  char buf[8] = {0};
  CHECK(read(s, buf, 4) == 4 && strcmp(buf, "ping") == 0, "read");
}

CONFORMANCE_MAIN
