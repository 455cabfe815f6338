// mpi_allreduce STEPS [DELAY_MS]: every rank holds a vector, adds the allreduced sum of all
// ranks' vectors into it each step, and rank 0 prints a checksum of every rank's vector:
//   step N checksum C
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "report.h"

#define N 65536

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int steps = argc > 1 ? atoi(argv[1]) : 50;
  int delay_ms = argc > 2 ? atoi(argv[2]) : 100;
  static uint64_t v[N], total[N];
  for (int i = 0; i < N; ++i) v[i] = (uint64_t)(rank + 1) * (i + 1);
  for (int step = 1; step <= steps; ++step) {
    MPI_Allreduce(v, total, N, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    uint64_t mine = 0;
    for (int i = 0; i < N; ++i) {
      v[i] = v[i] * 6364136223846793005ull + total[(i + step) % N];
      mine = mine * 31 + v[i];
    }
    report_step(rank, step, mine, delay_ms);
  }
  MPI_Finalize();
  return 0;
}
