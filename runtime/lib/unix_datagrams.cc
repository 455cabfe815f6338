// The datagrams queued in a Unix datagram or seqpacket socket are recorded
// by peeking them one after the other (files.cc), which moves the socket's
// peek offset. Processes that share the socket (through fork) share that
// offset too: two of them peeking at once would each see every other
// datagram. So one process records them: the one whose claim stands.
#include "unix_datagrams.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "proc_dir.h"
#include "runtime.h"
#include "sockets.h"

namespace dmtcp::rt {
namespace {

// Unix datagram sockets with queued data that one process checkpoints; more
// fail the checkpoint.
constexpr int kMaxSockets = 16384;
constexpr const char* kKind = "unix";

struct Claimed {
  uint64_t inode;
  bool ours;
};

Claimed g_claimed[kMaxSockets];
int g_num_claimed;

bool HasQueuedDatagram(int fd) {
  int domain = 0, type = 0;
  if (!SocketDomainAndType(fd, &domain, &type) || domain != AF_UNIX ||
      (type != SOCK_DGRAM && type != SOCK_SEQPACKET))
    return false;
  char byte;
  return RawSyscall(SYS_recvfrom, fd, reinterpret_cast<long>(&byte), 0, MSG_PEEK | MSG_DONTWAIT, 0,
                    0) >= 0;
}

}  // namespace

void ClaimQueuedDatagrams() {
  g_num_claimed = 0;
  ForEachNumericEntry("/proc/self/fd", [](long n, int dir) {
    const int fd = static_cast<int>(n);
    struct stat st;
    if (fd == dir || fd == g.coord_fd ||
        RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) != 0 || !S_ISSOCK(st.st_mode) ||
        !HasQueuedDatagram(fd))
      return;
    for (int i = 0; i < g_num_claimed; ++i)
      if (g_claimed[i].inode == st.st_ino) return;  // the same socket on another fd
    if (g_num_claimed >= kMaxSockets) {
      CheckpointFailed("more of its Unix datagram sockets hold data than a checkpoint keeps (",
                       "16384)");
      return;
    }
    g_claimed[g_num_claimed++] = {st.st_ino, false};
    ClaimSharedSocket(kKind, st.st_ino);
  });
}

void FindDatagramOwners() {
  for (int i = 0; i < g_num_claimed; ++i)
    g_claimed[i].ours = SharedSocketIsOurs(kKind, g_claimed[i].inode);
}

bool DatagramsRecordedElsewhere(uint64_t inode) {
  for (int i = 0; i < g_num_claimed; ++i)
    if (g_claimed[i].inode == inode) return !g_claimed[i].ours;
  return false;
}

}  // namespace dmtcp::rt
