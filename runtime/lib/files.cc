// Open file descriptors: recorded at checkpoint (in static memory, which is
// saved with the image, and as records for dmtcp_restart's checks), reopened
// at restart by path with their flags and offset. Terminals and pipes on
// 0-2 come from the restart command.
#include "files.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "file_locks.h"
#include "file_reader.h"
#include "peeked_datagrams.h"
#include "pids.h"
#include "plugins.h"
#include "posix_mqueues.h"
#include "proc_dir.h"
#include "protocol.h"
#include "runtime.h"
#include "saved_folders.h"
#include "shared_files.h"
#include "sockets.h"
#include "unix_datagrams.h"
#include "write_tracking.h"

namespace dmtcp::rt {
namespace {

// Descriptors of one process a checkpoint keeps, and room for their paths
// and fdinfo texts (address space: only what is used is touched). More
// fail the checkpoint with a message.
constexpr int kMaxFds = 65536;
constexpr size_t kPathPool = 32 << 20;

struct FdEntry {
  image::FdInfo info;
  uint32_t path_off;
  uint32_t fdinfo_off;    // /proc/self/fdinfo text, for kernel objects
  uint64_t data_off;      // queued socket data, in the checkpoint's buffer
  const char* data_ptr;   // or here (drained TCP data)
  uint64_t large_len;     // when it is more than its record holds (then data_len is 0)
  uint32_t first_lock;    // in g_locks: those held through this descriptor,
  int num_locks;          // taken again at restart
  bool contents_pending;  // to be read once every descriptor is recorded
  int seals;              // a memfd's seals (F_GET_SEALS), added again at restart; 0: none
  pid_t pidfd_vpid;       // a pidfd's process, as the program knows it
  int64_t mq_maxmsg;      // a POSIX message queue's limits
  int64_t mq_msgsize;
};
// Data saved with the descriptors (queued socket data, contents of small
// unlinked and temporary files), found by offset: the memory moves as it
// grows. Mapped at the first checkpoint, kept at its size until released.
GrowingRoom g_room;
constexpr uint64_t kInitialRoom = 8 << 20;
static_assert(kInitialRoom >= image::kMaxMadeFileSize);
char g_record_error[1024];  // why RecordFds failed

FdEntry g_fds[kMaxFds];
int g_num_fds;
HeldLock g_locks[kMaxHeldLocks];  // the locks the descriptors hold, in turn
uint32_t g_num_locks;
char g_paths[kPathPool];
size_t g_paths_used;

// Room for n more bytes at g_room.base + g_room.used; false if the
// address space has none (nothing of the program's is touched then).
bool Reserve(uint64_t n) { return GrowRoom(g_room, n, kInitialRoom); }

// Socket data starts on a page: a large one is written as pages (kFdData).
bool AlignRoom() {
  const uint64_t aligned = (g_room.used + 4095) & ~uint64_t{4095};
  if (!Reserve(aligned - g_room.used)) return false;
  g_room.used = aligned;
  return true;
}

// Data of n bytes, at off in the room or at ptr, for descriptor e: in its
// record, or, when larger, in a record of its own.
void SetFdData(FdEntry* e, uint64_t off, const char* ptr, uint64_t n) {
  e->data_off = off;
  e->data_ptr = ptr;
  e->large_len = n > image::kMaxInlineFdData ? n : 0;
  e->info.data_len = e->large_len ? 0 : static_cast<uint32_t>(n);
}

// Fails the recording (the first reason stays): "<before><fd><after>".
void FdRecordError(const char* before, int fd, const char* after) {
  if (g_record_error[0]) return;
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
  StrCopy(g_record_error, sizeof g_record_error, before);
  StrCat(g_record_error, sizeof g_record_error, num);
  StrCat(g_record_error, sizeof g_record_error, after);
}

image::FdKind KindOf(int fd, const struct stat& st) {
  if (S_ISREG(st.st_mode)) return image::FdKind::kRegular;
  if (S_ISDIR(st.st_mode)) return image::FdKind::kDirectory;
  if (S_ISCHR(st.st_mode)) {
    struct termios t;
    return RawSyscall(SYS_ioctl, fd, TCGETS, reinterpret_cast<long>(&t)) == 0
               ? image::FdKind::kTerminal
               : image::FdKind::kCharDevice;
  }
  if (S_ISFIFO(st.st_mode)) return image::FdKind::kPipe;
  if (S_ISSOCK(st.st_mode)) return image::FdKind::kSocket;
  return image::FdKind::kOther;
}

// A pty's number and settings: dmtcp_restart makes a new pty for a pty
// whose master the computation holds.
void RecordPty(int fd, const struct stat& st, image::FdInfo* info) {
  info->pty_index = -1;
  if (!S_ISCHR(st.st_mode)) return;
  const unsigned major_num = static_cast<unsigned>((st.st_rdev >> 8) & 0xfff);
  unsigned index = 0;
  if (major_num == 136) {  // a slave, /dev/pts/N
    info->pty_index = static_cast<int32_t>(((st.st_rdev >> 12) & 0xfff00) | (st.st_rdev & 0xff));
  } else if (RawSyscall(SYS_ioctl, fd, TIOCGPTN, reinterpret_cast<long>(&index)) == 0) {
    info->pty_index = static_cast<int32_t>(index);
    info->pty_master = 1;
  } else {
    return;
  }
  static_assert(sizeof(struct termios) <= sizeof info->termios);
  RawSyscall(SYS_ioctl, fd, TCGETS, reinterpret_cast<long>(info->termios));
  RawSyscall(SYS_ioctl, fd, TIOCGWINSZ, reinterpret_cast<long>(info->winsize));
}

image::FdKind AnonKind(const char* path) {
  if (StartsWith(path, "anon_inode:[signalfd]")) return image::FdKind::kSignalfd;
  if (StartsWith(path, "anon_inode:[eventfd]")) return image::FdKind::kEventfd;
  if (StartsWith(path, "anon_inode:[timerfd]")) return image::FdKind::kTimerfd;
  if (StartsWith(path, "anon_inode:[eventpoll]")) return image::FdKind::kEpoll;
  if (StartsWith(path, "anon_inode:[pidfd]")) return image::FdKind::kPidfd;
  return image::FdKind::kOther;
}

size_t ReadFdinfo(int fd, char* out, size_t cap) {
  char path[40] = "/proc/self/fdinfo/";
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
  StrCat(path, sizeof path, num);
  size_t n = 0;
  int f = static_cast<int>(
      RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC));
  if (f >= 0 && cap > 1) {
    long r;
    while (n + 1 < cap && (r = RawSyscall(SYS_read, f, reinterpret_cast<long>(out + n),
                                          static_cast<long>(cap - 1 - n))) > 0)
      n += static_cast<size_t>(r);
    RawSyscall(SYS_close, f);
  }
  if (cap > 0) out[n] = 0;
  return n;
}

// The number after `key` in fdinfo text (base 10, or 16 with hex), from p.
bool FdinfoNumber(const char* text, const char* key, int base, uint64_t* out) {
  for (const char* p = text; *p; ++p) {
    if (!StartsWith(p, key) || (p != text && p[-1] != '\n')) continue;
    p += StrLen(key);
    while (*p == ' ' || *p == '\t' || *p == '(') ++p;
    uint64_t v = 0;
    for (;; ++p) {
      int d = *p >= '0' && *p <= '9'                 ? *p - '0'
              : base == 16 && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                                                     : -1;
      if (d < 0) break;
      v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    }
    *out = v;
    return true;
  }
  return false;
}

// A pidfd of a process that has ended and was waited for: one of a child of ours that exits at
// once (no exit signal: the program hears nothing of it), taken before it is reaped.
long EndedPidfd(long flags) {
  const long pid = RawSyscall(SYS_clone, 0, 0, 0, 0, 0);
  if (pid == 0) RawSyscall(SYS_exit, 0);
  if (pid < 0) return pid;
  const long fd = RawSyscall(SYS_pidfd_open, pid, flags);
  while (RawSyscall(SYS_wait4, pid, 0, __WALL, 0) == -EINTR) {
  }
  return fd;
}

// Makes a new kernel object like the one recorded; returns its descriptor.
long RemakeKernelObject(const FdEntry& e) {
  const char* info = g_paths + e.fdinfo_off;
  const long cloexec = (e.info.fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0;
  const long nonblock = e.info.status_flags & O_NONBLOCK;
  uint64_t v = 0;
  switch (static_cast<image::FdKind>(e.info.kind)) {
    case image::FdKind::kSignalfd: {
      uint64_t mask = 0;
      FdinfoNumber(info, "sigmask:", 16, &mask);
      return RawSyscall(SYS_signalfd4, -1, reinterpret_cast<long>(&mask), 8, cloexec | nonblock);
    }
    case image::FdKind::kEventfd: {
      FdinfoNumber(info, "eventfd-count:", 16, &v);
      uint64_t sem = 0;
      FdinfoNumber(info, "eventfd-semaphore:", 10, &sem);
      return RawSyscall(SYS_eventfd2, static_cast<long>(v),
                        cloexec | nonblock | (sem ? 1 /*EFD_SEMAPHORE*/ : 0));
    }
    case image::FdKind::kTimerfd: {
      uint64_t clock = 0;
      FdinfoNumber(info, "clockid:", 10, &clock);
      long fd = RawSyscall(SYS_timerfd_create, static_cast<long>(clock), cloexec | nonblock);
      if (fd < 0) return fd;
      // it_value is what remained: re-armed relative to now.
      struct {
        int64_t interval_sec, interval_nsec, value_sec, value_nsec;
      } spec = {};
      const char* val = info;
      while (*val && !StartsWith(val, "it_value:")) ++val;
      uint64_t a = 0, b = 0;
      if (*val && FdinfoNumber(val, "it_value:", 10, &a)) {
        const char* comma = val;
        while (*comma && *comma != ',') ++comma;
        FdinfoNumber(comma, ",", 10, &b);
        spec.value_sec = static_cast<int64_t>(a);
        spec.value_nsec = static_cast<int64_t>(b);
      }
      const char* itv = info;
      while (*itv && !StartsWith(itv, "it_interval:")) ++itv;
      if (*itv && FdinfoNumber(itv, "it_interval:", 10, &a)) {
        const char* comma = itv;
        while (*comma && *comma != ',') ++comma;
        FdinfoNumber(comma, ",", 10, &b);
        spec.interval_sec = static_cast<int64_t>(a);
        spec.interval_nsec = static_cast<int64_t>(b);
      }
      // A periodic timer that expired shows no time left until it is read
      // (the kernel moves it on then): it is due at once.
      if (!spec.value_sec && !spec.value_nsec && (spec.interval_sec || spec.interval_nsec))
        spec.value_nsec = 1;
      if (spec.value_sec || spec.value_nsec)
        RawSyscall(SYS_timerfd_settime, fd, 0, reinterpret_cast<long>(&spec), 0);
      // Expirations not read yet are the program's to read.
      uint64_t ticks = 0;
      if (FdinfoNumber(info, "ticks:", 10, &ticks) && ticks)
        RawSyscall(SYS_ioctl, fd, 0x40085400 /*TFD_IOC_SET_TICKS*/, reinterpret_cast<long>(&ticks));
      return fd;
    }
    case image::FdKind::kEpoll:
      return RawSyscall(SYS_epoll_create1, cloexec);
    case image::FdKind::kPidfd:  // PIDFD_NONBLOCK is O_NONBLOCK; a pidfd is close-on-exec
      return e.pidfd_vpid ? RawSyscall(SYS_pidfd_open, RealPid(e.pidfd_vpid), nonblock)
                          : EndedPidfd(nonblock);
    default:
      return -1;
  }
}

// Registers again everything an epoll set watched ("tfd: N events: X data: Y").
void RefillEpoll(const FdEntry& e) {
  for (const char* p = g_paths + e.fdinfo_off; *p; ++p) {
    if (!StartsWith(p, "tfd:") || (p != g_paths + e.fdinfo_off && p[-1] != '\n')) continue;
    uint64_t tfd = 0, events = 0, data = 0;
    FdinfoNumber(p, "tfd:", 10, &tfd);
    const char* q = p;
    while (*q && *q != '\n' && !StartsWith(q, "events:")) ++q;
    FdinfoNumber(q, "events:", 16, &events);
    while (*q && *q != '\n' && !StartsWith(q, "data:")) ++q;
    FdinfoNumber(q, "data:", 16, &data);
    struct __attribute__((packed)) {
      uint32_t events;
      uint64_t data;
    } ev = {static_cast<uint32_t>(events), data};
    RawSyscall(SYS_epoll_ctl, e.info.fd, 1 /*EPOLL_CTL_ADD*/, static_cast<long>(tfd),
               reinterpret_cast<long>(&ev));
  }
}

// Empty datagram records (a zero length) put into the datagrams recorded
// from start on, before the visible ones at positions before[0..count)
// (ascending).
bool InsertEmptyDatagrams(uint64_t start, const uint64_t* before, long count) {
  const uint64_t extra = sizeof(uint32_t) * static_cast<uint64_t>(count);
  if (!Reserve(extra)) return false;
  char* recs = g_room.base + start;
  uint64_t end = g_room.used - start;
  // From the last: the records ahead of each place have not moved yet.
  for (long i = count - 1; i >= 0; --i) {
    uint64_t off = 0;
    for (uint64_t k = 0; k < before[i]; ++k) {
      uint32_t n;
      memcpy(&n, recs + off, sizeof n);
      off += sizeof n + n;
    }
    memmove(recs + off + sizeof(uint32_t), recs + off, end - off);
    memset(recs + off, 0, sizeof(uint32_t));
    end += sizeof(uint32_t);
  }
  g_room.used += extra;
  return true;
}

// The datagrams waiting in a Unix datagram or seqpacket socket, each as a
// 32-bit length and its bytes, peeked one after the other (SO_PEEK_OFF),
// with the empty ones an earlier peek hid put back in their places.
void PeekDatagrams(int fd, FdEntry* e) {
  // Larger than a datagram can be (the sender's buffer bounds it).
  constexpr uint64_t kMaxDatagram = 16 << 20;
  int old = -1, zero = 0;
  socklen_t len = sizeof old;
  RawSyscall(SYS_getsockopt, fd, SOL_SOCKET, SO_PEEK_OFF, reinterpret_cast<long>(&old),
             reinterpret_cast<long>(&len));
  char probe;
  if (RawSyscall(SYS_setsockopt, fd, SOL_SOCKET, SO_PEEK_OFF, reinterpret_cast<long>(&zero),
                 sizeof zero) != 0) {
    // Without a peek offset only the first one could be read: refused if
    // any is queued, never saved in part.
    if (RawSyscall(SYS_recvfrom, fd, reinterpret_cast<long>(&probe), 1,
                   MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC, 0, 0) >= 0)
      FdRecordError("the datagrams queued in the socket on descriptor ", fd,
                    " cannot be read without taking them (no SO_PEEK_OFF)");
    return;
  }
  if (!AlignRoom()) {
    FdRecordError("no memory to save the datagrams queued in the socket on descriptor ", fd, "");
    RawSyscall(SYS_setsockopt, fd, SOL_SOCKET, SO_PEEK_OFF, reinterpret_cast<long>(&old),
               sizeof old);
    return;
  }
  const uint64_t start = g_room.used;
  // Far more than a socket's buffers hold; also ends the loop should a
  // kernel not move the offset past an empty datagram.
  constexpr uint64_t kMaxDatagrams = 1 << 20;
  for (uint64_t count = 0;; ++count) {
    if (count == kMaxDatagrams) {
      FdRecordError(
          "more datagrams than a checkpoint reads (1,048,576) are queued in the socket"
          " on descriptor ",
          fd, "");
      break;
    }
    if (!g_room.base || !Reserve(sizeof(uint32_t) + kMaxDatagram)) {
      FdRecordError("no memory to save the datagrams queued in the socket on descriptor ", fd, "");
      break;
    }
    char* at = g_room.base + g_room.used;
    long n = RawSyscall(SYS_recvfrom, fd, reinterpret_cast<long>(at + sizeof(uint32_t)),
                        static_cast<long>(kMaxDatagram), MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC, 0, 0);
    if (n < 0) break;  // nothing more (an empty datagram is one: it moves the offset on)
    if (static_cast<uint64_t>(n) > kMaxDatagram) {
      FdRecordError("a datagram queued in the socket on descriptor ", fd,
                    " is larger than a checkpoint saves (16 MiB)");
      break;
    }
    uint32_t n32 = static_cast<uint32_t>(n);
    memcpy(at, &n32, sizeof n32);
    g_room.used += sizeof n32 + static_cast<uint64_t>(n);
  }
  if (!g_record_error[0]) {
    const uint64_t* before = nullptr;
    const char* why = nullptr;
    const long hidden =
        PlaceHiddenEmptyDatagrams(fd, e->info.inode, e->info.peer_inode, g_room.base + start,
                                  g_room.used - start, &before, &why);
    if (hidden < 0)
      FdRecordError("the Unix socket on descriptor ", fd, why);
    else if (hidden > 0 && !InsertEmptyDatagrams(start, before, hidden))
      FdRecordError("no memory to save the datagrams queued in the socket on descriptor ", fd, "");
  }
  RawSyscall(SYS_setsockopt, fd, SOL_SOCKET, SO_PEEK_OFF, reinterpret_cast<long>(&old), sizeof old);
  if (g_room.used > start) SetFdData(e, start, nullptr, g_room.used - start);
}

// Peeks all `queued` bytes of a Unix stream socket into out. One peek
// stops where the writer changes (the kernel keeps each writer's
// credentials apart: a parent and its child writing to one socket), so the
// peek offset walks on. Descriptors passed through it (SCM_RIGHTS) cannot be
// saved: *in_flight then, and the copies a peek gave us are closed.
long PeekUnixStream(int fd, uint64_t inode, char* out, long queued, bool* in_flight) {
  // The peek offset is the socket's, shared by every process that holds it
  // (a parent and its children peek at once): one at a time on this node,
  // each holding a name of the abstract socket namespace (gone with it).
  struct sockaddr_un name = {};
  name.sun_family = AF_UNIX;
  char* n = name.sun_path + 1;
  StrCopy(n, sizeof name.sun_path - 1, "dmtcp-peek-");
  FormatUint(n + StrLen(n), 24, static_cast<uint64_t>(RawSyscall(SYS_getuid)));
  StrCat(n, sizeof name.sun_path - 1, "-");
  FormatUint(n + StrLen(n), 24, inode, 16);
  const long lock = RawSyscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  bool locked = false;
  const long name_len = static_cast<long>(offsetof(struct sockaddr_un, sun_path) + 1 + StrLen(n));
  for (int tries = 0; lock >= 0 && tries < 10000 && !locked; ++tries) {
    locked = RawSyscall(SYS_bind, lock, reinterpret_cast<long>(&name), name_len) == 0;
    if (!locked) {
      struct timespec t = {0, 1000 * 1000};
      RawSyscall(SYS_nanosleep, reinterpret_cast<long>(&t), 0);
    }
  }
  if (!locked) {
    if (lock >= 0) RawSyscall(SYS_close, lock);
    return -1;
  }
  int old = -1;
  socklen_t len = sizeof old;
  RawSyscall(SYS_getsockopt, fd, SOL_SOCKET, SO_PEEK_OFF, reinterpret_cast<long>(&old),
             reinterpret_cast<long>(&len));
  const int zero = 0;
  const bool walks = RawSyscall(SYS_setsockopt, fd, SOL_SOCKET, SO_PEEK_OFF,
                                reinterpret_cast<long>(&zero), sizeof zero) == 0;
  long got = 0;
  *in_flight = false;
  while (got < queued && !*in_flight) {
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 64)];
    struct iovec iov = {out + got, static_cast<size_t>(queued - got)};
    struct msghdr mh = {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    const long r = RawSyscall(SYS_recvmsg, fd, reinterpret_cast<long>(&mh),
                              MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (r <= 0) break;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      *in_flight = true;
      const int* fds = reinterpret_cast<const int*>(CMSG_DATA(c));
      for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i)
        RawSyscall(SYS_close, fds[i]);
    }
    if (mh.msg_flags & MSG_CTRUNC) *in_flight = true;
    got += r;
    if (!walks) break;
  }
  if (walks)
    RawSyscall(SYS_setsockopt, fd, SOL_SOCKET, SO_PEEK_OFF, reinterpret_cast<long>(&old),
               sizeof old);
  RawSyscall(SYS_close, lock);
  return got;
}

