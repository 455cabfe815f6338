// libFuzzer target: the coordinator's framing (frames.h) and its logic
// (State) fed the byte streams of a few client connections, as
// Server::ParseFrames and Server::Dispatch would feed them, with a fake
// Effects. No sockets, threads or clocks: every run is deterministic.
//
// Input: a flags byte, then operations until the input ends. An operation
// byte names a connection slot (low 2 bits) and what happens (next 2 bits):
//   0  bytes arrive: a 16-bit little-endian count, then that many bytes
//   1  the client hangs up; a new connection takes the slot
//   2  the interval timer fires (when State armed it)
//   3  a command typed on stdin: its letter, then a 32-bit argument
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "frames.h"
#include "log.h"
#include "protocol.h"
#include "state.h"

namespace {

using namespace dmtcp;
using coord::ClientId;
using coord::Frame;
using coord::FrameStatus;
using proto::MsgType;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr int kSlots = 4;

enum Flags : uint8_t {
  kSignHellos = 1,  // the harness signs each Hello: no fuzzer guesses an HMAC
  kExitOnLast = 2,
  kExitAfterCkpt = 4,
  kInterval = 8,
  kWorkerDir = 16,
  kScriptFails = 32,
};

[[noreturn]] void Fatal(const char* what, unsigned detail) {
  fprintf(stderr, "fuzz_coordinator: %s (%u)\n", what, detail);
  abort();
}

struct Conn {
  ClientId id = 0;
  bool authed = false;
  bool closing = false;  // asked to close: nothing more is read from it
  bool gone = false;     // closed; State was told if it had accepted it
  uint8_t nonce[proto::kNonceLen];
  std::string in;
};

class Harness : public coord::Effects {
 public:
  explicit Harness(uint8_t flags) : flags_(flags) {
    coord::Config cfg;
    cfg.secret = kSecret;
    cfg.interval = flags & kInterval ? 5 : 0;
    cfg.exit_on_last = flags & kExitOnLast;
    cfg.exit_after_ckpt = flags & kExitAfterCkpt;
    if (flags & kWorkerDir) cfg.worker_ckpt_dir = "/ckpt";
    cfg.random_id = [n = uint64_t{0}]() mutable { return ++n; };
    state_.emplace(std::move(cfg), *this);
    for (Conn& c : conns_) Open(c);
    state_->Start();
  }

  bool exited() const { return exited_; }

  void Bytes(int slot, const uint8_t* p, size_t n) {
    Conn& c = conns_[slot];
    if (c.closing || c.gone) return;
    c.in.append(reinterpret_cast<const char*>(p), n);
    ParseFrames(c);
    ProcessCloses();
  }

  void HangUp(int slot) {
    Conn& c = conns_[slot];
    Gone(c);
    ProcessCloses();
    Open(c);
  }

  void Timer() {
    if (timer_) state_->OnTimer();
    ProcessCloses();
  }

  void Stdin(char letter, int32_t arg) {
    proto::Command cmd{};
    cmd.command = letter;
    cmd.arg = arg;
    state_->OnCommand(coord::kStdinClient, cmd);
    ProcessCloses();
  }

  // Effects.
  void Send(ClientId, MsgType type, const void* payload, uint32_t len) override {
    if (len > proto::kMaxPayload) Fatal("State sent an oversized frame", len);
    // Read every byte, as the server's EncodeFrame does, so ASan checks them.
    static char out[proto::kMaxPayload];
    if (len) memcpy(out, payload, len);
    (void)type;
  }
  void Close(ClientId id) override {
    for (Conn& c : conns_)
      if (c.id == id && !c.gone) c.closing = true;  // flushed at once: nothing is pending here
  }
  void ArmTimer(uint32_t seconds) override { timer_ = seconds != 0; }
  std::string CheckpointComplete(const coord::CompletedCheckpoint&) override {
    return flags_ & kScriptFails ? "disk full" : "";
  }
  std::string SetScriptDir(const std::string& dir) override {
    return dir.size() % 2 ? "" : "not a directory";
  }
  void Exit() override { exited_ = true; }
  // Fuzzed pids must never reach kill(2).
  bool KillProcess(const proto::ProcessIdentity&) override { return false; }
  char ProcessState(const proto::ProcessIdentity&) override { return 0; }
  size_t Handshaking() override { return 0; }

