// The runtime's connection to the coordinator. The socket lives at a high
// descriptor number so the program does not see or reuse it.
#include <fcntl.h>
#include <linux/futex.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "environment.h"
#include "io.h"
#include "pids.h"
#include "process_identity.h"
#include "protocol.h"
#include "runtime.h"

namespace dmtcp::rt {
int ProtectedFdBase() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 64) return 3;
  rlim_t top = rl.rlim_cur > 4096 ? 4096 : rl.rlim_cur;
  return static_cast<int>(top) - 24;
}

namespace {

sockaddr_storage g_addr;
socklen_t g_addr_len;
// Who this process is, read where the program is not running: a join from
// the checkpoint thread, beside the running program, must not open a file
// (it would take the lowest free number for a moment: the program's
// close(0); open() would get another one, its dup2 onto it EBUSY).
proto::ProcessIdentity g_self;

// The handshake, bounded: a peer that never answers must not hang the
// program (this runs at its start and in its threads' API calls).
io::Handshake Handshake(int fd, proto::Hello* hello, proto::HelloReply* reply) {
  timeval limit = {30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  io::Handshake r = io::ClientHandshake(fd, g.cfg.secret, hello, reply);
  timeval none = {0, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  return r;
}

bool Resolve() {
  addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  char port[16];
  FormatUint(port, sizeof port, static_cast<uint64_t>(g.cfg.coord_port));
  addrinfo* res = nullptr;
  if (getaddrinfo(g.cfg.coord_host, port, &hints, &res) != 0 || !res) return false;
  memcpy(&g_addr, res->ai_addr, res->ai_addrlen);
  g_addr_len = res->ai_addrlen;
  freeaddrinfo(res);
  return true;
}

}  // namespace

namespace {

int ConnectedSocket() {
  int s = socket(g_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  if (connect(s, reinterpret_cast<sockaddr*>(&g_addr), g_addr_len) != 0) {
    close(s);
    return -1;
  }
  return s;
}

// Puts s where the runtime's descriptors live, above any the program has
// (a restored g.coord_fd names nothing in a new process: it is not reused).
bool InstallCoordSocket(int s) {
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int fd = fcntl(s, F_DUPFD_CLOEXEC, ProtectedFdBase());
  close(s);
  if (fd < 0) return false;
  g.coord_fd = fd;
  return true;
}

// What the coordinator last refused us with: a process that retries logs
// each reason once, not every second.
int g_last_failure = 0;

bool LogFailureOnce(int kind, const char* what, const char* detail = "") {
  if (kind != g_last_failure) Log(what, detail);
  g_last_failure = kind;
  return false;
}

bool SayHello(CoordJoin kind) {
  proto::Hello hello;
  memset(&hello, 0, sizeof hello);
  hello.role = static_cast<uint32_t>(proto::Role::kWorker);
  hello.restarting = kind == CoordJoin::kRestart ? 1 : 0;
  StrCopy(hello.hostname, sizeof hello.hostname, g.hostname);
  StrCopy(hello.program, sizeof hello.program, g.program);
  StrCopy(hello.unique_id, sizeof hello.unique_id, g.unique_id);
  hello.pid = MyVirtualPid();
  hello.ppid = VirtualPid(static_cast<pid_t>(RawSyscall(SYS_getppid)));
  hello.generation = g.generation;
  hello.features = proto::kFeatureRefillBarrier | proto::kFeatureCheckpointOrder;
  if (g.cfg.forked_checkpoint) hello.features |= proto::kFeatureResumeFirst;
  // A process of a running computation names it, so that a coordinator
  // started again takes the computation back (its number, its generation).
  hello.computation_id = g.computation_id;
  if (kind == CoordJoin::kRestart) hello.restart_peers = g.num_peers;
  if (kind == CoordJoin::kRejoin) {
    hello.features |= proto::kFeatureRejoin;
    hello.restart_peers = g.num_peers;  // checkpoints wait for as many
  }
  hello.self = g_self;
  static proto::HelloReply reply;
  switch (Handshake(g.coord_fd, &hello, &reply)) {
    case io::Handshake::kOk:
      break;
    case io::Handshake::kLost:
      return LogFailureOnce(1,
                            "no handshake with the coordinator (closed, timed out, or not a "
                            "coordinator)");
    case io::Handshake::kRefused:
      return LogFailureOnce(2, "the coordinator refused us: ", reply.message);
    case io::Handshake::kForged:
      return LogFailureOnce(3,
                            "the process at the coordinator's address does not know its "
                            "secret: not joining it");
  }
  g_last_failure = 0;
  if (kind == CoordJoin::kLaunch) g.computation_id = reply.computation_id;
  RememberCoordinatorForEnvironment();
  return true;
}

}  // namespace

void ReadOwnIdentity() { ident::Read(0, &g_self); }

namespace {

// A rejoin connects the socket it has again (AF_UNSPEC ends the old
// connection), for the same reason as g_self: no new descriptor beside the
// running program. Bounded, so a lost host does not hold the loop.
bool ReconnectInPlace() {
  const int fd = g.coord_fd;
  sockaddr unspec;
  memset(&unspec, 0, sizeof unspec);
  unspec.sa_family = AF_UNSPEC;
  RawSyscall(SYS_connect, fd, reinterpret_cast<long>(&unspec), sizeof unspec);
  const long flags = RawSyscall(SYS_fcntl, fd, F_GETFL);
  if (flags < 0) return false;
  RawSyscall(SYS_fcntl, fd, F_SETFL, flags | O_NONBLOCK);
  long r = RawSyscall(SYS_connect, fd, reinterpret_cast<long>(&g_addr), g_addr_len);
  if (r == -EINPROGRESS) {
    pollfd p = {fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    r = RawSyscall(SYS_poll, reinterpret_cast<long>(&p), 1, 5000) == 1 &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0
            ? 0
            : -1;
  }
  RawSyscall(SYS_fcntl, fd, F_SETFL, flags & ~O_NONBLOCK);
  if (r != 0) return false;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return true;
}

}  // namespace

bool CoordConnect(CoordJoin kind) {
  if (kind == CoordJoin::kRejoin && g.coord_fd >= 0) {
    if (!ReconnectInPlace()) return false;
    return SayHello(kind);
  }
  if (kind != CoordJoin::kRejoin) ReadOwnIdentity();
  if (kind == CoordJoin::kRestart) {
    memcpy(&g_addr, &g.restart.coord_addr, sizeof g_addr);
    g_addr_len = g.restart.coord_addr_len;
    StrCopy(g.cfg.coord_host, sizeof g.cfg.coord_host, g.restart.coord_host);
    g.cfg.coord_port = g.restart.coord_port;
    StrCopy(g.cfg.secret, sizeof g.cfg.secret, g.restart.secret);
  } else if (kind == CoordJoin::kLaunch && !Resolve()) {
    return false;
  }
  if (g_addr_len == 0) return false;
  int s = ConnectedSocket();
  if (s < 0) return g.coord_lost ? false : LogFailureOnce(4, "cannot connect to the coordinator");
  if (!InstallCoordSocket(s)) return false;
  return SayHello(kind);
}

// A page shared by a forking parent and its child for the length of one
// fork: the child says there that it has connected.
struct ForkHandoff {
  uint32_t connected;  // a futex word
};

namespace {

int ConnectionForChild() {
  if (!g_addr_len) return -1;
  // A socket even when the connection fails at once (the coordinator is
  // gone): the child's rejoin connects it again where it is.
  int s = static_cast<int>(
      RawSyscall(SYS_socket, g_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (s < 0) return -1;
  RawSyscall(SYS_connect, s, reinterpret_cast<long>(&g_addr), g_addr_len);
  int fd = static_cast<int>(RawSyscall(SYS_fcntl, s, F_DUPFD_CLOEXEC, ProtectedFdBase() + 8));
  RawSyscall(SYS_close, s);
  return fd < 0 ? -1 : fd;
}

}  // namespace

ForkHandoff* ForkHandoffBegin() {
  // mmap, not a descriptor: the program's other threads run meanwhile.
  long p = RawSyscall(SYS_mmap, 0, sizeof(ForkHandoff), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return p < 0 && p > -4096 ? nullptr : reinterpret_cast<ForkHandoff*>(p);
}

void ForkHandoffWait(ForkHandoff* h) {
  if (!h) return;
  // Bounded: a child stopped or killed before its handler ran must not
  // hold the parent's fork() for long.
  const long deadline = MonotonicMs() + 2000;
  while (!__atomic_load_n(&h->connected, __ATOMIC_ACQUIRE)) {
    const long left = deadline - MonotonicMs();
    if (left <= 0) break;
    struct timespec ts = {left / 1000, (left % 1000) * 1000000};
    RawSyscall(SYS_futex, reinterpret_cast<long>(&h->connected), FUTEX_WAIT, 0,
               reinterpret_cast<long>(&ts));
  }
  RawSyscall(SYS_munmap, reinterpret_cast<long>(h), sizeof(ForkHandoff));
}

int ForkHandoffConnect(ForkHandoff* h, bool connect) {
  const int fd = connect ? ConnectionForChild() : -1;
  if (h) {
    __atomic_store_n(&h->connected, 1, __ATOMIC_RELEASE);
    RawSyscall(SYS_futex, reinterpret_cast<long>(&h->connected), FUTEX_WAKE, 1);
    RawSyscall(SYS_munmap, reinterpret_cast<long>(h), sizeof(ForkHandoff));
  }
  return fd;
}

bool CoordFinishJoin() {
  // The connection a fork began (non-blocking): complete it, then hello.
  pollfd p = {g.coord_fd, POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof err;
  if (RawSyscall(SYS_poll, reinterpret_cast<long>(&p), 1, 30000) != 1 ||
      getsockopt(g.coord_fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
    return g.coord_lost ? false : LogFailureOnce(4, "cannot connect to the coordinator");
  fcntl(g.coord_fd, F_SETFL, fcntl(g.coord_fd, F_GETFL) & ~O_NONBLOCK);
  int one = 1;
  setsockopt(g.coord_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return SayHello(CoordJoin::kForkChild);
}

namespace {

// A connection as a command client, for calls from the program's threads
// (the checkpoint thread's connection is not theirs to use).
int CommandConnection() {
  int s = socket(g_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  if (connect(s, reinterpret_cast<sockaddr*>(&g_addr), g_addr_len) != 0) {
    close(s);
    return -1;
  }
  proto::Hello hello;
  memset(&hello, 0, sizeof hello);
  hello.role = static_cast<uint32_t>(proto::Role::kCommand);
  StrCopy(hello.hostname, sizeof hello.hostname, g.hostname);
  StrCopy(hello.program, sizeof hello.program, g.program);
  hello.pid = getpid();
  proto::HelloReply reply;
  if (Handshake(s, &hello, &reply) != io::Handshake::kOk) {
    close(s);
    return -1;
  }
  return s;
}

bool Exchange(proto::MsgType send, const void* payload, uint32_t len, proto::MsgType expect,
              void* reply, size_t cap) {
  int s = CommandConnection();
  if (s < 0) return false;
  proto::MsgType type;
  bool ok =
      io::SendFrame(s, send, payload, len) && io::RecvFrame(s, &type, reply, cap) && type == expect;
  close(s);
  return ok;
}

}  // namespace

bool CoordCommand(char command, int arg, void* reply, size_t cap) {
  proto::Command cmd;
  memset(&cmd, 0, sizeof cmd);
  cmd.command = command;
  cmd.arg = arg;
  return Exchange(proto::MsgType::kCommand, &cmd, sizeof cmd, proto::MsgType::kCommandReply, reply,
                  cap);
}

bool CoordKvCommand(bool put, void* kv, size_t cap) {
  // A put is answered too on a command connection, so it is ordered.
  return Exchange(put ? proto::MsgType::kKvPut : proto::MsgType::kKvGet, kv,
                  sizeof(proto::KeyValue), proto::MsgType::kKvReply, kv, cap);
}

int CoordProgramBarrier(const char* name, uint32_t epoch) {
  proto::ProgramBarrier b;
  memset(&b, 0, sizeof b);
  StrCopy(b.name, sizeof b.name, name);
  StrCopy(b.unique_id, sizeof b.unique_id, g.unique_id);
  b.epoch = epoch;
  if (!Exchange(proto::MsgType::kProgramBarrier, &b, sizeof b, proto::MsgType::kProgramBarrier, &b,
                sizeof b))
    return -1;
  return b.released ? 1 : 0;
}

bool CoordSend(int type, const void* p, uint32_t len) {
  return io::SendFrame(g.coord_fd, static_cast<proto::MsgType>(type), p, len);
}

void CoordReportWriteProgress(uint64_t bytes) {
  if (g.cfg.no_coordinator || g.coord_fd < 0) return;
  proto::WriteProgress p;
  memset(&p, 0, sizeof p);
  p.bytes = bytes;
  p.generation = g.generation;
  CoordSend(static_cast<int>(proto::MsgType::kWriteProgress), &p, sizeof p);
}

bool CoordRecv(int* type, void* buf, uint32_t cap) {
  // Any message may arrive: receive into a buffer that fits them all.
  static char rx[proto::kMaxPayload];
  // The descriptor is looked up again for the body: the program may have
  // taken its number while this thread waited (dup2 moves ours, wrappers.cc);
  // the wait itself goes on on the socket.
  proto::FrameHeader h;
  if (!io::ReadAll(g.coord_fd, &h, sizeof h) || !proto::ValidHeader(h) || h.length > sizeof rx)
    return false;
  if (h.length && !io::ReadAll(g.coord_fd, rx, h.length)) return false;
  uint32_t n = h.length < cap ? h.length : cap;
  memcpy(buf, rx, n);
  if (n < cap) memset(static_cast<char*>(buf) + n, 0, cap - n);
  *type = static_cast<int>(h.type);
  return true;
}

void KilledByCoordinator() {
  // A distinct end (killed, not finished) so job scripts can tell.
  RawSyscall(62 /*kill*/, getpid(), SIGKILL);
  RawSyscall(231 /*exit_group*/, 137);
  __builtin_unreachable();
}

bool CoordBarrier(const char* name) { return CoordBarrierPolling(name, nullptr, nullptr, nullptr); }

bool CoordBarrierPolling(const char* name, int (*fill)(pollfd*), void (*ready)(), pollfd* fds,
                         int* commit, uint32_t* peers) {
  proto::Barrier b;
  memset(&b, 0, sizeof b);
  StrCopy(b.name, sizeof b.name, name);
  b.generation = g.generation;
  if (!CoordSend(static_cast<int>(proto::MsgType::kBarrier), &b, sizeof b)) return false;
  for (;;) {
    if (fill) {
      int n = fill(fds + 1);
      fds[0] = pollfd{g.coord_fd, POLLIN, 0};
      RawSyscall(SYS_poll, reinterpret_cast<long>(fds), n + 1, 100);
      ready();
      if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    }
    proto::Barrier r;
    int type;
    if (!CoordRecv(&type, &r, sizeof r)) return false;
    if (type == static_cast<int>(proto::MsgType::kBarrierRelease) &&
        strncmp(r.name, name, sizeof r.name) == 0) {
      if (commit) *commit = r.commit;
      if (peers) *peers = r.num_peers;
      return true;
    }
    if (type == static_cast<int>(proto::MsgType::kKill)) KilledByCoordinator();
  }
}

}  // namespace dmtcp::rt

namespace dmtcp::rt {

// The checkpoint thread's own key-value calls, on its worker connection:
// the coordinator answers them in order with everything else it sends.
bool CoordKvPut(const char* key, const void* value, uint32_t len) {
  static proto::KeyValue kv;
  memset(&kv, 0, sizeof kv);
  kv.key_len = static_cast<uint32_t>(StrLen(key));
  if (kv.key_len > sizeof kv.key || len > sizeof kv.value) return false;
  memcpy(kv.key, key, kv.key_len);
  memcpy(kv.value, value, len);
  kv.value_len = len;
  return CoordSend(static_cast<int>(proto::MsgType::kKvPut), &kv, sizeof kv);
}

long CoordKvGet(const char* key, void* value, uint32_t cap) {
  static proto::KeyValue kv;
  memset(&kv, 0, sizeof kv);
  kv.key_len = static_cast<uint32_t>(StrLen(key));
  if (kv.key_len > sizeof kv.key) return -1;
  memcpy(kv.key, key, kv.key_len);
  if (!CoordSend(static_cast<int>(proto::MsgType::kKvGet), &kv, sizeof kv)) return -1;
  for (;;) {
    int type;
    if (!CoordRecv(&type, &kv, sizeof kv)) return -1;
    if (type == static_cast<int>(proto::MsgType::kKill)) KilledByCoordinator();
    if (type != static_cast<int>(proto::MsgType::kKvReply)) continue;
    if (!kv.found) return -1;
    uint32_t n = kv.value_len < cap ? kv.value_len : cap;
    memcpy(value, kv.value, n);
    return n;
  }
}

}  // namespace dmtcp::rt