// A socket: its kind and addresses; if connected, its peer (for a Unix
// socket) and the data waiting in it (peeked, not consumed: the program
// reads it as if nothing happened).
void RecordSocket(int fd, FdEntry* e) {
  int domain = 0, type = 0, listening = 0;
  if (!SocketDomainAndType(fd, &domain, &type)) return;
  socklen_t len = sizeof listening;
  RawSyscall(SYS_getsockopt, fd, SOL_SOCKET, SO_ACCEPTCONN, reinterpret_cast<long>(&listening),
             reinterpret_cast<long>(&len));
  e->info.sock_type = static_cast<uint32_t>(type);
  e->info.sock_domain = static_cast<uint32_t>(domain);
  e->info.sock_listening = listening ? 1 : 0;
  bool connected = false;
  if (domain == AF_UNIX) {
    e->info.peer_inode = UnixPeerInode(e->info.inode);
    connected = e->info.peer_inode != 0;
    socklen_t name_len = sizeof e->info.unix_name;
    if (RawSyscall(SYS_getsockname, fd, reinterpret_cast<long>(e->info.unix_name),
                   reinterpret_cast<long>(&name_len)) == 0 &&
        name_len > sizeof(sa_family_t))
      e->info.unix_name_len = name_len;
  } else if (domain == AF_INET || domain == AF_INET6) {
    len = sizeof e->info.local_addr;
    RawSyscall(SYS_getsockname, fd, reinterpret_cast<long>(e->info.local_addr),
               reinterpret_cast<long>(&len));
    len = sizeof e->info.peer_addr;
    connected = RawSyscall(SYS_getpeername, fd, reinterpret_cast<long>(e->info.peer_addr),
                           reinterpret_cast<long>(&len)) == 0;
    if (connected && type == SOCK_STREAM)
      e->info.peer_in_computation = TcpPeerInComputation(e->info.inode) ? 1 : 0;
  }
  if (!connected) return;
  if (type == SOCK_DGRAM || type == SOCK_SEQPACKET) {
    if (domain == AF_UNIX && !DatagramsRecordedElsewhere(e->info.inode)) PeekDatagrams(fd, e);
    return;  // a UDP datagram may be lost, and is at a restart
  }
  if (type != SOCK_STREAM) return;
  const char* drained = nullptr;
  uint64_t drained_len = 0;
  if (TcpDrainedData(e->info.inode, &drained, &drained_len)) {
    SetFdData(e, 0, drained, drained_len);
    return;
  }
  if (TcpDrainedElsewhere(e->info.inode)) return;
  // A single peek may stop at a packet boundary: ask how much is queued and
  // peek for all of it (it is all there: every process is frozen).
  int queued = 0;
  if (RawSyscall(SYS_ioctl, fd, FIONREAD, reinterpret_cast<long>(&queued)) != 0 || queued <= 0)
    return;
  if (!AlignRoom() || !Reserve(static_cast<uint64_t>(queued))) {
    FdRecordError("no memory to save the data queued in the socket on descriptor ", fd, "");
    return;
  }
  bool in_flight = false;
  long n = domain == AF_UNIX
               ? PeekUnixStream(fd, e->info.inode, g_room.base + g_room.used, queued, &in_flight)
               : RawSyscall(SYS_recvfrom, fd, reinterpret_cast<long>(g_room.base + g_room.used),
                            queued, MSG_PEEK | MSG_WAITALL | MSG_DONTWAIT, 0, 0);
  if (in_flight)
    FdRecordError("descriptors passed through the socket on descriptor ", fd,
                  " (SCM_RIGHTS) are still queued in it: a checkpoint cannot save them");
  else if (n != queued)
    FdRecordError("could not read all the data queued in the socket on descriptor ", fd, "");
  if (n > 0) {
    SetFdData(e, g_room.used, nullptr, static_cast<uint64_t>(n));
    g_room.used += static_cast<uint64_t>(n);
  }
}

