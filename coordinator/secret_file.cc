#include "secret_file.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

#include "atomic_file.h"
#include "io.h"

namespace dmtcp::coord {

std::string NewSecret() {
  unsigned char bytes[32];
  if (!io::RandomBytes(bytes, sizeof bytes)) {
    throw std::runtime_error(std::string("getrandom: ") + strerror(errno));
  }
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned char b : bytes) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

bool IsSecret(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string EnsurePrivateDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return "cannot create " + dir + ": " + strerror(errno);
  }
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) return "cannot stat " + dir + ": " + strerror(errno);
  if (!S_ISDIR(st.st_mode)) return dir + " is not a directory";
  if (st.st_uid != getuid()) return dir + " is owned by another user";
  if (st.st_mode & (S_IWGRP | S_IWOTH)) return dir + " is writable by group or others";
  return "";
}

std::string WriteSecretFile(int port, const std::string& secret, std::string* path) {
  char dir[3072];
  char file[4096];
  if (!io::UserTmpDir(dir, sizeof dir) || !io::DefaultSecretPath(port, file, sizeof file)) {
    return "temporary directory path is too long";
  }
  std::string err = EnsurePrivateDir(dir);
  if (!err.empty()) return err;
  err = WriteFileAtomic(file, secret + "\n", 0600);
  if (!err.empty()) return err;
  *path = file;
  return "";
}
}  // namespace dmtcp::coord
