// soak STEPS DELAY_MS
//
// A small computation with every kind of state a checkpoint must carry at once: a parent and a
// child joined by a pipe (parent -> child) and a TCP connection over loopback (child -> parent),
// and in the parent a second thread that keeps its own state in step with the main thread. At
// each step the parent sends the step number down the pipe; the child folds it into its state
// and sends its state back over TCP; the parent checks it against the value it expects, then has
// its thread fold the step in too, and prints
//   step <i> child <hex> thread <hex>
// A wrong value from the child or the thread prints "MISMATCH ..." and exits 1, so a restart
// that loses or repeats a byte of the pipe or the connection, or a thread's state, is caught by
// the program itself. At the end it prints "done <hex>" and exits 0 once the child has exited 0.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t mix(uint64_t state, uint64_t step) {
  state ^= step + 0x9e3779b97f4a7c15ull + (state << 6) + (state >> 2);
  return state * 0xff51afd7ed558ccdull;
}

static void sleep_ms(long ms) {
  struct timespec req = {ms / 1000, (ms % 1000) * 1000000L}, rem;
  while (nanosleep(&req, &rem) == -1 && errno == EINTR) req = rem;
}

static int full(ssize_t (*io)(int, void *, size_t), int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = io(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}
static ssize_t write_any(int fd, void *buf, size_t n) { return write(fd, buf, n); }
#define READ_ALL(fd, x) full(read, fd, &(x), sizeof(x))
#define WRITE_ALL(fd, x) full(write_any, fd, &(x), sizeof(x))

// The parent's second thread: folds each step it is given into its own state.
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static uint64_t thread_step, thread_done_step, thread_state = 1;

static void *thread_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  for (;;) {
    while (thread_step == thread_done_step) pthread_cond_wait(&cv, &mu);
    thread_state = mix(thread_state, thread_step * 3);
    thread_done_step = thread_step;
    pthread_cond_broadcast(&cv);
  }
  return NULL;
}

static int child_main(int from_parent, int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) return 2;
  uint64_t state = 7, step;
  while (READ_ALL(from_parent, step) == 0) {
    state = mix(state, step);
    if (WRITE_ALL(s, state) != 0) return 3;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: soak STEPS DELAY_MS\n");
    return 2;
  }
  long steps = atol(argv[1]), delay = atol(argv[2]);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int pipefd[2];
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
      getsockname(l, (struct sockaddr *)&a, &len) != 0 || pipe(pipefd) != 0) {
    perror("soak: setup");
    return 1;
  }
  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    close(l);
    close(pipefd[1]);
    _exit(child_main(pipefd[0], ntohs(a.sin_port)));
  }
  close(pipefd[0]);
  int c = accept(l, NULL, NULL);
  close(l);
  pthread_t t;
  if (c < 0 || pthread_create(&t, NULL, thread_main, NULL) != 0) {
    perror("soak: accept/thread");
    return 1;
  }
  uint64_t expect_child = 7, expect_thread = 1, total = 0;
  for (uint64_t i = 1; i <= (uint64_t)steps; i++) {
    uint64_t got;
    if (WRITE_ALL(pipefd[1], i) != 0 || READ_ALL(c, got) != 0) {
      printf("MISMATCH step %llu: the pipe or the connection broke\n", (unsigned long long)i);
      return 1;
    }
    expect_child = mix(expect_child, i);
    if (got != expect_child) {
      printf("MISMATCH step %llu: child sent %016llx, expected %016llx\n", (unsigned long long)i,
             (unsigned long long)got, (unsigned long long)expect_child);
      return 1;
    }
    pthread_mutex_lock(&mu);
    thread_step = i;
    pthread_cond_broadcast(&cv);
    while (thread_done_step != i) pthread_cond_wait(&cv, &mu);
    uint64_t ts = thread_state;
    pthread_mutex_unlock(&mu);
    expect_thread = mix(expect_thread, i * 3);
    if (ts != expect_thread) {
      printf("MISMATCH step %llu: thread state %016llx, expected %016llx\n", (unsigned long long)i,
             (unsigned long long)ts, (unsigned long long)expect_thread);
      return 1;
    }
    total = mix(total, got ^ ts);
    printf("step %llu child %016llx thread %016llx\n", (unsigned long long)i,
           (unsigned long long)got, (unsigned long long)ts);
    fflush(stdout);
    sleep_ms(delay);
  }
  close(pipefd[1]);
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    printf("MISMATCH: the child ended with status %d\n", status);
    return 1;
  }
  printf("done %016llx\n", (unsigned long long)total);
  return 0;
}
