#include "open_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "file_reader.h"
#include "files.h"
#include "image_format.h"
#include "memory.h"
#include "runtime.h"

namespace dmtcp::rt {

// The pages of the file fd (size bytes) as data records at their offsets;
// pages of zeros are left out. Read, not mapped: a process outside the
// computation may truncate the file meanwhile (a mapping would then
// fault); what is past a short read comes back as zeros. 0, or -1 if the
// image could not be written, or an errno if there is no memory to read in.
long WritePages(image::ImageWriter& w, const FileReader& r, uint64_t size) {
  if (size == 0) return 0;
  constexpr uint64_t kChunk = 4 << 20;
  const long buf =
      RawSyscall(SYS_mmap, 0, kChunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf < 0 && buf > -4096) return -buf;
  auto* b = reinterpret_cast<char*>(buf);
  bool ok = true;
  for (uint64_t off = 0; ok && off < size; off += kChunk) {
    const uint64_t want = size - off < kChunk ? size - off : kChunk;
    const long got = r.Pread(b, want, off);
    if (got <= 0) break;
    const uint64_t padded = (static_cast<uint64_t>(got) + 4095) & ~uint64_t{4095};
    for (uint64_t i = static_cast<uint64_t>(got); i < padded; ++i) b[i] = 0;
    // Drain: the buffer is read again for the next chunk.
    uint64_t run = 0, run_len = 0;
    for (uint64_t at = 0; ok && at < padded; at += 4096) {
      if (PageIsZero(reinterpret_cast<const uint64_t*>(b + at))) continue;
      if (run_len && run + run_len == at) {
        run_len += 4096;
        continue;
      }
      if (run_len) ok = w.WriteData(off + run, b + run, run_len);
      run = at;
      run_len = 4096;
    }
    ok = ok && (!run_len || w.WriteData(off + run, b + run, run_len)) && w.Drain();
    if (static_cast<uint64_t>(got) < want) break;
  }
  RawSyscall(SYS_munmap, buf, kChunk);
  return ok ? 0 : -1;
}

namespace {

// A regular file open for writing, not one an earlier descriptor named.
bool ToSave(int i, const image::FdInfo** out, const char** path) {
  const image::FdInfo* f = RecordedFd(i, path);
  if (!f || static_cast<image::FdKind>(f->kind) != image::FdKind::kRegular ||
      (f->status_flags & O_ACCMODE) == O_RDONLY || f->path_len == 0 || (*path)[0] != '/')
    return false;
  for (int j = 0; j < i; ++j) {
    const char* other;
    const image::FdInfo* o = RecordedFd(j, &other);
    if (o && static_cast<image::FdKind>(o->kind) == image::FdKind::kRegular &&
        (o->status_flags & O_ACCMODE) != O_RDONLY && o->dev == f->dev && o->inode == f->inode)
      return false;
  }
  *out = f;
  return true;
}

}  // namespace

void FileError(char* err, size_t cap, const char* what, const char* path, size_t path_len, long e) {
  char p[4096];
  size_t n = path_len < sizeof p - 1 ? path_len : sizeof p - 1;
  __builtin_memcpy(p, path, n);
  p[n] = 0;
  err[0] = 0;
  StrCat(err, cap, g.program);
  StrCat(err, cap, ": ");
  StrCat(err, cap, what);
  StrCat(err, cap, p);
  if (e) {
    char num[24];
    FormatUint(num, sizeof num, static_cast<uint64_t>(e));
    StrCat(err, cap, " (errno ");
    StrCat(err, cap, num);
    StrCat(err, cap, ")");
  }
}

namespace {

// Why a file could not be opened to read it, when a lease is why.
void AddLeaseNote(char* err, size_t cap, const FileReader& r) {
  if (!r.lease_holder) return;
  StrCat(err, cap, ": ");
  if (r.lease_holder > 0) {
    char num[24];
    FormatUint(num, sizeof num, static_cast<uint64_t>(r.lease_holder));
    StrCat(err, cap, "process ");
    StrCat(err, cap, num);
  } else {
    StrCat(err, cap, "a process");
  }
  StrCat(err, cap,
         " holds a write lease on it (fcntl F_SETLEASE), which opening it to save its contents "
         "would break; checkpoint once the lease is given up");
}

// The names in path's folder that are its own name, "-" and more (a
// database's journal, write-ahead log), NUL-separated into names.
long CompanionNames(const char* path, size_t path_len, char* names, size_t cap) {
  size_t slash = path_len;
  while (slash > 0 && path[slash - 1] != '/') --slash;
  char dir[4096];
  if (slash == 0 || slash >= sizeof dir) return -1;
  __builtin_memcpy(dir, path, slash);
  dir[slash] = 0;
  const char* base = path + slash;
  const size_t base_len = path_len - slash;
  long fd = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(dir),
                       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  static char buf[32768];
  size_t used = 0;
  for (;;) {
    long n = RawSyscall(SYS_getdents64, fd, reinterpret_cast<long>(buf), sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + off);
      off += d->d_reclen;
      const size_t len = StrLen(d->d_name);
      if (len <= base_len + 1 || d->d_name[base_len] != '-' ||
          __builtin_memcmp(d->d_name, base, base_len) != 0)
        continue;
      if (used + len + 1 > cap) {
        RawSyscall(SYS_close, fd);
        return -2;
      }
      __builtin_memcpy(names + used, d->d_name, len + 1);
      used += len + 1;
    }
  }
  RawSyscall(SYS_close, fd);
  return static_cast<long>(used);
}

// A way to read recorded descriptor f's file that leaves the process's
// POSIX locks alone: through /proc (link, which r may go on naming), as
// the descriptor may be write-only.
long OpenRecorded(const image::FdInfo& f, char (&link)[32], FileReader* r, struct stat* st) {
  StrCopy(link, sizeof link, "/proc/self/fd/");
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(f.fd));
  StrCat(link, sizeof link, num);
  bool locked = false;
  const int readable = FileReadableWithoutClose(f.dev, f.inode, &locked);
  return r->Open(AT_FDCWD, link, O_RDONLY | O_CLOEXEC, readable, locked, st);
}

