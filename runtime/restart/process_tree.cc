#include "process_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

#include "io.h"
#include "restore_planner.h"
#include "saved_files.h"
#include "saved_folders.h"
#include "socket_addr.h"
#include "tcp_reconnect.h"

namespace dmtcp::restart {
namespace {

std::runtime_error Errno(const std::string& what) {
  return std::runtime_error(what + ": " + strerror(errno));
}

int MoveHigh(int fd, int base, bool cloexec) {
  int moved = fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, base);
  if (moved < 0) throw Errno("fcntl(F_DUPFD)");
  close(fd);
  return moved;
}

// Nothing of ours may leak into the restored program: only stdio and what
// is placed for it afterwards survive the exec of the loader.
void CloseOnExecAllBut(const std::vector<int>& keep) {
  // By ranges between the kept ones: listing /proc/self/fd in each of
  // thousands of processes, each holding thousands of images open, costs
  // the kernel quadratic time (2,000 processes: 13 s of dentry lookups).
  std::vector<int> sorted(keep);
  std::sort(sorted.begin(), sorted.end());
  unsigned from = 3;
  bool ok = true;
  for (int k : sorted) {
    if (k < static_cast<int>(from)) continue;
    if (k > static_cast<int>(from))
      ok = ok && syscall(SYS_close_range, from, k - 1, CLOSE_RANGE_CLOEXEC) == 0;
    from = static_cast<unsigned>(k) + 1;
  }
  ok = ok && syscall(SYS_close_range, from, ~0U, CLOSE_RANGE_CLOEXEC) == 0;
  if (ok) return;
  // A kernel before 5.11.
  DIR* d = opendir("/proc/self/fd");
  if (!d) return;
  std::vector<int> fds;
  while (dirent* e = readdir(d)) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd > 2 && fd != dirfd(d) &&
        std::find(keep.begin(), keep.end(), fd) == keep.end())
      fds.push_back(fd);
  }
  closedir(d);
  for (int fd : fds) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// A Unix socket bound again under its name (a stale socket file left by the
// killed computation is replaced).
int BindUnixName(const image::FdInfo& info) {
  sockaddr_un addr{};
  memcpy(&addr, info.unix_name, std::min<size_t>(info.unix_name_len, sizeof addr));
  int s = socket(AF_UNIX, static_cast<int>(info.sock_type) | SOCK_CLOEXEC, 0);
  if (s < 0) throw Errno("socket");
  struct stat st;
  if (addr.sun_path[0] && lstat(addr.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
    unlink(addr.sun_path);
  // A rendezvous socket in a session folder of the old node's /tmp (PMIx).
  if (addr.sun_path[0] && NodeLocalFile(addr.sun_path)) MakeParentDirs(addr.sun_path);
  const auto len = static_cast<socklen_t>(std::min<size_t>(info.unix_name_len, sizeof addr));
  if (bind(s, reinterpret_cast<sockaddr*>(&addr), len) != 0)
    throw Errno(std::string("cannot bind again to ") + addr.sun_path);
  return s;
}

// Writes what was queued in a Unix stream socket into it again, from its
// peer s. Up to the default buffer it fits at once; more was queued only
// because the program raised SO_SNDBUF, so the buffer is raised as far as
// this user may. Sent whole: the kernel then cuts it into its largest
// pieces, which take the least room (the program's may have been smaller).
void PutBackStream(int s, const std::string& data) {
  bool raised = false;
  for (size_t at = 0; at < data.size();) {
    const ssize_t r = send(s, data.data() + at, data.size() - at, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r > 0) {
      at += static_cast<size_t>(r);
      continue;
    }
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !raised) {
      // Room for it (the kernel doubles the value for its overhead), past
      // the site's wmem_max where the user may (root).
      int most =
          static_cast<int>(std::min<size_t>(data.size(), std::numeric_limits<int>::max() / 2));
      if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &most, sizeof most) != 0)
        setsockopt(s, SOL_SOCKET, SO_SNDBUF, &most, sizeof most);
      raised = true;
      continue;
    }
    throw std::runtime_error("cannot put back the " + std::to_string(data.size()) +
                             " bytes queued in a Unix socket (" + std::to_string(at) +
                             " fit in the largest buffer this user may set, SO_SNDBUF): " +
                             strerror(r < 0 ? errno : EAGAIN));
  }
}

}  // namespace

