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
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstring>

#include "proc_dir.h"
#include "protocol.h"
#include "runtime.h"
#include "socket_addr.h"

namespace dmtcp::rt {
namespace {

// TCP connections of one process a checkpoint keeps; more fail it.
constexpr int kMaxConnections = 16384;
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
  uint64_t in_off;  // the other end's data, in g_peer
  uint8_t in_header;
};

Connection g_conns[kMaxConnections];
int g_num_conns;
char* g_drain;          // drained data, per connection at off
char* g_peer;           // the other ends' drained data, during the exchange
uint64_t g_space;       // bytes of g_drain (address space; touched pages only)
uint64_t g_peer_space;  // bytes of g_peer

// The first number in a /proc/sys file (0 if none).
uint64_t SysctlNumber(const char* path, int index = 0) {
  long fd = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[96];
  long n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(buf), sizeof buf - 1);
  RawSyscall(SYS_close, fd);
  uint64_t v = 0;
  for (long i = 0; i < n && index >= 0; ++i) {
    if (buf[i] >= '0' && buf[i] <= '9') {
      if (index == 0) v = v * 10 + static_cast<uint64_t>(buf[i] - '0');
    } else if (i > 0 && buf[i - 1] >= '0' && buf[i - 1] <= '9') {
      --index;
    }
  }
  return v;
}

// The most the other end of a connection can have in its send queue: what
// the kernel lets a socket's send buffer grow to.
uint64_t MaxSendQueue() {
  const uint64_t set = 2 * SysctlNumber("/proc/sys/net/core/wmem_max");
  const uint64_t tuned = SysctlNumber("/proc/sys/net/ipv4/tcp_wmem", 2);
  const uint64_t most = set > tuned ? set : tuned;
  return most > (4ULL << 20) ? most : 4ULL << 20;
}

