// socket_pair [rounds] [delay_ms]
//
// A parent and a forked child talk over a Unix socketpair: the parent sends "ping k", the child
// answers "pong k" and, every few rounds, sends two answers at once so that data sits in the
// socket when a checkpoint comes. The parent prints what it receives; "final <n>" at the end.
#define _GNU_SOURCE
#include <errno.h>
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

// Reads one '\n'-terminated line, byte by byte (no buffering to lose).
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

static void write_all(int fd, const char *s) {
  size_t len = strlen(s);
  while (len > 0) {
    ssize_t w = write(fd, s, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) exit(3);
    s += w;
    len -= (size_t)w;
  }
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 100;
  long delay = argc > 2 ? atol(argv[2]) : 20;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 2;
  pid_t pid = fork();
  if (pid < 0) return 2;
  char line[128], msg[128];
  if (pid == 0) {
    close(sv[0]);
    for (int k = 1; k <= rounds; k++) {
      if (!read_line(sv[1], line, sizeof line)) _exit(4);
      snprintf(msg, sizeof msg, "pong %d extra %d\n", k, k % 5 == 0);
      write_all(sv[1], msg);
    }
    _exit(0);
  }
  close(sv[1]);
  long sum = 0;
  for (int k = 1; k <= rounds; k++) {
    snprintf(msg, sizeof msg, "ping %d\n", k);
    write_all(sv[0], msg);
    sleep_ms(delay);  // the answer waits in the socket meanwhile
    if (!read_line(sv[0], line, sizeof line)) {
      printf("lost the child at round %d\n", k);
      return 3;
    }
    sum += k;
    printf("got %s", line);
    fflush(stdout);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  printf("final %ld child %d\n", sum, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
