// TCP connections at checkpoint time. Data a sender holds back is pushed
// out, and each connection learns through the coordinator whether its other
// end belongs to the computation (then a restart connects the two again,
// wherever they run; otherwise it is a connection to the outside).
//
// Between two processes of the computation, everything in flight is
// drained: each end reads its incoming data out while its own outgoing
// data reaches the other end (a receiver that stopped reading leaves data
// in the sender's buffers, which no one can read back), until no data is
// left unacknowledged anywhere. After the checkpoint the two ends give each
// other their drained data and write it back, so each finds its own data
// waiting again; after a restart, dmtcp_restart does the same from the
// images. One process drains a socket that several share.
#include "sockets.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "proc_dir.h"
#include "protocol.h"
#include "runtime.h"
#include "socket_addr.h"

namespace dmtcp::rt {
namespace {

constexpr int kMaxConnections = 1024;

constexpr uint64_t kDrainSpace = 1ULL << 30;  // address space; touched pages only
constexpr uint64_t kMaxPerConnection = 64ULL << 20;
constexpr long kFlushTimeoutMs = 10000;

struct Connection {
  int fd;
  uint64_t inode;
  uint8_t local[image::kSockAddrBytes];
  uint8_t peer[image::kSockAddrBytes];
  bool peer_in_computation;
  bool owner;  // this process drains it
  bool drained;
  bool eof;
  int saved_flags;
  uint64_t off, len, cap;  // drained data, in g_drain
  // The exchange after a checkpoint.
  uint64_t out_done, in_len, in_got, back_done;
  uint8_t in_header;
};

Connection g_conns[kMaxConnections];
int g_num_conns;
char* g_drain;  // drained data, per connection at off
char* g_peer;   // the other ends' drained data, during the exchange

char* MapSpace() {
  long p = RawSyscall(SYS_mmap, 0, kDrainSpace, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p < 0 && p > -4096 ? nullptr : reinterpret_cast<char*>(p);
}

void Unmap(char** p) {
  if (*p) RawSyscall(SYS_munmap, reinterpret_cast<long>(*p), kDrainSpace);
  *p = nullptr;
}

// Reads what has arrived; true if anything did.
bool ReadAvailable(Connection& c) {
  bool any = false;
  while (!c.eof && c.len < c.cap) {
    long n = RawSyscall(SYS_read, c.fd, reinterpret_cast<long>(g_drain + c.off + c.len),
                        static_cast<long>(c.cap - c.len));
    if (n > 0) {
      c.len += static_cast<uint64_t>(n);
      any = true;
      // Once, when it fills up (this runs every few milliseconds).
      if (c.len == c.cap) Log("too much TCP data in flight to drain (64 MiB)");
      continue;
    }
    if (n == 0) {
      // The other end had shut down its side: what it sent is all here,
      // but it cannot send it back after the checkpoint.
      c.eof = true;
      Log("a TCP connection was closed by its other end during a checkpoint");
    }
    break;
  }
  return any;
}

void ReadAllAvailable() {
  for (int i = 0; i < g_num_conns; ++i)
    if (g_conns[i].drained) ReadAvailable(g_conns[i]);
}

bool Unacknowledged(const Connection& c) {
  int queued = 0;
  return RawSyscall(SYS_ioctl, c.fd, SIOCOUTQ, reinterpret_cast<long>(&queued)) == 0 && queued > 0;
}

// Waits up to ms for one of the drained connections to have data.
int PollDrained(pollfd* fds, long ms) {
  int n = 0;
  for (int i = 0; i < g_num_conns; ++i)
    if (g_conns[i].drained && !g_conns[i].eof && g_conns[i].len < g_conns[i].cap)
      fds[n++] = pollfd{g_conns[i].fd, POLLIN, 0};
  if (n) RawSyscall(SYS_poll, reinterpret_cast<long>(fds), n, ms);
  return n;
}

bool IsTcp(int fd) {
  int domain = 0, type = 0;
  return SocketDomainAndType(fd, &domain, &type) && (domain == AF_INET || domain == AF_INET6) &&
         type == SOCK_STREAM;
}

template <typename Fn>
void ForEachTcpSocket(Fn fn) {
  ForEachNumericEntry("/proc/self/fd", [&](long n, int dir) {
    const int fd = static_cast<int>(n);
    if (fd != dir && fd != g.coord_fd && IsTcp(fd)) fn(fd);
  });
}

void AppendHex(char* out, size_t cap, const uint8_t* bytes, uint32_t n) {
  static const char kDigits[] = "0123456789abcdef";
  size_t at = StrLen(out);
  for (uint32_t i = 0; i < n && at + 2 < cap; ++i) {
    out[at++] = kDigits[bytes[i] >> 4];
    out[at++] = kDigits[bytes[i] & 15];
  }
  out[at] = 0;
}

// "dmtcp.ckpt.tcp.<from>-<to>": the end at `from` is connected to `to`.
void EndpointKey(char* out, size_t cap, const uint8_t* from, const uint8_t* to) {
  uint8_t a[image::kSockAddrBytes], b[image::kSockAddrBytes];
  image::CanonicalSockAddr(from, a);
  image::CanonicalSockAddr(to, b);
  out[0] = 0;
  StrCat(out, cap, proto::kCheckpointKeyPrefix);
  StrCat(out, cap, "tcp.");
  AppendHex(out, cap, a, image::SockAddrLen(a));
  StrCat(out, cap, "-");
  AppendHex(out, cap, b, image::SockAddrLen(b));
}

}  // namespace

namespace {

// "dmtcp.ckpt.<kind>owner.<host>.<inode>": who records a socket that
// several processes of this host share.
void OwnerKey(char* out, size_t cap, const char* kind, uint64_t inode) {
  char num[24];
  FormatUint(num, sizeof num, inode, 16);
  out[0] = 0;
  StrCat(out, cap, proto::kCheckpointKeyPrefix);
  StrCat(out, cap, kind);
  StrCat(out, cap, "owner.");
  StrCat(out, cap, g.hostname);
  StrCat(out, cap, ".");
  StrCat(out, cap, num);
}

}  // namespace

bool SocketDomainAndType(int fd, int* domain, int* type) {
  socklen_t len = sizeof *domain;
  if (RawSyscall(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, reinterpret_cast<long>(domain),
                 reinterpret_cast<long>(&len)) != 0)
    return false;
  len = sizeof *type;
  return RawSyscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, reinterpret_cast<long>(type),
                    reinterpret_cast<long>(&len)) == 0;
}

void ClaimSharedSocket(const char* kind, uint64_t inode) {
  char key[160];
  OwnerKey(key, sizeof key, kind, inode);
  CoordKvPut(key, g.unique_id, static_cast<uint32_t>(StrLen(g.unique_id)));
}

bool SharedSocketIsOurs(const char* kind, uint64_t inode) {
  char key[160], value[sizeof g.unique_id];
  OwnerKey(key, sizeof key, kind, inode);
  long n = CoordKvGet(key, value, sizeof value - 1);
  if (n < 0) return false;
  value[n] = 0;
  return StrLen(value) == StrLen(g.unique_id) &&
         memcmp(value, g.unique_id, static_cast<size_t>(n)) == 0;
}

// Setting TCP_NODELAY sends what Nagle's algorithm holds back, so it
// reaches the receiver's queue where the checkpoint finds it; the old
// setting is put back.
void PushPendingTcpData() {
  ForEachTcpSocket([](int fd) {
    int old = 0, one = 1;
    socklen_t len = sizeof old;
    if (RawSyscall(SYS_getsockopt, fd, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<long>(&old),
                   reinterpret_cast<long>(&len)) != 0)
      return;
    RawSyscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<long>(&one),
               sizeof one);
    if (!old)
      RawSyscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<long>(&old),
                 sizeof old);
  });
}

