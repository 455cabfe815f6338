// A TCP socket listening on a port of 127.0.0.1: after restarts it listens on the same port and
// accepts a new connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "conformance.h"

static int l;
static struct sockaddr_in sa;

static void setup(void) {
  l = SYS(socket(AF_INET, SOCK_STREAM, 0));
  int one = 1;
  SYS(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  SYS(bind(l, (struct sockaddr *)&sa, sizeof sa));
  SYS(listen(l, 8));
  SYS(getsockname(l, (struct sockaddr *)&sa, &len));
}

static void tick(void) {}

static void finish(void) {
  struct sockaddr_in now;
  socklen_t len = sizeof now;
  SYS(getsockname(l, (struct sockaddr *)&now, &len));
  CHECK(now.sin_port == sa.sin_port, "port %d became %d", ntohs(sa.sin_port), ntohs(now.sin_port));
  int c = SYS(socket(AF_INET, SOCK_STREAM, 0));
  SYS(connect(c, (struct sockaddr *)&sa, sizeof sa));
  int s = SYS(accept(l, NULL, NULL));
  CHECK(send(c, "hi", 2, 0) == 2, "send");
  char buf[4] = {0};
  CHECK(recv(s, buf, 2, 0) == 2 && strcmp(buf, "hi") == 0, "recv");
}

CONFORMANCE_MAIN
