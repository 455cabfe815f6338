// tcp_stream [messages] [delay_ms]
//
// Two processes exchange a numbered, checksummed message stream over TCP on 127.0.0.1: the
// parent listens, a forked child connects and sends messages three times faster than the parent
// reads them, so data is always waiting in the connection. The parent checks every message
// (number in sequence, checksum right) and prints one line per message, then a summary.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms) {
  struct timespec req = {ms / 1000, (ms % 1000) * 1000000L}, rem;
  while (nanosleep(&req, &rem) == -1 && errno == EINTR) req = rem;
}

static uint32_t checksum(int k) {
  uint32_t h = 2166136261u;
  for (int i = 0; i < 4; i++) h = (h ^ (uint32_t)((k >> (8 * i)) & 0xff)) * 16777619u;
  return h;
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

int main(int argc, char **argv) {
  int count = argc > 1 ? atoi(argv[1]) : 100;
  long delay = argc > 2 ? atol(argv[2]) : 30;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  if (l < 0 || bind(l, (struct sockaddr *)&addr, len) != 0 || listen(l, 1) != 0 ||
      getsockname(l, (struct sockaddr *)&addr, &len) != 0)
    return 2;
  pid_t pid = fork();
  if (pid < 0) return 2;
  if (pid == 0) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&addr, len) != 0) _exit(2);
    char msg[64];
    for (int k = 1; k <= count; k++) {
      int n = snprintf(msg, sizeof msg, "msg %d %08x\n", k, checksum(k));
      if (send(c, msg, (size_t)n, MSG_NOSIGNAL) != n) _exit(3);
      sleep_ms(delay / 3);
    }
    close(c);
    _exit(0);
  }
  int s = accept(l, NULL, NULL);
  if (s < 0) return 2;
  int errors = 0;
  char line[64];
  for (int k = 1; k <= count; k++) {
    if (!read_line(s, line, sizeof line)) {
      printf("stream ended before message %d\n", k);
      return 3;
    }
    int got = 0;
    unsigned sum = 0;
    int ok = sscanf(line, "msg %d %x", &got, &sum) == 2 && got == k && sum == checksum(k);
    errors += !ok;
    printf("message %d %s\n", k, ok ? "ok" : "WRONG");
    fflush(stdout);
    sleep_ms(delay);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  printf("received %d messages, %d errors, sender exit %d\n", count, errors,
         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return errors ? 1 : 0;
}