ProcessTree::ProcessTree(std::vector<std::unique_ptr<image::ImageReader>>& images)
    : images_(images), children_(images.size()) {
  std::map<int32_t, size_t> by_vpid;
  int max_fd = 2;
  for (size_t i = 0; i < images_.size(); ++i) {
    by_vpid[images_[i]->process().pid] = i;
    for (const auto& f : images_[i]->fds()) max_fd = std::max(max_fd, f.info.fd);
  }
  std::vector<size_t> parent_of(images_.size(), SIZE_MAX);
  for (size_t i = 0; i < images_.size(); ++i) {
    auto parent = by_vpid.find(images_[i]->process().ppid);
    if (parent != by_vpid.end() && parent->second != i) {
      children_[parent->second].push_back(i);
      parent_of[i] = parent->second;
    } else {
      roots_.push_back(i);
    }
  }
  // A session or group whose leader had ended (a daemon's, after the middle
  // process of a double fork exited) is made again by its first member whose
  // parent here is not in it; the others are forked into it or join it.
  std::set<int32_t> led;
  for (size_t i = 0; i < images_.size(); ++i) {
    const auto& pi = images_[i]->process();
    const auto* pp = parent_of[i] == SIZE_MAX ? nullptr : &images_[parent_of[i]]->process();
    if (pi.sid != pi.pid && !by_vpid.count(pi.sid) && !(pp && pp->sid == pi.sid) &&
        led.insert(pi.sid).second)
      new_leader_[i] = kNewSession;
    else if (pi.pgid != pi.pid && pi.pgid != pi.sid && !by_vpid.count(pi.pgid) &&
             !(pp && pp->pgid == pi.pgid) && led.insert(pi.pgid).second)
      new_leader_[i] = kNewGroup;
  }
  // The restart command becomes the first root: the program's own process
  // rather than a helper that ssh or srun started for it (its exit code is
  // the restart's).
  std::stable_partition(roots_.begin(), roots_.end(), [&](size_t i) {
    return strncmp(images_[i]->process().program, "dmtcp_sshd",
                   sizeof images_[i]->process().program) != 0;
  });
  high_fd_ = max_fd + 16;
  for (auto& img : images_)
    if (!img->RelocateFd(high_fd_)) throw std::runtime_error(img->error());
}

// A new pty for every pty whose master a process of the computation holds
// (a program run under `script`, an ssh -t session); the user's own
// terminal on 0-2 comes from the restart command instead.
void ProcessTree::MakePtys() {
  for (const auto& img : images_) {
    for (const auto& f : img->fds()) {
      if (f.info.pty_index < 0 || !f.info.pty_master || ptys_.count(f.info.pty_index)) continue;
      int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) throw Errno("posix_openpt");
      char name[128];
      if (ptsname_r(m, name, sizeof name) != 0) throw Errno("ptsname");
      Pty pty{MoveHigh(m, high_fd_, true), name};
      ptys_[f.info.pty_index] = pty;
    }
  }
  // The slave's settings, from whichever image recorded them.
  for (const auto& img : images_) {
    for (const auto& f : img->fds()) {
      auto it = ptys_.find(f.info.pty_index);
      if (f.info.pty_index < 0 || f.info.pty_master || it == ptys_.end()) continue;
      int s = open(it->second.slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (s < 0) throw Errno("open " + it->second.slave_path);
      ioctl(s, TCSETS, f.info.termios);
      ioctl(s, TIOCSWINSZ, f.info.winsize);
      close(s);
    }
  }
}

// Unix socket pairs whose two ends processes of the computation hold: made
// again, with the data that was waiting in each end written into it from
// its peer (once per socket, whichever process recorded it).
void ProcessTree::MakeSocketPairs() {
  // Listening Unix sockets listen again under their name.
  for (const auto& img : images_) {
    for (const auto& f : img->fds()) {
      if (static_cast<image::FdKind>(f.info.kind) != image::FdKind::kSocket ||
          f.info.sock_domain != AF_UNIX || !f.info.sock_listening || !f.info.unix_name_len ||
          sockets_.count(f.info.inode))
        continue;
      int s = BindUnixName(f.info);
      if (listen(s, 128) != 0) throw Errno("cannot listen again on a Unix socket");
      sockets_[f.info.inode] = MoveHigh(s, high_fd_, true);
    }
  }
  std::map<uint64_t, const image::Fd*> by_inode;
  for (const auto& img : images_)
    for (const auto& f : img->fds())
      if (static_cast<image::FdKind>(f.info.kind) == image::FdKind::kSocket && f.info.peer_inode) {
        // Of the processes sharing a socket, the one that recorded its data.
        auto [it, added] = by_inode.emplace(f.info.inode, &f);
        if (!added && it->second->data.empty()) it->second = &f;
      }
  for (const auto& [inode, f] : by_inode) {
    if (sockets_.count(inode) || !by_inode.count(f->info.peer_inode)) continue;
    int sv[2];
    if (socketpair(AF_UNIX, static_cast<int>(f->info.sock_type) | SOCK_CLOEXEC, 0, sv) != 0)
      throw Errno("socketpair");
    sockets_[inode] = MoveHigh(sv[0], high_fd_, true);
    sockets_[f->info.peer_inode] = MoveHigh(sv[1], high_fd_, true);
  }
  for (const auto& [inode, f] : by_inode) {
    auto peer = sockets_.find(f->info.peer_inode);
    if (f->data.empty() || peer == sockets_.end() || !sockets_.count(inode)) continue;
    if (f->info.sock_type == SOCK_STREAM) {
      PutBackStream(peer->second, f->data);
      continue;
    }
    // Datagrams: each one again, from the other end, in order.
    const std::string& d = f->data;
    for (size_t at = 0; at + sizeof(uint32_t) <= d.size();) {
      uint32_t n;
      memcpy(&n, d.data() + at, sizeof n);
      at += sizeof n;
      if (n > d.size() - at) throw std::runtime_error("bad datagram record in an image");
      if (send(peer->second, d.data() + at, n, MSG_DONTWAIT | MSG_NOSIGNAL) !=
          static_cast<ssize_t>(n))
        throw Errno("cannot put back a datagram queued in a socket");
      at += n;
    }
  }
  // Unix datagram sockets with a name (servers): bound again under it; a
  // socket of the computation that sent to one is connected to it again.
  std::map<uint64_t, const image::Fd*> named;
  for (const auto& img : images_) {
    for (const auto& f : img->fds()) {
      if (static_cast<image::FdKind>(f.info.kind) != image::FdKind::kSocket ||
          f.info.sock_domain != AF_UNIX || f.info.sock_type == SOCK_STREAM ||
          f.info.sock_listening || !f.info.unix_name_len || sockets_.count(f.info.inode))
        continue;
      sockets_[f.info.inode] = MoveHigh(BindUnixName(f.info), high_fd_, true);
      named[f.info.inode] = &f;
    }
  }
  for (const auto& img : images_) {
    for (const auto& f : img->fds()) {
      auto server = named.find(f.info.peer_inode);
      if (static_cast<image::FdKind>(f.info.kind) != image::FdKind::kSocket ||
          f.info.sock_domain != AF_UNIX || server == named.end() || sockets_.count(f.info.inode))
        continue;
      int s = socket(AF_UNIX, static_cast<int>(f.info.sock_type) | SOCK_CLOEXEC, 0);
      if (s < 0 || connect(s, reinterpret_cast<const sockaddr*>(server->second->info.unix_name),
                           server->second->info.unix_name_len) != 0)
        throw Errno("cannot connect again to a Unix datagram socket");
      sockets_[f.info.inode] = MoveHigh(s, high_fd_, true);
    }
  }
}

