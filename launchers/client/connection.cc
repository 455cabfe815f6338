#include "connection.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "errors.h"

namespace dmtcp::client {
namespace {

using Clock = std::chrono::steady_clock;
using Kind = ClientError::Kind;

std::string Where(const CoordAddress& a) { return a.host + ":" + std::to_string(a.port); }

// Milliseconds left until deadline for poll(); -1 = no deadline.
int PollTimeout(std::optional<Clock::time_point> deadline) {
  if (!deadline) return -1;
  auto left = std::chrono::duration_cast<Millis>(*deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Waits for fd to become ready for `events`. False on timeout.
bool WaitFd(int fd, short events, std::optional<Clock::time_point> deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = poll(&p, 1, PollTimeout(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Tries one resolved address; returns a connected blocking fd or -1 (errno set).
int TryConnect(const addrinfo* ai, Clock::time_point deadline) {
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int err = 0;
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      err = errno;
    } else if (!WaitFd(fd, POLLOUT, deadline)) {
      err = ETIMEDOUT;
    } else {
      socklen_t len = sizeof err;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    }
  }
  if (err != 0) {
    close(fd);
    errno = err;
    return -1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

// Reads exactly n bytes before the deadline.
void ReadFull(int fd, void* buf, size_t n, std::optional<Clock::time_point> deadline,
              const CoordAddress& addr) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    if (!WaitFd(fd, POLLIN, deadline)) {
      throw ClientError(Kind::kTimeout, "no answer from the coordinator at " + Where(addr));
    }
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      throw ClientError(Kind::kProtocol,
                        "the coordinator at " + Where(addr) + " closed the connection");
    }
    p += r;
    n -= static_cast<size_t>(r);
  }
}

// Sends one frame with MSG_NOSIGNAL: a vanished coordinator must give an
// error, not kill us with SIGPIPE (and dmtcp_launch must not change the
// SIGPIPE disposition the program inherits).
bool SendFrame(int fd, proto::MsgType type, const void* payload, uint32_t len) {
  std::vector<char> buf(sizeof(proto::FrameHeader) + len);
  size_t n = proto::EncodeFrame(type, payload, len, buf.data());
  const char* p = buf.data();
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Receives one frame of the expected type into out (zero-padded).
void RecvExpected(int fd, proto::MsgType want, void* out, size_t cap,
                  std::optional<Clock::time_point> deadline, const CoordAddress& addr) {
  proto::FrameHeader h;
  ReadFull(fd, &h, sizeof h, deadline, addr);
  if (!proto::ValidHeader(h)) {
    if (h.magic == proto::kMagic && h.version != proto::kVersion) {
      throw ClientError(Kind::kRejected,
                        "the coordinator at " + Where(addr) + " speaks protocol version " +
                            std::to_string(h.version) + ", we speak " +
                            std::to_string(proto::kVersion),
                        static_cast<int>(proto::HelloStatus::kBadVersion));
    }
    throw ClientError(Kind::kProtocol,
                      "unexpected data from " + Where(addr) + " (is it a DMTCP coordinator?)");
  }
  std::vector<char> payload(h.length);
  if (h.length) ReadFull(fd, payload.data(), h.length, deadline, addr);
  if (static_cast<proto::MsgType>(h.type) != want || h.length > cap) {
    throw ClientError(Kind::kProtocol, "unexpected message from the coordinator at " + Where(addr));
  }
  memset(out, 0, cap);
  memcpy(out, payload.data(), h.length);
}

}  // namespace

int ConnectTcp(const CoordAddress& addr, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  std::string port = std::to_string(addr.port);
  int rc = getaddrinfo(addr.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    throw ClientError(Kind::kUnreachable,
                      "cannot resolve coordinator host '" + addr.host + "': " + gai_strerror(rc));
  }
  int err = ECONNREFUSED;
  int fd = -1;
  for (addrinfo* ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = TryConnect(ai, deadline);
    if (fd < 0) err = errno;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    throw ClientError(Kind::kUnreachable,
                      "cannot connect to the coordinator at " + Where(addr) + ": " + strerror(err));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // requests are latency-bound
  return fd;
}

Connection::Connection(const CoordAddress& addr, const std::string& secret,
                       const ConnectOptions& opts)
    : addr_(addr) {
  auto deadline = Clock::now() + opts.timeout;
  fd_ = ConnectTcp(addr, opts.timeout);
  try {
    proto::Challenge challenge;
    RecvExpected(fd_, proto::MsgType::kChallenge, &challenge, sizeof challenge, deadline, addr);
    proto::Hello hello{};
    hello.role = static_cast<uint32_t>(proto::Role::kCommand);
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    proto::CopyField(hello.hostname, sizeof hello.hostname, host);
    proto::CopyField(hello.program, sizeof hello.program, opts.program.c_str());
    hello.pid = getpid();
    hello.ppid = getppid();
    if (!proto::SignHello(&hello, secret.c_str(), challenge)) {
      throw ClientError(Kind::kProtocol, std::string("getrandom: ") + strerror(errno));
    }
    if (!SendFrame(fd_, proto::MsgType::kHello, &hello, sizeof hello)) {
      throw ClientError(Kind::kProtocol, "cannot talk to the coordinator at " + Where(addr));
    }
    RecvExpected(fd_, proto::MsgType::kHelloReply, &hello_, sizeof hello_, deadline, addr);
    hello_.message[sizeof hello_.message - 1] = '\0';
    if (hello_.status != static_cast<int32_t>(proto::HelloStatus::kOk)) {
      std::string why = hello_.message[0] ? hello_.message : "connection refused";
      throw ClientError(Kind::kRejected, "the coordinator at " + Where(addr) + ": " + why,
                        hello_.status);
    }
    if (!proto::ReplyIsGenuine(hello_, secret.c_str(), challenge, hello)) {
      throw ClientError(Kind::kProtocol, "the process at " + Where(addr) +
                                             " accepted us without knowing the coordinator's "
                                             "secret: not a coordinator of ours");
    }
  } catch (...) {
    close(fd_);
    fd_ = -1;
    throw;
  }
}

Connection::~Connection() {
  if (fd_ >= 0) close(fd_);
}

Connection::Connection(Connection&& other) noexcept
    : fd_(other.fd_), addr_(std::move(other.addr_)), hello_(other.hello_) {
  other.fd_ = -1;
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    addr_ = std::move(other.addr_);
    hello_ = other.hello_;
    other.fd_ = -1;
  }
  return *this;
}

proto::CommandReply Connection::Send(const proto::Command& cmd, std::optional<Millis> timeout) {
  std::optional<Clock::time_point> deadline;
  if (timeout) deadline = Clock::now() + *timeout;
  if (!SendFrame(fd_, proto::MsgType::kCommand, &cmd, sizeof cmd)) {
    throw ClientError(Kind::kProtocol, "cannot send to the coordinator at " + Where(addr_));
  }
  proto::CommandReply reply;
  RecvExpected(fd_, proto::MsgType::kCommandReply, &reply, sizeof reply, deadline, addr_);
  reply.text[sizeof reply.text - 1] = '\0';
  return reply;
}

proto::CommandReply Connection::Send(char command, int32_t arg, std::optional<Millis> timeout) {
  proto::Command cmd{};
  cmd.command = command;
  cmd.arg = arg;
  return Send(cmd, timeout);
}

std::optional<std::string> Connection::Kv(bool put, const std::string& key,
                                          const std::string& value) {
  auto kv = std::make_unique<proto::KeyValue>();
  if (key.size() > sizeof kv->key || value.size() > sizeof kv->value)
    throw ClientError(Kind::kUsage, "key or value too long for the coordinator");
  memcpy(kv->key, key.data(), key.size());
  kv->key_len = static_cast<uint32_t>(key.size());
  memcpy(kv->value, value.data(), value.size());
  kv->value_len = static_cast<uint32_t>(value.size());
  if (!SendFrame(fd_, put ? proto::MsgType::kKvPut : proto::MsgType::kKvGet, kv.get(), sizeof *kv))
    throw ClientError(Kind::kProtocol, "cannot send to the coordinator at " + Where(addr_));
  // The coordinator answers a put, too, once it is stored.
  RecvExpected(fd_, proto::MsgType::kKvReply, kv.get(), sizeof *kv, std::nullopt, addr_);
  if (!kv->found) return std::nullopt;
  return std::string(kv->value, std::min<size_t>(kv->value_len, sizeof kv->value));
}

void Connection::KvPut(const std::string& key, const std::string& value) { Kv(true, key, value); }

std::optional<std::string> Connection::KvGet(const std::string& key) { return Kv(false, key, {}); }

}  // namespace dmtcp::client