// The program's descriptor itself, where the file can be read through it
// (pread leaves its offset alone), else -1. A POSIX lock belongs to the
// process, not to a descriptor: closing any descriptor of the file drops
// every one the process holds on it, so a checkpoint reads through the
// program's own descriptor rather than open the file again.
long ReadableFd(const FdEntry& e) {
  const int fl = e.info.status_flags;
  return (fl & O_ACCMODE) != O_WRONLY && !(fl & (O_DIRECT | O_PATH)) ? e.info.fd : -1;
}

bool HoldsPosixLock(const FdEntry& e) {
  for (int i = 0; i < e.num_locks; ++i)
    if (g_locks[e.first_lock + i].kind == kPosix) return true;
  return false;
}

// The contents of e's file (size bytes) into the image (the buffer of
// queued socket data), read by r.
void ReadContents(const FileReader& r, uint64_t size, FdEntry* e) {
  if (!Reserve(size)) return;  // left to WriteFileContents
  uint64_t got = 0;
  while (got < size) {
    const long n = r.Pread(g_room.base + g_room.used + got, size - got, got);
    if (n <= 0) break;
    got += static_cast<uint64_t>(n);
  }
  e->data_off = g_room.used;
  e->info.data_len = static_cast<uint32_t>(got);
  g_room.used += got;
}

