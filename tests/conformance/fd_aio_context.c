// A Linux native AIO context (io_setup, as libaio and some databases use): its ring and
// requests live in the kernel, and a restart cannot make them again (the context's id is the
// ring's address). The checkpoint must be refused, naming it, rather than restore a program
// whose next io_submit fails (EINVAL); the program goes on reading through it.
// EXPECT-REFUSED: Linux native AIO context \(io_setup\)
#include <linux/aio_abi.h>
#include <sys/syscall.h>

#include "conformance.h"

static aio_context_t ctx;
static int fd;

// One read of 512 bytes of /dev/zero through the context.
static void read_once(void) {
  char buf[512];
  memset(buf, 1, sizeof buf);
  struct iocb cb = {0};
  cb.aio_lio_opcode = IOCB_CMD_PREAD;
  cb.aio_fildes = fd;
  cb.aio_buf = (uint64_t)(uintptr_t)buf;
  cb.aio_nbytes = sizeof buf;
  struct iocb *list[1] = {&cb};
  CHECK(syscall(SYS_io_submit, ctx, 1, list) == 1, "io_submit: %s", strerror(errno));
  struct io_event ev;
  CHECK(syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) == 1, "io_getevents: %s", strerror(errno));
  CHECK(ev.res == sizeof buf && buf[0] == 0 && buf[511] == 0, "the read returned %lld",
        (long long)ev.res);
}

static void setup(void) {
  fd = SYS(open("/dev/zero", O_RDONLY));
  SYS(syscall(SYS_io_setup, 8, &ctx));
  read_once();
}

static void tick(void) { read_once(); }

static void finish(void) {
  read_once();
  CHECK(syscall(SYS_io_destroy, ctx) == 0, "io_destroy: %s", strerror(errno));
}

CONFORMANCE_MAIN
