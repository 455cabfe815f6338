// Written pages from the kernel. The private anonymous areas are registered
// with a userfaultfd of the runtime in write-protect mode, async (Linux 6.7):
// a write to a protected page is let through by the kernel itself, which
// only marks the page written; nothing waits on the descriptor. Each
// checkpoint's PAGEMAP_SCAN reports the pages written since the last one
// and protects them again, before the checkpoint reads them.
//
// Sound only while no scan is missed: the reports are used when the last
// scan was made by the checkpoint of the generation the image refers to. A
// page the kernel changes without a fault (a device writing into pinned
// memory, RDMA) is not seen: DMTCP_INCREMENTAL_TRACKING=hash hashes every
// block instead. Areas where transparent huge pages may be used are hashed
// too: the kernel splits a protected huge page at its first write.
#include "write_tracking.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "image_format.h"
#include "pagemap_scan.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

// Linux 6.7's names; Debian 12's headers are older.
constexpr uint64_t kFeatureWpUnpopulated = 1 << 13;
constexpr uint64_t kFeatureWpAsync = 1 << 15;
constexpr long kUserModeOnly = 1;  // UFFD_USER_MODE_ONLY: allowed unprivileged

enum class Thp { kUnknown, kAlways, kMadvise, kNever };

int g_fd = -1;
long g_owner;              // the kernel pid the descriptor was made in
uint32_t g_last_scan_gen;  // the generation whose checkpoint scanned last
uint32_t g_scan_gen;       // this checkpoint's, while it scans (0: not)
bool g_usable;
bool g_unavailable;  // no such kernel interface here: not tried again
Thp g_thp = Thp::kUnknown;

long Self() { return RawSyscall(SYS_getpid); }

Thp ReadThpMode() {
  char buf[128];
  long fd = RawSyscall(SYS_openat, AT_FDCWD,
                       reinterpret_cast<long>("/sys/kernel/mm/transparent_hugepage/enabled"),
                       O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Thp::kNever;  // no THP in this kernel
  long n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(buf), sizeof buf - 1);
  RawSyscall(SYS_close, fd);
  buf[n > 0 ? n : 0] = 0;
  for (const char* p = buf; *p; ++p) {
    if (StartsWith(p, "[always]")) return Thp::kAlways;
    if (StartsWith(p, "[madvise]")) return Thp::kMadvise;
    if (StartsWith(p, "[never]")) return Thp::kNever;
  }
  return Thp::kAlways;  // unknown: assume the kernel may use them anywhere
}

bool Open() {
  const long fd = RawSyscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | kUserModeOnly);
  if (fd < 0) {
    g_unavailable = true;
    return false;
  }
  uffdio_api api{};
  api.api = UFFD_API;
  api.features = kFeatureWpAsync | kFeatureWpUnpopulated;
  if (RawSyscall(SYS_ioctl, fd, static_cast<long>(UFFDIO_API), reinterpret_cast<long>(&api)) != 0) {
    RawSyscall(SYS_close, fd);
    g_unavailable = true;
    return false;
  }
  // Kept at the runtime's numbers: the program is stopped now, and the
  // descriptor lives as long as the registrations.
  const long high = RawSyscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, ProtectedFdBase() + 4);
  RawSyscall(SYS_close, fd);
  if (high < 0) return false;
  g_fd = static_cast<int>(high);
  g_owner = Self();
  g_last_scan_gen = 0;
  if (g_thp == Thp::kUnknown) g_thp = ReadThpMode();
  return true;
}

// Areas where no transparent huge page is made (protection would split it).
bool WithoutHugePages(uint32_t advice) {
  switch (g_thp) {
    case Thp::kNever:
      return true;
    case Thp::kMadvise:
      return !(advice & image::kAdviseHugepage);
    default:
      return (advice & image::kAdviseNoHugepage) != 0;
  }
}

}  // namespace