// Through the program's own descriptor where it can read the file; else
// once every descriptor is recorded (ReadPendingContents), when it is known
// whether the process holds a POSIX lock on the file through any of them.
void RecordContents(const struct stat& st, FdEntry* e) {
  const long program_fd = ReadableFd(*e);
  if (program_fd < 0) {
    e->contents_pending = true;
    return;
  }
  FileReader r;
  r.fd = program_fd;
  ReadContents(r, static_cast<uint64_t>(st.st_size), e);
}

void ReadPendingContents() {
  for (int i = 0; i < g_num_fds; ++i) {
    FdEntry& e = g_fds[i];
    if (!e.contents_pending) continue;
    e.contents_pending = false;
    bool locked = false;
    const int readable = FileReadableWithoutClose(e.info.dev, e.info.inode, &locked);
    // Through /proc: the descriptor itself is write-only.
    char link[32] = "/proc/self/fd/";
    char num[16];
    FormatUint(num, sizeof num, static_cast<uint64_t>(e.info.fd));
    StrCat(link, sizeof link, num);
    FileReader r;
    struct stat st;
    if (r.Open(AT_FDCWD, link, O_RDONLY | O_CLOEXEC, readable, locked, &st) == 0)
      ReadContents(r, e.info.size, &e);
    r.Close();
  }
}

