#include "saved_folders.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "file_reader.h"
#include "files.h"
#include "image_format.h"
#include "open_files.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

constexpr int kMaxFolders = 32;
constexpr int kMaxDepth = 256;
constexpr int kMaxImageDirs = 4096;

// Bit i: this process saves the i-th folder in this checkpoint.
uint32_t g_ours;
// DMTCP_CHECKPOINT_FOLDERS names a relative path or more than kMaxFolders
// (set by hand: dmtcp_launch refuses both): the checkpoint fails, saying so.
bool g_bad_setting;

struct Folder {
  const char* path;
  size_t len;
};

// The i-th absolute path of DMTCP_CHECKPOINT_FOLDERS (colon-separated).
bool NthFolder(int i, Folder* out) {
  const char* p = g.cfg.ckpt_folders;
  for (int k = 0; *p; ++k) {
    const char* end = p;
    while (*end && *end != ':') ++end;
    if (k == i) {
      *out = {p, static_cast<size_t>(end - p)};
      return end > p && p[0] == '/';
    }
    p = *end ? end + 1 : end;
  }
  *out = {nullptr, 0};
  return false;
}

int FolderCount() {
  int n = 0;
  Folder f;
  while (n < kMaxFolders && (NthFolder(n, &f) || f.path)) ++n;
  return n;
}

// One owner per folder and node: the folder may be local to it.
void OwnerKey(char* out, size_t cap, const Folder& f) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (size_t i = 0; i < f.len; ++i) {
    h ^= static_cast<unsigned char>(f.path[i]);
    h *= 1099511628211ULL;
  }
  char num[24];
  FormatUint(num, sizeof num, h, 16);
  out[0] = 0;
  StrCat(out, cap, "folder.");
  StrCat(out, cap, g.hostname);
  StrCat(out, cap, ".");
  StrCat(out, cap, num);
}

struct DirId {
  uint64_t dev, ino;
};

// Folders below a saved one that hold checkpoint images: left alone.
DirId g_image_dirs[kMaxImageDirs];
int g_num_image_dirs;

bool HoldsImages(const struct stat& st) {
  for (int i = 0; i < g_num_image_dirs; ++i)
    if (g_image_dirs[i].dev == st.st_dev && g_image_dirs[i].ino == st.st_ino) return true;
  return false;
}

void Fail(char* err, size_t cap, const char* what, const Folder& f, const char* rel) {
  char p[4096];
  size_t n = f.len < sizeof p - 2 ? f.len : sizeof p - 2;
  __builtin_memcpy(p, f.path, n);
  p[n] = 0;
  if (rel[0]) {
    p[n++] = '/';
    p[n] = 0;
    StrCat(p, sizeof p, rel);
  }
  FileError(err, cap, what, p, StrLen(p), 0);
}

enum class Step { kNext, kDescend, kFail };

// Calls visit(dir_fd, name, rel, rel_len, st, stack, depth) for every name
// under root, depth first; stack[1..depth] are the folders above it. rel is
// the path relative to root. A folder is entered when visit says so; the
// listing of its parent goes on from where it was (d_off), so one buffer
// serves every level.
template <typename Visit>
bool WalkTree(int root, const Folder& f, char* err, size_t errcap, Visit visit) {
  static char buf[32768];
  static char rel[4096];
  static int fds[kMaxDepth];
  static size_t lens[kMaxDepth];
  static DirId stack[kMaxDepth];
  int depth = 0;
  fds[0] = root;
  lens[0] = 0;
  rel[0] = 0;
  bool ok = true;
  while (ok && depth >= 0) {
    const long n = RawSyscall(SYS_getdents64, fds[depth], reinterpret_cast<long>(buf), sizeof buf);
    if (n < 0) {
      rel[lens[depth]] = 0;
      Fail(err, errcap, "cannot list the saved folder ", f, rel);
      ok = false;
      break;
    }
    if (n == 0) {
      if (depth > 0) RawSyscall(SYS_close, fds[depth]);
      --depth;
      continue;
    }
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + off);
      off += d->d_reclen;
      const char* name = d->d_name;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      const size_t base = lens[depth];
      const size_t nl = StrLen(name);
      if (base + 1 + nl + 1 > sizeof rel) {
        rel[base] = 0;
        Fail(err, errcap, "a name too long for a path in the saved folder ", f, rel);
        ok = false;
        break;
      }
      size_t len = base;
      if (len) rel[len++] = '/';
      __builtin_memcpy(rel + len, name, nl + 1);
      len += nl;
      struct stat st;
      const long r = RawSyscall(SYS_newfstatat, fds[depth], reinterpret_cast<long>(name),
                                reinterpret_cast<long>(&st), AT_SYMLINK_NOFOLLOW);
      if (r == -ENOENT) continue;  // removed by a process outside the computation
      if (r < 0) {
        Fail(err, errcap, "cannot read ", f, rel);
        ok = false;
        break;
      }
      const Step s = visit(fds[depth], name, rel, len, st, stack, depth);
      if (s == Step::kFail) {
        ok = false;
        break;
      }
      if (s != Step::kDescend) continue;
      if (depth + 1 >= kMaxDepth) {
        Fail(err, errcap, "folders nested too deep (256) in the saved folder ", f, rel);
        ok = false;
        break;
      }
      const long sub = RawSyscall(SYS_openat, fds[depth], reinterpret_cast<long>(name),
                                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub == -ENOENT) continue;
      if (sub < 0) {
        Fail(err, errcap, "cannot open ", f, rel);
        ok = false;
        break;
      }
      RawSyscall(SYS_lseek, fds[depth], d->d_off, SEEK_SET);
      ++depth;
      fds[depth] = static_cast<int>(sub);
      lens[depth] = len;
      stack[depth] = {st.st_dev, st.st_ino};
      break;  // buf holds the new folder's listing next
    }
  }
  for (; depth > 0; --depth) RawSyscall(SYS_close, fds[depth]);
  return ok;
}

