#include "shared_object_views.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "image_format.h"
#include "maps_line.h"
#include "plugins.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

constexpr uint64_t kPage = image::kPageSize;
constexpr int kMaxObjects = 256;
constexpr uint64_t kMaxObjectPages = 1ULL << 35;  // 128 TiB: past it, not a size

struct Object {
  uint32_t dev_major, dev_minor;
  uint64_t inode;
  uint64_t base;  // start - offset of its first area: the same for all while they run straight
  uint64_t src;   // an area of it, readable
  bool nonlinear;
};

struct View {
  uint64_t addr, len;
};
View g_views[kMaxObjects];
int g_num_views;

bool EndsWith(const MapsLine& m, const char* s) {
  const uint32_t n = static_cast<uint32_t>(StrLen(s));
  if (m.name_len < n) return false;
  for (uint32_t i = 0; i < n; ++i)
    if (m.name[m.name_len - n + i] != s[i]) return false;
  return true;
}

bool StartsWithName(const MapsLine& m, const char* s) {
  const uint32_t n = static_cast<uint32_t>(StrLen(s));
  if (m.name_len < n) return false;
  for (uint32_t i = 0; i < n; ++i)
    if (m.name[i] != s[i]) return false;
  return true;
}

// Shared memory whose pages the image holds (memory.cc saves it as
// AreaKind::kAnonShared); System V segments have a record of their own.
bool SavedSharedMemory(const MapsLine& m) {
  if (m.perms[3] != 's' || m.inode == 0 || StartsWithName(m, "/SYSV")) return false;
  return EndsWith(m, " (deleted)") || StartsWithName(m, "[anon_shmem:") ||
         image::NodeLocalPath(m.name, m.name_len);
}

// Whether page k of the object that src (an area of it) shows exists: a
// window of one page made on it, read.
bool PageExists(uint64_t src, uint64_t k) {
  const long w = RawSyscall(SYS_mremap, static_cast<long>(src), 0, kPage, MREMAP_MAYMOVE);
  if (w < 0 && w > -4096) return false;
  bool ok = false;
  if (RawSyscall(SYS_remap_file_pages, w, kPage, 0, static_cast<long>(k), 0) == 0) {
    char byte;
    struct iovec local = {&byte, 1}, remote = {reinterpret_cast<void*>(w), 1};
    // A page past the object's end fails the read (EFAULT) rather than raise SIGBUS.
    ok = RawSyscall(SYS_process_vm_readv, RawSyscall(SYS_getpid), reinterpret_cast<long>(&local), 1,
                    reinterpret_cast<long>(&remote), 1, 0) == 1;
  }
  RawSyscall(SYS_munmap, w, kPage);
  return ok;
}

// The object's size in pages, 0 if it cannot be found.
uint64_t ObjectPages(uint64_t src) {
  if (!PageExists(src, 0)) return 0;
  uint64_t good = 0, bad = 1;
  while (PageExists(src, bad)) {
    good = bad;
    bad *= 2;
    if (bad > kMaxObjectPages) return 0;
  }
  while (bad - good > 1) {
    const uint64_t mid = good + (bad - good) / 2;
    (PageExists(src, mid) ? good : bad) = mid;
  }
  return bad;
}

void AddView(const Object& o) {
  if (g_num_views >= kMaxObjects) return;
  const uint64_t pages = ObjectPages(o.src);
  if (!pages) {
    Log("checkpoint: the size of a shared memory object rearranged by remap_file_pages is "
        "unknown: pages it shows nowhere are not saved");
    return;
  }
  const uint64_t len = pages * kPage;
  const long v =
      RawSyscall(SYS_mremap, static_cast<long>(o.src), 0, static_cast<long>(len), MREMAP_MAYMOVE);
  if (v < 0 && v > -4096) return;
  if (RawSyscall(SYS_remap_file_pages, v, static_cast<long>(len), 0, 0, 0) != 0) {
    RawSyscall(SYS_munmap, v, static_cast<long>(len));
    return;
  }
  g_views[g_num_views++] = View{static_cast<uint64_t>(v), len};
}

void AddViews() {
  // /proc/self/maps into memory of our own, grown until it fits.
  uint64_t cap = 1 << 20;
  long buf = 0;
  uint64_t n = 0;
  for (;;) {
    buf = RawSyscall(SYS_mmap, 0, static_cast<long>(cap), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf < 0 && buf > -4096) return;
    const int fd = static_cast<int>(RawSyscall(
        SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/maps"), O_RDONLY | O_CLOEXEC));
    n = 0;
    for (long r = 1; fd >= 0 && r > 0 && n + 1 < cap; n += static_cast<uint64_t>(r > 0 ? r : 0))
      r = RawSyscall(SYS_read, fd, buf + static_cast<long>(n), static_cast<long>(cap - 1 - n));
    if (fd >= 0) RawSyscall(SYS_close, fd);
    if (n + 1 < cap) break;
    RawSyscall(SYS_munmap, buf, static_cast<long>(cap));
    cap *= 2;
  }
  char* text = reinterpret_cast<char*>(buf);
  text[n] = 0;
  static Object objects[kMaxObjects];
  int count = 0;
  MapsLine m;
  for (const char* p = text; ParseLine(p, &m);) {
    if (!SavedSharedMemory(m)) continue;
    Object* o = nullptr;
    for (int i = 0; i < count && !o; ++i)
      if (objects[i].inode == m.inode && objects[i].dev_major == m.dev_major &&
          objects[i].dev_minor == m.dev_minor)
        o = &objects[i];
    if (!o) {
      if (count == kMaxObjects) continue;
      o = &objects[count++];
      *o = Object{m.dev_major, m.dev_minor, m.inode, m.start - m.offset, 0, false};
    }
    if (m.start - m.offset != o->base) o->nonlinear = true;
    if (!o->src && m.perms[0] == 'r') o->src = m.start;
  }
  RawSyscall(SYS_munmap, buf, static_cast<long>(cap));
  for (int i = 0; i < count; ++i)
    if (objects[i].nonlinear && objects[i].src) AddView(objects[i]);
}

void RemoveViews() {
  for (int i = 0; i < g_num_views; ++i)
    RawSyscall(SYS_munmap, static_cast<long>(g_views[i].addr), static_cast<long>(g_views[i].len));
  g_num_views = 0;
}

void ViewsEventHook(const DmtcpEvent_t event, DmtcpEventData_t*) {
  if (event == DMTCP_EVENT_PRECHECKPOINT) AddViews();
  if (event == DMTCP_EVENT_REFILL) RemoveViews();
}

}  // namespace

void RegisterSharedObjectViewsPlugin() {
  DmtcpPluginDescriptor_t d = {DMTCP_PLUGIN_API_VERSION,
                               DMTCP_PACKAGE_VERSION,
                               "shared-object-views",
                               "dmtcp-ng",
                               "",
                               "shared memory rearranged by remap_file_pages: every page saved",
                               ViewsEventHook};
  RegisterBuiltin(d);
}

}  // namespace dmtcp::rt