namespace {

socklen_t AddrLen(const uint8_t* addr) { return image::SockAddrLen(addr); }

bool SameAddr(const uint8_t* a, const uint8_t* b) {
  uint8_t ca[image::kSockAddrBytes], cb[image::kSockAddrBytes];
  image::CanonicalSockAddr(a, ca);
  image::CanonicalSockAddr(b, cb);
  socklen_t n = AddrLen(ca);
  return n && n == AddrLen(cb) && memcmp(ca, cb, n) == 0;
}

// Whether the kernel hands out `port` to sockets bound to port 0: such a
// port was most likely picked by the kernel, not named by the program.
bool EphemeralPort(int port) {
  int lo = 32768, hi = 60999;
  if (FILE* f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
    if (fscanf(f, "%d %d", &lo, &hi) != 2) lo = 32768, hi = 60999;
    fclose(f);
  }
  return port >= lo && port <= hi;
}

// Whether a socket of this network namespace listens on TCP `port`. Only
// then is the port taken by another program: connections of the killed run
// that linger in TIME-WAIT also refuse the bind, but go away by themselves.
bool SomeoneListensOn(int port) {
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    FILE* f = fopen(table, "r");
    if (!f) continue;
    char line[512];
    bool found = false;
    if (!fgets(line, sizeof line, f)) line[0] = 0;  // the header
    while (!found && fgets(line, sizeof line, f)) {
      // "  sl: local_address:PORT rem_address:PORT st ...", in hex; 0A is LISTEN.
      char local[128], remote[128];
      unsigned state = 0;
      if (sscanf(line, "%*s %127s %127s %x", local, remote, &state) != 3) continue;
      const char* colon = strrchr(local, ':');
      found = colon && state == 0x0A && strtol(colon + 1, nullptr, 16) == port;
    }
    fclose(f);
    if (found) return true;
  }
  return false;
}

// A socket bound to addr again: its port if it is free, else another port;
// on another host, where its address does not exist, on every address. An
// unbound socket (port 0) stays unbound. A listening port the program chose
// (outside the ephemeral range) is never replaced: its clients know it, so
// when another program holds it the restart stops, naming it (`owner`).
int BindAgain(const uint8_t* addr, int type, const std::string& owner = "", bool v6only = false) {
  uint8_t at[image::kSockAddrBytes];
  memcpy(at, addr, sizeof at);
  sa_family_t family;
  memcpy(&family, at, sizeof family);
  int s = socket(family, type | SOCK_CLOEXEC, 0);
  if (s < 0) throw Errno("socket");
  if (reinterpret_cast<sockaddr_in*>(at)->sin_port == 0) return s;  // same offset for IPv6
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (v6only && family == AF_INET6) setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  auto try_bind = [&] { return bind(s, reinterpret_cast<sockaddr*>(at), AddrLen(at)) == 0; };
  if (!try_bind()) {
    if (errno == EADDRNOTAVAIL) {
      if (family == AF_INET6)
        reinterpret_cast<sockaddr_in6*>(at)->sin6_addr = in6addr_any;
      else
        reinterpret_cast<sockaddr_in*>(at)->sin_addr.s_addr = htonl(INADDR_ANY);
      if (try_bind()) return s;
    }
    const int port = ntohs(reinterpret_cast<sockaddr_in*>(at)->sin_port);
    if (errno == EADDRINUSE && !owner.empty() && !EphemeralPort(port) && SomeoneListensOn(port)) {
      // Perhaps a process of the run just killed, still ending (a job
      // requeued at once on the same node): a few seconds for it to go.
      fprintf(stderr, "dmtcp_restart: port %d is taken; waiting up to 5 s for it to be free\n",
              port);
      for (int tries = 0; tries < 50; ++tries) {
        usleep(100 * 1000);
        if (try_bind()) return s;
      }
      close(s);
      throw std::runtime_error("port " + std::to_string(port) + ", where " + owner +
                               " listened, is taken by another program on this host; stop it, "
                               "or restart on another host");
    }
    reinterpret_cast<sockaddr_in*>(at)->sin_port = 0;
    if (!try_bind()) throw Errno("cannot bind a socket again");
    fprintf(stderr, "dmtcp_restart: a port was taken; the socket got another one\n");
  }
  return s;
}

