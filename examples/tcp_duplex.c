// tcp_duplex [-6] MEGABYTES
//
// Two processes stream MEGABYTES MiB to each other over one TCP connection, both ways at once and
// as fast as they can: the parent listens on 127.0.0.1 (-6: ::1), a forked child connects. Each
// direction carries its own pseudo-random stream of 8-byte words, and the receiver checks every
// word against the one it expects: a word lost, repeated, reordered or changed is reported with
// its offset, and that side exits 1. At the end the child prints
//   connector: sent N bytes, received N bytes, all correct
// and then the parent, after reaping it, the same line as "listener". Exits 0 when both sides
// got everything right.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kChunkWords = 32768 };  // 256 KiB per write

// Word i of the stream that side `from` sends.
static uint64_t word(int from, uint64_t i) {
  uint64_t z = i * 2 + (uint64_t)from + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void report(const char *name, uint64_t total) {
  printf("%s: sent %llu bytes, received %llu bytes, all correct\n", name,
         (unsigned long long)(total / 8 * 8), (unsigned long long)(total / 8 * 8));
  fflush(stdout);
}

// Sends its stream and checks the other side's until both are complete.
static int stream(int fd, int me, uint64_t total, const char *name) {
  static uint64_t out[kChunkWords], in[kChunkWords + 1];
  const uint64_t words = total / 8;
  uint64_t sent_words = 0, out_off = 0, out_len = 0;  // out[] holds words from sent_words on
  uint64_t recv_bytes = 0, checked = 0;               // checked: words verified
  size_t in_fill = 0;                                 // bytes in in[] not yet verified
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  while (sent_words < words || checked < words) {
    if (out_off == out_len && sent_words < words) {
      uint64_t n = words - sent_words < kChunkWords ? words - sent_words : kChunkWords;
      for (uint64_t k = 0; k < n; k++) out[k] = word(me, sent_words + k);
      out_off = 0;
      out_len = n * 8;
    }
    struct pollfd p = {fd, (short)(POLLIN | (out_off < out_len ? POLLOUT : 0)), 0};
    if (poll(&p, 1, -1) < 0) {
      if (errno == EINTR) continue;
      perror("tcp_duplex: poll");
      return 1;
    }
    if (p.revents & POLLOUT) {
      ssize_t w = send(fd, (char *)out + out_off, out_len - out_off, MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN && errno != EINTR) {
        fprintf(stderr, "%s: send: %s\n", name, strerror(errno));
        return 1;
      }
      if (w > 0) {
        out_off += (uint64_t)w;
        if (out_off == out_len) sent_words += out_len / 8;
      }
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = recv(fd, (char *)in + in_fill, sizeof in - 8 - in_fill, 0);
      if (r == 0 && checked < words) {
        fprintf(stderr, "%s: the other side closed after %llu of %llu bytes\n", name,
                (unsigned long long)recv_bytes, (unsigned long long)total);
        return 1;
      }
      if (r < 0 && errno != EAGAIN && errno != EINTR) {
        fprintf(stderr, "%s: recv: %s\n", name, strerror(errno));
        return 1;
      }
      if (r > 0) {
        recv_bytes += (uint64_t)r;
        in_fill += (size_t)r;
        size_t full = in_fill / 8;
        for (size_t k = 0; k < full; k++) {
          if (checked + k >= words || in[k] != word(1 - me, checked + k)) {
            fprintf(stderr, "%s: wrong data at byte %llu of the stream it receives\n", name,
                    (unsigned long long)((checked + k) * 8));
            return 1;
          }
        }
        checked += full;
        memmove(in, (char *)in + full * 8, in_fill - full * 8);
        in_fill -= full * 8;
      }
    }
  }
  if (recv_bytes != words * 8) {
    fprintf(stderr, "%s: received %llu bytes, not %llu\n", name, (unsigned long long)recv_bytes,
            (unsigned long long)(words * 8));
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  int v6 = argc > 1 && strcmp(argv[1], "-6") == 0;
  if (argc != 2 + v6) {
    fprintf(stderr, "usage: tcp_duplex [-6] MEGABYTES\n");
    return 2;
  }
  const uint64_t total = (uint64_t)atoll(argv[1 + v6]) << 20;
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof ss);
  if (v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  }
  int l = socket(ss.ss_family, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr *)&ss, len) != 0 || listen(l, 1) != 0 ||
      getsockname(l, (struct sockaddr *)&ss, &len) != 0) {
    perror("tcp_duplex: listen");
    return 1;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("tcp_duplex: fork");
    return 1;
  }
  if (child == 0) {
    close(l);
    int c = socket(ss.ss_family, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&ss, len) != 0) {
      perror("tcp_duplex: connect");
      _exit(1);
    }
    int rc = stream(c, 1, total, "connector");
    if (rc == 0) report("connector", total);
    close(c);
    _exit(rc);
  }
  int c = accept(l, NULL, NULL);
  if (c < 0) {
    perror("tcp_duplex: accept");
    return 1;
  }
  close(l);
  int rc = stream(c, 0, total, "listener");
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "tcp_duplex: the connector failed (status %d)\n", status);
    return 1;
  }
  close(c);
  if (rc == 0) report("listener", total);
  return rc;
}