// First pass: the folders (below the root) that hold images, at any depth.
bool FindImageFolders(int root, const Folder& f, char* err, size_t errcap) {
  g_num_image_dirs = 0;
  return WalkTree(root, f, err, errcap,
                  [&](int, const char* name, const char* rel, size_t, const struct stat& st,
                      const DirId* stack, int depth) {
                    if (S_ISDIR(st.st_mode)) return Step::kDescend;
                    if (!S_ISREG(st.st_mode) || !image::CheckpointFileName(name, StrLen(name)))
                      return Step::kNext;
                    for (int k = 1; k <= depth; ++k) {
                      struct stat id {};
                      id.st_dev = stack[k].dev;
                      id.st_ino = stack[k].ino;
                      if (HoldsImages(id)) continue;
                      if (g_num_image_dirs == kMaxImageDirs) {
                        Fail(err, errcap, "too many folders holding checkpoint images (4096) in ",
                             f, rel);
                        return Step::kFail;
                      }
                      g_image_dirs[g_num_image_dirs++] = stack[k];
                    }
                    return Step::kNext;
                  });
}

bool SaveFolder(image::ImageWriter& w, const Folder& f, char* err, size_t errcap) {
  char path[4096];
  const size_t n = f.len < sizeof path - 1 ? f.len : sizeof path - 1;
  __builtin_memcpy(path, f.path, n);
  path[n] = 0;
  const long root = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path),
                               O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat rst;
  if (root < 0 || RawSyscall(SYS_fstat, root, reinterpret_cast<long>(&rst)) != 0) {
    Fail(err, errcap, "cannot open the folder it saves with each checkpoint ", f, "");
    if (root >= 0) RawSyscall(SYS_close, root);
    return false;
  }
  struct stat image_dir {};
  const int image_fd = ImageFolderFd();
  if (image_fd < 0 || RawSyscall(SYS_fstat, image_fd, reinterpret_cast<long>(&image_dir)) != 0)
    image_dir.st_ino = 0;
  bool ok = FindImageFolders(static_cast<int>(root), f, err, errcap);
  RawSyscall(SYS_lseek, root, 0, SEEK_SET);
  image::SavedFolderInfo info{static_cast<uint32_t>(n), rst.st_mode & 07777};
  ok = ok && w.WriteRecord(image::RecordType::kSavedFolder, &info, sizeof info, path, n);
  ok = ok &&
       WalkTree(
           static_cast<int>(root), f, err, errcap,
           [&](int dir, const char* name, const char* rel, size_t rel_len, const struct stat& st,
               const DirId*, int) {
             image::FolderEntryInfo e{};
             e.mode = st.st_mode;
             e.mtime_sec = st.st_mtim.tv_sec;
             e.mtime_nsec = static_cast<uint32_t>(st.st_mtim.tv_nsec);
             e.name_len = static_cast<uint32_t>(rel_len);
             if (S_ISDIR(st.st_mode)) {
               const bool alone = HoldsImages(st) ||
                                  (image_dir.st_ino == st.st_ino && image_dir.st_dev == st.st_dev);
               if (alone) e.flags = image::FolderEntryInfo::kLeftAlone;
               if (!w.WriteRecord(image::RecordType::kFolderEntry, &e, sizeof e, rel, rel_len))
                 return Step::kFail;
               return alone ? Step::kNext : Step::kDescend;
             }
             if (S_ISLNK(st.st_mode)) {
               static char target[4096];
               const long t = RawSyscall(SYS_readlinkat, dir, reinterpret_cast<long>(name),
                                         reinterpret_cast<long>(target), sizeof target);
               if (t == -ENOENT) return Step::kNext;
               if (t < 0) {
                 Fail(err, errcap, "cannot read the link ", f, rel);
                 return Step::kFail;
               }
               e.target_len = static_cast<uint32_t>(t);
               return w.WriteRecord(image::RecordType::kFolderEntry, &e, sizeof e, rel, rel_len,
                                    target, e.target_len)
                          ? Step::kNext
                          : Step::kFail;
             }
             if (S_ISFIFO(st.st_mode))
               return w.WriteRecord(image::RecordType::kFolderEntry, &e, sizeof e, rel, rel_len)
                          ? Step::kNext
                          : Step::kFail;
             // Sockets and device nodes belong to whoever made them.
             if (!S_ISREG(st.st_mode) || image::CheckpointFileName(name, StrLen(name)))
               return Step::kNext;
             // A file the program holds a POSIX lock on (a database) is
             // read without opening it here (file_reader.h).
             bool locked = false;
             const int readable = FileReadableWithoutClose(st.st_dev, st.st_ino, &locked);
             FileReader r;
             struct stat fst;
             const long oe =
                 r.Open(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, readable, locked, &fst);
             if (oe == -ENOENT) return Step::kNext;
             if (oe != 0) {
               Fail(err, errcap, "cannot read ", f, rel);
               r.Close();
               return Step::kFail;
             }
             e.size = static_cast<uint64_t>(fst.st_size);
             e.mode = fst.st_mode;
             e.mtime_sec = fst.st_mtim.tv_sec;
             e.mtime_nsec = static_cast<uint32_t>(fst.st_mtim.tv_nsec);
             bool written =
                 w.WriteRecord(image::RecordType::kFolderEntry, &e, sizeof e, rel, rel_len);
             const long pe = written ? WritePages(w, r, e.size) : 0;
             r.Close();
             if (pe > 0) Fail(err, errcap, "no memory to save ", f, rel);
             return written && pe == 0 ? Step::kNext : Step::kFail;
           });
  RawSyscall(SYS_close, root);
  return ok;
}

}  // namespace