int ListenAgain(const uint8_t* addr, const std::string& owner, bool v6only) {
  int s = BindAgain(addr, SOCK_STREAM, owner, v6only);
  if (listen(s, 128) != 0) throw Errno("listen");
  return s;
}

// A connected pair of TCP sockets on this host (through a loopback listener).
std::pair<int, int> TcpPair(int family) {
  int l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l < 0) throw Errno("socket");
  sockaddr_storage addr{};
  socklen_t len;
  if (family == AF_INET6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    a6->sin6_family = AF_INET6;
    a6->sin6_addr = in6addr_loopback;
    len = sizeof *a6;
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
    a4->sin_family = AF_INET;
    a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a4;
  }
  if (bind(l, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(l, 1) != 0 ||
      getsockname(l, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw Errno("loopback listener");
  int c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&addr), len) != 0) throw Errno("connect");
  int a = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
  if (a < 0) throw Errno("accept");
  close(l);
  return {c, a};
}

}  // namespace

// TCP sockets of the computation on this host: listening ones listen again
// on their address (their port if it is free); connections whose two ends
// are both in the computation are made again, with the data that was
// waiting in each end.
void ProcessTree::MakeTcpSockets() {
  std::vector<const image::Fd*> tcp;
  std::map<const image::Fd*, std::string> image_of;
  for (const auto& img : images_)
    for (const auto& f : img->fds())
      if (static_cast<image::FdKind>(f.info.kind) == image::FdKind::kSocket &&
          (f.info.sock_domain == AF_INET || f.info.sock_domain == AF_INET6) &&
          f.info.sock_type == SOCK_STREAM) {
        tcp.push_back(&f);
        image_of[&f] = img->path();
      }
  // An IPv6 listener on a port an IPv4 one also listened on was IPv6-only
  // (Open MPI makes them so): the two could not have coexisted otherwise.
  std::set<int> v4_ports;
  auto port_of = [](const uint8_t* addr) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(addr)->sin_port);  // same offset for v6
  };
  for (const image::Fd* f : tcp)
    if (f->info.sock_listening && f->info.sock_domain == AF_INET)
      v4_ports.insert(port_of(f->info.local_addr));
  std::map<uint64_t, uint64_t> peer_of;
  for (const image::Fd* f : tcp) {
    if (sockets_.count(f->info.inode)) continue;
    if (f->info.sock_listening) {
      int s = ListenAgain(f->info.local_addr, image_of[f],
                          v4_ports.count(port_of(f->info.local_addr)) != 0);
      sockets_[f->info.inode] = MoveHigh(s, high_fd_, true);
      continue;
    }
    for (const image::Fd* g : tcp) {
      if (g == f || g->info.inode == f->info.inode || sockets_.count(g->info.inode)) continue;
      if (!SameAddr(f->info.peer_addr, g->info.local_addr) ||
          !SameAddr(f->info.local_addr, g->info.peer_addr))
        continue;
      auto [a, b] = TcpPair(static_cast<int>(f->info.sock_domain));
      sockets_[f->info.inode] = MoveHigh(a, high_fd_, true);
      sockets_[g->info.inode] = MoveHigh(b, high_fd_, true);
      peer_of[f->info.inode] = g->info.inode;
      peer_of[g->info.inode] = f->info.inode;
      break;
    }
  }
  // Connections to processes that other restarters bring back, here or on
  // other hosts: made through the coordinator.
  std::vector<RemoteEnd> remote;
  for (const image::Fd* f : tcp) {
    if (sockets_.count(f->info.inode) || f->info.sock_listening || !AddrLen(f->info.peer_addr) ||
        !f->info.peer_in_computation)
      continue;
    // A socket several processes shared: the image of the one that drained
    // it has its data.
    bool seen = false;
    for (auto& r : remote) {
      if (r.fd->info.inode != f->info.inode) continue;
      seen = true;
      if (r.fd->data.empty()) r.fd = f;
    }
    if (!seen) remote.push_back(RemoteEnd{f, -1});
  }
  if (!remote.empty()) {
    if (!name_service_)
      throw std::runtime_error("TCP connections to other processes need a coordinator");
    ConnectRemoteEnds(remote, *name_service_, remote_timeout_);
    for (const auto& r : remote) sockets_[r.fd->info.inode] = MoveHigh(r.new_fd, high_fd_, true);
  }
  // A connection whose other end is not in the computation (its process
  // ended, or it is outside): the data that was waiting is delivered, then
  // end of stream, as the program would have seen it.
  for (const image::Fd* f : tcp) {
    if (sockets_.count(f->info.inode) || f->info.sock_listening || !AddrLen(f->info.peer_addr))
      continue;
    auto [a, b] = TcpPair(static_cast<int>(f->info.sock_domain));
    if (!f->data.empty() && send(b, f->data.data(), f->data.size(), MSG_NOSIGNAL) !=
                                static_cast<ssize_t>(f->data.size()))
      throw Errno("cannot put back the data queued in a TCP connection");
    close(b);
    sockets_[f->info.inode] = MoveHigh(a, high_fd_, true);
  }
  std::map<uint64_t, bool> filled;
  for (const image::Fd* f : tcp) {
    auto peer = peer_of.find(f->info.inode);
    if (f->data.empty() || peer == peer_of.end() || filled[f->info.inode]) continue;
    filled[f->info.inode] = true;
    MakeRoomToReceive(sockets_.at(f->info.inode), f->data.size());
    SendQueuedData(sockets_.at(peer->second), f->data);
  }
}