char* MapSpace(uint64_t bytes) {
  long p = RawSyscall(SYS_mmap, 0, static_cast<long>(bytes), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p < 0 && p > -4096 ? nullptr : reinterpret_cast<char*>(p);
}

void Unmap(char** p) {
  if (*p) {
    const uint64_t bytes = p == &g_peer ? g_peer_space : g_space;
    RawSyscall(SYS_munmap, reinterpret_cast<long>(*p), static_cast<long>(bytes));
  }
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
      // More than the kernel's buffers can hold (a setting changed
      // meanwhile?): what stays in the kernel would be overtaken by what is
      // given back.
      if (c.len == c.cap)
        CheckpointFailed("a TCP connection held more data in flight than its socket buffers can");
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

namespace {

// A netlink socket that has asked the kernel's socket diagnostics about the
// Unix socket `inode` (or, with dump, about every one); -1 if it could not.
int AskUnixDiag(uint32_t inode, uint32_t show, bool dump) {
  const int nl = static_cast<int>(
      RawSyscall(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (nl < 0) return -1;
  struct {
    struct nlmsghdr nlh;
    struct unix_diag_req req;
  } msg = {};
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
  msg.req.sdiag_family = AF_UNIX;
  msg.req.udiag_states = ~0u;
  msg.req.udiag_ino = inode;
  msg.req.udiag_show = show;
  if (!dump) msg.req.udiag_cookie[0] = msg.req.udiag_cookie[1] = ~0u;
  if (RawSyscall(SYS_sendto, nl, reinterpret_cast<long>(&msg), sizeof msg, 0, 0, 0) !=
      static_cast<long>(sizeof msg)) {
    RawSyscall(SYS_close, nl);
    return -1;
  }
  return nl;
}

}  // namespace

bool UnixDiagAttribute(uint64_t inode, uint32_t show, uint16_t attr, void* out, size_t len) {
  const int nl = AskUnixDiag(static_cast<uint32_t>(inode), show, false);
  if (nl < 0) return false;
  bool found = false;
  alignas(8) char buf[1024];
  long n = RawSyscall(SYS_recvfrom, nl, reinterpret_cast<long>(buf), sizeof buf, 0, 0, 0);
  auto* h = reinterpret_cast<struct nlmsghdr*>(buf);
  if (n >= static_cast<long>(sizeof *h) && h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
    auto* m = reinterpret_cast<struct unix_diag_msg*>(NLMSG_DATA(h));
    int left = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
    for (auto* a = reinterpret_cast<struct rtattr*>(m + 1); RTA_OK(a, left);
         a = RTA_NEXT(a, left)) {
      if (a->rta_type != attr || RTA_PAYLOAD(a) < len) continue;
      memcpy(out, RTA_DATA(a), len);
      found = true;
    }
  }
  RawSyscall(SYS_close, nl);
  return found;
}

namespace {

// The peers of the node's Unix sockets, from one dump of them all: a lookup
// by inode walks every Unix socket of the network namespace, so a process
// with thousands of socket pairs took minutes over them one by one.
struct PeerSlot {
  uint32_t inode;  // 0: free
  uint32_t peer;
};
constexpr uint32_t kPeerSlots = 1 << 17;  // 1 MiB, touched as far as used
PeerSlot g_peers[kPeerSlots];
uint32_t g_peers_used;
int g_peer_lookups;   // this checkpoint's; the dump pays off past a few
bool g_peers_dumped;  // this checkpoint tried

PeerSlot* PeerSlotFor(uint32_t inode) {
  for (uint32_t i = (inode * 2654435761u) & (kPeerSlots - 1);; i = (i + 1) & (kPeerSlots - 1))
    if (g_peers[i].inode == inode || g_peers[i].inode == 0) return &g_peers[i];
}

// Fills g_peers (all zero) from a dump of the node's Unix sockets, up to
// half of it. A lookup that misses asks the kernel.
void DumpUnixPeers() {
  g_peers_dumped = true;
  const int nl = AskUnixDiag(0, UDIAG_SHOW_PEER, true);
  if (nl < 0) return;
  bool done = false;
  alignas(8) static char buf[32768];  // the checkpoint thread's alone
  while (!done) {
    const long n = RawSyscall(SYS_recvfrom, nl, reinterpret_cast<long>(buf), sizeof buf, 0, 0, 0);
    if (n <= 0) break;
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<struct nlmsghdr*>(buf); NLMSG_OK(h, left);
         h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) done = true;
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
      auto* m = reinterpret_cast<struct unix_diag_msg*>(NLMSG_DATA(h));
      uint32_t peer = 0;
      int alen = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
      for (auto* a = reinterpret_cast<struct rtattr*>(m + 1); RTA_OK(a, alen);
           a = RTA_NEXT(a, alen))
        if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof peer)
          memcpy(&peer, RTA_DATA(a), sizeof peer);
      if (g_peers_used >= kPeerSlots / 2) continue;  // kept half empty: probes stay short
      PeerSlot* slot = PeerSlotFor(m->udiag_ino);
      if (!slot->inode) ++g_peers_used;
      *slot = PeerSlot{m->udiag_ino, peer};
    }
  }
  RawSyscall(SYS_close, nl);
}

}  // namespace

void ReleaseUnixPeers() {
  if (g_peers_used)
    RawSyscall(SYS_madvise, reinterpret_cast<long>(g_peers), sizeof g_peers, MADV_DONTNEED);
  g_peers_used = 0;
  g_peer_lookups = 0;
  g_peers_dumped = false;
}

uint64_t UnixPeerInode(uint64_t inode) {
  uint32_t peer = 0;
  if (!g_peers_dumped && ++g_peer_lookups > 16) DumpUnixPeers();
  if (g_peers_dumped && inode <= 0xffffffffu) {
    const PeerSlot* slot = PeerSlotFor(static_cast<uint32_t>(inode));
    if (slot->inode) return slot->peer;
  }
  return UnixDiagAttribute(inode, UDIAG_SHOW_PEER, UNIX_DIAG_PEER, &peer, sizeof peer) ? peer : 0;
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

bool SharedSocketClaimed(const char* kind, uint64_t inode) {
  char key[160], value[sizeof g.unique_id];
  OwnerKey(key, sizeof key, kind, inode);
  return CoordKvGet(key, value, sizeof value - 1) > 0;
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
  static int over;
  over = 0;
  ForEachTcpSocket([](int fd) {
    if (g_num_conns >= kMaxConnections) {
      ++over;
      return;
    }
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
  if (over) {
    char num[64];
    FormatUint(num, sizeof num, static_cast<uint64_t>(kMaxConnections + over));
    StrCat(num, sizeof num, " TCP sockets; a checkpoint keeps at most ");
    char cap[16];
    FormatUint(cap, sizeof cap, static_cast<uint64_t>(kMaxConnections));
    CheckpointFailed("the process has ", num, cap);
  }
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
  // Room for all of it, so that none stays behind in the kernel to be
  // overtaken by what is given back: what is queued here (every process is
  // frozen: it only grows by what the other end still has to send) and the
  // most the other end's send queue can hold.
  const uint64_t peer_queue = n ? MaxSendQueue() : 0;
  uint64_t total = 0;
  for (int i = 0; i < g_num_conns; ++i) {
    Connection& c = g_conns[i];
    if (!c.peer_in_computation || !c.owner) continue;
    int queued = 0;
    RawSyscall(SYS_ioctl, c.fd, FIONREAD, reinterpret_cast<long>(&queued));
    c.off = total;
    c.cap = (static_cast<uint64_t>(queued > 0 ? queued : 0) + peer_queue + 4095) & ~4095ULL;
    total += c.cap;
  }
  Unmap(&g_drain);
  if (n) {
    g_space = total;
    g_drain = MapSpace(g_space);
    // Then nothing is drained: the program's streams stay untouched.
    if (!g_drain)
      CheckpointFailed("no address space to save the data in flight on its TCP connections");
  }
  for (int i = 0; i < g_num_conns && g_drain; ++i) {
    Connection& c = g_conns[i];
    if (!c.peer_in_computation || !c.owner) continue;
    c.drained = true;
    c.eof = false;
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
      // What stays in our send queue would be missing after a restart.
      CheckpointFailed("data it sent on a TCP connection was not acknowledged within 10 s");
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

void TcpDrainRange(uint64_t* start, uint64_t* end) {
  *start = reinterpret_cast<uint64_t>(g_drain);
  *end = g_drain ? *start + g_space : 0;
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

// A connection whose other end has gone (ended since the checkpoint):
// there is nobody to give its data back to.
void Gone(Connection& c, long r) {
  if (r == 0 || (r < 0 && r != -EAGAIN && r != -EINTR)) c.eof = true;
}

// One round of the exchange on connection c: in the first part the two
// ends tell each other how much they drained, in the second they send it;
// true when this part is complete on c.
bool ExchangeStep(Connection& c, short revents, bool lengths) {
  const uint64_t total = lengths ? sizeof c.len : sizeof c.len + c.len;
  if (revents & POLLOUT) {
    while (c.out_done < total) {
      const char* src = c.out_done < sizeof c.len
                            ? reinterpret_cast<const char*>(&c.len) + c.out_done
                            : g_drain + c.off + (c.out_done - sizeof c.len);
      uint64_t chunk = c.out_done < sizeof c.len ? sizeof c.len - c.out_done : total - c.out_done;
      long w = RawSyscall(SYS_sendto, c.fd, reinterpret_cast<long>(src), static_cast<long>(chunk),
                          MSG_NOSIGNAL, 0, 0);
      if (w <= 0) {
        Gone(c, w);
        break;
      }
      c.out_done += static_cast<uint64_t>(w);
    }
  }
  if (revents & (POLLIN | POLLHUP | POLLERR)) {
    while (c.in_header < sizeof c.in_len) {
      long r = RawSyscall(SYS_read, c.fd, reinterpret_cast<long>(&c.in_len) + c.in_header,
                          static_cast<long>(sizeof c.in_len - c.in_header));
      if (r <= 0) {
        Gone(c, r);
        break;
      }
      c.in_header = static_cast<uint8_t>(c.in_header + r);
    }
    while (!lengths && c.in_got < c.in_len) {
      // Only what the other end announced: what follows is ours to keep.
      long r = RawSyscall(SYS_read, c.fd, reinterpret_cast<long>(g_peer + c.in_off + c.in_got),
                          static_cast<long>(c.in_len - c.in_got));
      if (r <= 0) {
        Gone(c, r);
        break;
      }
      c.in_got += static_cast<uint64_t>(r);
    }
  }
  return c.eof || (c.out_done == total && c.in_header == sizeof c.in_len &&
                   (lengths || c.in_got == c.in_len));
}

bool WriteBackStep(Connection& c) {
  while (c.back_done < c.in_len) {
    long w = RawSyscall(SYS_sendto, c.fd, reinterpret_cast<long>(g_peer + c.in_off + c.back_done),
                        static_cast<long>(c.in_len - c.back_done), MSG_NOSIGNAL, 0, 0);
    if (w <= 0) {
      Gone(c, w);
      break;
    }
    c.back_done += static_cast<uint64_t>(w);
  }
  return c.eof || c.back_done == c.in_len;
}

// Polls the drained connections until step is done on each, or the
// deadline passes (false).
template <typename Step>
bool StepAll(Step step, short events, long deadline) {
  static pollfd fds[kMaxConnections];
  for (;;) {
    int m = 0;
    for (int i = 0; i < g_num_conns; ++i) {
      Connection& c = g_conns[i];
      if (c.drained && !c.eof && !step(c)) fds[m++] = pollfd{c.fd, events, 0};
    }
    if (!m) return true;
    if (MonotonicMs() > deadline) return false;
    RawSyscall(SYS_poll, reinterpret_cast<long>(fds), m, 10);
  }
}

// Every drained connection: send our data, take the other end's, write it
// back; all connections at once, so no order between processes can block.
void ExchangeDrainedData() {
  int n = 0;
  for (int i = 0; i < g_num_conns; ++i) n += g_conns[i].drained && !g_conns[i].eof;
  if (!n) return;
  for (int i = 0; i < g_num_conns; ++i) {
    Connection& c = g_conns[i];
    c.out_done = c.in_len = c.in_got = c.back_done = c.in_off = 0;
    c.in_header = 0;
  }
  const long deadline = MonotonicMs() + kFlushTimeoutMs;
  const short both = POLLIN | POLLOUT;
  bool ok = StepAll([](Connection& c) { return ExchangeStep(c, POLLIN | POLLOUT, true); }, both,
                    deadline);
  // Room for exactly what the other ends drained.
  uint64_t total = 0;
  for (int i = 0; ok && i < g_num_conns; ++i) {
    Connection& c = g_conns[i];
    if (!c.drained || c.eof) continue;
    c.in_off = total;
    total += (c.in_len + 4095) & ~4095ULL;
  }
  Unmap(&g_peer);
  g_peer_space = total;
  if (ok && total) g_peer = MapSpace(total);
  if (ok && total && !g_peer) {
    Fatal("no memory to give back the data drained from its TCP connections");
  }
  ok = ok &&
       StepAll([](Connection& c) { return ExchangeStep(c, POLLIN | POLLOUT, false); }, both,
               deadline) &&
       StepAll(WriteBackStep, POLLOUT, deadline);
  // The program's streams would go on with a hole: it must not run on.
  if (!ok) Fatal("could not give back the data drained from a TCP connection within 10 s");
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
  // Not in the image: after a restart there is nothing there to unmap.
  if (restart) g_drain = nullptr;
  Unmap(&g_drain);
  Unmap(&g_peer);
}

}  // namespace dmtcp::rt