// An unlinked file keeps its contents in the image; its path loses the
// kernel's " (deleted)".
void RecordDeleted(const struct stat& st, FdEntry* e, long* path_len) {
  static const char kSuffix[] = " (deleted)";
  constexpr long kSuffixLen = sizeof kSuffix - 1;
  char* path = g_paths + g_paths_used;
  if (*path_len > kSuffixLen) {
    bool match = true;
    for (long i = 0; i < kSuffixLen; ++i)
      match = match && path[*path_len - kSuffixLen + i] == kSuffix[i];
    if (match) *path_len -= kSuffixLen;
  }
  e->info.kind = static_cast<uint32_t>(image::FdKind::kDeletedFile);
  // A small one in the descriptor's record; a larger one (or one the room
  // left cannot hold) as pages of its own record (WriteDeletedFiles).
  if (static_cast<uint64_t>(st.st_size) <= image::kMaxInlineFileContents) RecordContents(st, e);
}

bool Reopenable(image::FdKind k) {
  return k == image::FdKind::kRegular || k == image::FdKind::kDirectory ||
         k == image::FdKind::kCharDevice;
}

}  // namespace

namespace {

// Fills share_pid and share_fd of every recorded file whose open file
// description another descriptor holds too (see shared_files.h). The
// process that won a description names, for all of them, its lowest
// descriptor of it; the others name any descriptor of the winner's.
void RecordSharing() {
  const pid_t me = static_cast<pid_t>(RawSyscall(SYS_getpid));
  const pid_t my_vpid = MyVirtualPid();
  for (int i = 0; i < g_num_fds; ++i) {
    image::FdInfo& f = g_fds[i].info;
    const auto kind = static_cast<image::FdKind>(f.kind);
    if (kind != image::FdKind::kRegular && kind != image::FdKind::kDirectory &&
        kind != image::FdKind::kDeletedFile)
      continue;
    if (!TrackedFile(f.fd, static_cast<mode_t>(f.mode))) continue;
    // /proc files are opened anew by each process under its own pids.
    if (f.path_len >= 6 && __builtin_memcmp(g_paths + g_fds[i].path_off, "/proc/", 6) == 0)
      continue;
    bool others = false;
    const pid_t winner = DescriptionWinner(f.fd, &others);
    if (winner <= 0) continue;
    if (winner != me) {
      const int theirs = SameDescriptionIn(winner, f.fd);
      if (theirs >= 0) {
        f.share_pid = VirtualPid(winner);
        f.share_fd = theirs;
      }
      continue;
    }
    // Ours: the lowest of our descriptors that hold it (recorded in order).
    int first = i;
    for (int j = 0; j < i && first == i; ++j) {
      const image::FdInfo& o = g_fds[j].info;
      if (o.dev == f.dev && o.inode == f.inode && o.kind == f.kind &&
          SameDescriptionHere(o.fd, f.fd))
        first = j;
    }
    if (first == i && !others) continue;
    f.share_pid = my_vpid;
    f.share_fd = g_fds[first].info.fd;
    g_fds[first].info.share_pid = my_vpid;
    g_fds[first].info.share_fd = g_fds[first].info.fd;
  }
}

// Kernel objects a restart cannot make again are refused at checkpoint, by
// name, rather than coming back as something else or not at all.
void RefuseUnsupported(int fd, const FdEntry& e, const char* path, image::FdKind anon) {
  const char* what = nullptr;
  const size_t len = StrLen(path);
  if (StartsWith(path, "anon_inode:") && anon == image::FdKind::kOther)
    what = path + 11;  // inotify, [fanotify], [pidfd], [io_uring], [userfaultfd], ...
  else if (e.info.kind == static_cast<uint32_t>(image::FdKind::kMqueue) && len > 10 &&
           StartsWith(path + len - 10, " (deleted)"))
    what = "POSIX message queue removed by mq_unlink: it has no name to open again by";
  if (!what || g_record_error[0]) return;
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
  StrCopy(g_record_error, sizeof g_record_error, "descriptor ");
  StrCat(g_record_error, sizeof g_record_error, num);
  StrCat(g_record_error, sizeof g_record_error, " (");
  StrCat(g_record_error, sizeof g_record_error, path);
  StrCat(g_record_error, sizeof g_record_error, ") is of a kind a restart cannot make again (");
  StrCat(g_record_error, sizeof g_record_error, what);
  StrCat(g_record_error, sizeof g_record_error, "): not supported");
}

// A pidfd of the process itself, of a child, or of a sibling it made (clone's CLONE_PARENT):
// processes of the computation, kept by the pid the program knows; one of a process that has
// ended and was waited for ("Pid: -1"), as such (pidfd_vpid 0). One of another process is
// refused.
void RecordPidfd(int fd, FdEntry* e) {
  const char* info = g_paths + e->fdinfo_off;
  const char* pid_line = info;
  while (*pid_line && !(StartsWith(pid_line, "Pid:") && (pid_line == info || pid_line[-1] == '\n')))
    ++pid_line;
  const char* value = *pid_line ? pid_line + 4 : pid_line;
  while (*value == ' ' || *value == '\t') ++value;
  if (*value == '-') {
    e->pidfd_vpid = 0;
    return;
  }
  uint64_t real = 0;
  const long self = RawSyscall(SYS_getpid);
  bool ours = *pid_line && FdinfoNumber(pid_line, "Pid:", 10, &real) && real > 0;
  if (ours && static_cast<long>(real) != self) {
    // Field 4 of /proc/<pid>/stat, after the command name's closing parenthesis.
    char path[40] = "/proc/";
    char num[24];
    FormatUint(num, sizeof num, real);
    StrCat(path, sizeof path, num);
    StrCat(path, sizeof path, "/stat");
    char stat[512] = {};
    const long f =
        RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC);
    long n = f >= 0 ? RawSyscall(SYS_read, f, reinterpret_cast<long>(stat), sizeof stat - 1) : -1;
    if (f >= 0) RawSyscall(SYS_close, f);
    const char* close_paren = nullptr;
    for (long i = 0; i < n; ++i)
      if (stat[i] == ')') close_paren = stat + i;
    uint64_t ppid = 0;
    ours = close_paren && close_paren[1] == ' ' && close_paren[2] && close_paren[3] == ' ' &&
           FdinfoNumber(close_paren + 4, "", 10, &ppid) &&
           (static_cast<long>(ppid) == self || static_cast<long>(ppid) == RawSyscall(SYS_getppid));
  }
  if (ours) {
    e->pidfd_vpid = VirtualPid(static_cast<pid_t>(real));
    return;
  }
  FdRecordError("descriptor ", fd,
                " is a pidfd of a process that is not this one, a child or a sibling it made: "
                "not supported");
}

