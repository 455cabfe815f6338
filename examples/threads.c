// threads [ROUNDS] [delay_ms]
//
// Eight worker threads, each with thread-local (__thread) state, and one mutex-protected shared
// total. In every round each worker runs a chain of arithmetic on its TLS accumulator and adds to
// the shared total under the mutex; the main thread waits for all of them (barrier), prints
// "round r total T ops O", and sleeps delay_ms. At the end it prints each thread's TLS checksum,
// the total, and checks the total against its closed form. Every printed number depends only on
// ROUNDS, never on scheduling, so the output of a checkpointed and restarted run must equal the
// output of an uninterrupted one. A thread whose TLS is wrong after a restart (wrong fs base)
// notices that its TLS id changed and exits with status 3.
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { kThreads = 8, kWork = 200000, kIncrements = 64, kPad = 256 };

static __thread uint64_t tls_acc;
static __thread int tls_id = -1;
static __thread unsigned char tls_pad[kPad];

static pthread_mutex_t total_mutex = PTHREAD_MUTEX_INITIALIZER;
static uint64_t shared_total;  // guarded by total_mutex
static uint64_t shared_ops;    // guarded by total_mutex
static pthread_barrier_t round_start;
static pthread_barrier_t round_end;
static long rounds;
static uint64_t final_tls[kThreads];

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
    fprintf(stderr, "threads: bad %s '%s'\n", what, s);
    exit(2);
  }
  return v;
}

static void check_tls(int id, const char *where) {
  if (tls_id != id) {
    fprintf(stderr, "threads: TLS id of thread %d is %d (%s)\n", id, tls_id, where);
    _exit(3);
  }
  for (int i = 0; i < kPad; i++) {
    if (tls_pad[i] != (unsigned char)(id * 37 + i)) {
      fprintf(stderr, "threads: TLS buffer of thread %d corrupt at %d (%s)\n", id, i, where);
      _exit(3);
    }
  }
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  tls_id = id;
  tls_acc = (uint64_t)id + 1;
  for (int i = 0; i < kPad; i++) tls_pad[i] = (unsigned char)(id * 37 + i);

  for (long r = 1; r <= rounds; r++) {
    pthread_barrier_wait(&round_start);
    check_tls(id, "round start");
    for (int k = 0; k < kWork; k++) {
      tls_acc =
          tls_acc * 6364136223846793005ULL + 1442695040888963407ULL + (uint64_t)(id * 1000 + r);
      tls_acc ^= tls_acc >> 29;
    }
    for (int k = 0; k < kIncrements; k++) {
      pthread_mutex_lock(&total_mutex);
      shared_total += (uint64_t)(id + 1) * (uint64_t)r;
      shared_ops++;
      pthread_mutex_unlock(&total_mutex);
    }
    check_tls(id, "round end");
    pthread_barrier_wait(&round_end);
  }
  final_tls[id] = tls_acc;
  return NULL;
}

int main(int argc, char **argv) {
  rounds = argc > 1 ? parse_arg(argv[1], "ROUNDS") : 20;
  long delay_ms = argc > 2 ? parse_arg(argv[2], "delay_ms") : 200;

  if (pthread_barrier_init(&round_start, NULL, kThreads + 1) != 0 ||
      pthread_barrier_init(&round_end, NULL, kThreads + 1) != 0) {
    fprintf(stderr, "threads: pthread_barrier_init failed\n");
    return 2;
  }
  pthread_t tids[kThreads];
  for (int i = 0; i < kThreads; i++) {
    int rc = pthread_create(&tids[i], NULL, worker, (void *)(intptr_t)i);
    if (rc != 0) {
      fprintf(stderr, "threads: pthread_create: %s\n", strerror(rc));
      return 2;
    }
  }
  for (long r = 1; r <= rounds; r++) {
    pthread_barrier_wait(&round_start);
    pthread_barrier_wait(&round_end);
    pthread_mutex_lock(&total_mutex);
    uint64_t total = shared_total;
    uint64_t ops = shared_ops;
    pthread_mutex_unlock(&total_mutex);
    printf("round %ld total %" PRIu64 " ops %" PRIu64 "\n", r, total, ops);
    fflush(stdout);
    if (r < rounds) sleep_ms(delay_ms);
  }
  for (int i = 0; i < kThreads; i++) pthread_join(tids[i], NULL);

  for (int i = 0; i < kThreads; i++) printf("thread %d tls %016" PRIx64 "\n", i, final_tls[i]);
  // sum over threads of (id+1) is 36; sum over rounds of r is R(R+1)/2.
  uint64_t r = (uint64_t)rounds;
  uint64_t want_total = (uint64_t)kIncrements * 36u * (r * (r + 1) / 2);
  uint64_t want_ops = (uint64_t)kIncrements * kThreads * r;
  printf("total %" PRIu64 " ops %" PRIu64 "\n", shared_total, shared_ops);
  if (shared_total != want_total || shared_ops != want_ops) {
    printf("check FAILED: expected total %" PRIu64 " ops %" PRIu64 "\n", want_total, want_ops);
    return 1;
  }
  printf("check ok\n");
  return 0;
}