void ClaimSavedFolders() {
  g_ours = 0;
  Folder extra;
  g_bad_setting = NthFolder(kMaxFolders, &extra) || extra.path;
  for (int i = 0; i < FolderCount(); ++i) {
    Folder f;
    if (!NthFolder(i, &f)) {
      g_bad_setting = true;
      continue;
    }
    if (g.cfg.no_coordinator) {
      g_ours |= 1u << i;
      continue;
    }
    char key[160];
    OwnerKey(key, sizeof key, f);
    CoordKvPut(key, g.unique_id, static_cast<uint32_t>(StrLen(g.unique_id)));
  }
}

void ElectSavedFolders() {
  if (g.cfg.no_coordinator) return;
  g_ours = 0;
  for (int i = 0; i < FolderCount(); ++i) {
    Folder f;
    if (!NthFolder(i, &f)) continue;
    char key[160], value[sizeof g.unique_id];
    OwnerKey(key, sizeof key, f);
    const long n = CoordKvGet(key, value, sizeof value - 1);
    if (n == static_cast<long>(StrLen(g.unique_id)) &&
        __builtin_memcmp(value, g.unique_id, static_cast<size_t>(n)) == 0)
      g_ours |= 1u << i;
  }
}

bool FoldersToSave() { return g_ours != 0 || g_bad_setting; }

bool WriteSavedFolders(image::ImageWriter& w, char* err, size_t errcap) {
  if (g_bad_setting) {
    err[0] = 0;
    StrCat(err, errcap, g.program);
    StrCat(err, errcap,
           ": DMTCP_CHECKPOINT_FOLDERS must name at most 32 absolute paths, separated by ':'");
    return false;
  }
  for (int i = 0; i < FolderCount(); ++i) {
    Folder f;
    if (!(g_ours & (1u << i)) || !NthFolder(i, &f)) continue;
    if (!SaveFolder(w, f, err, errcap)) return false;
  }
  return true;
}

}  // namespace dmtcp::rt