void RecordLocks(int fd, FdEntry* e) {
  e->first_lock = g_num_locks;
  e->num_locks =
      ReadHeldLocks(fd, static_cast<pid_t>(RawSyscall(SYS_getpid)), g_locks + g_num_locks,
                    static_cast<int>(kMaxHeldLocks - g_num_locks));
  if (e->num_locks >= 0) {
    g_num_locks += static_cast<uint32_t>(e->num_locks);
    return;
  }
  e->num_locks = 0;
  FdRecordError("descriptor ", fd,
                " holds more record locks than a checkpoint keeps (65,536 for all descriptors)");
}

void PathPoolFull() {
  if (!g_record_error[0])
    StrCopy(g_record_error, sizeof g_record_error,
            "the paths and kernel descriptions of its descriptors exceed the 32 MiB a checkpoint"
            " keeps for them");
}

void RecordOne(int fd) {
  struct stat st;
  if (RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) != 0) return;
  FdEntry& e = g_fds[g_num_fds];
  e.info = image::FdInfo{};
  e.data_ptr = nullptr;
  e.large_len = 0;
  e.num_locks = 0;
  e.contents_pending = false;
  e.seals = 0;
  e.info.fd = fd;
  e.info.status_flags = static_cast<int32_t>(RawSyscall(SYS_fcntl, fd, F_GETFL));
  e.info.fd_flags = static_cast<int32_t>(RawSyscall(SYS_fcntl, fd, F_GETFD));
  e.info.kind = static_cast<uint32_t>(KindOf(fd, st));
  const bool mqueue = S_ISREG(st.st_mode) && MessageQueueLimits(fd, &e.mq_maxmsg, &e.mq_msgsize);
  if (mqueue) e.info.kind = static_cast<uint32_t>(image::FdKind::kMqueue);
  e.info.offset =
      S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) ? RawSyscall(SYS_lseek, fd, 0, SEEK_CUR) : 0;
  e.info.size = static_cast<uint64_t>(st.st_size);
  e.info.dev = st.st_dev;
  e.info.inode = st.st_ino;
  e.info.mode = st.st_mode;
  RecordPty(fd, st, &e.info);
  if ((S_ISREG(st.st_mode) && !mqueue) || S_ISDIR(st.st_mode)) RecordLocks(fd, &e);
  if (S_ISFIFO(st.st_mode) && (e.info.status_flags & O_ACCMODE) == O_RDONLY) {
    pollfd p = {fd, POLLIN, 0};
    e.info.pipe_no_writers =
        RawSyscall(SYS_poll, reinterpret_cast<long>(&p), 1, 0) > 0 && (p.revents & POLLHUP) ? 1 : 0;
  }
  e.data_off = 0;
  if (S_ISSOCK(st.st_mode)) RecordSocket(fd, &e);
  char link[32] = "/proc/self/fd/";
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
  StrCat(link, sizeof link, num);
  if (g_paths_used + 2 * 4096 > kPathPool) {
    PathPoolFull();
    return;
  }
  long n = RawSyscall(SYS_readlink, reinterpret_cast<long>(link),
                      reinterpret_cast<long>(g_paths + g_paths_used), 4095);
  if (n < 0) n = 0;
  g_paths[g_paths_used + static_cast<size_t>(n)] = 0;
  // A file of /proc/<pid>/ is kept under the pid the program knows: the
  // restart opens it under that process's pid then.
  char proc[4096];
  const char* virt = VirtualProcPath(g_paths + g_paths_used, proc, sizeof proc);
  if (virt != g_paths + g_paths_used) {
    StrCopy(g_paths + g_paths_used, 4096, virt);
    n = static_cast<long>(StrLen(virt));
  }
  if (S_ISREG(st.st_mode) && st.st_nlink == 0 && !mqueue) {
    RecordDeleted(st, &e, &n);
    // dmtcp_restart makes a memfd again with sealing allowed; its seals (F_SEAL_SEAL alone if
    // it allowed none) come back below.
    if (StartsWith(g_paths + g_paths_used, "/memfd:")) {
      const long seals = RawSyscall(SYS_fcntl, fd, F_GET_SEALS);
      e.seals = seals > 0 ? static_cast<int>(seals) : 0;
    }
  }
  g_paths[g_paths_used + static_cast<size_t>(n)] = 0;
  // Files in the node's temporary folders (session folders of Open MPI and
  // PMIx) are not there when a restart lands on another node: their contents
  // go into the image, and dmtcp_restart makes them again where missing.
  // Small ones only.
  if (S_ISREG(st.st_mode) && st.st_nlink > 0 && !mqueue &&
      static_cast<uint64_t>(st.st_size) <= image::kMaxMadeFileSize &&
      static_cast<uint64_t>(st.st_size) <= g.cfg.tmp_file_max &&
      image::NodeLocalPath(g_paths + g_paths_used, static_cast<size_t>(n)))
    RecordContents(st, &e);
  e.path_off = static_cast<uint32_t>(g_paths_used);
  e.info.path_len = static_cast<uint32_t>(n);
  g_paths_used += static_cast<size_t>(n) + 1;
  const auto anon = AnonKind(g_paths + e.path_off);
  RefuseUnsupported(fd, e, g_paths + e.path_off, anon);
  if (anon != image::FdKind::kOther) {
    e.info.kind = static_cast<uint32_t>(anon);
    e.fdinfo_off = static_cast<uint32_t>(g_paths_used);
    const size_t room = kPathPool - g_paths_used;
    const size_t len = ReadFdinfo(fd, g_paths + g_paths_used, room);
    if (len + 1 >= room) PathPoolFull();
    g_paths_used += len + 1;
    if (anon == image::FdKind::kPidfd) RecordPidfd(fd, &e);
  }
  ++g_num_fds;
}

}  // namespace

