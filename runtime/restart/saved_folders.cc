#include "saved_folders.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "image_format.h"
#include "saved_files.h"

namespace dmtcp::restart {
namespace {

std::runtime_error Errno(const std::string& what) {
  return std::runtime_error(what + ": " + strerror(errno));
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (!d) throw Errno("cannot list " + dir);
  while (dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
  }
  closedir(d);
  return names;
}

bool IsCheckpointFile(const std::string& name, const struct stat& st) {
  return S_ISREG(st.st_mode) && image::CheckpointFileName(name.data(), name.size());
}

// Whether a folder holds checkpoint images, at any depth: one made after
// the checkpoint (dmtcp_job's next generation) stays where it is.
bool HoldsImages(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return false;
  std::vector<std::string> subdirs;
  bool found = false;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (lstat((dir + "/" + name).c_str(), &st) != 0) continue;
    if (IsCheckpointFile(name, st)) found = true;
    if (S_ISDIR(st.st_mode)) subdirs.push_back(name);
  }
  closedir(d);
  for (size_t i = 0; !found && i < subdirs.size(); ++i) found = HoldsImages(dir + "/" + subdirs[i]);
  return found;
}

std::string ReadLink(const std::string& path) {
  char buf[4097];
  const ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

class FolderRestore {
 public:
  FolderRestore(image::ImageReader& img, const image::SavedFolder& f) : img_(img), f_(f) {
    for (const auto& e : f.entries) saved_[e.name] = &e;
  }

  void Run() {
    struct stat st;
    if (lstat(f_.path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) MoveAside("");
    if (lstat(f_.path.c_str(), &st) != 0) MakeFolders(f_.path);
    MoveAsideWhatChanged("");
    PutBack();
    if (written_ || moved_) {
      fprintf(stderr, "dmtcp_restart: %s goes back to the checkpoint: %zu files written back",
              f_.path.c_str(), written_);
      if (moved_)
        fprintf(stderr, "; %zu that changed or appeared after it moved to %s", moved_,
                aside_.c_str());
      fprintf(stderr, "\n");
    }
  }

 private:
  std::string Full(const std::string& rel) const {
    return rel.empty() ? f_.path : f_.path + "/" + rel;
  }

  static void MakeFolders(const std::string& path) {
    for (size_t at = path.find('/', 1);; at = path.find('/', at + 1)) {
      const std::string part = at == std::string::npos ? path : path.substr(0, at);
      if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
        throw Errno("cannot make the folder " + part);
      if (at == std::string::npos) break;
    }
  }

  // Renamed, not removed: it may be work the user wants back.
  void MoveAside(const std::string& rel) {
    if (aside_.empty()) {
      aside_ = f_.path + ".after-checkpoint";
      for (int n = 1; access(aside_.c_str(), F_OK) == 0; ++n)
        aside_ = f_.path + ".after-checkpoint." + std::to_string(n);
    }
    const std::string to = rel.empty() ? aside_ : aside_ + "/" + rel;
    const size_t slash = to.rfind('/');
    MakeFolders(to.substr(0, slash));
    if (rename(Full(rel).c_str(), to.c_str()) != 0)
      throw Errno("cannot move " + Full(rel) + " aside to " + to);
    ++moved_;
  }

  void MoveAsideWhatChanged(const std::string& rel) {
    for (const auto& name : Names(Full(rel))) {
      const std::string r = rel.empty() ? name : rel + "/" + name;
      struct stat st;
      if (lstat(Full(r).c_str(), &st) != 0 || IsCheckpointFile(name, st)) continue;
      const auto it = saved_.find(r);
      if (it == saved_.end()) {
        if (!(S_ISDIR(st.st_mode) && HoldsImages(Full(r)))) MoveAside(r);
        continue;
      }
      const image::FolderEntryInfo& e = it->second->info;
      if (e.flags & image::FolderEntryInfo::kLeftAlone) continue;
      if ((st.st_mode & S_IFMT) != (e.mode & S_IFMT)) {
        MoveAside(r);
      } else if (S_ISDIR(st.st_mode)) {
        MoveAsideWhatChanged(r);
      } else if (S_ISREG(st.st_mode)) {
        // What rsync compares: a file the program wrote has another time.
        if (static_cast<uint64_t>(st.st_size) != e.size || st.st_mtim.tv_sec != e.mtime_sec ||
            st.st_mtim.tv_nsec != e.mtime_nsec)
          MoveAside(r);
      } else if (S_ISLNK(st.st_mode) && ReadLink(Full(r)) != it->second->target) {
        MoveAside(r);
      }
    }
  }

  void PutBack() {
    // Folders writable while they are filled; their own mode and time last.
    chmod(f_.path.c_str(), (f_.info.mode & 07777) | S_IRWXU);
    for (const auto& e : f_.entries) {
      const std::string path = Full(e.name);
      if (e.info.flags & image::FolderEntryInfo::kLeftAlone) continue;
      struct stat st;
      const bool there = lstat(path.c_str(), &st) == 0;
      const mode_t perm = e.info.mode & 07777;
      switch (e.info.mode & S_IFMT) {
        case S_IFDIR:
          if (!there && mkdir(path.c_str(), 0700) != 0) throw Errno("cannot make " + path);
          if (chmod(path.c_str(), perm | S_IRWXU) != 0) throw Errno("cannot change " + path);
          break;
        case S_IFREG:
          if (there) {
            if ((st.st_mode & 07777) != perm) chmod(path.c_str(), perm);
          } else {
            WriteFile(e, path);
          }
          break;
        case S_IFLNK:
          if (!there && symlink(e.target.c_str(), path.c_str()) != 0)
            throw Errno("cannot make the link " + path);
          break;
        case S_IFIFO:
          if (!there && mkfifo(path.c_str(), perm) != 0) throw Errno("cannot make " + path);
          break;
      }
    }
    for (auto e = f_.entries.rbegin(); e != f_.entries.rend(); ++e) {
      if ((e->info.mode & S_IFMT) != S_IFDIR ||
          (e->info.flags & image::FolderEntryInfo::kLeftAlone))
        continue;
      const std::string path = Full(e->name);
      chmod(path.c_str(), e->info.mode & 07777);
      const timespec t[2] = {{0, UTIME_OMIT},
                             {e->info.mtime_sec, static_cast<long>(e->info.mtime_nsec)}};
      utimensat(AT_FDCWD, path.c_str(), t, AT_SYMLINK_NOFOLLOW);
    }
    chmod(f_.path.c_str(), f_.info.mode & 07777);
    // One sync of the file system, not one per file: a repository holds thousands.
    const int fd = open(f_.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) != 0) throw Errno("cannot sync " + f_.path);
    close(fd);
  }

  void WriteFile(const image::FolderEntry& e, const std::string& path) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw Errno("cannot write back " + path);
    bool ok;
    try {
      ok = WritePages(img_, e.data, e.info.size, fd) && fchmod(fd, e.info.mode & 07777) == 0;
    } catch (...) {
      close(fd);
      throw;
    }
    const timespec t[2] = {{0, UTIME_OMIT},
                           {e.info.mtime_sec, static_cast<long>(e.info.mtime_nsec)}};
    ok = ok && futimens(fd, t) == 0;
    const int err = errno;
    close(fd);
    errno = err;
    if (!ok) throw Errno("cannot write back " + path);
    ++written_;
  }

  image::ImageReader& img_;
  const image::SavedFolder& f_;
  std::map<std::string, const image::FolderEntry*> saved_;
  std::string aside_;
  size_t written_ = 0;
  size_t moved_ = 0;
};

}  // namespace

void RestoreSavedFolders(std::vector<std::unique_ptr<image::ImageReader>>& images) {
  // Saved once per node; a folder on shared storage may be in several images.
  std::set<std::string> done;
  for (auto& img : images) {
    for (const auto& f : img->saved_folders()) {
      if (done.insert(f.path).second) FolderRestore(*img, f).Run();
    }
  }
}

}  // namespace dmtcp::restart
