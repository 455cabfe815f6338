#include "tcp_reconnect.h"

#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "socket_addr.h"

namespace dmtcp::restart {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kTokenLen = 16;
constexpr size_t kMaxAddresses = 16;

std::runtime_error Errno(const std::string& what) {
  return std::runtime_error(what + ": " + strerror(errno));
}

std::string Hex(const uint8_t* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 15];
  }
  return s;
}

struct Endpoints {
  uint8_t local[image::kSockAddrBytes];
  uint8_t peer[image::kSockAddrBytes];
};

Endpoints Canonical(const image::FdInfo& info) {
  Endpoints e;
  image::CanonicalSockAddr(info.local_addr, e.local);
  image::CanonicalSockAddr(info.peer_addr, e.peer);
  return e;
}

// Exactly one end of each connection listens: the one whose own address
// sorts first. Both name the connection the same way, listener first.
bool Listens(const Endpoints& e) { return memcmp(e.local, e.peer, sizeof e.local) < 0; }

std::string Key(const Endpoints& e) {
  const uint8_t* first = Listens(e) ? e.local : e.peer;
  const uint8_t* second = Listens(e) ? e.peer : e.local;
  return "dmtcp.restart.tcp." + Hex(first, image::SockAddrLen(first)) + "-" +
         Hex(second, image::SockAddrLen(second));
}

// addr as an address a socket of `family` can connect to or bind.
bool ConvertFor(int family, const sockaddr_storage& in, sockaddr_storage* out, socklen_t* len) {
  *out = in;
  if (in.ss_family == family) {
    *len = family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    return true;
  }
  if (family == AF_INET6 && in.ss_family == AF_INET) {
    const auto& a4 = reinterpret_cast<const sockaddr_in&>(in);
    sockaddr_in6 a6{};
    a6.sin6_family = AF_INET6;
    a6.sin6_port = a4.sin_port;
    uint8_t* b = reinterpret_cast<uint8_t*>(&a6.sin6_addr);
    b[10] = b[11] = 0xff;
    memcpy(b + 12, &a4.sin_addr, 4);
    memset(out, 0, sizeof *out);
    memcpy(out, &a6, sizeof a6);
    *len = sizeof a6;
    return true;
  }
  uint8_t canon[image::kSockAddrBytes] = {};
  memcpy(canon, &in, sizeof canon);
  image::CanonicalSockAddr(canon, canon);
  if (family == AF_INET && image::SockAddrLen(canon) == sizeof(sockaddr_in)) {
    memset(out, 0, sizeof *out);
    memcpy(out, canon, sizeof(sockaddr_in));
    *len = sizeof(sockaddr_in);
    return true;
  }
  return false;
}

int NewSocket(int family) {
  int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) throw Errno("socket");
  return s;
}

void WaitFor(int fd, short events, Clock::time_point deadline, const char* what) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) throw std::runtime_error(std::string("timed out ") + what);
    pollfd p{fd, events, 0};
    int r = poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (r > 0) return;
    if (r < 0 && errno != EINTR) throw Errno("poll");
  }
}

void ReadExactly(int fd, void* buf, size_t n, Clock::time_point deadline) {
  auto* p = static_cast<char*>(buf);
  while (n) {
    WaitFor(fd, POLLIN, deadline, "reading from the other end of a TCP connection");
    ssize_t r = read(fd, p, n);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) throw std::runtime_error("the other end of a TCP connection closed it at restart");
    p += r;
    n -= static_cast<size_t>(r);
  }
}

struct Pending {
  RemoteEnd* end;
  Endpoints ep;
  std::string key;
  int listener = -1;
  uint8_t token[kTokenLen];
  // The exchange: our data goes out behind its length, the peer's comes in.
  std::string out;
  size_t out_done = 0;
  uint64_t in_len = 0;
  size_t in_header = 0;
  std::string in;
};