const char* RecordFdsError() { return g_record_error; }

bool RecordFds(const int* skip, int nskip) {
  g_room.used = 0;
  BeginPeekedDatagrams();
  if (!Reserve(0)) {
    StrCopy(g_record_error, sizeof g_record_error, "no memory for the checkpoint's buffers");
    return false;
  }
  g_record_error[0] = 0;
  g_num_fds = 0;
  g_num_locks = 0;
  g_paths_used = 0;
  uint64_t over = 0;  // descriptors past kMaxFds
  const bool listed = ForEachNumericEntry("/proc/self/fd", [&](long n, int dir) {
    const int fd = static_cast<int>(n);
    bool skipped = fd == dir || fd == g.coord_fd || fd == PidTableFd() || fd == g.task_dir_fd ||
                   fd == WriteTrackingFd();
    for (int i = 0; i < nskip; ++i) skipped |= fd == skip[i];
    if (skipped) return;
    if (g_num_fds < kMaxFds)
      RecordOne(fd);
    else
      ++over;
  });
  if (over && !g_record_error[0]) {
    char num[24];
    FormatUint(num, sizeof num, static_cast<uint64_t>(kMaxFds) + over);
    StrCopy(g_record_error, sizeof g_record_error, "the process has ");
    StrCat(g_record_error, sizeof g_record_error, num);
    StrCat(g_record_error, sizeof g_record_error, " descriptors; a checkpoint keeps at most ");
    FormatUint(num, sizeof num, static_cast<uint64_t>(kMaxFds));
    StrCat(g_record_error, sizeof g_record_error, num);
  }
  ReleaseUnixPeers();  // not into the image
  ReadPendingContents();
  if (listed) RecordSharing();
  return listed && !g_record_error[0];
}

void FdDataRange(uint64_t* start, uint64_t* end) {
  *start = reinterpret_cast<uint64_t>(g_room.base);
  *end = g_room.base ? *start + g_room.cap : 0;
}

char* FdDataBuffer(size_t* cap) {
  *cap = g_room.cap;
  return g_room.base;
}

void ReleaseFdData() {
  if (g_room.base)
    RawSyscall(SYS_munmap, reinterpret_cast<long>(g_room.base), static_cast<long>(g_room.cap));
  g_room = GrowingRoom{};
}

int RecordedFdCount() { return g_num_fds; }

int FileReadableWithoutClose(uint64_t dev, uint64_t inode, bool* posix_locked) {
  *posix_locked = false;
  int readable = -1;
  for (int i = 0; i < g_num_fds; ++i) {
    const FdEntry& e = g_fds[i];
    if (e.info.dev != dev || e.info.inode != inode) continue;
    *posix_locked = *posix_locked || HoldsPosixLock(e);
    if (readable < 0) readable = static_cast<int>(ReadableFd(e));
  }
  return readable;
}

int WriteLeaseFd(uint64_t dev, uint64_t inode) {
  for (int i = 0; i < g_num_fds; ++i) {
    const FdEntry& e = g_fds[i];
    if (e.info.dev != dev || e.info.inode != inode) continue;
    for (int k = 0; k < e.num_locks; ++k) {
      const HeldLock& l = g_locks[e.first_lock + k];
      if (l.kind == kLease && l.write) return e.info.fd;
    }
  }
  return -1;
}