// UDP sockets: bound again to their address and port, and connected again
// to their peer if they were. Datagrams that were waiting are not kept (UDP
// may lose a datagram).
void ProcessTree::MakeUdpSockets() {
  for (const auto& img : images_) {
    for (const auto& f : img->fds()) {
      if (static_cast<image::FdKind>(f.info.kind) != image::FdKind::kSocket ||
          (f.info.sock_domain != AF_INET && f.info.sock_domain != AF_INET6) ||
          f.info.sock_type != SOCK_DGRAM || sockets_.count(f.info.inode))
        continue;
      int s = BindAgain(f.info.local_addr, SOCK_DGRAM);
      if (AddrLen(f.info.peer_addr) &&
          connect(s, reinterpret_cast<const sockaddr*>(f.info.peer_addr),
                  AddrLen(f.info.peer_addr)) != 0)
        throw Errno("cannot connect a UDP socket again");
      sockets_[f.info.inode] = MoveHigh(s, high_fd_, true);
    }
  }
}

// One new unlinked file per old one, in the same folder when it still
// exists (else an anonymous memory file), with the contents it had.
void ProcessTree::MakeDeletedFiles() {
  for (const auto& img : images_) {
    for (const auto& f : img->fds()) {
      if (static_cast<image::FdKind>(f.info.kind) != image::FdKind::kDeletedFile) continue;
      const auto key = std::make_pair(f.info.dev, f.info.inode);
      if (deleted_.count(key)) continue;
      const size_t slash = f.path.rfind('/');
      const std::string dir =
          slash == std::string::npos || slash == 0 ? "/" : f.path.substr(0, slash);
      // A memfd is one again, sealing allowed: the runtime adds its seals back.
      const bool memfd = f.path.starts_with("/memfd:");
      int fd = memfd ? -1 : open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, f.info.mode & 07777);
      if (fd < 0)
        fd = memfd_create(memfd ? f.path.substr(7).c_str() : f.path.substr(slash + 1).c_str(),
                          MFD_CLOEXEC | (memfd ? MFD_ALLOW_SEALING : 0));
      if (fd < 0) throw Errno("cannot make the deleted file " + f.path + " again");
      const image::FileContents* large = img->file_contents(f.info.dev, f.info.inode);
      if (large ? !WritePages(*img, large->data, large->info.size, fd)
                : !io::WriteAll(fd, f.data.data(), f.data.size()))
        throw Errno("cannot write the deleted file " + f.path + " again");
      deleted_[key] = MoveHigh(fd, high_fd_, true);
    }
  }
}

// Files of the old node's temporary folders that this node lacks (a
// restart elsewhere): made again with the contents the image holds.
void ProcessTree::MakeNodeLocalFiles() {
  for (const auto& img : images_) {
    for (const auto& f : img->fds()) {
      // Those whose contents are the descriptor's; a file the process made
      // and reads back comes from its kMadeFile record, below.
      if (static_cast<image::FdKind>(f.info.kind) != image::FdKind::kRegular ||
          !NodeLocalFile(f.path) || !FdContentsInImage(*img, f))
        continue;
      struct stat st;
      if (lstat(f.path.c_str(), &st) == 0) continue;
      MakeParentDirs(f.path);
      int fd = open(f.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, f.info.mode & 07777);
      if (fd < 0) throw Errno("cannot make " + f.path + " again");
      const image::FileContents* large = img->file_contents(f.info.dev, f.info.inode);
      const bool ok = large ? WritePages(*img, large->data, large->info.size, fd)
                            : io::WriteAll(fd, f.data.data(), f.data.size());
      close(fd);
      if (!ok) throw Errno("cannot write " + f.path + " again");
      fprintf(stderr,
              "dmtcp_restart: %s (descriptor %d%s) is missing: it is made again with the %llu "
              "bytes the image holds, and the program goes on from offset %lld\n",
              f.path.c_str(), f.info.fd,
              (f.info.status_flags & O_ACCMODE) != O_RDONLY ? ", open for writing" : "",
              static_cast<unsigned long long>(large ? large->info.size : f.data.size()),
              static_cast<long long>(f.info.offset));
    }
    // Made by the process and named by it, open or not: the run that went
    // on after the checkpoint may have removed them, on any node.
    for (const auto& f : img->made_files()) {
      struct stat st;
      if (!NodeLocalFile(f.path) || lstat(f.path.c_str(), &st) == 0) continue;
      MakeParentDirs(f.path);
      int fd = open(f.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, f.info.mode & 07777);
      if (fd < 0 && errno == EEXIST) continue;  // another image holds it too
      if (fd < 0) throw Errno("cannot make " + f.path + " again");
      const bool ok = f.info.size > image::kMaxMadeFileSize
                          ? WritePages(*img, f.pages, f.info.size, fd)
                          : io::WriteAll(fd, f.data.data(), f.data.size());
      close(fd);
      if (!ok) throw Errno("cannot write " + f.path + " again");
    }
  }
}