// Our addresses the peer may reach us at, best first: the one we reach the
// coordinator from, the others, loopback last (a peer on this host).
std::vector<sockaddr_storage> OurAddresses(int family, NameService& ns) {
  std::vector<sockaddr_storage> out, last;
  auto add = [&](const sockaddr* sa) {
    if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)) return;
    if (sa->sa_family == AF_INET6 && family != AF_INET6) return;
    sockaddr_storage a{};
    memcpy(&a, sa, sa->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    uint8_t canon[image::kSockAddrBytes] = {};
    memcpy(canon, &a, sizeof canon);
    image::CanonicalSockAddr(canon, canon);
    bool loopback = false;
    if (a.ss_family == AF_INET6) {
      const auto& a6 = reinterpret_cast<const sockaddr_in6&>(a);
      if (IN6_IS_ADDR_LINKLOCAL(&a6.sin6_addr)) return;  // needs an interface to mean anything
      loopback = IN6_IS_ADDR_LOOPBACK(&a6.sin6_addr);
    }
    if (image::SockAddrLen(canon) == sizeof(sockaddr_in)) {
      sockaddr_in a4;
      memcpy(&a4, canon, sizeof a4);
      loopback = (ntohl(a4.sin_addr.s_addr) >> 24) == 127;
      memset(&a, 0, sizeof a);
      memcpy(&a, &a4, sizeof a4);
    }
    for (const auto& seen : out)
      if (memcmp(&seen, &a, sizeof a) == 0) return;
    (loopback ? last : out).push_back(a);
  };
  sockaddr_storage facing = ns.LocalAddress();
  add(reinterpret_cast<sockaddr*>(&facing));
  ifaddrs* ifs = nullptr;
  if (getifaddrs(&ifs) == 0) {
    for (ifaddrs* i = ifs; i; i = i->ifa_next)
      if (i->ifa_flags & IFF_UP) add(i->ifa_addr);
    freeifaddrs(ifs);
  }
  for (const auto& a : last) {
    bool dup = false;
    for (const auto& seen : out) dup |= memcmp(&seen, &a, sizeof a) == 0;
    if (!dup) out.push_back(a);
  }
  if (out.size() > kMaxAddresses) out.resize(kMaxAddresses);
  return out;
}

// Published: port, token, then the addresses.
struct Published {
  uint16_t port;
  uint8_t token[kTokenLen];
  uint32_t count;
  sockaddr_storage addrs[kMaxAddresses];
};

