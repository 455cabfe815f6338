// The restart loader: replaces its own address space with the one described
// by the plan dmtcp_restart prepared, then jumps into the runtime inside the
// restored image. It runs without libc, from addresses no image uses, on a
// stack inside its own data; everything it needs was validated beforehand.
#include <stddef.h>
#include <stdint.h>

#include "maps_line.h"
#include "restore_plan.h"
#include "sys.h"

using namespace dmtcp::plan;
using loader::Syscall;
using loader::Syscall6;

extern "C" {
alignas(16) char loader_stack[256 * 1024];
extern char __executable_start[];
extern char _end[];
[[noreturn]] void jump_to_runtime(uint64_t entry, uint64_t stack_top, void* arg);
[[noreturn]] void loader_main(long* sp);

// The compiler may emit calls to these.
void* memcpy(void* d, const void* s, size_t n) {
  auto* dp = static_cast<char*>(d);
  auto* sp = static_cast<const char*>(s);
  while (n--) *dp++ = *sp++;
  return d;
}
void* memset(void* d, int c, size_t n) {
  auto* dp = static_cast<char*>(d);
  while (n--) *dp++ = static_cast<char>(c);
  return d;
}
}

__asm__(".globl loader_stack_top\n.set loader_stack_top, loader_stack + 262144\n");

namespace {

constexpr long kProtRead = 1, kProtWrite = 2;
constexpr long kMapShared = 1, kMapPrivate = 2, kMapFixed = 0x10, kMapAnon = 0x20;
constexpr long kMapGrowsDown = 0x100, kMapNoReserve = 0x4000;
constexpr long kMremapMayMove = 1, kMremapFixed = 2;
constexpr long kPrSetMm = 35, kPrSetMmMap = 14;
constexpr long kArchSetFs = 0x1002;

int g_fail_rc = 99;
PlanHeader g_header;
char g_restart_info[kMaxRestartInfo];
PlanSpecial g_specials[kMaxSpecials];
LoaderHandoff g_handoff;
char g_maps[64 * 1024];
char g_name[4096];

size_t Len(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

void Print(const char* s) { Syscall(loader::kWrite, 2, reinterpret_cast<long>(s), Len(s)); }

void PrintHex(uint64_t v) {
  char buf[19] = "0x";
  for (int i = 0; i < 16; ++i) buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
  buf[18] = 0;
  Print(buf);
}

[[noreturn]] void Die(const char* what, uint64_t detail = 0) {
  Print("dmtcp_restart: restore failed: ");
  Print(what);
  if (detail) {
    Print(" ");
    PrintHex(detail);
  }
  Print("\n");
  Syscall(loader::kExitGroup, g_fail_rc);
  __builtin_unreachable();
}

bool ReadAll(int fd, void* buf, uint64_t n) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    long r = Syscall(loader::kRead, fd, reinterpret_cast<long>(p), static_cast<long>(n));
    if (r == -4) continue;  // EINTR
    if (r <= 0) return false;
    p += r;
    n -= static_cast<uint64_t>(r);
  }
  return true;
}

bool PreadAll(int fd, void* buf, uint64_t n, uint64_t off) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    long r = Syscall(loader::kPread, fd, reinterpret_cast<long>(p), static_cast<long>(n),
                     static_cast<long>(off));
    if (r == -4) continue;
    if (r <= 0) return false;
    p += r;
    off += static_cast<uint64_t>(r);
    n -= static_cast<uint64_t>(r);
  }
  return true;
}

long ParseInt(const char* s) {
  long v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
  return v;
}

