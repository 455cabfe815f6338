// e2e_shared_table MIB WORKERS DIR [malloc]
//
// A fork-based worker pool (Python's multiprocessing, R's mclapply): the parent fills a table of
// MIB MiB, then forks WORKERS workers, so every process holds the same table at the same address.
// Each process also keeps 2 MiB of its own (a pattern of its number and its step). Every 20 ms
// each one checks the whole table against the sum taken at the start and its own memory against
// its step, and writes its step to DIR/<n>.step (n: 0 for the parent). Once every worker runs,
// the parent prints "ready". When DIR/stop exists the workers print "worker <n> ok <steps>" and
// exit 0 (1 and "MISMATCH" on a wrong byte); the parent waits for them and prints "done <k>",
// k the workers that ended well. With "malloc", the table comes from malloc (where an MPI rank's
// would: at an offset within 1 MiB that address-space randomization picks), else from mmap.
// As an MPI rank (OMPI_COMM_WORLD_RANK set), DIR is DIR/rank<rank>, made if missing.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t sum(const uint8_t* m, size_t n) {
  uint64_t s = 0;
  for (size_t i = 0; i < n; ++i) s += (uint64_t)m[i] * (i + 1);
  return s;
}

static void fill_own(uint8_t* own, size_t n, int who, long step) {
  for (size_t i = 0; i < n; ++i) own[i] = (uint8_t)(who * 31 + step + i / 4096 + 1);
}

static int run(const uint8_t* table, size_t n, uint64_t expected, int who, const char* dir) {
  const size_t own_n = 2 << 20;
  uint8_t* own = mmap(NULL, own_n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (own == MAP_FAILED) return 2;
  char step_file[8192], stop_file[4096];
  snprintf(step_file, sizeof step_file, "%s/%d.step", dir, who);
  snprintf(stop_file, sizeof stop_file, "%s/stop", dir);
  for (long step = 1;; ++step) {
    fill_own(own, own_n, who, step);
    if (sum(table, n) != expected) {
      printf("MISMATCH in the table of process %d at step %ld\n", who, step);
      return 1;
    }
    for (size_t i = 0; i < own_n; i += 4096)
      if (own[i] != (uint8_t)(who * 31 + step + i / 4096 + 1)) {
        printf("MISMATCH in the memory of process %d at step %ld\n", who, step);
        return 1;
      }
    // Replaced whole, never seen empty.
    char tmp_file[8300];
    snprintf(tmp_file, sizeof tmp_file, "%s.tmp", step_file);
    FILE* f = fopen(tmp_file, "w");
    if (f) {
      fprintf(f, "%ld\n", step);
      fclose(f);
      rename(tmp_file, step_file);
    }
    if (access(stop_file, F_OK) == 0) {
      if (who) printf("worker %d ok\n", who);
      fflush(stdout);
      return 0;
    }
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
  }
}

int main(int argc, char** argv) {
  if (argc != 4 && !(argc == 5 && strcmp(argv[4], "malloc") == 0)) {
    fprintf(stderr, "usage: e2e_shared_table MIB WORKERS DIR [malloc]\n");
    return 2;
  }
  const size_t n = (size_t)atol(argv[1]) << 20;
  const int workers = atoi(argv[2]);
  const char* dir = argv[3];
  char rank_dir[4096];
  const char* rank = getenv("OMPI_COMM_WORLD_RANK");
  if (rank) {
    snprintf(rank_dir, sizeof rank_dir, "%s/rank%s", dir, rank);
    mkdir(rank_dir, 0700);
    dir = rank_dir;
  }
  uint8_t* table = argc == 5
                       ? malloc(n)
                       : mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!table || table == MAP_FAILED) return 2;
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    table[i] = (uint8_t)x;
  }
  const uint64_t expected = sum(table, n);
  fflush(stdout);
  for (int w = 1; w <= workers; ++w) {
    const pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) _exit(run(table, n, expected, w, dir));
  }
  // Ready once every worker has taken a step.
  for (int w = 1; w <= workers;) {
    char step_file[8192];
    snprintf(step_file, sizeof step_file, "%s/%d.step", dir, w);
    if (access(step_file, F_OK) == 0) {
      ++w;
      continue;
    }
    usleep(10000);
  }
  printf("ready\n");
  fflush(stdout);
  int rc = run(table, n, expected, 0, dir);
  int good = 0;
  for (int w = 1; w <= workers; ++w) {
    int status;
    if (wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) ++good;
  }
  printf("done %d\n", good);
  return rc;
}
