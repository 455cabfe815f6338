#include "peeked_datagrams.h"

#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cstring>

#include "runtime.h"
#include "sockets.h"

// Header-only: the injected library must not depend on a program's copy.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace dmtcp::rt {
namespace {

struct Seen {
  uint64_t len;
  uint64_t hash;  // of the bytes
};

// A socket's datagrams in a table: this, then count Seen.
struct SocketHead {
  uint64_t inode;
  uint64_t count;
};

using Table = GrowingRoom;

// The table being written, and the last checkpoint's.
Table g_tables[2];
int g_cur;
// This socket's visible datagrams and the positions found (PlaceHidden...).
Table g_scratch;

bool Grow(Table& t, uint64_t n) { return GrowRoom(t, n, 65536); }

const Seen* Find(const Table& t, uint64_t inode, uint64_t* count) {
  for (uint64_t at = 0; t.base && at + sizeof(SocketHead) <= t.used;) {
    SocketHead h;
    memcpy(&h, t.base + at, sizeof h);
    at += sizeof h;
    if (h.inode == inode) {
      *count = h.count;
      return reinterpret_cast<const Seen*>(t.base + at);
    }
    at += h.count * sizeof(Seen);
  }
  *count = 0;
  return nullptr;
}

// The datagrams the socket held when last peeked: by this checkpoint (the
// socket on another descriptor), else by the last one; count 0 if none.
const Seen* Previous(uint64_t inode, uint64_t* count) {
  const Seen* now = Find(g_tables[g_cur], inode, count);
  return now ? now : Find(g_tables[g_cur ^ 1], inode, count);
}

// What the queue holds first, whatever was peeked: 0 nothing, 1 an empty
// datagram, 2 one with data.
int HeadOfQueue(int fd) {
  int off = -1;
  RawSyscall(SYS_setsockopt, fd, SOL_SOCKET, SO_PEEK_OFF, reinterpret_cast<long>(&off), sizeof off);
  char byte;
  const long n = RawSyscall(SYS_recvfrom, fd, reinterpret_cast<long>(&byte), 1,
                            MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC, 0, 0);
  return n < 0 ? 0 : n == 0 ? 1 : 2;
}

// An empty datagram at the head that no offset peek showed was peeked
// before, by a checkpoint of another process or by the program.
constexpr const char* kMarkedAtHead =
    " holds an empty datagram that an earlier peek marked, which Linux hides from this"
    " checkpoint's peek: the checkpoint cannot save it in its place";

bool Same(const Seen& a, const Seen& b) { return a.len == b.len && a.hash == b.hash; }

// What a datagram of n bytes (at data) costs its sender's buffer (the
// kernel's truesize), measured on a socket pair of our own: 0 if unknown.
uint64_t SendCost(int type, const char* data, uint64_t n) {
  int sv[2];
  if (RawSyscall(SYS_socketpair, AF_UNIX, type | SOCK_CLOEXEC, 0, reinterpret_cast<long>(sv)) != 0)
    return 0;
  int buf = static_cast<int>(n < (1u << 29) ? 2 * n + 65536 : 1u << 30);
  RawSyscall(SYS_setsockopt, sv[0], SOL_SOCKET, SO_SNDBUF, reinterpret_cast<long>(&buf),
             sizeof buf);
  uint64_t cost = 0;
  uint32_t before[SK_MEMINFO_VARS] = {}, after[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof before;
  if (RawSyscall(SYS_getsockopt, sv[0], SOL_SOCKET, SO_MEMINFO, reinterpret_cast<long>(before),
                 reinterpret_cast<long>(&len)) == 0 &&
      RawSyscall(SYS_sendto, sv[0], reinterpret_cast<long>(data), static_cast<long>(n),
                 MSG_DONTWAIT, 0, 0) == static_cast<long>(n)) {
    len = sizeof after;
    if (RawSyscall(SYS_getsockopt, sv[0], SOL_SOCKET, SO_MEMINFO, reinterpret_cast<long>(after),
                   reinterpret_cast<long>(&len)) == 0)
      cost = after[SK_MEMINFO_WMEM_ALLOC] - before[SK_MEMINFO_WMEM_ALLOC];
  }
  RawSyscall(SYS_close, sv[0]);
  RawSyscall(SYS_close, sv[1]);
  return cost;
}

// How many datagrams hidden from the peek (empty ones) the socket holds:
// the buffer its peer has spent on what it sent and the socket still
// queues, less what the visible ones cost, in empty datagrams' costs.
// False if that cannot be told (the peer also sends elsewhere, ...).
bool HiddenCount(int fd, uint64_t peer, const char* recs, uint64_t len, uint64_t* count) {
  int domain = 0, type = 0;
  uint32_t mem[SK_MEMINFO_VARS] = {};
  if (!peer || !SocketDomainAndType(fd, &domain, &type) ||
      !UnixDiagAttribute(peer, UDIAG_SHOW_MEMINFO, UNIX_DIAG_MEMINFO, mem, sizeof mem))
    return false;
  const uint64_t empty = SendCost(type, "", 0);
  if (empty == 0) return false;
  // Costs depend on the length only: a few remembered.
  constexpr int kKnown = 32;
  uint64_t known_len[kKnown], known_cost[kKnown];
  int num_known = 0;
  uint64_t visible = 0;
  for (uint64_t at = 0; at + sizeof(uint32_t) <= len;) {
    uint32_t n;
    memcpy(&n, recs + at, sizeof n);
    uint64_t cost = 0;
    for (int i = 0; i < num_known && !cost; ++i)
      if (known_len[i] == n) cost = known_cost[i];
    if (!cost) {
      cost = SendCost(type, recs + at + sizeof n, n);
      if (!cost) return false;
      if (num_known < kKnown) {
        known_len[num_known] = n;
        known_cost[num_known++] = cost;
      }
    }
    visible += cost;
    at += sizeof n + n;
  }
  const uint64_t spent = mem[SK_MEMINFO_WMEM_ALLOC];
  if (spent < visible || (spent - visible) % empty != 0) return false;
  *count = (spent - visible) / empty;
  return true;
}

// The queue if the program has read j of the previous datagrams: those
// left (the empty ones hidden now), then the visible ones after them.
struct Candidate {
  uint64_t j;        // previous datagrams read
  uint64_t visible;  // of the visible ones, those that are previous ones
  uint64_t size;
};

// Whether the queue can be the previous datagrams from j on followed by
// new ones, given what the visible ones are and what the queue's head is.
// hidden: how many empty ones the queue hides, or ~0 if unknown.
bool Fits(const Seen* prev, uint64_t np, const Seen* vis, uint64_t nv, int head, uint64_t hidden,
          uint64_t j, Candidate* c) {
  uint64_t k = 0, empty = 0;
  for (uint64_t i = j; i < np; ++i) {
    if (prev[i].len == 0) {
      ++empty;
      continue;
    }
    if (k >= nv || !Same(prev[i], vis[k])) return false;
    ++k;
  }
  if (hidden != ~uint64_t{0} && empty != hidden) return false;
  *c = {j, k, (np - j) + (nv - k)};
  if (c->size == 0) return head == 0;
  const Seen& first = j < np ? prev[j] : vis[k];
  return head == (first.len == 0 ? 1 : 2);
}

const Seen& At(const Seen* prev, uint64_t np, const Seen* vis, const Candidate& c, uint64_t i) {
  return i < np - c.j ? prev[c.j + i] : vis[c.visible + i - (np - c.j)];
}

bool SameQueue(const Seen* prev, uint64_t np, const Seen* vis, const Candidate& a,
               const Candidate& b) {
  if (a.size != b.size) return false;
  for (uint64_t i = 0; i < a.size; ++i)
    if (!Same(At(prev, np, vis, a, i), At(prev, np, vis, b, i))) return false;
  return true;
}

}  // namespace

void BeginPeekedDatagrams() {
  g_cur ^= 1;
  g_tables[g_cur].used = 0;
}

long PlaceHiddenEmptyDatagrams(int fd, uint64_t inode, uint64_t peer, const char* recs,
                               uint64_t len, const uint64_t** before, const char** why) {
  *why = nullptr;
  *before = nullptr;
  uint64_t nv = 0;
  bool empty_visible = false;
  for (uint64_t at = 0; at + sizeof(uint32_t) <= len; ++nv) {
    uint32_t n;
    memcpy(&n, recs + at, sizeof n);
    empty_visible |= n == 0;
    at += sizeof n + n;
  }
  uint64_t np = 0;
  const Seen* prev = Previous(inode, &np);
  bool hidden = false;
  for (uint64_t i = 0; i < np && !hidden; ++i) hidden = prev[i].len == 0;
  // No empty datagram now nor at the last checkpoint (the usual case):
  // nothing to hash or remember, only the head to look at.
  if (!hidden && !empty_visible) {
    if (HeadOfQueue(fd) != 1) return 0;
    *why = kMarkedAtHead;
    return -1;
  }
  g_scratch.used = 0;
  if (!Grow(g_scratch, nv * sizeof(Seen) + np * sizeof(uint64_t))) {
    *why = " (no memory to compare them with the last checkpoint's)";
    return -1;
  }
  Seen* vis = reinterpret_cast<Seen*>(g_scratch.base);
  for (uint64_t i = 0, at = 0; i < nv; ++i) {
    uint32_t n;
    memcpy(&n, recs + at, sizeof n);
    vis[i] = {n, n ? XXH3_64bits(recs + at + sizeof n, n) : 0};
    at += sizeof n + n;
  }
  const int head = HeadOfQueue(fd);
  Candidate found{0, 0, nv};
  if (!hidden) {
    np = 0;
    if (head == 1 && (nv == 0 || vis[0].len != 0)) {
      *why = kMarkedAtHead;
      return -1;
    }
  } else {
    // Quadratic in the worst case (datagrams all alike): bounded.
    if (np > 65536) {
      *why =
          " held an empty datagram at the last checkpoint among more than 65,536: this one cannot"
          " tell whether it is still queued";
      return -1;
    }
    uint64_t count = ~uint64_t{0};
    if (!HiddenCount(fd, peer, recs, len, &count)) count = ~uint64_t{0};
    bool any = false, ambiguous = false;
    for (uint64_t j = 0; j <= np && !ambiguous; ++j) {
      Candidate c;
      if (!Fits(prev, np, vis, nv, head, count, j, &c)) continue;
      if (!any) {
        found = c;
        any = true;
      } else if (!SameQueue(prev, np, vis, found, c)) {
        ambiguous = true;
      }
    }
    if (!any || ambiguous) {
      *why =
          " held an empty datagram at the last checkpoint, which Linux hides from this"
          " checkpoint's peek, and what the program read since cannot tell whether it is still"
          " queued: the checkpoint is refused (one after the program has read it succeeds)";
      return -1;
    }
  }
  // Where the hidden ones go, and the queue as it is, for the next checkpoint.
  auto* pos = reinterpret_cast<uint64_t*>(g_scratch.base + nv * sizeof(Seen));
  long placed = 0;
  bool empty_left = false;
  for (uint64_t i = found.j, k = 0; i < np; ++i) {
    if (prev[i].len == 0)
      pos[placed++] = k;
    else
      ++k;
  }
  for (uint64_t i = 0; i < found.size && !empty_left; ++i)
    empty_left = At(prev, np, vis, found, i).len == 0;
  if (empty_left) {
    Table& t = g_tables[g_cur];
    if (Grow(t, sizeof(SocketHead) + found.size * sizeof(Seen))) {
      const SocketHead h{inode, found.size};
      memcpy(t.base + t.used, &h, sizeof h);
      auto* out = reinterpret_cast<Seen*>(t.base + t.used + sizeof h);
      for (uint64_t i = 0; i < found.size; ++i) out[i] = At(prev, np, vis, found, i);
      t.used += sizeof h + found.size * sizeof(Seen);
    }
    // (Without memory, the next checkpoint refuses if one stays queued.)
  }
  *before = pos;
  return placed;
}

void ForgetPeekedDatagrams() {
  g_tables[0].used = 0;
  g_tables[1].used = 0;
}

}  // namespace dmtcp::rt
