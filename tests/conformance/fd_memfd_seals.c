// Sealed memfds (as Wayland, systemd and sandboxes pass data that must not change): one sealed
// against writes, shrinking and growing, and mapped read-only; one made without
// MFD_ALLOW_SEALING (F_SEAL_SEAL only); one that allows sealing and has no seal yet. After
// restarts each has the seals it had (F_GET_SEALS), the sealed one still refuses writes and
// ftruncate, and the third takes a seal (stress-ng's seal stressor got EINVAL there).
#include <sys/mman.h>

#include "conformance.h"

static int sealed, plain, sealable;
static const char *view;

static void setup(void) {
  sealed = SYS(memfd_create("conformance-sealed", MFD_ALLOW_SEALING));
  char text[8192];
  for (size_t i = 0; i < sizeof text; ++i) text[i] = (char)('a' + i % 26);
  CHECK(write(sealed, text, sizeof text) == (ssize_t)sizeof text, "write");
  SYS(fcntl(sealed, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE));
  view = mmap(NULL, sizeof text, PROT_READ, MAP_SHARED, sealed, 0);
  CHECK(view != MAP_FAILED, "mmap: %s", strerror(errno));
  plain = SYS(memfd_create("conformance-plain", 0));
  SYS(ftruncate(plain, 4096));
  sealable = SYS(memfd_create("conformance-sealable", MFD_ALLOW_SEALING));
  SYS(ftruncate(sealable, 4096));
}

static void tick(void) {}

static void finish(void) {
  const int want = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
  CHECK(fcntl(sealed, F_GET_SEALS) == want, "the sealed memfd's seals are %#x, not %#x",
        fcntl(sealed, F_GET_SEALS), want);
  CHECK(fcntl(plain, F_GET_SEALS) == F_SEAL_SEAL, "the memfd made without sealing has seals %#x",
        fcntl(plain, F_GET_SEALS));
  CHECK(fcntl(sealable, F_GET_SEALS) == 0, "the sealable memfd has seals %#x",
        fcntl(sealable, F_GET_SEALS));
  CHECK(pwrite(sealed, "x", 1, 0) < 0 && errno == EPERM,
        "a write to the sealed memfd went through");
  CHECK(ftruncate(sealed, 100) < 0 && errno == EPERM, "the sealed memfd could be shrunk");
  char b[2];
  CHECK(pread(sealed, b, 2, 8190) == 2 && b[0] == (char)('a' + 8190 % 26), "its contents");
  CHECK(view[27] == 'b', "its mapping reads %c", view[27]);
  CHECK(fcntl(plain, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EPERM,
        "the memfd made without sealing took a seal");
  CHECK(fcntl(sealable, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "F_ADD_SEALS: %s", strerror(errno));
  CHECK(ftruncate(sealable, 100) < 0 && errno == EPERM, "the new seal does not hold");
}

CONFORMANCE_MAIN
