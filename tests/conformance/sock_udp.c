// A UDP socket bound to a port of 127.0.0.1: after restarts it keeps the port and receives.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "conformance.h"

static int u;
static struct sockaddr_in sa;

static void setup(void) {
  u = SYS(socket(AF_INET, SOCK_DGRAM, 0));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  SYS(bind(u, (struct sockaddr *)&sa, sizeof sa));
  SYS(getsockname(u, (struct sockaddr *)&sa, &len));
}

static void tick(void) {}

static void finish(void) {
  int c = SYS(socket(AF_INET, SOCK_DGRAM, 0));
  CHECK(sendto(c, "dgram", 5, 0, (struct sockaddr *)&sa, sizeof sa) == 5, "sendto");
  char buf[8] = {0};
  CHECK(recv(u, buf, sizeof buf, 0) == 5 && strcmp(buf, "dgram") == 0, "recv");
}

CONFORMANCE_MAIN
