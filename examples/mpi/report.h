// The end of every step of the MPI examples: rank 0 prints the step and the sum of every rank's
// checksum ("step N checksum C"), then each rank waits delay_ms.
#ifndef DMTCP_EXAMPLES_MPI_REPORT_H
#define DMTCP_EXAMPLES_MPI_REPORT_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static inline void report_step(int rank, int step, uint64_t mine, int delay_ms) {
  uint64_t sum = 0;
  MPI_Reduce(&mine, &sum, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    printf("step %d checksum %llu\n", step, (unsigned long long)sum);
    fflush(stdout);
  }
  struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

#endif
