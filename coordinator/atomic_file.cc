#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

namespace dmtcp::coord {
namespace {

std::string Err(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + strerror(errno);
}

}  // namespace

std::string WriteFileAtomic(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmpl = path + ".XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = mkostemp(name.data(), O_CLOEXEC);  // created 0600, never follows a planted link
  if (fd < 0) return Err("cannot create", tmpl);
  std::string tmp = name.data();
  const char* p = data.data();
  size_t n = data.size();
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      std::string e = Err("cannot write", tmp);
      close(fd);
      unlink(tmp.c_str());
      return e;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  if (fchmod(fd, mode) != 0 || close(fd) != 0) {
    std::string e = Err("cannot finish", tmp);
    unlink(tmp.c_str());
    return e;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    std::string e = Err("cannot rename to", path);
    unlink(tmp.c_str());
    return e;
  }
  return "";
}

std::string ReplaceSymlink(const std::string& target, const std::string& link) {
  // symlink() cannot overwrite: make a uniquely named link, rename it over.
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string tmp = link + ".tmp" + std::to_string(getpid()) + "_" + std::to_string(attempt);
    if (symlink(target.c_str(), tmp.c_str()) != 0) {
      if (errno == EEXIST) continue;
      return Err("cannot create symlink", tmp);
    }
    if (rename(tmp.c_str(), link.c_str()) != 0) {
      std::string e = Err("cannot rename to", link);
      unlink(tmp.c_str());
      return e;
    }
    return "";
  }
  return "cannot create a temporary symlink beside " + link;
}

}  // namespace dmtcp::coord
