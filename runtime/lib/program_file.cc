#include "program_file.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "environment.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

int OpenProgram(const char* path) {
  return static_cast<int>(
      RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC));
}

// The first executable `file` in PATH, as execvp finds it, opened; -1 if none.
int OpenInPath(const char* file) {
  const char* path = EnvironmentValue("PATH");
  if (!path) path = "/bin:/usr/bin";
  char candidate[4096];
  for (const char* dir = path;;) {
    const char* end = dir;
    while (*end && *end != ':') ++end;
    const size_t len = static_cast<size_t>(end - dir);
    if (len + StrLen(file) + 2 < sizeof candidate) {
      // An empty entry is the current directory.
      size_t n = 0;
      for (; n < len; ++n) candidate[n] = dir[n];
      if (n) candidate[n++] = '/';
      candidate[n] = 0;
      StrCat(candidate, sizeof candidate, file);
      if (RawSyscall(SYS_faccessat, AT_FDCWD, reinterpret_cast<long>(candidate), X_OK) == 0)
        return OpenProgram(candidate);
    }
    if (!*end) return -1;
    dir = end + 1;
  }
}

// The kernel's test for AT_SECURE, for the cases a user meets: a set-id
// bit that changes an id, or file capabilities for someone not root.
bool RaisesPrivileges(int fd) {
  struct stat st;
  if (RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) != 0) return false;
  const long uid = RawSyscall(SYS_getuid), gid = RawSyscall(SYS_getgid);
  if ((st.st_mode & S_ISUID) && static_cast<long>(st.st_uid) != uid) return true;
  if ((st.st_mode & S_ISGID) && static_cast<long>(st.st_gid) != gid) return true;
  return uid != 0 &&
         RawSyscall(SYS_fgetxattr, fd, reinterpret_cast<long>("security.capability"), 0, 0) >= 0;
}

}  // namespace

bool ElfUsesLoader(int fd) {
  Elf64_Ehdr eh;
  Elf64_Phdr ph[64];
  if (RawSyscall(SYS_pread64, fd, reinterpret_cast<long>(&eh), sizeof eh, 0) !=
          static_cast<long>(sizeof eh) ||
      __builtin_memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_phentsize != sizeof ph[0])
    return false;
  const size_t n = eh.e_phnum < 64 ? eh.e_phnum : 64;
  const long got = RawSyscall(SYS_pread64, fd, reinterpret_cast<long>(ph), n * sizeof ph[0],
                              static_cast<long>(eh.e_phoff));
  for (size_t i = 0; got > 0 && i < static_cast<size_t>(got) / sizeof ph[0]; ++i)
    if (ph[i].p_type == PT_INTERP) return true;
  return false;
}

bool RunsWithoutRuntime(const char* file) {
  bool slash = false;
  for (const char* p = file; *p; ++p) slash |= *p == '/';
  const int fd = slash ? OpenProgram(file) : OpenInPath(file);
  if (fd < 0) return false;
  char magic[4] = {};
  const bool elf = RawSyscall(SYS_pread64, fd, reinterpret_cast<long>(magic), 4, 0) == 4 &&
                   __builtin_memcmp(magic, ELFMAG, SELFMAG) == 0;
  const bool without = elf && (!ElfUsesLoader(fd) || RaisesPrivileges(fd));
  RawSyscall(SYS_close, fd);
  return without;
}

}  // namespace dmtcp::rt