bool StrEq(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

struct Mapping {
  uint64_t start, end;
  char name[32];
};

// Reads our own mappings: the loader, the kernel's special mappings and
// whatever the kernel set up for the exec (stack, brk).
int ReadOwnMaps(Mapping* out, int cap) {
  long fd = Syscall(loader::kOpen, reinterpret_cast<long>("/proc/self/maps"), 0);
  if (fd < 0) Die("cannot read /proc/self/maps");
  uint64_t n = 0;
  for (;;) {
    long r = Syscall(loader::kRead, fd, reinterpret_cast<long>(g_maps + n),
                     static_cast<long>(sizeof g_maps - 1 - n));
    if (r <= 0) break;
    n += static_cast<uint64_t>(r);
  }
  Syscall(loader::kClose, fd);
  g_maps[n] = 0;
  int count = 0;
  const char* p = g_maps;
  dmtcp::MapsLine line;
  while (count < cap && dmtcp::ParseLine(p, &line)) {
    Mapping& m = out[count++];
    m.start = line.start;
    m.end = line.end;
    uint32_t i = 0;
    for (; i < line.name_len && i < 31; ++i) m.name[i] = line.name[i];
    m.name[i] = 0;
  }
  return count;
}

bool IsKernelSpecial(const char* name) {
  return name[0] == '[' && !StrEq(name, "[stack]") && !StrEq(name, "[heap]");
}

void ClearOldAddressSpace() {
  Mapping maps[64];
  int n = ReadOwnMaps(maps, 64);
  const uint64_t self_start = reinterpret_cast<uint64_t>(__executable_start) & ~4095ULL;
  const uint64_t self_end = (reinterpret_cast<uint64_t>(_end) + 4095) & ~4095ULL;
  // Park the kernel's special mappings beside us, then put them where the
  // image had them: the program keeps pointers into its vdso.
  uint64_t park = kLoaderEnd - (64ULL << 20);
  int parked = 0;
  Mapping moved[kMaxSpecials];
  for (int i = 0; i < n; ++i) {
    const Mapping& m = maps[i];
    if (m.start >= self_start && m.end <= self_end) continue;
    if (StrEq(m.name, "[vsyscall]")) continue;
    if (IsKernelSpecial(m.name) && parked < static_cast<int>(kMaxSpecials)) {
      uint64_t len = m.end - m.start;
      long r = Syscall6(loader::kMremap, static_cast<long>(m.start), static_cast<long>(len),
                        static_cast<long>(len), kMremapMayMove | kMremapFixed,
                        static_cast<long>(park), 0);
      if (r < 0) Die("cannot move kernel mapping", m.start);
      moved[parked] = m;
      moved[parked].start = park;
      moved[parked].end = park + len;
      ++parked;
      park += len + (1 << 20);
      continue;
    }
    Syscall(loader::kMunmap, static_cast<long>(m.start), static_cast<long>(m.end - m.start));
  }
  for (int i = 0; i < parked; ++i) {
    const Mapping& m = moved[i];
    bool placed = false;
    for (uint32_t s = 0; s < g_header.num_specials; ++s) {
      const PlanSpecial& want = g_specials[s];
      if (!StrEq(want.name, m.name)) continue;
      if (want.end - want.start != m.end - m.start) Die("kernel mapping size differs", m.start);
      long r = Syscall6(loader::kMremap, static_cast<long>(m.start),
                        static_cast<long>(m.end - m.start), static_cast<long>(m.end - m.start),
                        kMremapMayMove | kMremapFixed, static_cast<long>(want.start), 0);
      if (r < 0) Die("cannot place kernel mapping", want.start);
      placed = true;
      break;
    }
    // A special mapping the image did not have stays parked, unused.
    (void)placed;
  }
}

// The part of a System V segment the area held, at its place: the segment
// attached whole where the program had it, or attached anywhere and the
// part moved (the program unmapped or replaced the rest).
long AttachSegment(const PlanArea& a) {
  constexpr long kShmRdonly = 010000, kShmRemap = 040000, kShmExec = 0100000;
  constexpr long kMremapMayMove = 1, kMremapFixed = 2;
  const long len = static_cast<long>(a.end - a.start);
  const long size = static_cast<long>((a.object_size + 4095) & ~4095ULL);
  const long id = static_cast<long>(a.object_id);
  long flags = (a.prot & 4) ? kShmExec : 0;
  if (a.attach == kAttachCovered) return static_cast<long>(a.start);
  if (a.attach == kAttachWhole) {
    const long at = static_cast<long>(a.start - a.file_offset);
    long r = Syscall(loader::kShmat, id, at, flags | kShmRemap);
    if (r < 0 && r > -4096)  // a segment we may only read
      r = Syscall(loader::kShmat, id, at, flags | kShmRemap | kShmRdonly);
    return r == at ? static_cast<long>(a.start) : -1;
  }
  long base = Syscall(loader::kShmat, id, 0, flags);
  if (base < 0 && base > -4096) base = Syscall(loader::kShmat, id, 0, flags | kShmRdonly);
  if (base < 0 && base > -4096) return base;
  long r = Syscall6(loader::kMremap, base + static_cast<long>(a.file_offset), len, len,
                    kMremapMayMove | kMremapFixed, static_cast<long>(a.start), 0);
  // What is left of it: [base, base + size) was free before, and the part
  // now at [a.start, a.end) may lie inside it.
  const long start = static_cast<long>(a.start), end = static_cast<long>(a.end);
  if (base < start)
    Syscall(loader::kMunmap, base, (base + size < start ? base + size : start) - base);
  if (base + size > end) {
    const long from = base > end ? base : end;
    Syscall(loader::kMunmap, from, base + size - from);
  }
  return r;
}

void MapAreas(int plan_fd) {
  for (uint32_t i = 0; i < g_header.num_areas; ++i) {
    PlanArea a;
    if (!ReadAll(plan_fd, &a, sizeof a)) Die("truncated restore plan");
    if (a.name_len >= sizeof g_name) Die("restore plan: name too long");
    if (!ReadAll(plan_fd, g_name, a.name_len)) Die("truncated restore plan");
    g_name[a.name_len] = 0;
    const long len = static_cast<long>(a.end - a.start);
    long r;
    const auto kind = static_cast<AreaKind>(a.kind);
    switch (kind) {
      case AreaKind::kFilePrivate:
      case AreaKind::kFileShared: {
        const bool shared = kind == AreaKind::kFileShared;
        const bool writable = (a.prot & kProtWrite) != 0;
        long fd = Syscall(loader::kOpen, reinterpret_cast<long>(g_name),
                          shared && writable ? 2 /*O_RDWR*/ : 0);
        if (fd < 0) {
          Print(g_name);
          Print(": ");
          Die("cannot open mapped file");
        }
        long prot = shared ? a.prot : (a.prot | kProtRead | kProtWrite);
        r = Syscall6(loader::kMmap, static_cast<long>(a.start), len, prot,
                     (shared ? kMapShared : kMapPrivate) | kMapFixed, fd,
                     static_cast<long>(a.file_offset));
        Syscall(loader::kClose, fd);
        break;
      }
      case AreaKind::kSysvShm:
        r = AttachSegment(a);
        break;
      default: {
        long flags = kMapFixed | kMapAnon | kMapNoReserve;
        flags |= kind == AreaKind::kAnonShared ? kMapShared : kMapPrivate;
        if (kind == AreaKind::kStack) flags |= kMapGrowsDown;
        r = Syscall6(loader::kMmap, static_cast<long>(a.start), len,
                     kProtRead | kProtWrite | (a.prot & 4), flags, -1, 0);
        break;
      }
    }
    if (r != static_cast<long>(a.start)) Die("cannot map area at", a.start);
  }
}

void AdviseHugeRanges(int plan_fd) {
  PlanRange ranges[256];
  for (uint32_t left = g_header.num_huge; left > 0;) {
    const uint32_t n = left > 256 ? 256 : left;
    if (!ReadAll(plan_fd, ranges, n * sizeof(PlanRange))) Die("truncated restore plan");
    for (uint32_t i = 0; i < n; ++i)  // not fatal: then 4 KiB pages
      Syscall(loader::kMadvise, static_cast<long>(ranges[i].start),
              static_cast<long>(ranges[i].end - ranges[i].start), 14 /*MADV_HUGEPAGE*/);
    left -= n;
  }
}

// The earlier generations' images the chunks were read from, closed after.
int g_base_fds[kMaxBaseFds];
uint32_t g_num_base_fds;

void FillChunks(int plan_fd, int data_fd, int image_fd) {
  PlanChunk chunks[256];
  uint32_t left = g_header.num_chunks;
  while (left > 0) {
    uint32_t n = left > 256 ? 256 : left;
    if (!ReadAll(plan_fd, chunks, n * sizeof(PlanChunk))) Die("truncated restore plan");
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t src = chunks[i].source;
      int fd = src == kFromImage || src == kMapImage ? image_fd : data_fd;
      if (src == kFromFd || src == kMapFd) {
        fd = static_cast<int>(chunks[i].fd);
        bool known = false;
        for (uint32_t j = 0; j < g_num_base_fds && !known; ++j) known = g_base_fds[j] == fd;
        if (!known && g_num_base_fds < kMaxBaseFds) g_base_fds[g_num_base_fds++] = fd;
      }
      if (src == kMapImage || src == kMapFd) {
        // The pages come from the page cache when the program first touches them.
        const long r =
            Syscall6(loader::kMmap, static_cast<long>(chunks[i].addr),
                     static_cast<long>(chunks[i].len), kProtRead | kProtWrite,
                     kMapPrivate | kMapFixed, fd, static_cast<long>(chunks[i].data_offset));
        if (r != static_cast<long>(chunks[i].addr))
          Die("cannot map memory data at", chunks[i].addr);
        continue;
      }
      if (!PreadAll(fd, reinterpret_cast<void*>(chunks[i].addr), chunks[i].len,
                    chunks[i].data_offset))
        Die("cannot read memory data for", chunks[i].addr);
    }
    left -= n;
  }
}

