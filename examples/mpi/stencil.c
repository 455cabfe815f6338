// mpi_stencil STEPS [DELAY_MS]: a 1-D heat-equation stencil split over the ranks, exchanging
// halo cells with both neighbours (non-blocking) every step; rank 0 prints a checksum of the
// whole field (exact: the cells are integers):
//   step N checksum C
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "report.h"

#define CELLS 8192

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int steps = argc > 1 ? atoi(argv[1]) : 50;
  int delay_ms = argc > 2 ? atoi(argv[2]) : 100;
  static int64_t u[CELLS + 2], next[CELLS + 2];
  for (int i = 1; i <= CELLS; ++i) u[i] = ((int64_t)rank * CELLS + i) % 1000 * 1000;
  const int left = rank > 0 ? rank - 1 : MPI_PROC_NULL;
  const int right = rank < size - 1 ? rank + 1 : MPI_PROC_NULL;
  for (int step = 1; step <= steps; ++step) {
    MPI_Request req[4];
    u[0] = u[1];
    u[CELLS + 1] = u[CELLS];
    MPI_Irecv(&u[0], 1, MPI_INT64_T, left, 1, MPI_COMM_WORLD, &req[0]);
    MPI_Irecv(&u[CELLS + 1], 1, MPI_INT64_T, right, 0, MPI_COMM_WORLD, &req[1]);
    MPI_Isend(&u[1], 1, MPI_INT64_T, left, 0, MPI_COMM_WORLD, &req[2]);
    MPI_Isend(&u[CELLS], 1, MPI_INT64_T, right, 1, MPI_COMM_WORLD, &req[3]);
    MPI_Waitall(4, req, MPI_STATUSES_IGNORE);
    uint64_t mine = 0;
    for (int i = 1; i <= CELLS; ++i) {
      next[i] = u[i] + (u[i - 1] - 2 * u[i] + u[i + 1]) / 4;
      mine = mine * 1099511628211ull + (uint64_t)next[i];
    }
    for (int i = 1; i <= CELLS; ++i) u[i] = next[i];
    report_step(rank, step, mine, delay_ms);
  }
  MPI_Finalize();
  return 0;
}