const image::FdInfo* RecordedFd(int i, const char** path) {
  if (i < 0 || i >= g_num_fds) return nullptr;
  *path = g_paths + g_fds[i].path_off;
  return &g_fds[i].info;
}

bool WriteFdRecords(image::ImageWriter& w) {
  for (int i = 0; i < g_num_fds; ++i) {
    const FdEntry& e = g_fds[i];
    const char* data = e.data_ptr ? e.data_ptr : g_room.base + e.data_off;
    if (!w.WriteRecord(image::RecordType::kFd, &e.info, sizeof e.info, g_paths + e.path_off,
                       e.info.path_len, data, e.info.data_len))
      return false;
    if (!e.large_len) continue;
    // Every page (the reader checks that all are there), from memory that
    // holds whole pages: the room and the TCP drain both do.
    const image::FdDataInfo d{e.info.fd, 0, e.large_len};
    if (!w.WriteRecord(image::RecordType::kFdData, &d, sizeof d) ||
        !w.WriteData(0, data, (e.large_len + 4095) & ~uint64_t{4095}) || !w.Drain())
      return false;
  }
  return true;
}

bool RestoreFds() {
  g_room = GrowingRoom{};  // the image held its address, not its memory
  ForgetPeekedDatagrams();
  for (int i = 0; i < g_num_fds; ++i) {
    const FdEntry& e = g_fds[i];
    const auto kind = static_cast<image::FdKind>(e.info.kind);
    if ((kind >= image::FdKind::kSignalfd && kind <= image::FdKind::kEpoll) ||
        kind == image::FdKind::kPidfd) {
      long nfd = RemakeKernelObject(e);
      if (nfd < 0) {
        Log("restart: cannot re-make a signalfd/eventfd/timerfd/epoll/pidfd descriptor");
        continue;
      }
      if (nfd != e.info.fd) {
        RawSyscall(SYS_dup3, nfd, e.info.fd, (e.info.fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0);
        RawSyscall(SYS_close, nfd);
      }
      continue;
    }
    if (kind == image::FdKind::kMqueue) {
      ReopenMessageQueue(e.info.fd, g_paths + e.path_off, e.info.status_flags, e.info.fd_flags,
                         e.info.mode, e.mq_maxmsg, e.mq_msgsize);
      continue;
    }
    if (!Reopenable(kind) || e.info.share_pid != 0) {
      // Placed by dmtcp_restart (pipes, shared files) or given by the restart command
      // (0-2): give back the program's close-on-exec flag.
      if (e.info.fd > 2 && (e.info.fd_flags & FD_CLOEXEC))
        RawSyscall(SYS_fcntl, e.info.fd, F_SETFD, FD_CLOEXEC);
      if (e.seals && RawSyscall(SYS_fcntl, e.info.fd, F_ADD_SEALS, e.seals) != 0)
        Log("restart: the seals of memfd ", g_paths + e.path_off, " could not be added again");
      continue;
    }
    const char* path = g_paths + e.path_off;
    long flags = (e.info.status_flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOCTTY;
    if (kind == image::FdKind::kDirectory) flags = O_RDONLY | O_DIRECTORY;
    // A file opened for writing that was removed since the checkpoint is
    // made again (empty up to the offset), with its mode, as DMTCP does.
    if ((flags & O_ACCMODE) != O_RDONLY && kind == image::FdKind::kRegular) flags |= O_CREAT;
    char proc[4096];
    const char* kernel_path = KernelProcPath(path, proc, sizeof proc);
    long tmp = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(kernel_path), flags,
                          e.info.mode & 07777);
    if (tmp < 0) Fatal("cannot reopen ", path, " at restart");
    if (tmp != e.info.fd) {
      long flags3 = (e.info.fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0;
      if (RawSyscall(SYS_dup3, tmp, e.info.fd, flags3) < 0)
        Fatal("cannot restore a descriptor for ", path);
      RawSyscall(SYS_close, tmp);
    } else if (e.info.fd_flags & FD_CLOEXEC) {
      RawSyscall(SYS_fcntl, tmp, F_SETFD, FD_CLOEXEC);
    }
    if (kind == image::FdKind::kRegular || kind == image::FdKind::kDirectory)
      RawSyscall(SYS_lseek, e.info.fd, e.info.offset, SEEK_SET);
  }
  // Locks last: shared descriptions are in place now too.
  for (int i = 0; i < g_num_fds; ++i) {
    const FdEntry& e = g_fds[i];
    if (e.num_locks && !RetakeLocks(e.info.fd, g_locks + e.first_lock, e.num_locks))
      Fatal("restart: another process holds a lock on ", g_paths + e.path_off,
            " that the program held at the checkpoint");
  }
  // Epoll sets last: what they watch must exist again first.
  for (int i = 0; i < g_num_fds; ++i)
    if (static_cast<image::FdKind>(g_fds[i].info.kind) == image::FdKind::kEpoll)
      RefillEpoll(g_fds[i]);
  return true;
}

namespace {

// Built in, on the plugin interface: files come back first at restart
// (restart events go to built-ins before user plugins).
void FilesEventHook(const DmtcpEvent_t event, DmtcpEventData_t* data) {
  switch (event) {
    case DMTCP_EVENT_DRAIN:  // before the pipes' election barrier ends the claims
      ClaimFileDescriptions();
      ClaimSavedFolders();
      break;
    case DMTCP_EVENT_PRECHECKPOINT:
      ElectSavedFolders();
      MarkSharedFileDescriptions();
      if (!g.cfg.no_coordinator) CoordBarrier(proto::kBarrierFilesMarked);
      break;
    case DMTCP_EVENT_RESTART:
      RestoreFds();
      break;
    case DMTCP_EVENT_REFILL:  // every image is written
      if (!(data && data->refillInfo.isRestart)) ReleaseFileDescriptions();
      break;
    default:
      break;
  }
}

}  // namespace

void RegisterFilesPlugin() {
  DmtcpPluginDescriptor_t d = {
      DMTCP_PLUGIN_API_VERSION,          DMTCP_PACKAGE_VERSION, "files", "dmtcp-ng", "",
      "open files: reopened at restart", FilesEventHook};
  RegisterBuiltin(d);
}

}  // namespace dmtcp::rt
