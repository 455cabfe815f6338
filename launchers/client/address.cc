#include "address.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "errors.h"
#include "io.h"
#include "protocol.h"

namespace dmtcp::client {
namespace {

const char* Env(const char* name) {
  const char* v = getenv(name);
  return v && *v ? v : nullptr;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::optional<int> ParsePort(const std::string& s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > 65535) return std::nullopt;
  return v;
}

CoordAddress ResolveAddress(const std::optional<std::string>& host,
                            const std::optional<int>& port) {
  CoordAddress a;
  if (host && !host->empty()) {
    a.host = *host;
  } else if (const char* h = Env("DMTCP_COORD_HOST")) {
    a.host = h;
  } else if (const char* h2 = Env("DMTCP_HOST")) {
    a.host = h2;
  } else {
    a.host = "localhost";
  }
  if (port) {
    if (*port < 0 || *port > 65535) {
      throw ClientError(ClientError::Kind::kUsage, "invalid port " + std::to_string(*port));
    }
    a.port = *port;
    return a;
  }
  for (const char* name : {"DMTCP_COORD_PORT", "DMTCP_PORT"}) {
    if (const char* p = Env(name)) {
      auto v = ParsePort(p);
      if (!v) {
        throw ClientError(ClientError::Kind::kUsage,
                          std::string("invalid port in ") + name + ": '" + p + "'");
      }
      a.port = *v;
      return a;
    }
  }
  a.port = proto::kDefaultPort;
  return a;
}

std::optional<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = Trim(ss.str());
  if (s.empty()) return std::nullopt;
  return s;
}

std::string DefaultSecretPath(int port) {
  char buf[4096];
  if (!io::DefaultSecretPath(port, buf, sizeof buf)) {
    throw ClientError(ClientError::Kind::kUsage, "temporary directory path is too long");
  }
  return buf;
}

// The default secret lives in a shared /tmp: trust it only in a directory and
// file that are ours alone, or another user could steer our processes (and
// their images) to a coordinator of theirs.
bool PrivateToUs(const std::string& file) {
  struct stat st;
  if (lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid() ||
      (st.st_mode & 077)) {
    return false;
  }
  std::string dir = file.substr(0, file.rfind('/'));
  return lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
         !(st.st_mode & 022);
}

std::optional<std::string> FindSecret(int port) {
  if (const char* s = Env("DMTCP_COORD_SECRET")) return Trim(s);
  if (const char* f = Env("DMTCP_COORD_SECRET_FILE")) return ReadSecretFile(f);
  return PrivateDefaultSecret(port);
}

std::optional<std::string> PrivateDefaultSecret(int port) {
  std::string path = DefaultSecretPath(port);
  if (!PrivateToUs(path)) return std::nullopt;
  return ReadSecretFile(path);
}

bool IsLocalHost(const std::string& host) {
  if (host.empty() || host == "localhost" || host == "127.0.0.1" || host == "::1") return true;
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0 && host == name) return true;
  // An address is ours if we can bind to it.
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) return false;
  bool local = false;
  for (addrinfo* ai = res; ai && !local; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    local = bind(fd, ai->ai_addr, ai->ai_addrlen) == 0;  // port 0 from getaddrinfo
    close(fd);
  }
  freeaddrinfo(res);
  return local;
}

}  // namespace dmtcp::client
