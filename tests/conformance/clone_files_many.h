// Many children made by clone(CLONE_FILES) at once (shared by proc_clone_files_many.c and
// proc_clone_files_nokcmp.c): all but one end before the checkpoint, and the one left, KEEP, must
// still make the checkpoint refuse. Before, the runtime noted such children in a table of 64; the
// 65th overwrote the first, which then went unnoticed: the checkpoint succeeded without it.
// Define COUNT and KEEP (0-based) before including; BLOCK_KCMP makes kcmp(2) fail with ENOSYS
// (a seccomp filter, as some container runtimes install).
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "conformance.h"

#define STACK (64 << 10)

static int go_keep[2], go_rest[2];
static pid_t children[COUNT];

static int child_main(void *arg) {
  const int *go = arg;
  char c;
  return read(go[0], &c, 1) == 1 && c == 'q' ? 5 : 2;
}

static void block_kcmp(void) {
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_kcmp, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof code / sizeof code[0], code};
  SYS(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
  // Every thread, the runtime's checkpoint thread too.
  SYS(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog));
  CHECK(syscall(SYS_kcmp, getpid(), getpid(), 0, 0, 0) < 0 && errno == ENOSYS,
        "kcmp still works under the filter");
}

static void setup(void) {
#ifdef BLOCK_KCMP
  block_kcmp();
#endif
  SYS(pipe(go_keep));
  SYS(pipe(go_rest));
  for (int i = 0; i < COUNT; i++) {
    char *stack = malloc(STACK);
    CHECK(stack, "malloc");
    children[i] =
        clone(child_main, stack + STACK, CLONE_FILES | SIGCHLD, i == KEEP ? go_keep : go_rest);
    CHECK(children[i] > 0, "clone %d: %s", i, strerror(errno));
  }
  // All at once alive; now all but KEEP end.
  CHECK(write(go_rest[1], (char[COUNT]){[0 ... COUNT - 1] = 'q'}, COUNT - 1) == COUNT - 1, "write");
  for (int i = 0; i < COUNT; i++) {
    if (i == KEEP) continue;
    int status;
    CHECK(waitpid(children[i], &status, 0) == children[i], "waitpid: %s", strerror(errno));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5, "child %d ended with 0x%x", i, status);
  }
}

static void tick(void) {}

static void finish(void) {
  CHECK(write(go_keep[1], "q", 1) == 1, "write");
  int status;
  CHECK(waitpid(children[KEEP], &status, 0) == children[KEEP], "waitpid: %s", strerror(errno));
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5, "the child left ended with 0x%x", status);
}

CONFORMANCE_MAIN
