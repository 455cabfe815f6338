// mpi_abort [RANK] [CODE]: every rank prints "rank R up"; after a fence, RANK (default the
// last) calls MPI_Abort with CODE (default 7) while the others wait in barriers forever. Only
// the launcher ending every rank of the job lets it end.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int aborter = argc > 1 ? atoi(argv[1]) : size - 1;
  const int code = argc > 2 ? atoi(argv[2]) : 7;
  printf("rank %d up\n", rank);
  fflush(stdout);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == aborter) {
    sleep(1);
    MPI_Abort(MPI_COMM_WORLD, code);
  }
  for (;;) {
    MPI_Barrier(MPI_COMM_WORLD);
    sleep(1);
  }
}
