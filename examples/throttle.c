// throttle BYTES_PER_SECOND [PIPE_SIZE]
//
// Copies standard input to standard output at no more than BYTES_PER_SECOND, in chunks of up to
// 64 KiB: a slow stage for a shell pipeline, so that the pipes before it stay full and the ones
// after it mostly empty. With PIPE_SIZE, first makes its input and output pipes that large
// (F_SETPIPE_SZ; where they are pipes). The pace comes from sleeping after each chunk, not from
// the clock, so a pause (a checkpoint, a restart) does not make it hurry afterwards.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void sleep_ns(long long ns) {
  struct timespec req = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)}, rem;
  while (nanosleep(&req, &rem) == -1 && errno == EINTR) req = rem;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: throttle BYTES_PER_SECOND [PIPE_SIZE]\n");
    return 2;
  }
  const long long rate = atoll(argv[1]);
  if (rate <= 0) {
    fprintf(stderr, "throttle: bad rate %s\n", argv[1]);
    return 2;
  }
  if (argc == 3) {
    const int size = atoi(argv[2]);
    for (int fd = 0; fd < 2; fd++)
      if (fcntl(fd, F_SETPIPE_SZ, size) < 0 && errno != EBADF && errno != EINVAL)
        perror("throttle: F_SETPIPE_SZ");
  }
  // About 20 chunks a second, so the pace is smooth at any rate.
  size_t chunk = (size_t)(rate / 20 > 0 ? rate / 20 : 1);
  if (chunk > 65536) chunk = 65536;
  static char buf[65536];
  for (;;) {
    ssize_t n = read(0, buf, chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      perror("throttle: read");
      return 1;
    }
    if (n == 0) return 0;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(1, buf + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        perror("throttle: write");
        return 1;
      }
      off += w;
    }
    sleep_ns((long long)n * 1000000000LL / rate);
  }
}
