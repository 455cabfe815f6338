// POSIX message queues. The kernel has no way to read a queue's messages
// and leave them there, so the process that saves a queue receives them all
// and sends them back at once, in the order received and with their
// priorities: that is the order the queue had (highest priority first, in
// order of arrival within one). The computation's own senders and receivers
// are stopped; only a process outside it could come between, and that fails
// the checkpoint.
//
// One process saves each queue: among the processes holding it, the one
// whose claim stands (a process registered for its notification claims
// first: the put-back would fire a registration of another process).
//
// A registration (mq_notify) belongs to a process and ends when that
// process closes any descriptor of the queue, so the runtime's own
// descriptors end it too: the wrapper keeps the program's sigevent and the
// runtime registers it again wherever it was in place.
#include "posix_mqueues.h"

#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "plugins.h"
#include "proc_dir.h"
#include "runtime.h"
#include "sockets.h"

namespace dmtcp::rt {
namespace {

constexpr long kMqueueMagic = 0x19800202;
constexpr int kMaxQueues = 256;  // the kernel's default queues_max
constexpr int kMaxRegistrations = 64;

struct KernelAttr {  // struct mq_attr, as the system call takes it
  long flags, maxmsg, msgsize, curmsgs, reserved[4];
};

struct SavedQueue {
  uint64_t inode;
  char name[256];   // "/name"
  uint64_t offset;  // of its messages in the area: per message uint32 priority, uint32 length,
  uint64_t len;     // the bytes, padded to 8
  bool reregister;  // this process's notification was in place
};

// One mapping, saved with the image, unmapped after the checkpoint or after
// the refill at restart: the table, then the messages.
struct SavedArea {
  uint64_t bytes;
  int count;
  SavedQueue* queues;
  char* data;
  uint64_t used, cap;
};
SavedArea g_area;

struct Registration {
  bool used;
  bool active;  // in place at the checkpoint
  uint64_t inode;
  int fd;
  struct sigevent ev;
};
Registration g_regs[kMaxRegistrations];
bool g_regs_overflow;
std::atomic_flag g_lock = ATOMIC_FLAG_INIT;

struct Guard {
  Guard() {
    while (g_lock.test_and_set(std::memory_order_acquire)) {
    }
  }
  ~Guard() { g_lock.clear(std::memory_order_release); }
};

uint64_t InodeOf(int fd) {
  struct stat st;
  return RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) == 0 ? st.st_ino : 0;
}

Registration* FindRegistration(uint64_t inode) {
  for (auto& r : g_regs)
    if (r.used && r.inode == inode) return &r;
  return nullptr;
}

template <typename Fn>
void ForEachQueue(Fn fn) {
  ForEachNumericEntry("/proc/self/fd", [&](long n, int dir) {
    const int fd = static_cast<int>(n);
    if (fd == dir || fd == g.coord_fd || !IsMessageQueue(fd)) return;
    fn(fd, InodeOf(fd));
  });
}

long GetAttr(int fd, KernelAttr* a) {
  return RawSyscall(SYS_mq_getsetattr, fd, 0, reinterpret_cast<long>(a));
}

// The pid registered for the queue's notification (0: none), from the text
// a read of the queue gives ("QSIZE:... NOTIFY:... SIGNO:... NOTIFY_PID:n").
long NotifyPid(int rd) {
  char text[160];
  const long n = RawSyscall(SYS_pread64, rd, reinterpret_cast<long>(text), sizeof text - 1, 0);
  if (n <= 0) return 0;
  text[n] = 0;
  for (const char* p = text; *p; ++p) {
    if (!StartsWith(p, "NOTIFY_PID:")) continue;
    p += 11;
    while (*p == ' ') ++p;
    long pid = 0;
    while (*p >= '0' && *p <= '9') pid = pid * 10 + (*p++ - '0');
    return pid;
  }
  return 0;
}

int ReopenOwn(int fd, int flags) {
  char path[32] = "/proc/self/fd/";
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
  StrCat(path, sizeof path, num);
  return static_cast<int>(
      RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), flags | O_CLOEXEC));
}

void Unmap() {
  if (g_area.queues)
    RawSyscall(SYS_munmap, reinterpret_cast<long>(g_area.queues), static_cast<long>(g_area.bytes));
  g_area = SavedArea{};
}

