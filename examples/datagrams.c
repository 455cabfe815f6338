// datagrams [messages] [delay_ms]
//
// Datagram sockets between three processes. A forked child sends numbered, checksummed
// datagrams over a Unix datagram socket pair faster than the parent reads them, so some are
// always queued. A second child asks the parent over UDP (127.0.0.1, a port the parent bound)
// for an acknowledgement of each number, asking again every 200 ms until it comes: UDP may lose
// a datagram, the exchange does not. For each number the parent reads the next Unix datagram,
// checks it, waits for the UDP request, answers it, and prints one line; then a summary.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
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

static ssize_t recv_retry(int fd, char *buf, size_t cap, struct sockaddr_in *from) {
  socklen_t len = sizeof *from;
  for (;;) {
    ssize_t n = from ? recvfrom(fd, buf, cap - 1, 0, (struct sockaddr *)from, &len)
                     : recv(fd, buf, cap - 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n >= 0) buf[n] = 0;
    return n;
  }
}

static void unix_sender(int s, int count, long delay) {
  char msg[64];
  for (int k = 1; k <= count; k++) {
    int n = snprintf(msg, sizeof msg, "dgram %d %08x", k, checksum(k));
    while (send(s, msg, (size_t)n, 0) != n)
      if (errno != EINTR) _exit(3);
    sleep_ms(delay / 3);
  }
  _exit(0);
}

static void udp_asker(const struct sockaddr_in *parent, int count) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0 || connect(s, (const struct sockaddr *)parent, sizeof *parent) != 0) _exit(2);
  char msg[64], reply[64];
  for (int k = 1; k <= count; k++) {
    int n = snprintf(msg, sizeof msg, "req %d", k);
    for (int acked = 0; !acked;) {
      send(s, msg, (size_t)n, 0);  // ECONNREFUSED while the parent is away: ask again
      struct pollfd p = {s, POLLIN, 0};
      long waited = 0;
      while (!acked && waited < 200) {
        if (poll(&p, 1, 50) > 0) {
          int got = 0;
          if (recv_retry(s, reply, sizeof reply, NULL) > 0 && sscanf(reply, "ack %d", &got) == 1 &&
              got == k)
            acked = 1;
        }
        waited += 50;
      }
    }
  }
  _exit(0);
}

int main(int argc, char **argv) {
  int count = argc > 1 ? atoi(argv[1]) : 100;
  long delay = argc > 2 ? atol(argv[2]) : 30;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) return 2;
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  if (u < 0 || bind(u, (struct sockaddr *)&addr, len) != 0 ||
      getsockname(u, (struct sockaddr *)&addr, &len) != 0)
    return 2;
  pid_t sender = fork();
  if (sender == 0) {
    close(sv[0]);
    unix_sender(sv[1], count, delay);
  }
  pid_t asker = fork();
  if (asker == 0) udp_asker(&addr, count);
  if (sender < 0 || asker < 0) return 2;
  close(sv[1]);
  int errors = 0;
  char buf[128];
  for (int k = 1; k <= count; k++) {
    int got = 0;
    unsigned sum = 0;
    if (recv_retry(sv[0], buf, sizeof buf, NULL) <= 0) {
      printf("datagrams ended before %d\n", k);
      return 3;
    }
    char dgram[128];
    snprintf(dgram, sizeof dgram, "%s", buf);
    int ok = sscanf(dgram, "dgram %d %x", &got, &sum) == 2 && got == k && sum == checksum(k);
    errors += !ok;
    // The request for k (an earlier one again if our answer was lost: answer it again).
    for (;;) {
      struct sockaddr_in from;
      if (recv_retry(u, buf, sizeof buf, &from) <= 0) continue;
      if (sscanf(buf, "req %d", &got) != 1 || got > k) continue;
      char ack[32];
      int n = snprintf(ack, sizeof ack, "ack %d", got);
      sendto(u, ack, (size_t)n, 0, (struct sockaddr *)&from, sizeof from);
      if (got == k) break;
    }
    if (ok)
      printf("message %d ok, request %d answered\n", k, k);
    else
      printf("message %d WRONG (got \"%s\"), request %d answered\n", k, dgram, k);
    fflush(stdout);
    sleep_ms(delay);
  }
  int st1, st2;
  while (waitpid(sender, &st1, 0) < 0 && errno == EINTR) {
  }
  while (waitpid(asker, &st2, 0) < 0 && errno == EINTR) {
  }
  printf("%d datagrams, %d errors, children exit %d %d\n", count, errors,
         WIFEXITED(st1) ? WEXITSTATUS(st1) : -1, WIFEXITED(st2) ? WEXITSTATUS(st2) : -1);
  return errors ? 1 : 0;
}
