// A program that uses a userfaultfd of its own between checkpoints: each tick registers its
// memory (missing-page mode) and unregisters it. The runtime registers the same memory for
// write-protection at each checkpoint (incremental checkpoints ask the kernel which pages were
// written); the program's registration must still succeed, and the memory keep its data. The
// descriptor is open only with checkpoints held off (dmtcp_disable_ckpt): an open one is refused.
// A registration with a bad pointer fails with EFAULT, as without the runtime.
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "conformance.h"

int dmtcp_disable_ckpt(void) __attribute__((weak));
int dmtcp_enable_ckpt(void) __attribute__((weak));

#define PAGES 64
static unsigned char *a;
static long registered;

static void setup(void) {
  a = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(a != MAP_FAILED, "mmap");
  for (int i = 0; i < PAGES * 4096; i++) a[i] = (unsigned char)(i * 7);
}

static void tick(void) {
  if (dmtcp_disable_ckpt) dmtcp_disable_ckpt();
  int fd = (int)SYS(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | 1 /* UFFD_USER_MODE_ONLY */));
  struct uffdio_api api = {.api = UFFD_API};
  SYS(ioctl(fd, UFFDIO_API, &api));
  struct uffdio_register reg = {.range = {(unsigned long)a, PAGES * 4096},
                                .mode = UFFDIO_REGISTER_MODE_MISSING};
  CHECK(ioctl(fd, UFFDIO_REGISTER, &reg) == 0, "UFFDIO_REGISTER after %ld: %s", registered,
        strerror(errno));
  SYS(ioctl(fd, UFFDIO_UNREGISTER, &reg.range));
  // A bad pointer is the program's error to get back, as without the runtime.
  CHECK(ioctl(fd, UFFDIO_REGISTER, (void *)8) == -1 && errno == EFAULT,
        "UFFDIO_REGISTER with a bad pointer: %s", strerror(errno));
  close(fd);
  registered++;
  if (dmtcp_enable_ckpt) dmtcp_enable_ckpt();
  a[(registered * 4096) % (PAGES * 4096)] =
      (unsigned char)(((registered * 4096) % (PAGES * 4096)) * 7);
}

static void finish(void) {
  for (int i = 0; i < PAGES * 4096; i++) CHECK(a[i] == (unsigned char)(i * 7), "byte %d", i);
  CHECK(registered > 0, "no tick registered the memory");
}

CONFORMANCE_MAIN
