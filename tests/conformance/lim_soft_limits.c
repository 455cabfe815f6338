// A program under low soft limits, as a job inherits them from its submit shell (Slurm
// propagates soft limits) or from `ulimit -S`: address space just above what it uses, file
// size 4 KiB, CPU time a minute past what it used. The checkpoint must not fail for want of
// memory for its buffers, nor be killed by SIGXFSZ writing the image; after restarts the
// program has its limits again, exactly.
#include <sys/resource.h>

#include "conformance.h"

static struct rlimit as, fsize, cpu;

static long vm_size_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  CHECK(f != NULL, "/proc/self/status");
  char line[256];
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmSize: %ld kB", &kb) == 1) break;
  fclose(f);
  return kb;
}

static void setup(void) {
  SYS(getrlimit(RLIMIT_AS, &as));
  as.rlim_cur = (rlim_t)(vm_size_kb() + 64 * 1024) * 1024;
  SYS(setrlimit(RLIMIT_AS, &as));
  SYS(getrlimit(RLIMIT_FSIZE, &fsize));
  fsize.rlim_cur = 4096;
  SYS(setrlimit(RLIMIT_FSIZE, &fsize));
  SYS(getrlimit(RLIMIT_CPU, &cpu));
  struct rusage ru;
  SYS(getrusage(RUSAGE_SELF, &ru));
  cpu.rlim_cur = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 60);
  SYS(setrlimit(RLIMIT_CPU, &cpu));
}

static void tick(void) {}

static void same(int r, const char *name, const struct rlimit *want) {
  struct rlimit now;
  SYS(getrlimit(r, &now));
  CHECK(now.rlim_cur == want->rlim_cur && now.rlim_max == want->rlim_max,
        "%s is %llu/%llu, not %llu/%llu", name, (unsigned long long)now.rlim_cur,
        (unsigned long long)now.rlim_max, (unsigned long long)want->rlim_cur,
        (unsigned long long)want->rlim_max);
}

static void finish(void) {
  same(RLIMIT_AS, "RLIMIT_AS", &as);
  same(RLIMIT_FSIZE, "RLIMIT_FSIZE", &fsize);
  same(RLIMIT_CPU, "RLIMIT_CPU", &cpu);
}

CONFORMANCE_MAIN
