// A TCP connection on 127.0.0.1 whose two ends this process holds, with 200 kB waiting in each
// direction: the data comes back in order, and the connection works on.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "conformance.h"

static int a, b;
static char data[200000];

static int read_all(int fd, char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = recv(fd, buf + got, n - got, 0);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

static void setup(void) {
  for (int i = 0; i < (int)sizeof data; i++) data[i] = (char)(i * 31);
  int l = SYS(socket(AF_INET, SOCK_STREAM, 0));
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  SYS(bind(l, (struct sockaddr *)&sa, sizeof sa));
  SYS(listen(l, 1));
  SYS(getsockname(l, (struct sockaddr *)&sa, &len));
  a = SYS(socket(AF_INET, SOCK_STREAM, 0));
  SYS(connect(a, (struct sockaddr *)&sa, sizeof sa));
  b = SYS(accept(l, NULL, NULL));
  close(l);
  fcntl(a, F_SETFL, O_NONBLOCK);
  fcntl(b, F_SETFL, O_NONBLOCK);
  size_t wa = 0, wb = 0;
  for (int i = 0; i < 1000 && (wa < sizeof data || wb < sizeof data); i++) {
    ssize_t r = send(a, data + wa, sizeof data - wa, 0);
    if (r > 0) wa += (size_t)r;
    r = send(b, data + wb, sizeof data - wb, 0);
    if (r > 0) wb += (size_t)r;
    if (wa < sizeof data || wb < sizeof data) sleep_ms(1);
  }
  CHECK(wa == sizeof data && wb == sizeof data, "could not queue the data");
  fcntl(a, F_SETFL, 0);
  fcntl(b, F_SETFL, 0);
}

static void tick(void) {}

static void finish(void) {
  static char got[sizeof data];
  CHECK(read_all(b, got, sizeof got) == 0 && memcmp(got, data, sizeof data) == 0, "a->b data");
  CHECK(read_all(a, got, sizeof got) == 0 && memcmp(got, data, sizeof data) == 0, "b->a data");
  CHECK(send(a, "end", 3, 0) == 3 && read_all(b, got, 3) == 0 && memcmp(got, "end", 3) == 0,
        "the connection does not work on");
}

CONFORMANCE_MAIN
