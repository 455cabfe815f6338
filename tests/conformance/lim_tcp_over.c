// More TCP connections (16,400) than a checkpoint keeps, between this process and its child:
// the checkpoint is refused with the count and the limit, never saved with some connections left
// out, and both go on using every connection.
// EXPECT-REFUSED: the process has 16[0-9]{3} TCP sockets; a checkpoint keeps at most 16384
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "conformance.h"

enum { kConns = 16400 };
static int conn[kConns];
static pid_t child;

// The child echoes one byte on each of its ends, in order, then exits 0.
static void serve(int listener) {
  for (int i = 0; i < kConns; i++) conn[i] = SYS(accept(listener, NULL, NULL));
  close(listener);
  for (int i = 0; i < kConns; i++) {
    char c;
    if (read(conn[i], &c, 1) != 1 || write(conn[i], &c, 1) != 1) _exit(1);
  }
  _exit(0);
}

static void setup(void) {
  struct rlimit rl;
  SYS(getrlimit(RLIMIT_NOFILE, &rl));
  rl.rlim_cur = rl.rlim_max;
  SYS(setrlimit(RLIMIT_NOFILE, &rl));
  CHECK(rl.rlim_cur >= kConns + 64, "RLIMIT_NOFILE's hard limit is %lu, below the %d this needs",
        (unsigned long)rl.rlim_max, kConns + 64);
  int listener = SYS(socket(AF_INET, SOCK_STREAM, 0));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  SYS(bind(listener, (struct sockaddr *)&a, sizeof a));
  SYS(listen(listener, 4096));
  SYS(getsockname(listener, (struct sockaddr *)&a, &len));
  child = SYS(fork());
  if (child == 0) serve(listener);
  close(listener);
  for (int i = 0; i < kConns; i++) {
    conn[i] = SYS(socket(AF_INET, SOCK_STREAM, 0));
    SYS(connect(conn[i], (struct sockaddr *)&a, sizeof a));
  }
}

static void tick(void) {}

static void finish(void) {
  for (int i = 0; i < kConns; i++) {
    char c = (char)i, back = 0;
    CHECK(write(conn[i], &c, 1) == 1, "connection %d: write: %s", i, strerror(errno));
    CHECK(read(conn[i], &back, 1) == 1 && back == c, "connection %d: no echo", i);
  }
  int status = 0;
  SYS(waitpid(child, &status, 0));
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child ended with status %d", status);
}

CONFORMANCE_MAIN
