// The coordinator's event loop: non-blocking sockets under epoll, framing,
// authentication deadlines, the interval timer, signals and stdin commands.
// All decisions are made by State; this file only moves bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "state.h"

namespace dmtcp::coord {

struct ServerOptions {
  int listen_fd = -1;       // bound and listening, non-blocking
  int port = 0;             // for messages
  bool read_stdin = false;  // interactive commands (not with --daemon)
  std::string script_dir;   // where restart scripts go (absolute)
  std::string restart_bin;  // dmtcp_restart named in restart scripts
  std::chrono::milliseconds auth_timeout{10000};
  size_t max_pending_output = 8 << 20;  // a client that reads nothing is dropped
};

class Server : public Effects {
 public:
  Server(ServerOptions opts, Config config);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Runs until 'q', SIGTERM/SIGINT or exit-on-last. Returns false if the
  // loop could not be set up (the error is logged).
  bool Run();
  // Processes of the computation were still running when Run returned (it
  // did not kill them: a signal, not 'q' or 'k').
  bool processes_left_running() const { return state_.processes_left_running(); }

  // Effects.
  void Send(ClientId to, proto::MsgType type, const void* payload, uint32_t len) override;
  void Close(ClientId id) override;
  void ArmTimer(uint32_t seconds) override;
  std::string CheckpointComplete(const CompletedCheckpoint& ckpt) override;
  std::string SetScriptDir(const std::string& dir) override;
  void Exit() override;
  bool KillProcess(const proto::ProcessIdentity& who) override;
  char ProcessState(const proto::ProcessIdentity& who) override;
  size_t Handshaking() override;

 private:
  struct Conn {
    int fd = -1;
    ClientId id = 0;
    bool authed = false;
    uint8_t nonce[proto::kNonceLen];  // the challenge it was sent
    bool closing = false;             // close once the output is flushed
    bool dead = false;                // close now
    uint32_t events = 0;              // what epoll watches for it now
    std::string in;
    size_t in_off = 0;
    std::string out;
    size_t out_off = 0;
  };

  bool Setup();
  void HandleEvent(uint64_t tag, uint32_t events);
  void Accept();
  void ReadConn(Conn& c);
  bool ParseFrames(Conn& c);
  void Dispatch(Conn& c, proto::MsgType type, const char* payload, uint32_t len);
  void FlushConn(Conn& c);
  void FlushDirty();
  void MarkDead(Conn& c);
  void ProcessCloses();
  void UpdateEpoll(Conn& c);
  void ExpireUnauthenticated();
  void ReadStdin();
  void HandleStdinLine(const std::string& line);
  void PrintStdinReply(const void* payload, uint32_t len);
  void FinalFlush();
  Conn* Find(ClientId id);

  ServerOptions opts_;
  State state_;
  int epoll_fd_ = -1;
  int signal_fd_ = -1;
  int timer_fd_ = -1;
  int tick_fd_ = -1;     // once a second: authentication deadlines
  int reserve_fd_ = -1;  // freed to accept-and-drop when out of descriptors
  bool stdin_open_ = false;
  std::string stdin_buf_;
  bool exit_ = false;
  ClientId next_id_ = 1;
  std::unordered_map<ClientId, std::unique_ptr<Conn>> conns_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, ClientId>> auth_queue_;
  std::vector<ClientId> dirty_;
  std::vector<ClientId> to_close_;
};

}  // namespace dmtcp::coord