void QueueFailed(const char* name, const char* why) {
  CheckpointFailed("POSIX message queue ", name, why);
}

void ClaimQueues() {
  uint64_t seen[kMaxQueues];
  int n = 0;
  ForEachQueue([&](int, uint64_t inode) {
    for (int i = 0; i < n; ++i)
      if (seen[i] == inode) return;
    if (n < kMaxQueues) seen[n++] = inode;
    ClaimSharedSocket("mq", inode);
    if (FindRegistration(inode)) ClaimSharedSocket("mqn", inode);
  });
}

bool QueueIsOurs(uint64_t inode) {
  if (g.cfg.no_coordinator) return true;
  if (SharedSocketClaimed("mqn", inode)) return SharedSocketIsOurs("mqn", inode);
  return SharedSocketIsOurs("mq", inode);
}

// Takes the messages of queue fd into the area and puts them back.
void SaveQueue(int fd, uint64_t inode, const char* name) {
  SavedQueue& q = g_area.queues[g_area.count];
  q = SavedQueue{};
  q.inode = inode;
  StrCopy(q.name, sizeof q.name, name);
  q.offset = g_area.used;
  const int rd = ReopenOwn(fd, O_RDONLY | O_NONBLOCK);
  const int wr = ReopenOwn(fd, O_WRONLY | O_NONBLOCK);
  KernelAttr a{};
  if (rd < 0 || wr < 0 || GetAttr(rd, &a) != 0) {
    if (rd >= 0) RawSyscall(SYS_close, rd);
    if (wr >= 0) RawSyscall(SYS_close, wr);
    QueueFailed(name, ": cannot be opened to read and write its messages");
    return;
  }
  const long me = RawSyscall(SYS_getpid);
  const long notify = NotifyPid(rd);
  Registration* reg = FindRegistration(inode);
  if (notify == me && reg) reg->active = true;
  if (reg && reg->active && reg->ev.sigev_notify == SIGEV_THREAD)
    QueueFailed(name,
                ": its notification runs a thread (mq_notify with SIGEV_THREAD): not supported");
  if (a.curmsgs > 0 && notify != 0) {
    if (notify != me || !reg) {
      QueueFailed(name,
                  ": a process waits for its notification (mq_notify) while messages are "
                  "queued; a checkpoint would set it off");
    } else {
      RawSyscall(SYS_mq_notify, rd, 0);  // registered again below
    }
  }
  const uint64_t per = 8 + ((static_cast<uint64_t>(a.msgsize) + 7) & ~uint64_t{7});
  long got = 0;
  while (!g.ckpt_error[0] && got < a.curmsgs) {
    if (g_area.used + per > g_area.cap) {
      QueueFailed(name, ": holds more messages than its limit allowed room for");
      break;
    }
    char* rec = g_area.data + g_area.used;
    unsigned prio = 0;
    const long len = RawSyscall(SYS_mq_timedreceive, rd, reinterpret_cast<long>(rec + 8), a.msgsize,
                                reinterpret_cast<long>(&prio), 0);
    if (len < 0) break;  // empty (EAGAIN)
    const uint32_t head[2] = {prio, static_cast<uint32_t>(len)};
    __builtin_memcpy(rec, head, sizeof head);
    g_area.used += 8 + ((static_cast<uint64_t>(len) + 7) & ~uint64_t{7});
    ++got;
  }
  for (uint64_t off = q.offset; off < g_area.used;) {
    uint32_t head[2];
    __builtin_memcpy(head, g_area.data + off, sizeof head);
    if (RawSyscall(SYS_mq_timedsend, wr, reinterpret_cast<long>(g_area.data + off + 8), head[1],
                   head[0], 0) != 0) {
      Log("checkpoint: a message could not be put back into POSIX message queue ", name);
      QueueFailed(name, ": a process outside the computation sent to it during the checkpoint");
      break;
    }
    off += 8 + ((uint64_t{head[1]} + 7) & ~uint64_t{7});
  }
  q.len = g_area.used - q.offset;
  ++g_area.count;
  RawSyscall(SYS_close, rd);
  RawSyscall(SYS_close, wr);
  // Closing a descriptor of the queue ended this process's registration.
  if (reg && reg->active) RawSyscall(SYS_mq_notify, fd, reinterpret_cast<long>(&reg->ev));
}

