// pty_child [steps] [delay_ms]
//
// A program in a pseudo-terminal, as under `script` or `ssh -t`: the parent opens a pty and
// forks a child that makes it its controlling terminal and stdout; the child prints numbered
// lines (noting whether its stdout is a terminal and the pty its controlling terminal); the
// parent copies everything from the pty's master side to its own stdout.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms) {
  struct timespec req = {ms / 1000, (ms % 1000) * 1000000L}, rem;
  while (nanosleep(&req, &rem) == -1 && errno == EINTR) req = rem;
}

int main(int argc, char **argv) {
  int steps = argc > 1 ? atoi(argv[1]) : 100;
  long delay = argc > 2 ? atol(argv[2]) : 20;
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return 2;
  const char *slave_name = ptsname(master);
  pid_t pid = fork();
  if (pid < 0) return 2;
  if (pid == 0) {
    setsid();
    int slave = open(slave_name, O_RDWR);  // becomes the controlling terminal
    if (slave < 0) _exit(2);
    dup2(slave, 1);
    for (int k = 1; k <= steps; k++) {
      int ctty = open("/dev/tty", O_RDWR);
      printf("tty line %d isatty %d ctty %d\n", k, isatty(1), ctty >= 0);
      fflush(stdout);
      if (ctty >= 0) close(ctty);
      sleep_ms(delay);
    }
    printf("child done\n");
    fflush(stdout);
    _exit(0);
  }
  // Copy the pty's output, without the terminal's carriage returns.
  char buf[4096];
  for (;;) {
    ssize_t n = read(master, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EIO once the child has closed the slave
    for (ssize_t i = 0; i < n; i++)
      if (buf[i] != '\r') putchar(buf[i]);
    fflush(stdout);
    if (memmem(buf, (size_t)n, "child done", 10)) break;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
