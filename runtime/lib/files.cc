// Open file descriptors: recorded at checkpoint (in static memory, which is
// saved with the image, and as records for dmtcp_restart's checks), reopened
// at restart by path with their flags and offset. Terminals and pipes on
// 0-2 come from the restart command.
#include "files.h"
#include "plugins.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "runtime.h"

namespace dmtcp::rt {
namespace {

constexpr int kMaxFds = 4096;
constexpr size_t kPathPool = 1 << 20;

struct FdEntry {
  image::FdInfo info;
  uint32_t path_off;
};

FdEntry g_fds[kMaxFds];
int g_num_fds;
char g_paths[kPathPool];
size_t g_paths_used;

struct Dirent64 {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

image::FdKind KindOf(int fd, const struct stat& st) {
  if (S_ISREG(st.st_mode)) return image::FdKind::kRegular;
  if (S_ISDIR(st.st_mode)) return image::FdKind::kDirectory;
  if (S_ISCHR(st.st_mode)) {
    struct termios t;
    return RawSyscall(SYS_ioctl, fd, TCGETS, reinterpret_cast<long>(&t)) == 0
               ? image::FdKind::kTerminal
               : image::FdKind::kCharDevice;
  }
  if (S_ISFIFO(st.st_mode)) return image::FdKind::kPipe;
  if (S_ISSOCK(st.st_mode)) return image::FdKind::kSocket;
  return image::FdKind::kOther;
}

bool Reopenable(image::FdKind k) {
  return k == image::FdKind::kRegular || k == image::FdKind::kDirectory ||
         k == image::FdKind::kCharDevice;
}

}  // namespace

bool RecordFds(const int* skip, int nskip) {
  g_num_fds = 0;
  g_paths_used = 0;
  int dir =
      static_cast<int>(RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/self/fd"),
                                  O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir < 0) return false;
  char buf[8192];
  for (;;) {
    long r = RawSyscall(SYS_getdents64, dir, reinterpret_cast<long>(buf), sizeof buf);
    if (r <= 0) break;
    for (long off = 0; off < r;) {
      auto* d = reinterpret_cast<Dirent64*>(buf + off);
      off += d->reclen;
      if (d->name[0] < '0' || d->name[0] > '9') continue;
      int fd = 0;
      for (const char* p = d->name; *p; ++p) fd = fd * 10 + (*p - '0');
      bool skipped = fd == dir || fd == g.coord_fd;
      for (int i = 0; i < nskip; ++i) skipped |= fd == skip[i];
      if (skipped || g_num_fds >= kMaxFds) continue;
      struct stat st;
      if (RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) != 0) continue;
      FdEntry& e = g_fds[g_num_fds];
      e.info = image::FdInfo{};
      e.info.fd = fd;
      e.info.status_flags = static_cast<int32_t>(RawSyscall(SYS_fcntl, fd, F_GETFL));
      e.info.fd_flags = static_cast<int32_t>(RawSyscall(SYS_fcntl, fd, F_GETFD));
      e.info.kind = static_cast<uint32_t>(KindOf(fd, st));
      e.info.offset =
          S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) ? RawSyscall(SYS_lseek, fd, 0, SEEK_CUR) : 0;
      e.info.size = static_cast<uint64_t>(st.st_size);
      e.info.dev = st.st_dev;
      e.info.inode = st.st_ino;
      e.info.mode = st.st_mode;
      char link[32] = "/proc/self/fd/";
      char num[16];
      FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
      StrCat(link, sizeof link, num);
      if (g_paths_used + 4096 > kPathPool) continue;
      long n = RawSyscall(SYS_readlink, reinterpret_cast<long>(link),
                          reinterpret_cast<long>(g_paths + g_paths_used), 4095);
      if (n < 0) n = 0;
      g_paths[g_paths_used + static_cast<size_t>(n)] = 0;
      e.path_off = static_cast<uint32_t>(g_paths_used);
      e.info.path_len = static_cast<uint32_t>(n);
      g_paths_used += static_cast<size_t>(n) + 1;
      ++g_num_fds;
    }
  }
  RawSyscall(SYS_close, dir);
  return true;
}

int RecordedFdCount() { return g_num_fds; }

bool WriteFdRecords(image::ImageWriter& w) {
  for (int i = 0; i < g_num_fds; ++i) {
    const FdEntry& e = g_fds[i];
    if (!w.WriteRecord(image::RecordType::kFd, &e.info, sizeof e.info, g_paths + e.path_off,
                       e.info.path_len))
      return false;
  }
  return true;
}

bool RestoreFds() {
  for (int i = 0; i < g_num_fds; ++i) {
    const FdEntry& e = g_fds[i];
    const auto kind = static_cast<image::FdKind>(e.info.kind);
    if (!Reopenable(kind)) {
      // Placed by dmtcp_restart (pipes) or given by the restart command
      // (0-2): give back the program's close-on-exec flag.
      if (e.info.fd > 2 && (e.info.fd_flags & FD_CLOEXEC))
        RawSyscall(SYS_fcntl, e.info.fd, F_SETFD, FD_CLOEXEC);
      continue;
    }
    const char* path = g_paths + e.path_off;
    long flags = (e.info.status_flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOCTTY;
    if (kind == image::FdKind::kDirectory) flags = O_RDONLY | O_DIRECTORY;
    long tmp = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), flags);
    if (tmp < 0) Fatal("cannot reopen ", path, " at restart");
    if (tmp != e.info.fd) {
      long flags3 = (e.info.fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0;
      if (RawSyscall(SYS_dup3, tmp, e.info.fd, flags3) < 0)
        Fatal("cannot restore a descriptor for ", path);
      RawSyscall(SYS_close, tmp);
    } else if (e.info.fd_flags & FD_CLOEXEC) {
      RawSyscall(SYS_fcntl, tmp, F_SETFD, FD_CLOEXEC);
    }
    if (kind == image::FdKind::kRegular || kind == image::FdKind::kDirectory)
      RawSyscall(SYS_lseek, e.info.fd, e.info.offset, SEEK_SET);
  }
  return true;
}

namespace {

// Built in, on the plugin interface: files come back first at restart
// (restart events go to built-ins before user plugins).
void FilesEventHook(const DmtcpEvent_t event, DmtcpEventData_t*) {
  if (event == DMTCP_EVENT_RESTART) RestoreFds();
}

}  // namespace

void RegisterFilesPlugin() {
  DmtcpPluginDescriptor_t d = {DMTCP_PLUGIN_API_VERSION, DMTCP_PACKAGE_VERSION, "files",
                               "dmtcp-ng", "", "open files: reopened at restart",
                               FilesEventHook};
  RegisterBuiltin(d);
}

}  // namespace dmtcp::rt
