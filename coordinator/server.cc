#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "frames.h"
#include "io.h"
#include "log.h"
#include "process_identity.h"
#include "restart_script.h"

namespace dmtcp::coord {
namespace {

using Clock = std::chrono::steady_clock;
using proto::MsgType;

// epoll tags: connection ids are 32-bit, the fixed sources live above them.
constexpr uint64_t kListenTag = 1ull << 32;
constexpr uint64_t kSignalTag = 2ull << 32;
constexpr uint64_t kTimerTag = 3ull << 32;
constexpr uint64_t kTickTag = 4ull << 32;
constexpr uint64_t kStdinTag = 5ull << 32;

constexpr size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerEvent = 4;  // then let other clients have their turn

bool AddFd(int ep, int fd, uint32_t events, uint64_t tag) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0;
}

const char kHelp[] =
    "Commands:\n"
    "  l : list the connected processes\n"
    "  s : print the status\n"
    "  c : checkpoint all processes\n"
    "  i N : set the checkpoint interval to N seconds (0 = none)\n"
    "  f : force a restart that waits for missing processes\n"
    "  k : kill all processes\n"
    "  q : kill all processes and quit\n"
    "  ? : this help\n";

}  // namespace

Server::Server(ServerOptions opts, Config config)
    : opts_(std::move(opts)), state_(std::move(config), *this) {}

Server::~Server() {
  for (auto& [id, c] : conns_) close(c->fd);
  for (int fd : {epoll_fd_, signal_fd_, timer_fd_, tick_fd_, reserve_fd_}) {
    if (fd >= 0) close(fd);
  }
}

bool Server::Setup() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    LogError("epoll_create1: %s", strerror(errno));
    return false;
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal_fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  tick_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  reserve_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (signal_fd_ < 0 || timer_fd_ < 0 || tick_fd_ < 0) {
    LogError("cannot create signal or timer descriptors: %s", strerror(errno));
    return false;
  }
  itimerspec tick{};
  tick.it_value.tv_sec = 1;
  tick.it_interval.tv_sec = 1;
  timerfd_settime(tick_fd_, 0, &tick, nullptr);
  if (!AddFd(epoll_fd_, opts_.listen_fd, EPOLLIN, kListenTag) ||
      !AddFd(epoll_fd_, signal_fd_, EPOLLIN, kSignalTag) ||
      !AddFd(epoll_fd_, timer_fd_, EPOLLIN, kTimerTag) ||
      !AddFd(epoll_fd_, tick_fd_, EPOLLIN, kTickTag)) {
    LogError("epoll_ctl: %s", strerror(errno));
    return false;
  }
  if (opts_.read_stdin) {
    // epoll refuses regular files and /dev/null: then there is nothing to read.
    stdin_open_ = AddFd(epoll_fd_, 0, EPOLLIN, kStdinTag);
    if (stdin_open_) {
      fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
      LogInfo("type '?' and Enter for help");
    }
  }
  return true;
}

bool Server::Run() {
  if (!Setup()) return false;
  state_.Start();
  epoll_event events[256];
  while (!exit_) {
    int n = epoll_wait(epoll_fd_, events, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      LogError("epoll_wait: %s", strerror(errno));
      return false;
    }
    for (int i = 0; i < n && !exit_; ++i) HandleEvent(events[i].data.u64, events[i].events);
    FlushDirty();
    ProcessCloses();
  }
  FinalFlush();
  if (stdin_open_) fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
  return true;
}

void Server::HandleEvent(uint64_t tag, uint32_t events) {
  switch (tag) {
    case kListenTag:
      Accept();
      return;
    case kSignalTag: {
      signalfd_siginfo si;
      if (read(signal_fd_, &si, sizeof si) == sizeof si) {
        LogInfo("signal %u: exiting", si.ssi_signo);
        exit_ = true;
      }
      return;
    }
    case kTimerTag: {
      uint64_t ticks;
      if (read(timer_fd_, &ticks, sizeof ticks) == sizeof ticks) state_.OnTimer();
      return;
    }
    case kTickTag: {
      uint64_t ticks;
      if (read(tick_fd_, &ticks, sizeof ticks) == sizeof ticks) {
        ExpireUnauthenticated();
        state_.OnTick();
      }
      return;
    }
    case kStdinTag:
      ReadStdin();
      return;
  }
  Conn* c = Find(static_cast<ClientId>(tag));
  if (!c || c->dead) return;
  if (events & EPOLLOUT) FlushConn(*c);
  if (!c->dead && !c->closing && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) ReadConn(*c);
  if (c->closing && !c->dead && (events & (EPOLLHUP | EPOLLERR))) MarkDead(*c);
}

