// Saving the address space. Pages that were never touched or are all zero
// are not written (pages the kernel maps to its zero page are skipped
// without reading them, where it says so: PAGEMAP_SCAN, Linux 6.7); for
// private file mappings only the pages the process changed are written, the
// rest comes back from the file at restart.
#include "memory.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "maps_line.h"
#include "memory_advice.h"
#include "pagemap_scan.h"
#include "restore_plan.h"
#include "runtime.h"
#include "write_tracking.h"

namespace dmtcp::rt {
namespace {

constexpr uint64_t kPage = image::kPageSize;
constexpr uint64_t kPmPresent = 1ULL << 63;
constexpr uint64_t kPmSwapped = 1ULL << 62;
constexpr uint64_t kPmFile = 1ULL << 61;
constexpr uint64_t kPmZeroPfn = 1ULL << 60;  // ours: a bit that /proc/self/pagemap leaves 0
constexpr uint64_t kPmWritten = 1ULL << 59;  // ours: written since the last checkpoint

// Fills out[] (one pagemap-style entry per page of [start, start + pages))
// from PAGEMAP_SCAN; false if the kernel has no such ioctl.
bool ScanPages(int pagemap_fd, uint64_t start, uint64_t pages, uint64_t* out) {
  static pm_scan::Region regions[512];
  for (uint64_t i = 0; i < pages; ++i) out[i] = 0;
  const uint64_t end = start + pages * kPage;
  for (uint64_t at = start; at < end;) {
    pm_scan::Arg arg{};
    arg.size = sizeof arg;
    arg.start = at;
    arg.end = end;
    arg.vec = reinterpret_cast<uint64_t>(regions);
    arg.vec_len = sizeof regions / sizeof regions[0];
    arg.category_anyof_mask = pm_scan::kPresent | pm_scan::kSwapped;
    arg.return_mask = pm_scan::kPresent | pm_scan::kSwapped | pm_scan::kFile | pm_scan::kPfnZero;
    long n = RawSyscall(SYS_ioctl, pagemap_fd, static_cast<long>(pm_scan::kIoctl),
                        reinterpret_cast<long>(&arg));
    if (n < 0) return false;
    for (long r = 0; r < n; ++r) {
      const uint64_t c = regions[r].categories;
      const uint64_t bits =
          ((c & pm_scan::kPresent) ? kPmPresent : 0) | ((c & pm_scan::kSwapped) ? kPmSwapped : 0) |
          ((c & pm_scan::kFile) ? kPmFile : 0) | ((c & pm_scan::kPfnZero) ? kPmZeroPfn : 0);
      for (uint64_t a = regions[r].start; a < regions[r].end && a < end; a += kPage)
        if (a >= start) out[(a - start) / kPage] = bits;
    }
    if (arg.walk_end <= at) return false;  // no progress: do not trust it
    at = arg.walk_end;
  }
  return true;
}

bool NameIs(const MapsLine& m, const char* s) {
  size_t n = StrLen(s);
  if (m.name_len != n) return false;
  for (size_t i = 0; i < n; ++i)
    if (m.name[i] != s[i]) return false;
  return true;
}

bool NameStarts(const MapsLine& m, const char* s) {
  size_t n = StrLen(s);
  if (m.name_len < n) return false;
  for (size_t i = 0; i < n; ++i)
    if (m.name[i] != s[i]) return false;
  return true;
}

bool Deleted(const MapsLine& m) {
  const char suffix[] = " (deleted)";
  const uint32_t n = sizeof suffix - 1;
  if (m.name_len < n) return false;
  for (uint32_t i = 0; i < n; ++i)
    if (m.name[m.name_len - n + i] != suffix[i]) return false;
  return true;
}

// A shared mapping of a node-local file whose name is gone, such as glibc's
// named semaphores (made under a temporary name that is linked to the
// semaphore's and removed): the name the file still has in that folder, so
// that the restart puts the memory back there, where other processes open
// it; 0 if the file has no other name there.
uint32_t LiveName(const MapsLine& m, char* out, uint32_t cap) {
  uint32_t base = m.name_len - static_cast<uint32_t>(sizeof " (deleted)" - 1);
  while (base > 0 && m.name[base - 1] != '/') --base;
  if (base == 0 || base >= cap) return 0;
  for (uint32_t i = 0; i < base; ++i) out[i] = m.name[i];
  out[base] = 0;
  const long dfd = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(out),
                              O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return 0;
  static char buf[8192];  // the checkpoint thread's alone
  uint32_t found = 0;
  while (!found) {
    const long n = RawSyscall(SYS_getdents64, dfd, reinterpret_cast<long>(buf), sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n && !found;) {
      const auto* d = reinterpret_cast<const struct dirent64*>(buf + off);
      off += d->d_reclen;
      if (d->d_ino != m.inode) continue;
      struct stat st;
      if (RawSyscall(SYS_newfstatat, dfd, reinterpret_cast<long>(d->d_name),
                     reinterpret_cast<long>(&st), AT_SYMLINK_NOFOLLOW) != 0 ||
          !S_ISREG(st.st_mode) || st.st_ino != m.inode || major(st.st_dev) != m.dev_major ||
          minor(st.st_dev) != m.dev_minor)
        continue;
      const uint32_t len = static_cast<uint32_t>(StrLen(d->d_name));
      if (base + len >= cap) continue;
      for (uint32_t i = 0; i <= len; ++i) out[base + i] = d->d_name[i];
      found = base + len;
    }
  }
  RawSyscall(SYS_close, dfd);
  return found;
}

// Memory a restart with --lazy mapped from a checkpoint image: the program's
// own memory, whose pages were not all read yet (and whose file a later
// checkpoint replaces), so every page of it is saved as anonymous memory.
bool MappedFromImage(const MapsLine& m) {
  if (m.perms[3] != 'p' || m.name_len == 0 || m.name[0] != '/') return false;
  uint32_t end = m.name_len - (Deleted(m) ? sizeof " (deleted)" - 1 : 0);
  uint32_t base = end;
  while (base > 0 && m.name[base - 1] != '/') --base;
  return image::CheckpointFileName(m.name + base, end - base);
}

}  // namespace

bool PageIsZero(const uint64_t* p) {
  // A page that is not zero mostly shows it in its first bytes: the whole
  // page is read only then (else every checkpoint reads all memory once more).
  if (p[0] | p[1] | p[2] | p[3] | p[4] | p[5] | p[6] | p[7]) return false;
  uint64_t acc = 0;
  for (int i = 8; i < static_cast<int>(kPage / 8); ++i) acc |= p[i];
  return acc == 0;
}

bool WriteObjectPages(image::ImageWriter& w, const char* base, uint64_t size, bool resident_only) {
  unsigned char vec[1024];
  uint64_t run_start = 0, run_len = 0;
  const uint64_t total = (size + kPage - 1) / kPage;
  for (uint64_t first = 0; first < total; first += sizeof vec) {
    const uint64_t n = total - first < sizeof vec ? total - first : sizeof vec;
    if (!resident_only ||
        RawSyscall(SYS_mincore, reinterpret_cast<long>(base + first * kPage),
                   static_cast<long>(n * kPage), reinterpret_cast<long>(vec)) != 0) {
      for (uint64_t i = 0; i < n; ++i) vec[i] = 1;
    }
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t off = (first + i) * kPage;
      if (!(vec[i] & 1) || PageIsZero(reinterpret_cast<const uint64_t*>(base + off))) continue;
      if (run_len && run_start + run_len == off) {
        run_len += kPage;
        continue;
      }
      if (run_len && !w.WriteData(run_start, base + run_start, run_len)) return false;
      run_start = off;
      run_len = kPage;
    }
  }
  // The blocks must be read before the caller unmaps the object.
  return (!run_len || w.WriteData(run_start, base + run_start, run_len)) && w.Drain();
}