// The madvise the program gave an area. Not fatal: advice a kernel does not
// know (huge pages off) leaves the memory as it is.
void GiveAdvice(const PlanArea& a) {
  static constexpr struct {
    uint32_t bit;
    int advice;
  } kAdvice[] = {{kAdviseHugepage, 14},
                 {kAdviseNoHugepage, 15},
                 {kAdviseDontFork, 10},
                 {kAdviseDontDump, 16},
                 {kAdviseWipeOnFork, 18}};
  for (const auto& k : kAdvice)
    if (a.advice & k.bit)
      Syscall(loader::kMadvise, static_cast<long>(a.start), static_cast<long>(a.end - a.start),
              k.advice);
}

// Second pass over the areas (re-read from the plan) to set final protections.
void ProtectAreas(int plan_fd, uint64_t areas_offset) {
  // Rewind by reopening is not possible without libc: we seek with pread.
  uint64_t off = areas_offset;
  for (uint32_t i = 0; i < g_header.num_areas; ++i) {
    PlanArea a;
    if (!PreadAll(plan_fd, &a, sizeof a, off)) Die("truncated restore plan");
    off += sizeof a + a.name_len;
    GiveAdvice(a);
    if (static_cast<AreaKind>(a.kind) == AreaKind::kFileShared) continue;
    if (Syscall(loader::kMprotect, static_cast<long>(a.start), static_cast<long>(a.end - a.start),
                a.prot) < 0)
      Die("cannot protect area at", a.start);
  }
}

