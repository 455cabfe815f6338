#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dmtcp::coord {
namespace {

int TryListen(int family, int port, std::string* error) {
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc;
  if (family == AF_INET6) {
    int zero = 0;  // accept IPv4 clients too
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    rc = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons(static_cast<uint16_t>(port));
    rc = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0 || listen(fd, SOMAXCONN) != 0) {
    *error = errno == EADDRINUSE ? "port " + std::to_string(port) + " is already in use"
                                 : std::string("cannot listen: ") + strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int ListenTcp(int port, int* actual_port, std::string* error) {
  int fd = TryListen(AF_INET6, port, error);
  // No IPv6 on this host: IPv4 only. A busy port is busy for both.
  if (fd < 0 && error->find("already in use") == std::string::npos) {
    fd = TryListen(AF_INET, port, error);
  }
  if (fd < 0) return -1;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    *error = std::string("getsockname: ") + strerror(errno);
    close(fd);
    return -1;
  }
  *actual_port = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                          : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

}  // namespace dmtcp::coord