void SaveQueues() {
  Unmap();
  for (auto& r : g_regs) r.active = false;
  if (g_regs_overflow) {
    CheckpointFailed(
        "the program registered for notifications of more POSIX message queues "
        "than the runtime keeps");
    return;
  }
  // Room: every queue at its limit.
  uint64_t need = 0;
  int queues = 0;
  ForEachQueue([&](int fd, uint64_t) {
    KernelAttr a{};
    if (GetAttr(fd, &a) != 0) return;
    need += static_cast<uint64_t>(a.maxmsg) * (8 + ((static_cast<uint64_t>(a.msgsize) + 7) & ~7u));
    ++queues;
  });
  if (!queues) return;
  if (queues > kMaxQueues) {
    CheckpointFailed("the process holds more POSIX message queues than a checkpoint keeps");
    return;
  }
  const uint64_t table = (sizeof(SavedQueue) * kMaxQueues + 4095) & ~uint64_t{4095};
  const uint64_t bytes = table + ((need + 4095) & ~uint64_t{4095});
  const long p = RawSyscall(SYS_mmap, 0, static_cast<long>(bytes), PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p < 0 && p > -4096) {
    CheckpointFailed("no memory to save the messages of its POSIX message queues");
    return;
  }
  g_area.bytes = bytes;
  g_area.queues = reinterpret_cast<SavedQueue*>(p);
  g_area.data = reinterpret_cast<char*>(p) + table;
  g_area.cap = bytes - table;
  ForEachQueue([&](int fd, uint64_t inode) {
    if (g.ckpt_error[0] || g_area.count >= kMaxQueues) return;
    for (int i = 0; i < g_area.count; ++i)
      if (g_area.queues[i].inode == inode) return;
    if (!QueueIsOurs(inode)) return;
    char link[32] = "/proc/self/fd/", num[16], name[300];
    FormatUint(num, sizeof num, static_cast<uint64_t>(fd));
    StrCat(link, sizeof link, num);
    long n = RawSyscall(SYS_readlink, reinterpret_cast<long>(link), reinterpret_cast<long>(name),
                        sizeof name - 1);
    name[n > 0 ? n : 0] = 0;
    SaveQueue(fd, inode, name);
  });
  // Registrations of queues another process saves are still in place (nothing of ours closed).
  ForEachQueue([&](int fd, uint64_t inode) {
    Registration* reg = FindRegistration(inode);
    if (!reg || reg->active) return;
    const int rd = ReopenOwn(fd, O_RDONLY | O_NONBLOCK);
    if (rd < 0) return;
    const bool mine = NotifyPid(rd) == RawSyscall(SYS_getpid);
    RawSyscall(SYS_close, rd);
    if (!mine) return;
    reg->active = true;
    RawSyscall(SYS_mq_notify, fd, reinterpret_cast<long>(&reg->ev));
  });
}

// Restart: each saved queue emptied of what it holds now (a queue kept on
// the node since the checkpoint has gone on) and given its messages back.
void RefillAfterRestart() {
  for (int i = 0; i < g_area.count; ++i) {
    const SavedQueue& q = g_area.queues[i];
    const long fd = RawSyscall(SYS_mq_open, reinterpret_cast<long>(q.name + 1),
                               O_RDWR | O_NONBLOCK | O_CLOEXEC, 0, 0);
    if (fd < 0) Fatal("restart: cannot open POSIX message queue ", q.name, " to refill it");
    KernelAttr a{};
    GetAttr(static_cast<int>(fd), &a);
    const long room = (a.msgsize + 4095) & ~4095L;
    const long discard =
        RawSyscall(SYS_mmap, 0, room, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (discard < 0 && discard > -4096) Fatal("restart: no memory to empty a message queue");
    while (RawSyscall(SYS_mq_timedreceive, fd, discard, a.msgsize, 0, 0) >= 0) {
    }
    RawSyscall(SYS_munmap, discard, room);
    for (uint64_t off = q.offset; off < q.offset + q.len;) {
      uint32_t head[2];
      __builtin_memcpy(head, g_area.data + off, sizeof head);
      if (RawSyscall(SYS_mq_timedsend, fd, reinterpret_cast<long>(g_area.data + off + 8), head[1],
                     head[0], 0) != 0)
        Fatal("restart: POSIX message queue ", q.name, " cannot hold its messages again");
      off += 8 + ((uint64_t{head[1]} + 7) & ~uint64_t{7});
    }
    RawSyscall(SYS_close, fd);
  }
}

void RegisterAgain() {
  for (auto& r : g_regs)
    if (r.used && r.active && RawSyscall(SYS_mq_notify, r.fd, reinterpret_cast<long>(&r.ev)) != 0)
      Log("restart: a notification of a POSIX message queue could not be registered again");
}

void MqueuesEventHook(const DmtcpEvent_t event, DmtcpEventData_t* data) {
  const bool restart = data && data->refillInfo.isRestart;
  switch (event) {
    case DMTCP_EVENT_DRAIN:  // before the pipes' election barrier ends the claims
      ClaimQueues();
      break;
    case DMTCP_EVENT_PRECHECKPOINT:
      SaveQueues();
      break;
    case DMTCP_EVENT_REFILL:
      if (restart) RefillAfterRestart();
      Unmap();
      break;
    case DMTCP_EVENT_THREADS_RESUME:
      if (restart) RegisterAgain();
      break;
    default:
      break;
  }
}

}  // namespace

