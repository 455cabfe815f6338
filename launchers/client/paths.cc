#include "paths.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

namespace dmtcp::client {

std::string SelfExeDir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw ClientError(ClientError::Kind::kStart, "cannot read /proc/self/exe");
  std::string exe(buf, static_cast<size_t>(n));
  size_t slash = exe.rfind('/');
  return slash == 0 ? "/" : exe.substr(0, slash);
}

std::string SiblingCommand(const std::string& name) { return SelfExeDir() + "/" + name; }

std::string RuntimeLibrary() {
  std::string path = SelfExeDir() + "/../lib/libdmtcp.so";
  char real[PATH_MAX];
  // realpath also checks existence; a normalized path reads better in
  // LD_PRELOAD and in error messages.
  if (!realpath(path.c_str(), real) || !IsRegularFile(real)) return "";
  return real;
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
