// unix_server SOCKET_PATH [clients] [requests] [delay_ms]
//
// A Unix-domain socket server with several clients: the server listens on SOCKET_PATH and forks
// the clients, which connect, then send numbered requests and wait for each answer. The server
// accepts them all and serves them in turn (so its output is deterministic), checking every
// request, and prints one line per request, then a summary after waiting for the clients.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kMaxClients = 8 };

static void sleep_ms(long ms) {
  struct timespec req = {ms / 1000, (ms % 1000) * 1000000L}, rem;
  while (nanosleep(&req, &rem) == -1 && errno == EINTR) req = rem;
}

static int read_line(int fd, char *buf, size_t cap) {
  size_t n = 0;
  while (n + 1 < cap) {
    ssize_t r = read(fd, buf + n, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    if (buf[n++] == '\n') break;
  }
  buf[n] = 0;
  return 1;
}

static int send_line(int fd, const char *s) {
  size_t len = strlen(s);
  return send(fd, s, len, MSG_NOSIGNAL) == (ssize_t)len;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int clients = argc > 2 ? atoi(argv[2]) : 3;
  int requests = argc > 3 ? atoi(argv[3]) : 40;
  long delay = argc > 4 ? atol(argv[4]) : 30;
  if (clients < 1 || clients > kMaxClients) return 2;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
  unlink(addr.sun_path);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(l, 16) != 0) return 2;
  pid_t pids[kMaxClients];
  for (int i = 0; i < clients; i++) {
    pids[i] = fork();
    if (pids[i] < 0) return 2;
    if (pids[i] == 0) {
      close(l);
      int c = socket(AF_UNIX, SOCK_STREAM, 0);
      if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof addr) != 0) _exit(2);
      char msg[64], line[64];
      snprintf(msg, sizeof msg, "hello %d\n", i);
      if (!send_line(c, msg)) _exit(3);
      for (int k = 1; k <= requests; k++) {
        snprintf(msg, sizeof msg, "request %d %d\n", i, k);
        if (!send_line(c, msg) || !read_line(c, line, sizeof line)) _exit(3);
        snprintf(msg, sizeof msg, "answer %d %d\n", i, k * k);
        if (strcmp(line, msg) != 0) _exit(4);
      }
      _exit(0);
    }
  }
  // Accept everyone, then serve the clients in their order.
  int conn[kMaxClients];
  for (int n = 0; n < clients; n++) {
    int s = accept(l, NULL, NULL);
    char line[64];
    int who = -1;
    if (s < 0 || !read_line(s, line, sizeof line) || sscanf(line, "hello %d", &who) != 1 ||
        who < 0 || who >= clients)
      return 3;
    conn[who] = s;
  }
  int errors = 0;
  for (int k = 1; k <= requests; k++) {
    for (int i = 0; i < clients; i++) {
      char line[64], msg[64];
      int ci = -1, ck = -1;
      if (!read_line(conn[i], line, sizeof line)) {
        printf("lost client %d at request %d\n", i, k);
        return 3;
      }
      int ok = sscanf(line, "request %d %d", &ci, &ck) == 2 && ci == i && ck == k;
      errors += !ok;
      printf("client %d request %d %s\n", i, k, ok ? "ok" : "WRONG");
      fflush(stdout);
      snprintf(msg, sizeof msg, "answer %d %d\n", i, k * k);
      if (!send_line(conn[i], msg)) return 3;
    }
    sleep_ms(delay);
  }
  int failed = 0;
  for (int i = 0; i < clients; i++) {
    int st;
    while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR) {
    }
    failed += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  printf("served %d clients, %d errors, %d clients failed\n", clients, errors, failed);
  unlink(addr.sun_path);
  return errors || failed;
}
