#include "incremental.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"
#include "write_tracking.h"

namespace dmtcp::rt {

namespace {

using image::SavedBlock;

// Two tables in one mapping: the last complete generation's and the one
// being written. Left out of forks (MADV_DONTFORK) and of the images.
struct Tables {
  SavedBlock* base;  // 2 * cap blocks
  uint64_t cap;
  int prev;  // 0 or 1: which half holds the previous generation
  uint64_t prev_count;
  bool prev_valid;
  uint32_t prev_gen;
  int since_full;   // generations since the last whole one
  uint64_t wanted;  // blocks the last image had (more than the room, if it overflowed)
  long owner;       // the process (kernel pid) the mapping belongs to
  char prev_path[4200];
  // The generation written and waiting for its commit.
  bool pending;
  uint32_t pending_gen;
  uint64_t pending_count;
  bool pending_complete;
  bool pending_refers;
  uint64_t pending_gens;                                // bit i: pending_gen - 1 - i is referred to
  image::PeerUse pending_peers[image::kMaxPeerImages];  // other processes' images referred to
  uint32_t pending_num_peers;
};
Tables t;
bool g_tracking;  // this checkpoint writes a table

long KernelPid() { return RawSyscall(SYS_getpid); }

SavedBlock* Half(int i) { return t.base + static_cast<uint64_t>(i) * t.cap; }

// Blocks the address space can need: one per MiB and a few per area.
uint64_t BlocksBound() {
  char buf[128];
  long fd = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/statm"),
                       O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  long n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(buf), sizeof buf - 1);
  RawSyscall(SYS_close, fd);
  if (n <= 0) return 0;
  uint64_t pages = 0;
  for (long i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i)
    pages = pages * 10 + (buf[i] - '0');
  // A block per area or run beyond those: as many as the last image wanted.
  const uint64_t last = t.wanted + t.wanted / 4;
  const uint64_t bound = pages * image::kPageSize / image::kMaxBlock + 1024;
  return last > bound ? last : bound;
}

// Room for `need` blocks a half, the previous table kept.
bool Reserve(uint64_t need) {
  if (t.base && t.owner == KernelPid() && t.cap >= need) return true;
  if (t.base && t.owner != KernelPid()) t = Tables{};  // a child's inherited view: not ours
  const uint64_t cap = need;
  const uint64_t len = (2 * cap * sizeof(SavedBlock) + 4095) & ~uint64_t{4095};
  long m = RawSyscall(SYS_mmap, 0, static_cast<long>(len), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m < 0 && m > -4096) return false;
  auto* base = reinterpret_cast<SavedBlock*>(m);
  RawSyscall(SYS_madvise, m, static_cast<long>(len), MADV_DONTFORK);
  if (t.base) {
    if (t.prev_valid)
      __builtin_memcpy(base + static_cast<uint64_t>(t.prev) * cap, Half(t.prev),
                       t.prev_count * sizeof(SavedBlock));
    RawSyscall(SYS_munmap, reinterpret_cast<long>(t.base),
               static_cast<long>((2 * t.cap * sizeof(SavedBlock) + 4095) & ~uint64_t{4095}));
  } else {
    t.owner = KernelPid();
  }
  t.base = base;
  t.cap = cap;
  return true;
}

const char* BaseName(const char* path) {
  const char* b = path;
  for (const char* p = path; *p; ++p)
    if (*p == '/') b = p + 1;
  return b;
}

void GenName(const char* path, uint32_t gen, char* out, size_t cap) {
  char num[16];
  FormatUint(num, sizeof num, gen);
  StrCopy(out, cap, path);
  StrCat(out, cap, image::kBaseSuffix);
  StrCat(out, cap, num);
}

bool SameString(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

}  // namespace

void PrepareIncremental(image::ImageWriter& w, const char* path, uint32_t gen) {
  g_tracking = false;
  t.pending = false;
  if (!g.cfg.incremental) return;
  if (t.base && t.owner != KernelPid()) t = Tables{};
  const uint64_t need = BlocksBound();
  if (need == 0 || !Reserve(need)) return;
  const bool refer = t.prev_valid && t.prev_gen < gen && gen - t.prev_gen <= 32 &&
                     t.since_full + 1 < g.cfg.full_every && SameString(t.prev_path, path);
  BeginWriteScan(gen, refer ? t.prev_gen : 0);
  w.Track(refer ? Half(t.prev) : nullptr, refer ? t.prev_count : 0, Half(1 - t.prev), t.cap, gen);
  t.pending_gen = gen;
  g_tracking = true;
}

bool WriteBaseImages(image::ImageWriter& w, const char* path) {
  if (!g_tracking) return true;
  if (!w.Drain()) return false;  // every block written: what it refers to is known
  const uint32_t gen = t.pending_gen;
  for (uint32_t back = 1; back <= 64 && back <= gen; ++back) {
    if (!w.RefersTo(gen - back)) continue;
    char name[512];
    GenName(BaseName(path), gen - back, name, sizeof name);
    image::BaseImageInfo bi{gen - back, static_cast<uint32_t>(StrLen(name))};
    if (!w.WriteRecord(image::RecordType::kBaseImage, &bi, sizeof bi, name, bi.name_len))
      return false;
  }
  return true;
}

void IncrementalWritten(const image::ImageWriter& w) {
  if (!g_tracking) return;
  t.pending = true;
  t.pending_count = w.tracked_count();
  t.wanted = w.tracked_wanted();
  t.pending_complete = w.tracked_complete();
  t.pending_refers = w.RefersToEarlier();
  t.pending_num_peers = w.num_peers_used();
  for (uint32_t i = 0; i < t.pending_num_peers; ++i) t.pending_peers[i] = w.peers_used()[i];
  t.pending_gens = 0;  // bit i: generation pending_gen - 1 - i
  for (uint32_t back = 1; back <= 64 && back <= t.pending_gen; ++back)
    if (w.RefersTo(t.pending_gen - back)) t.pending_gens |= uint64_t{1} << (back - 1);
}

void IncrementalCommitted(const char* path, bool committed) {
  if (!t.pending) return;
  t.pending = false;
  g_tracking = false;
  if (!committed) return;  // the previous generation stays the last complete one
  const uint32_t gen = t.pending_gen;
  char link_name[4300];
  GenName(path, gen, link_name, sizeof link_name);
  RawSyscall(SYS_unlink, reinterpret_cast<long>(link_name));
  const bool linked =
      RawSyscall(SYS_link, reinterpret_cast<long>(path), reinterpret_cast<long>(link_name)) == 0;
  // The kept images of this file that the new one does not need go.
  char dir[4200];
  StrCopy(dir, sizeof dir, path);
  const char* base = BaseName(path);
  const size_t dir_len = static_cast<size_t>(base - path);
  if (dir_len < sizeof dir) dir[dir_len] = 0;
  long dfd = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(dir_len ? dir : "."),
                        O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    char prefix[600];
    StrCopy(prefix, sizeof prefix, base);
    StrCat(prefix, sizeof prefix, image::kBaseSuffix);
    const size_t plen = StrLen(prefix);
    static char buf[16384];
    for (;;) {
      long n = RawSyscall(SYS_getdents64, dfd, reinterpret_cast<long>(buf), sizeof buf);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        auto* d = reinterpret_cast<struct dirent64*>(buf + off);
        off += d->d_reclen;
        if (!StartsWith(d->d_name, prefix) || !d->d_name[plen]) continue;
        uint64_t k = 0, peer = 0;
        const char* p = d->d_name + plen;
        for (; *p >= '0' && *p <= '9'; ++p) k = k * 10 + static_cast<uint64_t>(*p - '0');
        bool needed = false;
        if (*p == '.' && p[1]) {
          // <image>.gen<k>.<peer>: a link to another process's image.
          for (++p; *p >= '0' && *p <= '9'; ++p) peer = peer * 10 + static_cast<uint64_t>(*p - '0');
          if (*p || peer == 0) continue;  // not one of ours
          for (uint32_t i = 0; i < t.pending_num_peers; ++i)
            needed = needed || (t.pending_peers[i].gen == k && t.pending_peers[i].peer == peer);
        } else {
          if (*p) continue;  // not one of ours
          needed = k == gen && linked;
          if (k < gen && gen - k <= 64) needed = needed || ((t.pending_gens >> (gen - k - 1)) & 1);
        }
        if (!needed) RawSyscall(SYS_unlinkat, dfd, reinterpret_cast<long>(d->d_name), 0);
      }
    }
    RawSyscall(SYS_fsync, dfd);  // the link is durable before an image refers to it
    RawSyscall(SYS_close, dfd);
  }
  t.prev = 1 - t.prev;
  t.prev_count = t.pending_count;
  t.prev_valid = linked && t.pending_complete;
  t.prev_gen = gen;
  t.since_full = t.pending_refers ? t.since_full + 1 : 0;
  StrCopy(t.prev_path, sizeof t.prev_path, path);
}

void IncrementalRange(uint64_t* start, uint64_t* end) {
  if (!t.base || t.owner != KernelPid()) {
    *start = *end = 0;
    return;
  }
  *start = reinterpret_cast<uint64_t>(t.base);
  *end = *start + ((2 * t.cap * sizeof(SavedBlock) + 4095) & ~uint64_t{4095});
}

void ForgetIncremental() {
  // The mapping was not saved: it is not there.
  t = Tables{};
  g_tracking = false;
  ForgetWriteTracking();
}

}  // namespace dmtcp::rt