int ProcessTree::OpenAgain(const image::Fd& f) const {
  int fd;
  const auto kind = static_cast<image::FdKind>(f.info.kind);
  if (kind == image::FdKind::kDeletedFile) {
    const std::string link =
        "/proc/self/fd/" + std::to_string(deleted_.at({f.info.dev, f.info.inode}));
    fd =
        open(link.c_str(), (f.info.status_flags & (O_ACCMODE | O_APPEND | O_NONBLOCK)) | O_CLOEXEC);
    if (fd < 0) throw Errno("open " + f.path + " (deleted)");
  } else if (kind == image::FdKind::kDirectory) {
    fd = open(f.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw Errno("cannot open the folder " + f.path + " again");
  } else {
    int flags = (f.info.status_flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOCTTY | O_CLOEXEC;
    // An output file removed since the checkpoint is made again.
    if ((flags & O_ACCMODE) != O_RDONLY) flags |= O_CREAT;
    fd = open(f.path.c_str(), flags, f.info.mode & 07777);
    if (fd < 0) throw Errno("cannot open " + f.path + " again");
  }
  lseek(fd, f.info.offset, SEEK_SET);
  return fd;
}

// Open file descriptions that several descriptors held (a job's output file
// that every process inherited, 2>&1): opened once here and given to each
// of them, so they share one offset again. Each record names a descriptor
// of the process that holds the description too, whose own record names
// the one that stands for it.
void ProcessTree::MakeSharedFiles() {
  std::map<std::pair<int32_t, int32_t>, const image::Fd*> by_place;
  for (const auto& img : images_)
    for (const auto& f : img->fds())
      if (f.info.share_pid != 0) by_place[{img->process().pid, f.info.fd}] = &f;
  for (size_t i = 0; i < images_.size(); ++i) {
    for (const auto& f : images_[i]->fds()) {
      if (f.info.share_pid == 0) continue;
      std::pair<int32_t, int32_t> key{f.info.share_pid, f.info.share_fd};
      auto named = by_place.find(key);
      if (named != by_place.end())
        key = {named->second->info.share_pid, named->second->info.share_fd};
      shared_file_of_[{i, f.info.fd}] = key;
      if (shared_files_.count(key)) continue;
      // The process that stands for it may be missing (a forced restart).
      auto rep = by_place.find(key);
      shared_files_[key] =
          MoveHigh(OpenAgain(rep != by_place.end() ? *rep->second : f), high_fd_, true);
    }
  }
}

void ProcessTree::PlaceDescriptors(size_t index) {
  for (const auto& f : images_[index]->fds()) {
    auto shared = shared_file_of_.find({index, f.info.fd});
    if (shared != shared_file_of_.end()) {
      // dup2 clears close-on-exec; the runtime sets the program's flag again.
      if (dup2(shared_files_.at(shared->second), f.info.fd) < 0) throw Errno("dup2");
      continue;
    }
    if (static_cast<image::FdKind>(f.info.kind) == image::FdKind::kDeletedFile) {
      // A description of its own (with its own offset), as a reopened file has.
      int fd = OpenAgain(f);
      if (fd != f.info.fd && dup3(fd, f.info.fd, 0) < 0) throw Errno("dup2");
      if (fd != f.info.fd)
        close(fd);
      else
        fcntl(fd, F_SETFD, 0);
      continue;
    }
    auto sock = sockets_.find(f.info.inode);
    if (static_cast<image::FdKind>(f.info.kind) == image::FdKind::kSocket &&
        sock != sockets_.end()) {
      if (dup2(sock->second, f.info.fd) < 0) throw Errno("dup2");
      fcntl(f.info.fd, F_SETFL, f.info.status_flags & (O_NONBLOCK | O_ASYNC));
      continue;
    }
    auto pty = ptys_.find(f.info.pty_index);
    if (f.info.pty_index >= 0 && pty != ptys_.end()) {
      int src = pty->second.master_fd;
      bool opened = false;
      if (!f.info.pty_master) {
        src = open(pty->second.slave_path.c_str(), (f.info.status_flags & ~O_CREAT) | O_NOCTTY);
        if (src < 0) throw Errno("open " + pty->second.slave_path);
        opened = true;
      }
      if (src != f.info.fd && dup2(src, f.info.fd) < 0) throw Errno("dup2");
      if (opened && src != f.info.fd) close(src);
      continue;
    }
    if (static_cast<image::FdKind>(f.info.kind) != image::FdKind::kPipe) continue;
    // The restart command's 0-2 stand for a pipe to the outside, also where
    // the program had it on another descriptor too (/dev/fd/63 of a shell).
    auto outside = outside_stdio_.find(f.info.inode);
    if (outside != outside_stdio_.end()) {
      if (f.info.fd > 2 && dup2(outside->second, f.info.fd) < 0) throw Errno("dup2");
      continue;
    }
    for (const auto& [inode, ends] : pipes_) {
      if (inode != f.info.inode) continue;
      const bool reader = (f.info.status_flags & O_ACCMODE) == O_RDONLY;
      int src = reader ? ends.read_fd : ends.write_fd;
      // dup2 clears close-on-exec, so the loader inherits it; the runtime
      // sets the program's own descriptor flags again.
      if (dup2(src, f.info.fd) < 0) throw Errno("dup2");
      fcntl(f.info.fd, F_SETFL, f.info.status_flags & (O_NONBLOCK | O_APPEND | O_ASYNC));
    }
  }
}

void ProcessTree::KillOthers() {
  if (!table_) return;
  const pid_t me = getpid();
  // Only processes: an entry not written yet is 0 (kill(0) would end the
  // restart command's own group) and a negative one names a group.
  for (uint32_t i = 0; i < table_->count.load() && i < kMaxPidEntries; ++i)
    if (table_->entries[i].real > 0 && table_->entries[i].real != me)
      kill(table_->entries[i].real, SIGKILL);
}

void ProcessTree::AddEntry(PidTable::Entry e) {
  table_->entries[table_->count.fetch_add(1)] = e;
  if (table_->filled.fetch_add(1) + 1 == table_->expected)
    syscall(SYS_futex, &table_->filled, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

void ProcessTree::WaitForAllEntries() {
  // Asleep until the last one is written: thousands of processes polling
  // would starve the ones still being forked.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (;;) {
    const uint32_t filled = table_->filled.load();
    if (filled >= table_->expected) return;
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds(0))
      throw std::runtime_error(
          "processes of the computation did not start: " + std::to_string(filled) + " of " +
          std::to_string(table_->expected) + " within 120 s");
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    struct timespec ts = {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    syscall(SYS_futex, &table_->filled, FUTEX_WAIT, filled, &ts, nullptr, 0);
  }
}

[[noreturn]] void ProcessTree::Become(size_t index) {
  try {
    BecomeOrThrow(index);
  } catch (...) {
    KillOthers();
    throw;
  }
}

[[noreturn]] void ProcessTree::BecomeOrThrow(size_t index) {
  const auto& pi = images_[index]->process();
  const pid_t real = getpid();
  // Sessions and groups first: children inherit them when forked.
  if (pi.sid == pi.pid) {
    setsid();
    // A session leader gets its pty back as controlling terminal before
    // its children are forked into the session.
    auto pty = ptys_.find(pi.ctty_pty);
    if (pi.ctty_pty >= 0 && pty != ptys_.end()) {
      int s = open(pty->second.slave_path.c_str(), O_RDWR);
      if (s >= 0) {
        ioctl(s, TIOCSCTTY, 0);
        close(s);
      }
    }
  } else if (pi.pgid == pi.pid) {
    setpgid(0, 0);
  }
  AddEntry({pi.pid, real});
  auto lead = new_leader_.find(index);
  if (lead != new_leader_.end()) {
    // The restart command itself may lead its group already, and then cannot
    // start a session: it keeps the one it has, under the old id.
    const int32_t now_id = lead->second == kNewSession ? (setsid() >= 0 ? real : getsid(0))
                                                       : (setpgid(0, 0) == 0 ? real : getpgid(0));
    // Known to the program by its old leader's pid.
    const int32_t old_id = lead->second == kNewSession ? pi.sid : pi.pgid;
    AddEntry({old_id, -now_id});
  }
  for (size_t child : children_[index]) {
    pid_t pid = fork();
    if (pid < 0) throw Errno("fork");
    if (pid == 0) Become(child);
  }
  // Children that had ended unwaited-for end again, the same way, under
  // their old pids, for the program's wait to collect.
  for (const auto& z : images_[index]->zombies()) {
    pid_t pid = fork();
    if (pid < 0) throw Errno("fork");
    if (pid == 0) {
      if (z.code == CLD_KILLED || z.code == CLD_DUMPED) {
        signal(z.status, SIG_DFL);
        kill(getpid(), z.status);
      }
      _exit(z.status);
    }
    AddEntry({z.vpid, pid});
  }
  // Every process waits until all exist, so pids translate everywhere.
  WaitForAllEntries();
  if (pi.pgid != pi.pid && pi.sid != pi.pid && lead == new_leader_.end()) {
    for (uint32_t i = 0; i < table_->count.load(); ++i)
      if (table_->entries[i].vpid == pi.pgid) setpgid(0, std::abs(table_->entries[i].real));
  }
  std::vector<int> keep = {table_fd_};
  if (sysv_table_fd_ >= 0) keep.push_back(sysv_table_fd_);
  if (shared_fds_table_fd_ >= 0) keep.push_back(shared_fds_table_fd_);
  for (const auto& [key, fd] : shared_.fds) keep.push_back(fd);
  CloseOnExecAllBut(keep);
  PlaceDescriptors(index);
  exec_image_(*images_[index], info_, shared_, high_fd_);
  throw std::runtime_error("restart loader returned");
}

void ProcessTree::Run(RestartInfo info, const ExecImage& exec_image) {
  exec_image_ = exec_image;
  // Pipes between processes of the computation, one per pipe inode. A pipe
  // to the outside on 0-2 comes from the restart command instead; one on a
  // higher descriptor gets a new pipe whose other end is closed.
  std::map<uint64_t, int> ends_seen;  // bit 1: read end, bit 2: write end
  for (const auto& img : images_) {
    for (const auto& f : img->fds()) {
      if (static_cast<image::FdKind>(f.info.kind) != image::FdKind::kPipe) continue;
      ends_seen[f.info.inode] |= (f.info.status_flags & O_ACCMODE) == O_RDONLY ? 1 : 2;
      // Not one whose writers had all ended: its data, then end of file.
      if (f.info.fd <= 2 && !f.info.pipe_no_writers)
        outside_stdio_.emplace(f.info.inode, f.info.fd);
    }
  }
  std::erase_if(outside_stdio_, [&](const auto& p) { return ends_seen[p.first] == 3; });
  for (const auto& img : images_) {
    for (const auto& f : img->fds()) {
      if (static_cast<image::FdKind>(f.info.kind) != image::FdKind::kPipe) continue;
      if (outside_stdio_.count(f.info.inode)) continue;
      bool known = false;
      for (const auto& p : pipes_) known |= p.first == f.info.inode;
      if (known) continue;
      int fds[2];
      if (pipe2(fds, O_CLOEXEC) != 0) throw Errno("pipe");
      PipeEnds ends{MoveHigh(fds[0], high_fd_, true), MoveHigh(fds[1], high_fd_, true)};
      pipes_.push_back({f.info.inode, ends});
    }
  }
  // Before any file is made or opened: a file of the folder may be moved aside.
  RestoreSavedFolders(images_);
  MakePtys();
  MakeSocketPairs();
  MakeTcpSockets();
  MakeUdpSockets();
  MakeDeletedFiles();
  MakeNodeLocalFiles();
  WriteBackSavedFiles(images_);
  MakeSharedFiles();
  // The pid table, shared by all the processes made here.
  int fd = memfd_create("dmtcp-pids", 0);
  if (fd < 0) throw Errno("memfd_create");
  if (ftruncate(fd, sizeof(PidTable)) != 0) throw Errno("ftruncate");
  void* p = mmap(nullptr, sizeof(PidTable), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) throw Errno("mmap");
  table_ = new (p) PidTable{};
  table_->magic = kPidTableMagic;
  table_->expected = static_cast<uint32_t>(images_.size());
  for (const auto& img : images_) table_->expected += static_cast<uint32_t>(img->zombies().size());
  table_->expected += static_cast<uint32_t>(new_leader_.size());  // their old ids
  if (table_->expected > kMaxPidEntries)
    throw std::runtime_error(
        "too many processes to restore on one node: " + std::to_string(table_->expected) +
        " (the limit is " + std::to_string(kMaxPidEntries) + ")");
  table_fd_ = MoveHigh(fd, high_fd_, false);
  info.pid_table_fd = table_fd_;
  const SysvRestored sysv = RestoreSysvObjects(images_);
  if (sysv.table_fd >= 0) {
    sysv_table_fd_ = MoveHigh(sysv.table_fd, high_fd_, false);
    info.sysv_table_fd = sysv_table_fd_;
  }
  shared_ = MakeSharedObjects(images_, high_fd_, &deleted_, &sysv.segments);
  if (!shared_.fds.empty()) {
    std::vector<int32_t> fds;
    fds.reserve(shared_.fds.size());
    for (const auto& [key, sfd] : shared_.fds) fds.push_back(sfd);
    int list = memfd_create("dmtcp-shared-fds", 0);
    if (list < 0 || !io::WriteAll(list, fds.data(), fds.size() * sizeof fds[0]))
      throw Errno("cannot hand the shared memory objects' descriptors to the processes");
    shared_fds_table_fd_ = MoveHigh(list, high_fd_, false);
    info.shared_fds_table_fd = shared_fds_table_fd_;
    info.num_shared_fds = static_cast<uint32_t>(fds.size());
  }
  info_ = info;
  // Several roots: the first one's process forks the others.
  for (size_t i = 1; i < roots_.size(); ++i) children_[roots_[0]].push_back(roots_[i]);
  Become(roots_[0]);
}

}  // namespace dmtcp::restart
