// mpi_ring STEPS [DELAY_MS]: a token travels around the ranks; each rank folds what it receives
// into its own state. Every step rank 0 prints the step and a checksum of every rank's state
// (gathered), so that a run can be compared line by line with an uninterrupted one:
//   step N checksum C
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "report.h"

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int steps = argc > 1 ? atoi(argv[1]) : 50;
  int delay_ms = argc > 2 ? atoi(argv[2]) : 100;
  uint64_t state = 1469598103934665603ull ^ (uint64_t)rank;
  for (int step = 1; step <= steps; ++step) {
    uint64_t token = step;
    const int next = (rank + 1) % size, prev = (rank + size - 1) % size;
    if (rank == 0) {
      MPI_Send(&token, 1, MPI_UINT64_T, next, 0, MPI_COMM_WORLD);
      MPI_Recv(&token, 1, MPI_UINT64_T, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(&token, 1, MPI_UINT64_T, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      token = token * 1099511628211ull + (uint64_t)rank;
      MPI_Send(&token, 1, MPI_UINT64_T, next, 0, MPI_COMM_WORLD);
    }
    state = (state ^ token) * 1099511628211ull;
    report_step(rank, step, state, delay_ms);
  }
  MPI_Finalize();
  return 0;
}