void Listen(Pending& p, NameService& ns) {
  const int family = static_cast<int>(p.end->fd->info.sock_domain);
  p.listener = NewSocket(family);
  sockaddr_storage any{};
  socklen_t len;
  if (family == AF_INET6) {
    int off = 0;
    setsockopt(p.listener, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    auto& a6 = reinterpret_cast<sockaddr_in6&>(any);
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_any;
    len = sizeof a6;
  } else {
    auto& a4 = reinterpret_cast<sockaddr_in&>(any);
    a4.sin_family = AF_INET;
    a4.sin_addr.s_addr = htonl(INADDR_ANY);
    len = sizeof a4;
  }
  if (bind(p.listener, reinterpret_cast<sockaddr*>(&any), len) != 0 || listen(p.listener, 4) != 0 ||
      getsockname(p.listener, reinterpret_cast<sockaddr*>(&any), &len) != 0)
    throw Errno("cannot listen for the other end of a TCP connection");
  Published pub{};
  pub.port = reinterpret_cast<sockaddr_in&>(any).sin_port;  // same offset for IPv6
  if (getrandom(p.token, sizeof p.token, 0) != static_cast<ssize_t>(sizeof p.token))
    throw Errno("getrandom");
  memcpy(pub.token, p.token, sizeof p.token);
  auto addrs = OurAddresses(family, ns);
  pub.count = static_cast<uint32_t>(addrs.size());
  for (size_t i = 0; i < addrs.size(); ++i) pub.addrs[i] = addrs[i];
  ns.Put(p.key, std::string(reinterpret_cast<const char*>(&pub), sizeof pub));
}

// A connection within `timeout`, or -1.
int TryConnect(int family, const sockaddr_storage& to, uint16_t port,
               std::chrono::milliseconds timeout) {
  sockaddr_storage addr;
  socklen_t len;
  int use = ConvertFor(family, to, &addr, &len) ? family : to.ss_family;
  if (use != family) ConvertFor(use, to, &addr, &len);
  reinterpret_cast<sockaddr_in&>(addr).sin_port = port;  // same offset for IPv6
  int s = NewSocket(use);
  fcntl(s, F_SETFL, O_NONBLOCK);
  if (connect(s, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    pollfd pfd{s, POLLOUT, 0};
    int err = 0;
    socklen_t elen = sizeof err;
    if (errno != EINPROGRESS || poll(&pfd, 1, static_cast<int>(timeout.count())) != 1 ||
        getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
      close(s);
      return -1;
    }
  }
  fcntl(s, F_SETFL, 0);
  return s;
}

void Connect(Pending& p, NameService& ns, Clock::time_point deadline) {
  const int family = static_cast<int>(p.end->fd->info.sock_domain);
  auto next_note = Clock::now() + std::chrono::seconds(10);
  auto pause = std::chrono::milliseconds(10);
  for (;;) {
    auto value = ns.Get(p.key);
    if (value && value->size() == sizeof(Published)) {
      Published pub;
      memcpy(&pub, value->data(), sizeof pub);
      for (uint32_t i = 0; i < pub.count && i < kMaxAddresses; ++i) {
        int s = TryConnect(family, pub.addrs[i], pub.port, std::chrono::milliseconds(2000));
        if (s < 0) continue;
        if (write(s, pub.token, kTokenLen) != kTokenLen) {
          close(s);
          continue;
        }
        p.end->new_fd = s;
        return;
      }
      // None answered: a listener of an earlier restart; wait for the new one.
    }
    if (Clock::now() > deadline)
      throw std::runtime_error(
          "the process at the other end of a TCP connection did not come back (is its "
          "dmtcp_restart running, and can this host reach its host?)");
    if (Clock::now() > next_note) {
      fprintf(stderr, "dmtcp_restart: waiting for the other end of a TCP connection\n");
      next_note = Clock::now() + std::chrono::seconds(30);
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
  }
}

void Accept(Pending& p, Clock::time_point deadline) {
  for (;;) {
    WaitFor(p.listener, POLLIN, deadline, "waiting for the other end of a TCP connection");
    int s = accept4(p.listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (s < 0) continue;
    uint8_t token[kTokenLen];
    try {
      ReadExactly(s, token, sizeof token,
                  std::min(deadline, Clock::now() + std::chrono::seconds(10)));
    } catch (const std::runtime_error&) {
      close(s);
      continue;
    }
    if (memcmp(token, p.token, sizeof token) != 0) {
      close(s);  // someone else
      continue;
    }
    close(p.listener);
    p.listener = -1;
    p.end->new_fd = s;
    return;
  }
}

// Both restarters send, then receive, on all their connections at once: a
// sequential exchange could wait for a host that waits for us elsewhere.
void Exchange(std::vector<Pending>& all, Clock::time_point deadline) {
  for (auto& p : all) {
    uint64_t n = p.end->fd->data.size();
    p.out.assign(reinterpret_cast<const char*>(&n), sizeof n);
    p.out += p.end->fd->data;
    MakeRoomToReceive(p.end->new_fd, p.end->fd->data.size());
    fcntl(p.end->new_fd, F_SETFL, fcntl(p.end->new_fd, F_GETFL) | O_NONBLOCK);
  }
  auto done = [](const Pending& p) {
    return p.out_done == p.out.size() && p.in_header == sizeof p.in_len && p.in.size() == p.in_len;
  };
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<Pending*> who;
    for (auto& p : all) {
      if (done(p)) continue;
      short ev = 0;
      if (p.out_done < p.out.size()) ev |= POLLOUT;
      if (p.in_header < sizeof p.in_len || p.in.size() < p.in_len) ev |= POLLIN;
      fds.push_back({p.end->new_fd, ev, 0});
      who.push_back(&p);
    }
    if (fds.empty()) break;
    if (Clock::now() > deadline) throw std::runtime_error("timed out handing back TCP data");
    if (poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) throw Errno("poll");
    for (size_t i = 0; i < fds.size(); ++i) {
      Pending& p = *who[i];
      if (fds[i].revents & POLLOUT) {
        ssize_t w =
            send(fds[i].fd, p.out.data() + p.out_done, p.out.size() - p.out_done, MSG_NOSIGNAL);
        if (w > 0) p.out_done += static_cast<size_t>(w);
      }
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t r;
        if (p.in_header < sizeof p.in_len) {
          r = read(fds[i].fd, reinterpret_cast<char*>(&p.in_len) + p.in_header,
                   sizeof p.in_len - p.in_header);
          if (r > 0) p.in_header += static_cast<size_t>(r);
        } else {
          // Only what the peer announced: what follows is ours to keep.
          char buf[65536];
          r = read(fds[i].fd, buf, std::min<uint64_t>(sizeof buf, p.in_len - p.in.size()));
          if (r > 0) p.in.append(buf, static_cast<size_t>(r));
        }
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
          throw std::runtime_error("the other end of a TCP connection closed it at restart");
      }
    }
  }
  for (auto& p : all) {
    fcntl(p.end->new_fd, F_SETFL, fcntl(p.end->new_fd, F_GETFL) & ~O_NONBLOCK);
    SendQueuedData(p.end->new_fd, p.in);
  }
}

}  // namespace

void MakeRoomToReceive(int fd, size_t bytes) {
  if (bytes <= 65536) return;
  int size = static_cast<int>(std::min<size_t>(bytes, 1 << 30));
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);  // capped by rmem_max
}

