// scratch_file STEPS [DELAY_MS] [DIR] [PAD_MIB]: keeps its records in a scratch file that it
// unlinks at once (as tmpfile() does), so only its descriptor holds it, after PAD_MIB MiB of
// padding (default 0). Every step it appends a record, reads the whole file back and prints
// its size and checksum:
//   step N bytes B checksum C
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int steps = argc > 1 ? atoi(argv[1]) : 50;
  int delay_ms = argc > 2 ? atoi(argv[2]) : 100;
  const char *dir = argc > 3 ? argv[3] : "/tmp";
  const int pad_mib = argc > 4 ? atoi(argv[4]) : 0;
  char path[4096];
  snprintf(path, sizeof path, "%s/scratch_file.%d", dir, (int)getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || unlink(path) != 0) {
    perror(path);
    return 1;
  }
  static char pad[1 << 20];
  memset(pad, 'p', sizeof pad);
  for (int i = 0; i < pad_mib; ++i)
    if (write(fd, pad, sizeof pad) != (ssize_t)sizeof pad) return 1;
  for (int step = 1; step <= steps; ++step) {
    char rec[64];
    int n = snprintf(rec, sizeof rec, "record %d %d\n", step, step * step);
    if (write(fd, rec, (size_t)n) != n) return 1;
    off_t size = lseek(fd, 0, SEEK_CUR);
    uint64_t sum = 1469598103934665603ull;
    char buf[4096];
    for (off_t at = 0; at < size;) {
      ssize_t r = pread(fd, buf, sizeof buf, at);
      if (r <= 0) return 1;
      for (ssize_t i = 0; i < r; ++i) sum = (sum ^ (unsigned char)buf[i]) * 1099511628211ull;
      at += r;
    }
    printf("step %d bytes %lld checksum %llu\n", step, (long long)size, (unsigned long long)sum);
    fflush(stdout);
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  return 0;
}
