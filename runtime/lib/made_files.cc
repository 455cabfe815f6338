// The table is small and fixed: the most recent files made are the ones a
// process still names. A full table first forgets files that are gone,
// then the oldest.
#include "made_files.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <atomic>

#include "file_reader.h"
#include "files.h"
#include "image_format.h"
#include "memory.h"
#include "open_files.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

constexpr int kMaxMade = 256;
constexpr size_t kMaxMadePath = 1024;

// A slot is written only by the thread that claimed it, and read at a
// checkpoint only once published: a thread stopped halfway through leaves
// an unpublished slot, and nothing here waits for a checkpoint (a plugin
// may open files from inside one, on any thread).
enum SlotState : int { kFree = 0, kWriting = 1, kPublished = 2 };
struct Made {
  std::atomic<int> state;
  char path[kMaxMadePath];
  FileReader reader;  // during a checkpoint
  uint32_t mode;
  uint64_t size;
};
constinit Made g_made[kMaxMade]{};           // no dynamic initializer (see util.cc's g)
int g_next;                                  // the slot taken when every slot is in use
std::atomic_flag g_lock = ATOMIC_FLAG_INIT;  // claiming slots, among the program's threads

bool Exists(const char* path) {
  struct stat st;
  return RawSyscall(SYS_newfstatat, AT_FDCWD, reinterpret_cast<long>(path),
                    reinterpret_cast<long>(&st), AT_SYMLINK_NOFOLLOW) == 0;
}

bool Same(const char* a, const char* b) { return StrLen(a) == StrLen(b) && StartsWith(a, b); }

// The absolute path of path relative to dirfd, in out.
bool Absolute(int dirfd, const char* path, char* out, size_t cap) {
  if (!path || !path[0]) return false;
  if (path[0] == '/') {
    if (StrLen(path) >= cap) return false;
    StrCopy(out, cap, path);
    return true;
  }
  long n;
  if (dirfd == AT_FDCWD) {
    n = RawSyscall(SYS_getcwd, reinterpret_cast<long>(out), static_cast<long>(cap));
    if (n <= 0) return false;
    n = static_cast<long>(StrLen(out));
  } else {
    char link[64] = "/proc/self/fd/";
    char num[16];
    FormatUint(num, sizeof num, static_cast<uint64_t>(dirfd));
    StrCat(link, sizeof link, num);
    n = RawSyscall(SYS_readlinkat, AT_FDCWD, reinterpret_cast<long>(link),
                   reinterpret_cast<long>(out), static_cast<long>(cap - 1));
    if (n <= 0) return false;
    out[n] = 0;
  }
  if (static_cast<size_t>(n) + 1 + StrLen(path) >= cap) return false;
  StrCat(out, cap, "/");
  StrCat(out, cap, path);
  return true;
}

// Whether a descriptor the checkpoint recorded names the file and the
// image holds its contents already.
bool RecordedWithContents(const struct stat& st, const char* maps) {
  for (int i = 0; i < RecordedFdCount(); ++i) {
    const char* path;
    const image::FdInfo* f = RecordedFd(i, &path);
    if (f->dev == st.st_dev && f->inode == st.st_ino &&
        static_cast<image::FdKind>(f->kind) == image::FdKind::kRegular &&
        ContentsKept(f, path, maps))
      return true;
  }
  return false;
}

}  // namespace

void NoteMadeFile(int dirfd, const char* path) {
  if (!g.enabled || GetTid() == g.ckpt_tid) return;
  char abs[kMaxMadePath];
  if (!Absolute(dirfd, path, abs, sizeof abs) || !image::NodeLocalPath(abs, StrLen(abs))) return;
  while (g_lock.test_and_set(std::memory_order_acquire)) RawSyscall(SYS_sched_yield);
  int slot = -1;
  bool known = false;
  for (int i = 0; i < kMaxMade && !known; ++i) {
    const int state = g_made[i].state.load(std::memory_order_acquire);
    if (state == kFree && slot < 0) slot = i;
    known = state == kPublished && Same(g_made[i].path, abs);  // made again, same name
  }
  for (int i = 0; !known && slot < 0 && i < kMaxMade; ++i)
    if (g_made[i].state.load() == kPublished && !Exists(g_made[i].path)) slot = i;
  for (int tries = 0; !known && slot < 0 && tries < kMaxMade; ++tries) {
    if (g_made[g_next].state.load() == kPublished) slot = g_next;  // the oldest goes
    g_next = (g_next + 1) % kMaxMade;
  }
  if (slot < 0) known = true;  // every slot is being written: this one is not noted
  if (!known) g_made[slot].state.store(kWriting, std::memory_order_relaxed);
  g_lock.clear(std::memory_order_release);
  if (known) return;
  StrCopy(g_made[slot].path, kMaxMadePath, abs);
  g_made[slot].state.store(kPublished, std::memory_order_release);
}