void SendQueuedData(int from, const std::string& data) {
  if (data.empty()) return;
  int size = static_cast<int>(std::min<size_t>(data.size(), 1 << 30));
  setsockopt(from, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);  // capped by wmem_max
  const int flags = fcntl(from, F_GETFL);
  fcntl(from, F_SETFL, flags | O_NONBLOCK);
  size_t done = 0;
  // The receiving program does not run yet: what the socket buffers do not
  // take within a moment, they will not take.
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (done < data.size()) {
    ssize_t w = send(from, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (w > 0) {
      done += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno != EAGAIN && errno != EINTR) throw Errno("cannot put back socket data");
    if (Clock::now() > deadline)
      throw std::runtime_error("a socket had " + std::to_string(data.size()) +
                               " bytes waiting to be read, more than its new buffers take (raise "
                               "net.core.rmem_max and net.core.wmem_max)");
    pollfd p{from, POLLOUT, 0};
    poll(&p, 1, 100);
  }
  fcntl(from, F_SETFL, flags);
}

void ConnectRemoteEnds(std::vector<RemoteEnd>& ends, NameService& ns,
                       std::chrono::seconds timeout) {
  if (ends.empty()) return;
  const auto deadline = Clock::now() + timeout;
  std::vector<Pending> all(ends.size());
  for (size_t i = 0; i < ends.size(); ++i) {
    all[i].end = &ends[i];
    all[i].ep = Canonical(ends[i].fd->info);
    all[i].key = Key(all[i].ep);
  }
  // Listeners first, then connections (a listener's backlog completes them
  // without an accept), then accepts: no order between hosts can block.
  for (auto& p : all)
    if (Listens(p.ep)) Listen(p, ns);
  for (auto& p : all)
    if (!Listens(p.ep)) Connect(p, ns, deadline);
  for (auto& p : all)
    if (Listens(p.ep)) Accept(p, deadline);
  Exchange(all, deadline);
}

}  // namespace dmtcp::restart