bool SaveOne(image::ImageWriter& w, const image::FdInfo& f, const char* path, char* err,
             size_t cap) {
  FileReader r;
  struct stat st;
  char link[32];
  const long oe = OpenRecorded(f, link, &r, &st);
  if (oe != 0) {
    FileError(err, cap, "cannot read the file it has open for writing ", path, f.path_len, -oe);
    AddLeaseNote(err, cap, r);
    r.Close();
    return false;
  }
  static char names[65536];
  const long names_len = CompanionNames(path, f.path_len, names, sizeof names);
  if (names_len == -2) {
    FileError(err, cap, "too many files named after ", path, f.path_len, 0);
    r.Close();
    return false;
  }
  image::SavedFileInfo info{};
  info.mode = st.st_mode & 07777;
  info.path_len = f.path_len;
  info.size = static_cast<uint64_t>(st.st_size);
  info.names_len = names_len > 0 ? static_cast<uint32_t>(names_len) : 0;
  bool ok = w.WriteRecord(image::RecordType::kSavedFile, &info, sizeof info, path, f.path_len,
                          names, info.names_len);
  const long e = ok ? WritePages(w, r, info.size) : 0;
  if (e > 0) FileError(err, cap, "no memory to save the file ", path, f.path_len, e);
  r.Close();
  return ok && e == 0;
}