 private:
  void Open(Conn& c) {
    c = Conn{};
    c.id = next_id_++;
    for (size_t i = 0; i < sizeof c.nonce; ++i) c.nonce[i] = static_cast<uint8_t>(c.id * 31 + i);
  }

  void Gone(Conn& c) {
    if (c.gone) return;
    c.gone = true;
    if (c.authed) state_->OnDisconnect(c.id);
  }

  // What Server::ProcessCloses does once nothing is left to flush.
  void ProcessCloses() {
    for (bool again = true; again;) {
      again = false;
      for (Conn& c : conns_) {
        if (c.closing && !c.gone) {
          Gone(c);
          again = true;  // a disconnect can make State close others
        }
      }
    }
    size_t live = 0;
    for (const Conn& c : conns_) live += c.authed && !c.gone;
    if (state_->num_workers() > live) Fatal("State keeps workers that are gone", live);
  }

  // Server::ParseFrames and Server::Dispatch, without the socket.
  void ParseFrames(Conn& c) {
    size_t off = 0;
    while (!c.closing && !c.gone) {
      const Frame f = coord::ParseFrame(c.in.data() + off, c.in.size() - off, c.authed);
      if (f.status == FrameStatus::kNeedMore) break;
      if (f.status == FrameStatus::kBadVersion && !c.authed) {
        c.closing = true;  // after a HelloReply saying why
        break;
      }
      if (f.status != FrameStatus::kFrame) {
        Gone(c);
        break;
      }
      if (f.size < sizeof(proto::FrameHeader) || f.size > c.in.size() - off)
        Fatal("ParseFrame consumed what is not there", static_cast<unsigned>(f.size));
      off += f.size;
      coord::Message msg;
      if (!coord::CopyPayload(f.type, f.payload, f.length, &msg))
        Fatal("ParseFrame passed a frame CopyPayload refuses", static_cast<unsigned>(f.type));
      if (!c.authed) {
        if (f.type != MsgType::kHello)
          Fatal("a message before Hello", static_cast<unsigned>(f.type));
        if (flags_ & kSignHellos)
          proto::ClientProof(kSecret, c.nonce, msg.hello.client_nonce, msg.hello.proof);
        c.authed = state_->OnHello(c.id, msg.hello, c.nonce);
        continue;
      }
      state_->OnMessage(c.id, f.type, &msg, f.length);
    }
    c.in.erase(0, off);
  }

  uint8_t flags_;
  std::optional<coord::State> state_;
  Conn conns_[kSlots];
  ClientId next_id_ = 1;
  bool timer_ = false;
  bool exited_ = false;
};

void QuietLog() {
  // State logs every refusal: to /dev/null, or the fuzzer drowns in it.
  // DMTCP_FUZZ_LOG=1 shows it, to follow what an input does.
  static const bool done = [] {
    if (getenv("DMTCP_FUZZ_LOG")) return true;
    coord::SetLogQuiet(true);
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) coord::SetLogFd(fd);
    return true;
  }();
  (void)done;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  QuietLog();
  if (size == 0) return 0;
  Harness h(data[0]);
  size_t i = 1;
  while (i < size && !h.exited()) {
    const uint8_t op = data[i++];
    const int slot = op & (kSlots - 1);
    switch ((op >> 2) & 3) {
      case 0: {
        size_t n = 0;
        if (i < size) n = data[i++];
        if (i < size) n |= static_cast<size_t>(data[i++]) << 8;
        n = std::min(n, size - i);
        h.Bytes(slot, data + i, n);
        i += n;
        break;
      }
      case 1:
        h.HangUp(slot);
        break;
      case 2:
        h.Timer();
        break;
      case 3: {
        char letter = i < size ? static_cast<char>(data[i++]) : 's';
        int32_t arg = 0;
        const size_t n = std::min<size_t>(sizeof arg, size - i);
        memcpy(&arg, data + i, n);
        i += n;
        h.Stdin(letter, arg);
        break;
      }
    }
  }
  return 0;
}
