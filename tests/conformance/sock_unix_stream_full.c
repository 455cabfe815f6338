// Unix stream sockets whose queues are full, both ways, between a parent and a child: 48
// socketpairs, each end written until the kernel takes no more (SO_SNDBUF raised), more than
// 8 MiB queued in all, and one pair with a 4 MiB buffer (SO_SNDBUFFORCE, as root) holding more
// than an image puts in a descriptor's record. After restarts every byte must arrive, in order,
// once, up to end of file.
#include <sys/socket.h>
#include <sys/wait.h>

#include "conformance.h"

#define PAIRS 48

static int ends[PAIRS];  // this process's end of each pair
static uint64_t sent[PAIRS], expected[PAIRS];
static pid_t child;
static int is_child;

static unsigned char pattern(int pair, uint64_t off, int from_child) {
  return (unsigned char)(pair * 131 + off * 7 + (off >> 9) + from_child * 57);
}

// Writes to every end until the kernel takes no more.
static void fill(int from_child) {
  unsigned char buf[65536];
  for (int i = 0; i < PAIRS; ++i) {
    int size = i == 0 ? 1 << 22 : 1 << 18;
    if (i != 0 || setsockopt(ends[i], SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
      setsockopt(ends[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    fcntl(ends[i], F_SETFL, O_NONBLOCK);
    for (;;) {
      for (size_t k = 0; k < sizeof buf; ++k) buf[k] = pattern(i, sent[i] + k, from_child);
      ssize_t n = write(ends[i], buf, sizeof buf);
      if (n < 0 && errno == EAGAIN) break;
      CHECK(n > 0, "write to pair %d: %s", i, strerror(errno));
      sent[i] += (uint64_t)n;
    }
    fcntl(ends[i], F_SETFL, 0);
  }
}

// Reads every end to its end of file: the peer's bytes, in order, as many as it sent.
static void drain(int from_child) {
  unsigned char buf[65536];
  for (int i = 0; i < PAIRS; ++i) {
    shutdown(ends[i], SHUT_WR);
  }
  for (int i = 0; i < PAIRS; ++i) {
    uint64_t got = 0;
    for (;;) {
      ssize_t n = read(ends[i], buf, sizeof buf);
      CHECK(n >= 0, "read pair %d: %s", i, strerror(errno));
      if (n == 0) break;
      for (ssize_t k = 0; k < n; ++k)
        CHECK(buf[k] == pattern(i, got + (uint64_t)k, from_child), "pair %d: byte %llu differs", i,
              (unsigned long long)(got + (uint64_t)k));
      got += (uint64_t)n;
    }
    CHECK(got == expected[i], "pair %d: %llu bytes arrived, %llu were sent", i,
          (unsigned long long)got, (unsigned long long)expected[i]);
  }
}

static void setup(void) {
  int pairs[PAIRS][2], counts[2][2];
  for (int i = 0; i < PAIRS; ++i) SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]));
  SYS(pipe(counts[0]));  // child to parent: what it sent
  SYS(pipe(counts[1]));  // parent to child
  child = SYS(fork());
  is_child = child == 0;
  for (int i = 0; i < PAIRS; ++i) {
    ends[i] = pairs[i][is_child];
    close(pairs[i][!is_child]);
  }
  fill(is_child);
  CHECK(write(counts[!is_child][1], sent, sizeof sent) == sizeof sent, "send the counts");
  CHECK(read(counts[is_child][0], expected, sizeof expected) == sizeof expected, "get the counts");
  for (int k = 0; k < 2; ++k) close(counts[k][0]), close(counts[k][1]);
  if (is_child) {
    while (!conformance_done()) sleep_ms(20);
    drain(0);
    _exit(0);
  }
  uint64_t total = 0;
  for (int i = 0; i < PAIRS; ++i) total += sent[i] + expected[i];
  CHECK(total > (8u << 20), "only %llu bytes queued: not more than 8 MiB",
        (unsigned long long)total);
  CHECK(sent[0] > (1u << 20) || geteuid() != 0, "only %llu bytes queued in pair 0",
        (unsigned long long)sent[0]);
  printf("queued %llu bytes\n", (unsigned long long)total);
}

static void tick(void) {}

static void finish(void) {
  drain(1);
  int st;
  CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "the child's ends lost data (status %d)", st);
}

CONFORMANCE_MAIN