// Once per process: a file the user chose to leave out (DMTCP_TMP_FILE_MAX_MB).
void WarnLeftOut() {
  static bool warned;
  for (int i = 0; i < RecordedFdCount() && !warned; ++i) {
    const char* path;
    const image::FdInfo* f = RecordedFd(i, &path);
    if (static_cast<image::FdKind>(f->kind) != image::FdKind::kRegular ||
        !image::NodeLocalPath(path, f->path_len) || f->size <= g.cfg.tmp_file_max ||
        (f->status_flags & O_ACCMODE) == O_RDONLY)
      continue;
    Log(g.program, ": ", path,
        " is larger than DMTCP_TMP_FILE_MAX_MB: it is not in the image (a restart on a node"
        " without it refuses); so are other such files");
    warned = true;
  }
}

// A file whose contents go into the image but are not in its descriptor's
// record (too large), not one an earlier descriptor named.
bool ContentsToWrite(int i, const char* maps, const image::FdInfo** out) {
  const char* path;
  const image::FdInfo* f = RecordedFd(i, &path);
  if (!f || f->data_len == f->size || !ContentsKept(f, path, maps)) return false;
  for (int j = 0; j < i; ++j) {
    const image::FdInfo* o = RecordedFd(j, &path);
    if (o && o->dev == f->dev && o->inode == f->inode && ContentsKept(o, path, maps)) return false;
  }
  *out = f;
  return true;
}

}  // namespace

bool ContentsKept(const image::FdInfo* f, const char* path, const char* maps) {
  const auto kind = static_cast<image::FdKind>(f->kind);
  if (kind == image::FdKind::kDeletedFile) return true;
  return kind == image::FdKind::kRegular && image::NodeLocalPath(path, f->path_len) &&
         (f->data_len == f->size ||
          ((f->status_flags & O_ACCMODE) != O_RDONLY && f->size <= g.cfg.tmp_file_max &&
           !FileSavedAsMemory(maps, f->dev, f->inode, f->size)));
}

bool FileContentsToWrite(const char* maps) {
  const image::FdInfo* f;
  for (int i = 0; i < RecordedFdCount(); ++i)
    if (ContentsToWrite(i, maps, &f)) return true;
  return false;
}

bool WriteFileContents(image::ImageWriter& w, const char* maps, char* err, size_t errcap) {
  WarnLeftOut();
  for (int i = 0; i < RecordedFdCount(); ++i) {
    const image::FdInfo* f;
    if (!ContentsToWrite(i, maps, &f)) continue;
    FileReader r;
    struct stat st;
    char link[32];
    const long oe = OpenRecorded(*f, link, &r, &st);
    if (oe != 0) {
      const char* path;
      RecordedFd(i, &path);
      FileError(err, errcap, "cannot read the file ", path, f->path_len, -oe);
      AddLeaseNote(err, errcap, r);
      r.Close();
      return false;
    }
    image::FileContentsInfo info{f->dev, f->inode, static_cast<uint64_t>(st.st_size)};
    bool ok = w.WriteRecord(image::RecordType::kFileContents, &info, sizeof info);
    const long e = ok ? WritePages(w, r, info.size) : 0;
    r.Close();
    if (e > 0) {
      const char* path;
      RecordedFd(i, &path);
      FileError(err, errcap, "no memory to save the file ", path, f->path_len, e);
    }
    if (!ok || e != 0) return false;
  }
  return true;
}

bool OpenFilesToSave() {
  if (!g.cfg.ckpt_open_files) return false;
  for (int i = 0; i < RecordedFdCount(); ++i) {
    const image::FdInfo* f;
    const char* path;
    if (ToSave(i, &f, &path)) return true;
  }
  return false;
}

bool WriteOpenFiles(image::ImageWriter& w, char* err, size_t errcap) {
  if (!g.cfg.ckpt_open_files) return true;
  for (int i = 0; i < RecordedFdCount(); ++i) {
    const image::FdInfo* f;
    const char* path;
    if (ToSave(i, &f, &path) && !SaveOne(w, *f, path, err, errcap)) return false;
  }
  return true;
}

}  // namespace dmtcp::rt