namespace {

uint32_t Prot(const MapsLine& m) {
  return (m.perms[0] == 'r' ? PROT_READ : 0) | (m.perms[1] == 'w' ? PROT_WRITE : 0) |
         (m.perms[2] == 'x' ? PROT_EXEC : 0);
}

image::AreaKind Classify(const MapsLine& m) {
  if (MappedFromImage(m)) return image::AreaKind::kAnonPrivate;
  if (m.name_len > 0 && m.name[0] == '[') {
    if (NameIs(m, "[heap]")) return image::AreaKind::kHeap;
    if (NameIs(m, "[stack]")) return image::AreaKind::kStack;
    if (NameStarts(m, "[anon:") || NameStarts(m, "[stack:")) return image::AreaKind::kAnonPrivate;
    // Shared anonymous memory the program named (PR_SET_VMA_ANON_NAME).
    if (NameStarts(m, "[anon_shmem:")) return image::AreaKind::kAnonShared;
    return image::AreaKind::kSpecial;
  }
  const bool file = m.inode != 0 && m.name_len > 0 && m.name[0] == '/' && !Deleted(m);
  // POSIX shared memory (/dev/shm) and shared files in the node's temporary
  // folders (Open MPI's and PMIx's session directories) do not outlive the
  // node, nor move with a restart to another one: saved like anonymous
  // shared memory, and put back into their files at restart.
  if (m.perms[3] == 's' && image::NodeLocalPath(m.name, m.name_len))
    return image::AreaKind::kAnonShared;
  if (m.perms[3] == 's') return file ? image::AreaKind::kFileShared : image::AreaKind::kAnonShared;
  return file ? image::AreaKind::kFilePrivate : image::AreaKind::kAnonPrivate;
}

// Writes the pages of [start, end) of the area m that must be saved.
bool WritePages(image::ImageWriter& w, const MemoryScratch& s, int pagemap_fd, const MapsLine& m,
                uint64_t start, uint64_t end, image::AreaKind kind, uint32_t prot, uint32_t advice,
                bool every_page) {
  const bool file_backed = kind == image::AreaKind::kFilePrivate;
  // Private anonymous memory: the kernel can say which pages were written.
  const bool scan_writes = !every_page && m.perms[3] == 'p' &&
                           (kind == image::AreaKind::kAnonPrivate ||
                            kind == image::AreaKind::kHeap || kind == image::AreaKind::kStack);
  bool made_readable = false;
  uint64_t run_start = 0, run_len = 0;
  bool run_unchanged = false;  // no page of the run was written since the last generation
  auto flush = [&]() {
    bool ok = run_len == 0 || w.WriteData(run_start, reinterpret_cast<const void*>(run_start),
                                          run_len, true, run_unchanged);
    run_len = 0;
    return ok;
  };
  for (uint64_t chunk = start; chunk < end;) {
    uint64_t pages = (end - chunk) / kPage;
    if (pages > s.pagemap_cap) pages = s.pagemap_cap;
    static bool no_scan;  // the kernel has no PAGEMAP_SCAN: read the pagemap
    if (no_scan || !ScanPages(pagemap_fd, chunk, pages, s.pagemap)) {
      no_scan = true;
      long r = RawSyscall(SYS_pread64, pagemap_fd, reinterpret_cast<long>(s.pagemap),
                          static_cast<long>(pages * 8), static_cast<long>(chunk / kPage * 8));
      if (r != static_cast<long>(pages * 8)) {
        // No pagemap: treat every page as present.
        for (uint64_t i = 0; i < pages; ++i) s.pagemap[i] = kPmPresent;
      }
    }
    if (kind == image::AreaKind::kAnonShared) {
      // Shared memory: a page another process wrote need not be mapped in
      // ours; what counts is whether the object has it (mincore), so that
      // every process saves every page and none is lost.
      auto* vec = reinterpret_cast<unsigned char*>(s.pagemap);  // reused: one byte a page
      if (RawSyscall(SYS_mincore, static_cast<long>(chunk), static_cast<long>(pages * kPage),
                     reinterpret_cast<long>(vec)) == 0) {
        for (uint64_t i = pages; i-- > 0;) s.pagemap[i] = (vec[i] & 1) ? kPmPresent : 0;
      }
    }
    // Before any page of the chunk is read: a write after it is seen next time.
    bool writes_known = scan_writes && ScanWrittenPages(pagemap_fd, m.start, m.end, advice, chunk,
                                                        pages, s.pagemap, kPmWritten);
    writes_known = writes_known && WriteScanUsable();
    for (uint64_t i = 0; i < pages; ++i) {
      const uint64_t pm = s.pagemap[i];
      const bool unchanged = writes_known && !(pm & kPmWritten);
      const uint64_t addr = chunk + i * kPage;
      bool save;
      if (every_page) {
        save = true;  // read from the image file on first touch: present or not
      } else if (file_backed) {
        save = ((pm & kPmPresent) && !(pm & kPmFile)) || (pm & kPmSwapped);
      } else {
        save = (pm & (kPmPresent | kPmSwapped)) != 0;
      }
      if (save && !(prot & PROT_READ) && !made_readable) {
        if (RawSyscall(SYS_mprotect, static_cast<long>(start), static_cast<long>(end - start),
                       prot | PROT_READ) != 0)
          return false;
        made_readable = true;
      }
      if (save && !file_backed &&
          ((pm & kPmZeroPfn) || PageIsZero(reinterpret_cast<const uint64_t*>(addr))))
        save = false;
      if (save) {
        // A run ends where a block does (image::kMaxBlock), so that whether it
        // changed is known per block.
        if (run_len && run_start + run_len == addr && addr % image::kMaxBlock != 0) {
          run_len += kPage;
          run_unchanged = run_unchanged && unchanged;
        } else {
          if (!flush()) return false;
          run_start = addr;
          run_len = kPage;
          run_unchanged = unchanged;
        }
      }
    }
    chunk += pages * kPage;
  }
  // The blocks must be read before the area is closed again.
  bool ok = flush() && (!made_readable || w.Drain());
  if (made_readable)
    RawSyscall(SYS_mprotect, static_cast<long>(start), static_cast<long>(end - start), prot);
  return ok;
}

bool WriteArea(image::ImageWriter& w, const MemoryScratch& s, int pagemap_fd, const MapsLine& m,
               uint64_t start, uint64_t end, uint32_t* count) {
  image::AreaInfo a{};
  a.start = start;
  a.end = end;
  a.prot = Prot(m);
  auto kind = Classify(m);
  a.file_offset = m.offset + (start - m.start);
  a.dev = (static_cast<uint64_t>(m.dev_major) << 32) | m.dev_minor;
  a.inode = m.inode;
  a.advice = AdviceAt(m.start);
  if (kind == image::AreaKind::kFilePrivate || kind == image::AreaKind::kFileShared) {
    char path[4096];
    uint32_t n = m.name_len < sizeof path - 1 ? m.name_len : sizeof path - 1;
    for (uint32_t i = 0; i < n; ++i) path[i] = m.name[i];
    path[n] = 0;
    struct stat st;
    if (RawSyscall(SYS_stat, reinterpret_cast<long>(path), reinterpret_cast<long>(&st)) == 0 &&
        st.st_ino == m.inode) {
      a.file_size = static_cast<uint64_t>(st.st_size);
      a.mtime_sec = st.st_mtim.tv_sec;
      a.mtime_nsec = st.st_mtim.tv_nsec;
    } else if (kind == image::AreaKind::kFilePrivate) {
      kind = image::AreaKind::kAnonPrivate;  // the file changed: keep our copy
    } else {
      kind = image::AreaKind::kAnonShared;
    }
  }
  a.kind = static_cast<uint32_t>(kind);
  const bool from_image = MappedFromImage(m);  // anonymous memory, as the program made it
  if (from_image) a.dev = a.inode = a.file_offset = 0;
  const char* name = m.name;
  a.name_len = from_image ? 0 : m.name_len;
  char live[4096];
  if (kind == image::AreaKind::kAnonShared && Deleted(m) &&
      image::NodeLocalPath(m.name, m.name_len)) {
    const uint32_t n = LiveName(m, live, sizeof live);
    if (n) name = live, a.name_len = n;
  }
  if (!w.WriteRecord(image::RecordType::kArea, &a, sizeof a, name, a.name_len)) return false;
  ++*count;
  if (kind == image::AreaKind::kSpecial || kind == image::AreaKind::kFileShared) return true;
  // A System V segment's pages are in its own record (sysv_ipc.cc).
  if (kind == image::AreaKind::kAnonShared && NameStarts(m, "/SYSV")) return true;
  return WritePages(w, s, pagemap_fd, m, start, end, kind, a.prot, a.advice, from_image);
}

}  // namespace

