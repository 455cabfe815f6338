// bench_mpi_memory MiB: an MPI job holding MiB of random bytes in total, split over its ranks,
// for the benchmark's checkpoint and restart of a 4-rank job beside one process with the same
// memory. Rank 0 prints "ready" once every rank has filled its part; then the ranks keep
// exchanging a counter (so that the job is alive between them) until they are killed.
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "patterns.h"

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  size_t bytes = (size_t)(argc > 1 ? atol(argv[1]) : 256) * 1048576 / (size_t)size;
  uint8_t *mem = malloc(bytes);
  if (!mem) MPI_Abort(MPI_COMM_WORLD, 1);
  bench_fill(mem, bytes, "random");
  mem[0] = (uint8_t)rank;
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    printf("ready\n");
    fflush(stdout);
  }
  for (uint64_t n = 0;; ++n) {
    uint64_t total = 0;
    MPI_Allreduce(&n, &total, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
  }
}