void Server::Accept() {
  for (int i = 0; i < 64; ++i) {
    int fd = accept4(opts_.listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && reserve_fd_ >= 0) {
        // Out of descriptors: drop this client instead of spinning on it.
        LogError("out of file descriptors: refusing a connection");
        close(reserve_fd_);
        int drop = accept4(opts_.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (drop >= 0) close(drop);
        reserve_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) LogError("accept: %s", strerror(errno));
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // barriers are latency-bound
    while (next_id_ == kStdinClient || conns_.count(next_id_)) ++next_id_;
    const ClientId id = next_id_++;
    if (!AddFd(epoll_fd_, fd, EPOLLIN, id)) {
      LogError("epoll_ctl: %s", strerror(errno));
      close(fd);
      continue;
    }
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    c->id = id;
    c->events = EPOLLIN;
    proto::Challenge challenge;
    if (!io::RandomBytes(challenge.nonce, sizeof challenge.nonce)) {
      LogError("getrandom: %s: refusing a connection", strerror(errno));
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
      close(fd);
      continue;
    }
    memcpy(c->nonce, challenge.nonce, sizeof c->nonce);
    conns_[id] = std::move(c);
    auth_queue_.emplace_back(Clock::now() + opts_.auth_timeout, id);
    Send(id, MsgType::kChallenge, &challenge, sizeof challenge);
  }
}

void Server::ReadConn(Conn& c) {
  char buf[kReadChunk];
  for (int i = 0; i < kReadsPerEvent; ++i) {
    ssize_t r = read(c.fd, buf, sizeof buf);
    if (r > 0) {
      c.in.append(buf, static_cast<size_t>(r));
      if (!ParseFrames(c)) return;
      if (static_cast<size_t>(r) < sizeof buf) return;  // drained for now
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    MarkDead(c);  // EOF or error
    return;
  }
}

bool Server::ParseFrames(Conn& c) {
  for (;;) {
    const Frame f = ParseFrame(c.in.data() + c.in_off, c.in.size() - c.in_off, c.authed);
    if (f.status == FrameStatus::kNeedMore) break;
    if (f.status == FrameStatus::kBadMagic) {
      LogInfo("client %u sent garbage: closing it", c.id);
      MarkDead(c);
      return false;
    }
    if (f.status == FrameStatus::kBadVersion) {
      LogInfo("client %u speaks protocol version %u: closing it", c.id, f.version);
      if (!c.authed) {
        proto::HelloReply r{};
        r.status = static_cast<int32_t>(proto::HelloStatus::kBadVersion);
        r.client_id = c.id;
        snprintf(r.message, sizeof r.message,
                 "protocol version %u is not supported: this coordinator speaks version %u",
                 f.version, proto::kVersion);
        Send(c.id, MsgType::kHelloReply, &r, sizeof r);
        Close(c.id);
      } else {
        MarkDead(c);
      }
      return false;
    }
    if (f.status == FrameStatus::kTooLarge) {
      LogInfo("client %u announced a %u-byte frame: closing it", c.id, f.length);
      MarkDead(c);
      return false;
    }
    c.in_off += f.size;
    if (f.status == FrameStatus::kUnexpected) {
      LogInfo("client %u sent an unexpected message (type %u, %u bytes): closing it", c.id,
              static_cast<unsigned>(f.type), f.length);
      MarkDead(c);
      return false;
    }
    Dispatch(c, f.type, f.payload, f.length);
    if (c.dead || c.closing) return false;
  }
  if (c.in_off == c.in.size()) {
    c.in.clear();
    c.in_off = 0;
  } else if (c.in_off > kReadChunk) {
    c.in.erase(0, c.in_off);
    c.in_off = 0;
  }
  return true;
}

void Server::Dispatch(Conn& c, MsgType type, const char* payload, uint32_t len) {
  // ParseFrame let through only what this client may send now.
  Message msg;
  if (!CopyPayload(type, payload, len, &msg)) {
    MarkDead(c);
    return;
  }
  if (!c.authed) {
    c.authed = state_.OnHello(c.id, msg.hello, c.nonce);
    return;
  }
  state_.OnMessage(c.id, type, &msg, len);
}

void Server::Send(ClientId to, MsgType type, const void* payload, uint32_t len) {
  if (to == kStdinClient) {
    if (type == MsgType::kCommandReply) PrintStdinReply(payload, len);
    return;
  }
  Conn* c = Find(to);
  if (!c || c->dead) return;
  if (c->out.size() - c->out_off + sizeof(proto::FrameHeader) + len > opts_.max_pending_output) {
    LogError("client %u does not read its messages: closing it", c->id);
    MarkDead(*c);
    return;
  }
  if (c->out_off == c->out.size()) {
    c->out.clear();
    c->out_off = 0;
    dirty_.push_back(to);
  }
  size_t at = c->out.size();
  c->out.resize(at + sizeof(proto::FrameHeader) + len);
  proto::EncodeFrame(type, payload, len, c->out.data() + at);
}

void Server::Close(ClientId id) {
  Conn* c = Find(id);
  if (!c || c->dead || c->closing) return;
  c->closing = true;
  if (c->out_off == c->out.size()) {
    MarkDead(*c);
  } else {
    UpdateEpoll(*c);  // stop reading, keep writing
  }
}

void Server::FlushConn(Conn& c) {
  while (c.out_off < c.out.size()) {
    ssize_t w = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (w > 0) {
      c.out_off += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    MarkDead(c);
    return;
  }
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
    if (c.closing) {
      MarkDead(c);
      return;
    }
  } else if (c.out_off > (1u << 20)) {
    c.out.erase(0, c.out_off);
    c.out_off = 0;
  }
  UpdateEpoll(c);
}

void Server::FlushDirty() {
  std::vector<ClientId> ids;
  ids.swap(dirty_);
  for (ClientId id : ids) {
    Conn* c = Find(id);
    if (c && !c->dead) FlushConn(*c);
  }
}

void Server::UpdateEpoll(Conn& c) {
  bool pending = c.out_off < c.out.size();
  uint32_t want = (c.closing ? 0u : static_cast<uint32_t>(EPOLLIN)) |
                  (pending ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  if (want == c.events) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = c.id;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  c.events = want;
}

void Server::MarkDead(Conn& c) {
  if (c.dead) return;
  c.dead = true;
  to_close_.push_back(c.id);
}

void Server::ProcessCloses() {
  // Closing a worker can make the state send to (and drop) other clients.
  while (!to_close_.empty()) {
    std::vector<ClientId> ids;
    ids.swap(to_close_);
    for (ClientId id : ids) {
      auto it = conns_.find(id);
      if (it == conns_.end()) continue;
      std::unique_ptr<Conn> c = std::move(it->second);
      conns_.erase(it);
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd, nullptr);
      close(c->fd);
      if (c->authed) {
        state_.OnDisconnect(id);
      } else {
        state_.OnHandshakeEnded();
      }
    }
    FlushDirty();
  }
}

void Server::ExpireUnauthenticated() {
  auto now = Clock::now();
  while (!auth_queue_.empty() && auth_queue_.front().first <= now) {
    Conn* c = Find(auth_queue_.front().second);
    auth_queue_.pop_front();
    if (c && !c->authed && !c->dead) {
      LogInfo("client %u sent no Hello in time: closing it", c->id);
      MarkDead(*c);
    }
  }
  ProcessCloses();
}

void Server::ArmTimer(uint32_t seconds) {
  itimerspec t{};
  t.it_value.tv_sec = seconds;
  t.it_interval.tv_sec = seconds;
  timerfd_settime(timer_fd_, 0, &t, nullptr);
}

std::string Server::CheckpointComplete(const CompletedCheckpoint& ckpt) {
  std::string path;
  std::string err = WriteRestartScript(opts_.script_dir, ckpt, opts_.restart_bin, &path);
  if (err.empty()) LogInfo("wrote %s", path.c_str());
  return err;
}

std::string Server::SetScriptDir(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return strerror(errno);
  if (!S_ISDIR(st.st_mode)) return "not a directory";
  if (access(dir.c_str(), W_OK) != 0) return strerror(errno);
  opts_.script_dir = dir;
  return "";
}

void Server::Exit() { exit_ = true; }

size_t Server::Handshaking() {
  Accept();  // a connection still in the listen queue counts too
  size_t n = 0;
  for (const auto& [id, c] : conns_) n += !c->authed && !c->dead;
  return n;
}

bool Server::KillProcess(const proto::ProcessIdentity& who) {
  return ident::Addressable(who) && kill(who.real_pid, SIGKILL) == 0;
}

char Server::ProcessState(const proto::ProcessIdentity& who) {
  if (!ident::Addressable(who)) return 0;
  char path[64], text[512];
  snprintf(path, sizeof path, "/proc/%d/stat", who.real_pid);
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  const ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return 0;
  text[n] = 0;
  // "pid (comm) S ...": the command name may hold spaces and parentheses.
  const char* end = strrchr(text, ')');
  return end && end[1] == ' ' && end[2] ? end[2] : 0;
}

void Server::FinalFlush() {
  // Deliver the last replies and kill messages, but never hang on a client.
  auto deadline = Clock::now() + std::chrono::seconds(2);
  for (;;) {
    FlushDirty();
    bool pending = false;
    for (auto& [id, c] : conns_) {
      if (!c->dead && c->out_off < c->out.size()) {
        pending = true;
        dirty_.push_back(id);
      }
    }
    if (!pending || Clock::now() >= deadline) return;
    epoll_event events[64];
    epoll_wait(epoll_fd_, events, 64, 50);
  }
}

void Server::ReadStdin() {
  char buf[4096];
  ssize_t r = read(0, buf, sizeof buf);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (r <= 0) {
    // EOF: keep running, just stop listening to stdin.
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, 0, nullptr);
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
    stdin_open_ = false;
    if (!stdin_buf_.empty()) HandleStdinLine(stdin_buf_);
    stdin_buf_.clear();
    return;
  }
  stdin_buf_.append(buf, static_cast<size_t>(r));
  size_t nl;
  while ((nl = stdin_buf_.find('\n')) != std::string::npos) {
    std::string line = stdin_buf_.substr(0, nl);
    stdin_buf_.erase(0, nl + 1);
    HandleStdinLine(line);
  }
  if (stdin_buf_.size() > 4096) stdin_buf_.clear();  // not a command anyone typed
}

void Server::HandleStdinLine(const std::string& raw) {
  size_t b = raw.find_first_not_of(" \t\r");
  if (b == std::string::npos) return;
  std::string line = raw.substr(b);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
    line.pop_back();
  }
  char c = line[0];
  proto::Command cmd{};
  cmd.command = c;
  switch (c) {
    case '?':
    case 'h':
      fputs(kHelp, stdout);
      break;
    case 's':
      printf(
          "Status...\n  Port: %d\n  Computation: %016llx\n  Generation: %u\n  NUM_PEERS=%zu\n"
          "  RUNNING=%s\n  CKPT_INTERVAL=%u\n",
          opts_.port, static_cast<unsigned long long>(state_.computation_id()), state_.generation(),
          state_.num_workers(), state_.running() ? "yes" : "no", state_.interval());
      break;
    case 'l':
      printf("Client list:\n%s", state_.ListText().c_str());
      break;
    case 'i': {
      char* end = nullptr;
      const char* arg = line.c_str() + 1;
      long v = strtol(arg, &end, 10);
      if (end == arg || *end != '\0' || v < 0 || v > INT32_MAX) {
        printf("usage: i <seconds>\n");
        break;
      }
      cmd.arg = static_cast<int32_t>(v);
      state_.OnCommand(kStdinClient, cmd);
      break;
    }
    case 'c':
    case 'f':
    case 'k':
    case 'q':
      if (line.size() != 1) {
        printf("unknown command '%s' (type ? for help)\n", line.c_str());
        break;
      }
      state_.OnCommand(kStdinClient, cmd);
      break;
    default:
      printf("unknown command '%s' (type ? for help)\n", line.c_str());
  }
  fflush(stdout);
}

void Server::PrintStdinReply(const void* payload, uint32_t len) {
  proto::CommandReply r{};
  memcpy(&r, payload, std::min<size_t>(len, sizeof r));
  r.text[sizeof r.text - 1] = '\0';
  if (r.status != static_cast<int32_t>(proto::CommandStatus::kOk)) {
    printf("error: %s\n", r.text);
  } else if (r.text[0]) {
    size_t n = strlen(r.text);
    printf("%s%s", r.text, r.text[n - 1] == '\n' ? "" : "\n");
  }
  fflush(stdout);
}

Server::Conn* Server::Find(ClientId id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

}  // namespace dmtcp::coord