void PublishTcpEndpoints() {
  g_num_conns = 0;
  ForEachTcpSocket([](int fd) {
    if (g_num_conns >= kMaxConnections) return;
    Connection& c = g_conns[g_num_conns];
    memset(&c, 0, sizeof c);
    socklen_t len = sizeof c.local;
    if (RawSyscall(SYS_getsockname, fd, reinterpret_cast<long>(c.local),
                   reinterpret_cast<long>(&len)) != 0)
      return;
    len = sizeof c.peer;
    if (RawSyscall(SYS_getpeername, fd, reinterpret_cast<long>(c.peer),
                   reinterpret_cast<long>(&len)) != 0)
      return;  // listening, or not connected
    struct stat st;
    if (RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) != 0) return;
    c.inode = st.st_ino;
    for (int i = 0; i < g_num_conns; ++i)
      if (g_conns[i].inode == c.inode) return;  // the same socket on another fd
    c.fd = fd;
    ++g_num_conns;
    char key[160];
    EndpointKey(key, sizeof key, c.local, c.peer);
    CoordKvPut(key, "1", 1);
    // The last process to claim a socket that several share drains it.
    ClaimSharedSocket("tcp", c.inode);
  });
}

void FindTcpPeers() {
  for (int i = 0; i < g_num_conns; ++i) {
    Connection& c = g_conns[i];
    char key[160], value[sizeof g.unique_id];
    EndpointKey(key, sizeof key, c.peer, c.local);
    c.peer_in_computation = CoordKvGet(key, value, sizeof value) > 0;
    c.owner = SharedSocketIsOurs("tcp", c.inode);
  }
}

