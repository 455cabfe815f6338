// tcp_stream [-6] [messages] [delay_ms] [filler_bytes]
// tcp_stream recv PORT [messages] [delay_ms]
// tcp_stream send HOST PORT [messages] [delay_ms]
//
// A numbered, checksummed message stream over TCP. The sender writes three times faster than the
// receiver reads, so data is always waiting in the connection. The receiver checks every message
// (number in sequence, checksum right) and prints one line per message, then a summary.
// Without a mode, the parent listens on 127.0.0.1 (-6: ::1) and a forked child sends; "recv"
// listens on every address at PORT and "send" connects to HOST:PORT (retrying until it listens),
// for ends on two hosts.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
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

// Bytes of filler in each message (the last argument of the fork mode): with a large filler the
// sender fills the receiver's window and its own send buffer.
static long pad;

static char pad_byte(int k, long i) { return (char)('a' + (k + i) % 26); }

static int read_line(FILE *in, char *buf, size_t cap) {
  if (!fgets(buf, (int)cap, in)) return 0;
  return 1;
}

static void send_all(int c, int count, long delay) {
  char *msg = malloc((size_t)pad + 64);
  if (!msg) _exit(2);
  for (int k = 1; k <= count; k++) {
    int n = snprintf(msg, 64, "msg %d %08x ", k, checksum(k));
    for (long i = 0; i < pad; i++) msg[n++] = pad_byte(k, i);
    msg[n++] = '\n';
    for (int off = 0; off < n;) {
      ssize_t w = send(c, msg + off, (size_t)(n - off), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) _exit(3);
      off += (int)w;
    }
    sleep_ms(delay / 3);
  }
  free(msg);
  close(c);
}

// Returns the number of bad messages, or -1 if the stream ended early.
static int receive_all(int s, int count, long delay) {
  int errors = 0;
  size_t cap = (size_t)pad + 64;
  char *line = malloc(cap);
  FILE *in = fdopen(s, "r");
  if (!line || !in) return -1;
  for (int k = 1; k <= count; k++) {
    if (!read_line(in, line, cap)) {
      printf("stream ended before message %d\n", k);
      return -1;
    }
    int got = 0, used = 0;
    unsigned sum = 0;
    int ok = sscanf(line, "msg %d %x%n", &got, &sum, &used) == 2 && got == k && sum == checksum(k);
    ok = ok && line[used++] == ' ';
    for (long i = 0; ok && i < pad; i++) ok = line[used + i] == pad_byte(k, i);
    ok = ok && line[used + pad] == '\n';
    errors += !ok;
    printf("message %d %s\n", k, ok ? "ok" : "WRONG");
    fflush(stdout);
    sleep_ms(delay);
  }
  return errors;
}

static int listen_on(int family, const char *port, struct sockaddr_storage *addr, socklen_t *len) {
  int l = socket(family, SOCK_STREAM, 0);
  int one = 1;
  memset(addr, 0, sizeof *addr);
  if (family == AF_INET6) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
    a6->sin6_family = AF_INET6;
    a6->sin6_addr = port ? in6addr_any : in6addr_loopback;
    a6->sin6_port = htons(port ? atoi(port) : 0);
    *len = sizeof *a6;
  } else {
    struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
    a4->sin_family = AF_INET;
    a4->sin_addr.s_addr = htonl(port ? INADDR_ANY : INADDR_LOOPBACK);
    a4->sin_port = htons(port ? atoi(port) : 0);
    *len = sizeof *a4;
  }
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (l < 0 || bind(l, (struct sockaddr *)addr, *len) != 0 || listen(l, 1) != 0 ||
      getsockname(l, (struct sockaddr *)addr, len) != 0)
    return -1;
  return l;
}

static int connect_to(const char *host, const char *port) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
  for (int tries = 0; tries < 300; tries++, sleep_ms(100)) {
    if (getaddrinfo(host, port, &hints, &res) != 0) continue;
    int c = socket(res->ai_family, SOCK_STREAM, 0);
    int ok = c >= 0 && connect(c, res->ai_addr, res->ai_addrlen) == 0;
    freeaddrinfo(res);
    if (ok) return c;
    if (c >= 0) close(c);
  }
  return -1;
}

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "recv") == 0) {
    int count = argc > 3 ? atoi(argv[3]) : 100;
    long delay = argc > 4 ? atol(argv[4]) : 30;
    struct sockaddr_storage addr;
    socklen_t len;
    int l = listen_on(AF_INET, argv[2], &addr, &len);
    int s = l < 0 ? -1 : accept(l, NULL, NULL);
    if (s < 0) return 2;
    int errors = receive_all(s, count, delay);
    if (errors < 0) return 3;
    printf("received %d messages, %d errors\n", count, errors);
    return errors ? 1 : 0;
  }
  if (argc > 3 && strcmp(argv[1], "send") == 0) {
    int c = connect_to(argv[2], argv[3]);
    if (c < 0) return 2;
    send_all(c, argc > 4 ? atoi(argv[4]) : 100, argc > 5 ? atol(argv[5]) : 30);
    return 0;
  }
  int family = AF_INET;
  if (argc > 1 && strcmp(argv[1], "-6") == 0) {
    family = AF_INET6;
    argv++;
    argc--;
  }
  int count = argc > 1 ? atoi(argv[1]) : 100;
  long delay = argc > 2 ? atol(argv[2]) : 30;
  pad = argc > 3 ? atol(argv[3]) : 0;
  struct sockaddr_storage addr;
  socklen_t len;
  int l = listen_on(family, NULL, &addr, &len);
  if (l < 0) return 2;
  pid_t pid = fork();
  if (pid < 0) return 2;
  if (pid == 0) {
    int c = socket(family, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&addr, len) != 0) _exit(2);
    send_all(c, count, delay);
    _exit(0);
  }
  int s = accept(l, NULL, NULL);
  if (s < 0) return 2;
  int errors = receive_all(s, count, delay);
  if (errors < 0) return 3;
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  printf("received %d messages, %d errors, sender exit %d\n", count, errors,
         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return errors ? 1 : 0;
}