// Gives the kernel back the image's brk, argument and environment ranges
// (so /proc/self/cmdline and sbrk behave). Not fatal: glibc copes without.
void RestoreMmFields() {
  struct {
    uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
    uint64_t arg_start, arg_end, env_start, env_end;
    uint64_t auxv;
    uint32_t auxv_size;
    uint32_t exe_fd;
  } m = {g_header.start_code,
         g_header.end_code,
         g_header.start_data,
         g_header.end_data,
         g_header.start_brk,
         g_header.brk,
         g_header.start_stack,
         g_header.arg_start,
         g_header.arg_end,
         g_header.env_start,
         g_header.env_end,
         0,
         0,
         0xffffffffu};
  if (m.start_code == 0) return;
  Syscall(loader::kPrctl, kPrSetMm, kPrSetMmMap, reinterpret_cast<long>(&m), sizeof m);
}

}  // namespace

extern "C" [[noreturn]] void loader_main(long* sp) {
  long argc = sp[0];
  char** argv = reinterpret_cast<char**>(sp + 1);
  if (argc < 4) {
    Print("dmtcp_restart_loader: started by dmtcp_restart only\n");
    Syscall(loader::kExitGroup, 99);
  }
  const int plan_fd = static_cast<int>(ParseInt(argv[1]));
  const int data_fd = static_cast<int>(ParseInt(argv[2]));
  const int image_fd = static_cast<int>(ParseInt(argv[3]));
  if (!ReadAll(plan_fd, &g_header, sizeof g_header) || g_header.magic != kMagic ||
      g_header.version != kVersion)
    Die("bad restore plan");
  g_fail_rc = g_header.fail_rc;
  if (g_header.restart_info_len > sizeof g_restart_info || g_header.num_specials > kMaxSpecials)
    Die("bad restore plan");
  if (!ReadAll(plan_fd, g_restart_info, g_header.restart_info_len) ||
      !ReadAll(plan_fd, g_specials, g_header.num_specials * sizeof(PlanSpecial)))
    Die("truncated restore plan");
  const uint64_t areas_offset =
      sizeof g_header + g_header.restart_info_len + g_header.num_specials * sizeof(PlanSpecial);

  ClearOldAddressSpace();
  MapAreas(plan_fd);
  AdviseHugeRanges(plan_fd);
  FillChunks(plan_fd, data_fd, image_fd);
  ProtectAreas(plan_fd, areas_offset);
  RestoreMmFields();
  Syscall(loader::kClose, plan_fd);
  Syscall(loader::kClose, data_fd);
  if (image_fd != data_fd) Syscall(loader::kClose, image_fd);
  for (uint32_t i = 0; i < g_num_base_fds; ++i) Syscall(loader::kClose, g_base_fds[i]);

  g_handoff.restart_info = g_restart_info;
  g_handoff.restart_info_len = g_header.restart_info_len;
  g_handoff.loader_start = reinterpret_cast<uint64_t>(__executable_start) & ~4095ULL;
  g_handoff.loader_end = kLoaderEnd;
  Syscall(loader::kArchPrctl, kArchSetFs, static_cast<long>(g_header.main_fs_base));
  jump_to_runtime(g_header.restore_entry, g_header.restore_stack_top, &g_handoff);
}