void DrainTcp() {
  int n = 0;
  for (int i = 0; i < g_num_conns; ++i) n += g_conns[i].peer_in_computation && g_conns[i].owner;
  if (n && !g_drain) g_drain = MapSpace();
  uint64_t per = kDrainSpace / static_cast<uint64_t>(n ? n : 1);
  per = (per < kMaxPerConnection ? per : kMaxPerConnection) & ~4095ULL;
  int k = 0;
  for (int i = 0; i < g_num_conns && g_drain; ++i) {
    Connection& c = g_conns[i];
    if (!c.peer_in_computation || !c.owner) continue;
    c.drained = true;
    c.eof = false;
    c.off = per * static_cast<uint64_t>(k++);
    c.cap = per;
    c.len = 0;
    c.saved_flags = static_cast<int>(RawSyscall(SYS_fcntl, c.fd, F_GETFL));
    RawSyscall(SYS_fcntl, c.fd, F_SETFL, c.saved_flags | O_NONBLOCK);
  }
  // Read until nothing we sent is unacknowledged (so it is all in the
  // other ends' queues, where they read it out too).
  static pollfd fds[kMaxConnections];
  const long deadline = MonotonicMs() + kFlushTimeoutMs;
  for (;;) {
    ReadAllAvailable();
    bool flushed = true;
    for (int i = 0; i < g_num_conns; ++i)
      if (g_conns[i].drained && !g_conns[i].eof && Unacknowledged(g_conns[i])) flushed = false;
    if (flushed) break;
    if (MonotonicMs() > deadline) {
      Log("TCP data still unacknowledged after 10 s: it may be lost at restart");
      break;
    }
    PollDrained(fds, 2);
  }
  // Others may still be sending to us: read on until everyone is done.
  if (!g.cfg.no_coordinator) {
    CoordBarrierPolling(
        proto::kBarrierTcpDrained, [](pollfd* f) { return PollDrained(f, 0); }, ReadAllAvailable,
        fds);
  }
  ReadAllAvailable();
}

bool TcpPeerInComputation(uint64_t inode) {
  for (int i = 0; i < g_num_conns; ++i)
    if (g_conns[i].inode == inode) return g_conns[i].peer_in_computation;
  return false;
}

bool TcpDrainedElsewhere(uint64_t inode) {
  for (int i = 0; i < g_num_conns; ++i)
    if (g_conns[i].inode == inode) return g_conns[i].peer_in_computation && !g_conns[i].owner;
  return false;
}

bool TcpDrainedData(uint64_t inode, const char** data, uint64_t* len) {
  for (int i = 0; i < g_num_conns; ++i) {
    const Connection& c = g_conns[i];
    if (c.inode != inode || !c.drained) continue;
    *data = g_drain + c.off;
    *len = c.len;
    return true;
  }
  return false;
}