void BeginWriteScan(uint32_t gen, uint32_t since_gen) {
  g_scan_gen = 0;
  g_usable = false;
  if (!g.cfg.incremental || !g.cfg.kernel_tracking || g_unavailable) return;
  // A parent's, inherited by a fork the fork handler did not see: closed, or
  // the program would seem to hold a userfaultfd (refused at checkpoint).
  if (g_fd >= 0 && g_owner != Self()) DropWriteTracking();
  if (g_fd < 0 && !Open()) return;
  g_usable = since_gen != 0 && g_last_scan_gen == since_gen;
  g_scan_gen = gen;
  g_last_scan_gen = gen;  // whether it completes or not: it protects pages again
}

bool WriteScanUsable() { return g_usable; }

bool ScanWrittenPages(int pagemap_fd, uint64_t area_start, uint64_t area_end, uint32_t advice,
                      uint64_t start, uint64_t pages, uint64_t* pagemap, uint64_t written_bit) {
  if (g_scan_gen == 0 || g_fd < 0 || g_owner != Self() || pagemap_fd < 0 ||
      !WithoutHugePages(advice))
    return false;
  // The whole area (registering part of it would split it); once registered,
  // again is a no-op.
  uffdio_register reg{};
  reg.range.start = area_start;
  reg.range.len = area_end - area_start;
  reg.mode = UFFDIO_REGISTER_MODE_WP;
  if (RawSyscall(SYS_ioctl, g_fd, static_cast<long>(UFFDIO_REGISTER),
                 reinterpret_cast<long>(&reg)) != 0)
    return false;
  static pm_scan::Region regions[512];
  const uint64_t end = start + pages * image::kPageSize;
  for (uint64_t at = start; at < end;) {
    pm_scan::Arg arg{};
    arg.size = sizeof arg;
    arg.flags = pm_scan::kWpMatching | pm_scan::kCheckWpAsync;
    arg.start = at;
    arg.end = end;
    arg.vec = reinterpret_cast<uint64_t>(regions);
    arg.vec_len = sizeof regions / sizeof regions[0];
    arg.category_mask = pm_scan::kWritten;
    arg.return_mask = pm_scan::kWritten;
    const long n = RawSyscall(SYS_ioctl, pagemap_fd, static_cast<long>(pm_scan::kIoctl),
                              reinterpret_cast<long>(&arg));
    if (n < 0) return false;
    for (long r = 0; r < n; ++r)
      for (uint64_t a = regions[r].start; a < regions[r].end && a < end; a += image::kPageSize)
        if (a >= start) pagemap[(a - start) / image::kPageSize] |= written_bit;
    if (arg.walk_end <= at) return false;  // no progress: do not trust it
    at = arg.walk_end;
  }
  return true;
}

int WriteTrackingFd() { return g_fd; }

void WriteTrackingFdMoved(int fd) { g_fd = fd; }

void DropWriteTracking() {
  if (g_fd >= 0) RawSyscall(SYS_close, g_fd);
  ForgetWriteTracking();
}

void ForgetWriteTracking() {
  g_fd = -1;
  g_owner = 0;
  g_last_scan_gen = g_scan_gen = 0;
  g_usable = false;
}

}  // namespace dmtcp::rt

using namespace dmtcp::rt;

// A program that registers memory with a userfaultfd of its own finds it
// free: the runtime's registration of that range is given up (its pages
// then count as written, so nothing is lost).
extern "C" int ioctl(int fd, unsigned long request, ...) {
  static auto real = Next<int (*)(int, unsigned long, void*)>("ioctl");
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  // A uffdio_register starts with its range, UFFDIO_UNREGISTER's argument:
  // the kernel reads it, so a bad pointer of the program's is its EFAULT,
  // not a fault in the runtime.
  static_assert(offsetof(uffdio_register, range) == 0);
  if (__builtin_expect(request == UFFDIO_REGISTER, 0) && g_fd >= 0 && fd != g_fd && arg)
    RawSyscall(SYS_ioctl, g_fd, static_cast<long>(UFFDIO_UNREGISTER), reinterpret_cast<long>(arg));
  return real(fd, request, arg);
}
