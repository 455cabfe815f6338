// Few areas carry advice: only those are kept, in a static table (no
// allocation on the checkpoint path) as large as the kernel's default limit
// of areas (vm.max_map_count); more fail the checkpoint rather than lose it. smaps is read in
// pieces, one complete line at a time: an area's header line ("start-end perms ...") comes before
// its "VmFlags:" line.
#include "memory_advice.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include "image_format.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

constexpr int kMaxAdvised = 65536;
struct Advised {
  uint64_t start;
  uint32_t bits;
};
Advised g_advised[kMaxAdvised];
int g_num_advised;

bool Flag(const char* p, char a, char b) {
  return p[0] == ' ' && p[1] == a && p[2] == b && (p[3] == ' ' || p[3] == 0);
}

uint32_t Bits(const char* vmflags) {
  uint32_t bits = 0;
  for (const char* p = vmflags; *p; ++p) {
    if (Flag(p, 'h', 'g')) bits |= image::kAdviseHugepage;
    if (Flag(p, 'n', 'h')) bits |= image::kAdviseNoHugepage;
    if (Flag(p, 'd', 'c')) bits |= image::kAdviseDontFork;
    if (Flag(p, 'd', 'd')) bits |= image::kAdviseDontDump;
    if (Flag(p, 'w', 'f')) bits |= image::kAdviseWipeOnFork;
  }
  return bits;
}

// The start address of an area's header line, or false for another line.
bool AreaStart(const char* l, uint64_t* start) {
  uint64_t v = 0;
  const char* p = l;
  for (;; ++p) {
    int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
    if (d < 0) break;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  if (p == l || *p != '-') return false;
  *start = v;
  return true;
}

}  // namespace

bool ReadMemoryAdvice() {
  static char buf[8192];
  g_num_advised = 0;
  int fd = static_cast<int>(RawSyscall(
      SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/smaps"), O_RDONLY | O_CLOEXEC));
  if (fd < 0) return false;
  uint64_t area = 0;
  size_t kept = 0;
  bool overflow = false;
  for (;;) {
    long n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(buf + kept),
                        static_cast<long>(sizeof buf - 1 - kept));
    if (n <= 0) break;
    const size_t len = kept + static_cast<size_t>(n);
    size_t line = 0;
    for (size_t i = 0; i < len; ++i) {
      if (buf[i] != '\n') continue;
      buf[i] = 0;
      const char* l = buf + line;
      line = i + 1;
      if (AreaStart(l, &area)) continue;
      if (!StartsWith(l, "VmFlags:")) continue;
      const uint32_t bits = Bits(l + 7);
      if (bits && g_num_advised == kMaxAdvised) overflow = true;
      if (bits && !overflow) g_advised[g_num_advised++] = {area, bits};
    }
    kept = len - line;
    for (size_t i = 0; i < kept; ++i) buf[i] = buf[line + i];
    if (kept == sizeof buf - 1) kept = 0;  // a line this long is a file name, not flags
  }
  RawSyscall(SYS_close, fd);
  return !overflow;
}

uint32_t AdviceAt(uint64_t start) {
  for (int i = 0; i < g_num_advised; ++i)
    if (g_advised[i].start == start) return g_advised[i].bits;
  return 0;
}

bool AnyAreaAdvised(uint32_t bits, uint64_t except_start) {
  for (int i = 0; i < g_num_advised; ++i)
    if ((g_advised[i].bits & bits) && (except_start == 0 || g_advised[i].start != except_start))
      return true;
  return false;
}

}  // namespace dmtcp::rt
