// A statically linked program (no loader, so no runtime): sleeps the seconds
// given, then exits 0. exec_clean_env.sh runs it inside a computation.
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
  unsigned left = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
  while (left) left = sleep(left);
  return 0;
}
