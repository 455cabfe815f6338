// filewriter PATH [N] [delay_ms]
//
// Opens PATH with O_WRONLY|O_CREAT|O_TRUNC and writes the records "line 1\n" .. "line N\n" with
// write(2), one record every delay_ms. At the end it prints "done N" on stdout and exits 0. The
// final content of PATH is exactly those N lines, so a restart that reopens the file at a wrong
// offset, or truncates it, is visible.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms) {
  if (ms <= 0) return;
  struct timespec req = {ms / 1000, (ms % 1000) * 1000000L};
  struct timespec rem;
  while (nanosleep(&req, &rem) == -1 && errno == EINTR) req = rem;
}

static long parse_arg(const char *s, const char *what) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 0) {
    fprintf(stderr, "filewriter: bad %s '%s'\n", what, s);
    exit(2);
  }
  return v;
}

static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, buf, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += w;
    len -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: filewriter PATH [N] [delay_ms]\n");
    return 2;
  }
  const char *path = argv[1];
  long n = argc > 2 ? parse_arg(argv[2], "N") : 100;
  long delay_ms = argc > 3 ? parse_arg(argv[3], "delay_ms") : 100;

  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    fprintf(stderr, "filewriter: cannot open %s: %s\n", path, strerror(errno));
    return 1;
  }
  for (long i = 1; i <= n; i++) {
    char line[64];
    int len = snprintf(line, sizeof line, "line %ld\n", i);
    if (write_all(fd, line, (size_t)len) != 0) {
      fprintf(stderr, "filewriter: write to %s failed: %s\n", path, strerror(errno));
      return 1;
    }
    if (i < n) sleep_ms(delay_ms);
  }
  if (close(fd) != 0) {
    fprintf(stderr, "filewriter: close %s failed: %s\n", path, strerror(errno));
    return 1;
  }
  printf("done %ld\n", n);
  return 0;
}