bool MappedDeviceRefused(char* maps, uint64_t cap, char* dev, size_t devcap) {
  // Memory of network cards that the program registered with them (RDMA):
  // InfiniBand/RoCE verbs, Omni-Path, Slingshot, Gemini/Aries; and of GPUs
  // (NVIDIA, AMD ROCm), whose state lives in the device.
  static const char* const kBuiltIn[] = {"/dev/infiniband/", "/dev/hfi1",   "/dev/cxi",
                                         "/dev/kgni",        "/dev/nvidia", "/dev/kfd"};
  int fd = static_cast<int>(RawSyscall(
      SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/maps"), O_RDONLY | O_CLOEXEC));
  if (fd < 0) return false;
  uint64_t n = 0;
  for (long r; n + 1 < cap && (r = RawSyscall(SYS_read, fd, reinterpret_cast<long>(maps + n),
                                              static_cast<long>(cap - 1 - n))) > 0;)
    n += static_cast<uint64_t>(r);
  RawSyscall(SYS_close, fd);
  maps[n] = 0;
  // A site may name more (GPUs, other cards): DMTCP_REFUSE_DEVICES=/dev/a:/dev/b.
  const char* extra = g.cfg.refuse_devices;
  const char* p = maps;
  MapsLine m;
  while (ParseLine(p, &m)) {
    if (m.name_len == 0 || m.name[0] != '/') continue;
    bool refused = false;
    for (const char* d : kBuiltIn) refused = refused || NameStarts(m, d);
    for (const char* e = extra; !refused && e && *e;) {
      const char* end = e;
      while (*end && *end != ':') ++end;
      const size_t len = static_cast<size_t>(end - e);
      refused = len > 0 && m.name_len >= len;
      for (size_t i = 0; refused && i < len; ++i) refused = m.name[i] == e[i];
      e = *end ? end + 1 : end;
    }
    if (!refused) continue;
    const size_t len = m.name_len < devcap - 1 ? m.name_len : devcap - 1;
    for (size_t i = 0; i < len; ++i) dev[i] = m.name[i];
    dev[len] = 0;
    return true;
  }
  return false;
}

bool HasAioRing(const char* maps) {
  const char* p = maps;
  MapsLine m;
  while (ParseLine(p, &m))
    if (NameStarts(m, "/[aio]")) return true;
  return false;
}

bool HasSharedMemoryToSave(const char* maps, uint64_t skip_start, uint64_t skip_end,
                           uint64_t skip2_start, uint64_t skip2_end) {
  const char* p = maps;
  MapsLine m;
  while (ParseLine(p, &m)) {
    if (m.perms[1] != 'w' || Classify(m) != image::AreaKind::kAnonShared) continue;
    const bool ours =
        (m.start < skip_end && skip_start < m.end) || (m.start < skip2_end && skip2_start < m.end);
    if (!ours) return true;
  }
  return false;
}

bool FileSavedAsMemory(const char* maps, uint64_t dev, uint64_t inode, uint64_t size) {
  const char* p = maps;
  MapsLine m;
  while (ParseLine(p, &m))
    if (m.inode == inode && makedev(m.dev_major, m.dev_minor) == dev && m.offset == 0 &&
        m.end - m.start >= size && Classify(m) == image::AreaKind::kAnonShared)
      return true;
  return false;
}

bool WriteMemory(image::ImageWriter& w, const MemoryScratch& s, uint32_t* num_areas) {
  *num_areas = 0;
  int fd = static_cast<int>(RawSyscall(
      SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/maps"), O_RDONLY | O_CLOEXEC));
  if (fd < 0) return false;
  uint64_t n = 0;
  for (;;) {
    long r = RawSyscall(SYS_read, fd, reinterpret_cast<long>(s.maps + n),
                        static_cast<long>(s.maps_cap - 1 - n));
    if (r <= 0) break;
    n += static_cast<uint64_t>(r);
    if (n + 1 >= s.maps_cap) {
      RawSyscall(SYS_close, fd);
      Log("too many memory areas to checkpoint");
      return false;
    }
  }
  RawSyscall(SYS_close, fd);
  s.maps[n] = 0;
  int pagemap_fd = static_cast<int>(RawSyscall(
      SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/pagemap"), O_RDONLY | O_CLOEXEC));
  // A restart moves the kernel's own mappings (vdso, vvar, ...) out of the
  // way of the program's memory, so many and no more.
  uint32_t specials = 0;
  MapsLine m;
  for (const char* q = s.maps; ParseLine(q, &m);)
    if (!NameIs(m, "[vsyscall]") && Classify(m) == image::AreaKind::kSpecial) ++specials;
  if (specials > plan::kMaxSpecials) {
    if (pagemap_fd >= 0) RawSyscall(SYS_close, pagemap_fd);
    char num[16], most[64] = " kernel special mappings, more than a restart moves: ";
    FormatUint(num, sizeof num, specials);
    char limit[16];
    FormatUint(limit, sizeof limit, plan::kMaxSpecials);
    StrCat(most, sizeof most, limit);
    CheckpointFailed("it has ", num, most);
    return false;
  }
  bool ok = true;
  const char* p = s.maps;
  while (ok && ParseLine(p, &m)) {
    if (NameIs(m, "[vsyscall]")) continue;
    // Cut our own memory (scratch, pid table, saved data) out of
    // whatever area it merged into.
    uint64_t cuts[6][2] = {{s.skip_start, s.skip_end},   {s.skip2_start, s.skip2_end},
                           {s.skip3_start, s.skip3_end}, {s.skip4_start, s.skip4_end},
                           {s.skip5_start, s.skip5_end}, {s.skip6_start, s.skip6_end}};
    for (int i = 1; i < 6; ++i)  // by start
      for (int j = i; j > 0 && cuts[j][0] < cuts[j - 1][0]; --j)
        for (int k = 0; k < 2; ++k) {
          const uint64_t t = cuts[j][k];
          cuts[j][k] = cuts[j - 1][k];
          cuts[j - 1][k] = t;
        }
    uint64_t at = m.start;
    for (const auto& c : cuts) {
      if (!ok || c[1] <= at || c[0] >= m.end || c[0] == c[1]) continue;
      if (c[0] > at) ok = WriteArea(w, s, pagemap_fd, m, at, c[0], num_areas);
      at = c[1];
    }
    if (ok && at < m.end) ok = WriteArea(w, s, pagemap_fd, m, at, m.end, num_areas);
  }
  if (pagemap_fd >= 0) RawSyscall(SYS_close, pagemap_fd);
  return ok;
}

}  // namespace dmtcp::rt