namespace {

// One round of the exchange on connection c; true when it is complete.
bool ExchangeStep(Connection& c, short revents) {
  if (revents & POLLOUT) {
    uint64_t total = sizeof c.len + c.len;
    while (c.out_done < total) {
      const char* src = c.out_done < sizeof c.len
                            ? reinterpret_cast<const char*>(&c.len) + c.out_done
                            : g_drain + c.off + (c.out_done - sizeof c.len);
      uint64_t chunk = c.out_done < sizeof c.len ? sizeof c.len - c.out_done : total - c.out_done;
      long w = RawSyscall(SYS_sendto, c.fd, reinterpret_cast<long>(src), static_cast<long>(chunk),
                          MSG_NOSIGNAL, 0, 0);
      if (w <= 0) break;
      c.out_done += static_cast<uint64_t>(w);
    }
  }
  if (revents & (POLLIN | POLLHUP | POLLERR)) {
    while (c.in_header < sizeof c.in_len) {
      long r = RawSyscall(SYS_read, c.fd, reinterpret_cast<long>(&c.in_len) + c.in_header,
                          static_cast<long>(sizeof c.in_len - c.in_header));
      if (r <= 0) break;
      c.in_header = static_cast<uint8_t>(c.in_header + r);
    }
    if (c.in_header == sizeof c.in_len && c.in_len > c.cap) c.in_len = c.cap;  // cannot be
    while (c.in_header == sizeof c.in_len && c.in_got < c.in_len) {
      // Only what the other end announced: what follows is ours to keep.
      long r = RawSyscall(SYS_read, c.fd, reinterpret_cast<long>(g_peer + c.off + c.in_got),
                          static_cast<long>(c.in_len - c.in_got));
      if (r <= 0) break;
      c.in_got += static_cast<uint64_t>(r);
    }
  }
  return c.out_done == sizeof c.len + c.len && c.in_header == sizeof c.in_len &&
         c.in_got == c.in_len;
}

bool WriteBackStep(Connection& c) {
  while (c.back_done < c.in_len) {
    long w = RawSyscall(SYS_sendto, c.fd, reinterpret_cast<long>(g_peer + c.off + c.back_done),
                        static_cast<long>(c.in_len - c.back_done), MSG_NOSIGNAL, 0, 0);
    if (w <= 0) break;
    c.back_done += static_cast<uint64_t>(w);
  }
  return c.back_done == c.in_len;
}

// Every drained connection: send our data, take the other end's, write it
// back; all connections at once, so no order between processes can block.
void ExchangeDrainedData() {
  int n = 0;
  for (int i = 0; i < g_num_conns; ++i) n += g_conns[i].drained && !g_conns[i].eof;
  if (!n) return;
  if (!g_peer) g_peer = MapSpace();
  if (!g_peer) {
    Log("no memory to give back drained TCP data");
    return;
  }
  for (int i = 0; i < g_num_conns; ++i) {
    Connection& c = g_conns[i];
    c.out_done = c.in_len = c.in_got = c.back_done = 0;
    c.in_header = 0;
  }
  static pollfd fds[kMaxConnections];
  const long deadline = MonotonicMs() + kFlushTimeoutMs;
  for (int phase = 0; phase < 2; ++phase) {
    for (;;) {
      int m = 0;
      for (int i = 0; i < g_num_conns; ++i) {
        Connection& c = g_conns[i];
        if (!c.drained || c.eof) continue;
        bool done = phase == 0 ? ExchangeStep(c, POLLIN | POLLOUT) : WriteBackStep(c);
        if (done) continue;
        fds[m++] = pollfd{c.fd, static_cast<short>(phase == 0 ? POLLIN | POLLOUT : POLLOUT), 0};
      }
      if (!m) break;
      if (MonotonicMs() > deadline) {
        Log("could not give back the data drained from a TCP connection");
        return;
      }
      RawSyscall(SYS_poll, reinterpret_cast<long>(fds), m, 10);
    }
  }
}

}  // namespace

void RefillTcp(bool restart) {
  // After a restart, dmtcp_restart has put the data back already.
  if (!restart) ExchangeDrainedData();
  for (int i = 0; i < g_num_conns; ++i) {
    Connection& c = g_conns[i];
    // The image recorded our O_NONBLOCK; dmtcp_restart made the socket so.
    if (c.drained) RawSyscall(SYS_fcntl, c.fd, F_SETFL, c.saved_flags);
    c.drained = false;
  }
  g_num_conns = 0;
  Unmap(&g_drain);
  Unmap(&g_peer);
}

}  // namespace dmtcp::rt