void MadeFilesAfterFork() { g_lock.clear(); }

// Every thread of the program is stopped.
int OpenMadeFiles(int* keep, int cap, const char* maps) {
  int n = 0;
  for (auto& m : g_made) {
    m.reader = FileReader{};
    if (m.state.load(std::memory_order_acquire) != kPublished) continue;
    // A file the process holds a POSIX lock on is read through its own
    // descriptor, or without opening it here (file_reader.h).
    struct stat st;
    bool locked = false;
    int readable = -1;
    if (RawSyscall(SYS_newfstatat, AT_FDCWD, reinterpret_cast<long>(m.path),
                   reinterpret_cast<long>(&st), AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode))
      readable = FileReadableWithoutClose(st.st_dev, st.st_ino, &locked);
    if (m.reader.Open(AT_FDCWD, m.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, readable,
                      locked, &st) != 0) {
      // Gone: forgotten (a thread claiming it meanwhile has set it to kWriting).
      m.reader.Close();
      int published = kPublished;
      m.state.compare_exchange_strong(published, kFree);
      continue;
    }
    const bool wanted =
        S_ISREG(st.st_mode) && !RecordedWithContents(st, maps) &&
        static_cast<uint64_t>(st.st_size) <= g.cfg.tmp_file_max &&
        !FileSavedAsMemory(maps, st.st_dev, st.st_ino, static_cast<uint64_t>(st.st_size)) &&
        n < cap;
    if (!wanted) {
      m.reader.Close();
      continue;
    }
    m.mode = st.st_mode & 07777;
    m.size = static_cast<uint64_t>(st.st_size);
    // A forked writer keeps it open.
    if (m.reader.fd >= 0) keep[n++] = static_cast<int>(m.reader.fd);
  }
  return n;
}

void CloseMadeFiles() {
  for (auto& m : g_made) m.reader.Close();
}

bool WriteMadeFiles(image::ImageWriter& w, char* buf, size_t cap) {
  bool ok = true;
  for (auto& m : g_made) {
    if (!m.reader.Usable()) continue;
    image::MadeFileInfo info{};
    info.mode = m.mode;
    info.path_len = static_cast<uint32_t>(StrLen(m.path));
    if (m.size > image::kMaxMadeFileSize) {
      // Its pages, as memory is written.
      info.size = m.size;
      ok = ok &&
           w.WriteRecord(image::RecordType::kMadeFile, &info, sizeof info, m.path, info.path_len) &&
           WritePages(w, m.reader, m.size) == 0;
      m.reader.Close();
      continue;
    }
    size_t got = 0;
    for (;;) {
      const long r = m.reader.Pread(buf + got, cap - got, got);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
      if (got == cap) break;
    }
    m.reader.Close();
    info.size = got;
    ok = ok && w.WriteRecord(image::RecordType::kMadeFile, &info, sizeof info, m.path,
                             info.path_len, buf, got);
  }
  return ok;
}

}  // namespace dmtcp::rt

// Calls that make a file and are not open, openat or fopen (pids.cc):
// glibc's mkstemp opens through an internal call no wrapper sees.
using dmtcp::rt::Next;

namespace {

int Noted(int fd, const char* path) {
  if (fd >= 0) dmtcp::rt::NoteMadeFile(AT_FDCWD, path);
  return fd;
}

}  // namespace

extern "C" {

int creat(const char* path, mode_t mode) {
  static auto real = Next<int (*)(const char*, mode_t)>("creat");
  return Noted(real(path, mode), path);
}
int creat64(const char* path, mode_t mode) __attribute__((alias("creat")));

int mkstemp(char* tmpl) {
  static auto real = Next<int (*)(char*)>("mkstemp");
  return Noted(real(tmpl), tmpl);
}
int mkstemp64(char* tmpl) __attribute__((alias("mkstemp")));

int mkostemp(char* tmpl, int flags) {
  static auto real = Next<int (*)(char*, int)>("mkostemp");
  return Noted(real(tmpl, flags), tmpl);
}
int mkostemp64(char* tmpl, int flags) __attribute__((alias("mkostemp")));

int mkstemps(char* tmpl, int suffixlen) {
  static auto real = Next<int (*)(char*, int)>("mkstemps");
  return Noted(real(tmpl, suffixlen), tmpl);
}
int mkstemps64(char* tmpl, int suffixlen) __attribute__((alias("mkstemps")));

int mkostemps(char* tmpl, int suffixlen, int flags) {
  static auto real = Next<int (*)(char*, int, int)>("mkostemps");
  return Noted(real(tmpl, suffixlen, flags), tmpl);
}
int mkostemps64(char* tmpl, int suffixlen, int flags) __attribute__((alias("mkostemps")));

}  // extern "C"