bool IsMessageQueue(int fd) {
  struct statfs fs;
  return RawSyscall(SYS_fstatfs, fd, reinterpret_cast<long>(&fs)) == 0 && fs.f_type == kMqueueMagic;
}

bool MessageQueueLimits(int fd, int64_t* maxmsg, int64_t* msgsize) {
  KernelAttr a{};
  if (!IsMessageQueue(fd) || GetAttr(fd, &a) != 0) return false;
  *maxmsg = a.maxmsg;
  *msgsize = a.msgsize;
  return true;
}

void ReopenMessageQueue(int fd, const char* name, int status_flags, int fd_flags, uint32_t mode,
                        int64_t maxmsg, int64_t msgsize) {
  KernelAttr want{};
  want.maxmsg = maxmsg;
  want.msgsize = msgsize;
  const long flags = (status_flags & (O_ACCMODE | O_NONBLOCK)) | O_CREAT | O_CLOEXEC;
  long q = RawSyscall(SYS_mq_open, reinterpret_cast<long>(name + 1), flags, mode & 0777,
                      reinterpret_cast<long>(&want));
  if (q == -EINVAL || q == -EMFILE || q == -ENOMEM)
    Fatal("restart: cannot make POSIX message queue ", name,
          " again with its limits (see /proc/sys/fs/mqueue and ulimit -q)");
  if (q < 0) Fatal("restart: cannot open POSIX message queue ", name);
  KernelAttr a{};
  GetAttr(static_cast<int>(q), &a);
  if (a.maxmsg != maxmsg || a.msgsize != msgsize)
    Fatal("restart: POSIX message queue ", name,
          " exists with other limits than it had at the checkpoint (remove it: mq_unlink)");
  if (q != fd) {
    if (RawSyscall(SYS_dup3, q, fd, (fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
      Fatal("restart: cannot restore the descriptor of POSIX message queue ", name);
    RawSyscall(SYS_close, q);
  } else if (!(fd_flags & FD_CLOEXEC)) {
    RawSyscall(SYS_fcntl, q, F_SETFD, 0);
  }
}

void RegisterMessageQueuesPlugin() {
  DmtcpPluginDescriptor_t d = {DMTCP_PLUGIN_API_VERSION,
                               DMTCP_PACKAGE_VERSION,
                               "mqueues",
                               "dmtcp-ng",
                               "",
                               "POSIX message queues: messages saved, refilled at restart",
                               MqueuesEventHook};
  RegisterBuiltin(d);
}

}  // namespace dmtcp::rt

using namespace dmtcp::rt;

// Kept so the runtime can register it again: see the top of this file.
extern "C" int mq_notify(mqd_t q, const struct sigevent* ev) {
  static auto real = Next<int (*)(mqd_t, const struct sigevent*)>("mq_notify");
  const int r = real(q, ev);
  if (r != 0) return r;
  const uint64_t inode = InodeOf(q);
  Guard guard;
  Registration* reg = FindRegistration(inode);
  if (!ev) {
    if (reg) reg->used = false;
    return 0;
  }
  if (!reg)
    for (auto& s : g_regs)
      if (!s.used) {
        reg = &s;
        break;
      }
  if (!reg) {
    g_regs_overflow = true;
    return 0;
  }
  *reg = Registration{true, false, inode, q, *ev};
  return 0;
}
