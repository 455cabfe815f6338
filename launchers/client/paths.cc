#include "paths.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

// Relative paths from the commands' folder to the library and libexec folders of an installation
// (set by CMakeLists.txt from GNUInstallDirs). The build tree always has lib/ and libexec/.
#ifndef DMTCP_BIN_TO_LIB
#define DMTCP_BIN_TO_LIB "../lib"
#endif
#ifndef DMTCP_BIN_TO_LIBEXEC
#define DMTCP_BIN_TO_LIBEXEC "../libexec"
#endif

namespace dmtcp::client {

namespace {

// <bindir>/<installed>/<name> if it exists, else <bindir>/<built>/<name> if that exists, else
// the first (for messages).
std::string OwnFile(const std::string& installed, const std::string& built,
                    const std::string& name) {
  const std::string dir = SelfExeDir();
  std::string path = dir + "/" + installed + "/" + name;
  if (installed == built || IsRegularFile(path)) return path;
  std::string in_build = dir + "/" + built + "/" + name;
  return IsRegularFile(in_build) ? in_build : path;
}

}  // namespace

std::string SelfExeDir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw ClientError(ClientError::Kind::kStart, "cannot read /proc/self/exe");
  std::string exe(buf, static_cast<size_t>(n));
  size_t slash = exe.rfind('/');
  return slash == 0 ? "/" : exe.substr(0, slash);
}

std::string SiblingCommand(const std::string& name) { return SelfExeDir() + "/" + name; }

std::string RuntimeLibrary(std::string* looked_at) {
  std::string path = OwnFile(DMTCP_BIN_TO_LIB, "../lib", "libdmtcp.so");
  if (looked_at) *looked_at = path;
  char real[PATH_MAX];
  // realpath also checks existence; a normalized path reads better in
  // LD_PRELOAD and in error messages.
  if (!realpath(path.c_str(), real) || !IsRegularFile(real)) return "";
  return real;
}

std::string RestartLoader() {
  return OwnFile(DMTCP_BIN_TO_LIBEXEC "/dmtcp", "../libexec/dmtcp", "dmtcp_restart_loader");
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) {
    throw ClientError(ClientError::Kind::kUsage, "cannot determine the current directory");
  }
  std::string base(cwd);
  std::string rel = path;
  while (rel.size() >= 2 && rel.compare(0, 2, "./") == 0) rel.erase(0, 2);
  if (rel.empty() || rel == ".") return base;
  return base == "/" ? "/" + rel : base + "/" + rel;
}

}  // namespace dmtcp::client
