// The coordinator's logic without any I/O: workers, checkpoints, barriers,
// restarts, the key-value store and commands. The server feeds it decoded
// messages and carries out what it asks through Effects, so every rule here
// can be tested without sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol.h"

namespace dmtcp::coord {

using ClientId = uint32_t;
// Commands typed on the coordinator's stdin come from this pseudo client.
constexpr ClientId kStdinClient = 0;

struct ImageRecord {
  std::string host;
  std::string path;
  uint64_t bytes = 0;
};

struct CompletedCheckpoint {
  uint64_t computation_id = 0;
  uint32_t generation = 0;
  std::vector<ImageRecord> images;
};

// What the state machine asks of the outside world.
class Effects {
 public:
  virtual ~Effects() = default;
  virtual void Send(ClientId to, proto::MsgType type, const void* payload, uint32_t len) = 0;
  // Close the connection once what was sent to it is flushed.
  virtual void Close(ClientId id) = 0;
  // (Re)arm the interval timer; 0 disarms it.
  virtual void ArmTimer(uint32_t seconds) = 0;
  // Write the restart script. Returns an error text, empty on success.
  virtual std::string CheckpointComplete(const CompletedCheckpoint& ckpt) = 0;
  // Where restart scripts go from now on (absolute). Returns an error text
  // (e.g. not a directory here), empty on success.
  virtual std::string SetScriptDir(const std::string& dir) = 0;
  // Leave the event loop (after flushing what was sent).
  virtual void Exit() = 0;
  // Kill a worker's process by its pid where this machine can (see
  // ident::Addressable): a process whose checkpoint thread is stuck never
  // reads the kill message. Returns whether it was signalled.
  virtual bool KillProcess(const proto::ProcessIdentity& who) = 0;
  // The state letter of a worker's process (proc(5): 'T' stopped by a
  // signal, 't' stopped by a tracer, ...) where this machine can see it;
  // 0 where it cannot.
  virtual char ProcessState(const proto::ProcessIdentity& who) = 0;
  // Connections accepted (or waiting to be) that have not said hello yet:
  // a child forked just before its parent ended is among them.
  virtual size_t Handshaking() = 0;
};

struct Config {
  std::string secret;
  std::string worker_ckpt_dir;  // sent in DoCheckpoint; empty: workers choose
  uint32_t interval = 0;        // seconds, 0 = off
  // Seconds a checkpoint waits for every process to stop, and then for a
  // process that writes its image and sends no progress, before it is
  // abandoned (the others resume); 0 = for ever.
  uint32_t checkpoint_timeout = 120;
  bool exit_on_last = false;
  bool exit_after_ckpt = false;
  // Started where a coordinator died: its processes are expected back.
  bool expect_rejoin = false;
  std::function<uint64_t()> random_id;  // source of computation ids (0 is redrawn)
};

enum class WorkerState {
  kRunning,
  kCheckpointing,  // asked to checkpoint, not yet suspended
  kSuspended,      // reached ckpt:suspended
  kCheckpointed,   // reported its image
  kRestarting,     // restarted, waiting at restart:ready
  kResuming,       // checkpointed or restarted, putting back drained data
};
const char* WorkerStateName(WorkerState s);

class State {
 public:
  State(Config config, Effects& effects);

  // Arms the interval timer if one is configured.
  void Start();

  // A connection sent Hello. Sends the HelloReply; on rejection also asks to
  // close the connection. Returns true if the client is accepted.
  // `nonce` is the challenge this connection was sent (proto::Challenge).
  bool OnHello(ClientId id, const proto::Hello& hello, const uint8_t* nonce);
  // A frame from an accepted client; payload is zero-padded to the struct
  // size of its type. Protocol violations close that client.
  void OnMessage(ClientId id, proto::MsgType type, const void* payload, uint32_t len);
  // An accepted client's connection is gone.
  void OnDisconnect(ClientId id);
  void OnCommand(ClientId from, const proto::Command& cmd);
  void OnTimer();
  // Once a second: children a checkpoint waits for stop being waited for
  // after kChildWaitTicks; a checkpoint whose processes have not all
  // stopped after config.checkpoint_timeout is abandoned.
  void OnTick();
  static constexpr uint64_t kChildWaitTicks = 10;
  // A process that has not stopped for the checkpoint after this many ticks
  // and is seen stopped by a signal or a tracer twice in a row cannot take
  // part: the checkpoint is abandoned then, not after its timeout.
  static constexpr uint64_t kStoppedCheckTicks = 3;
  // A connection that never said hello is gone (closed or timed out).
  void OnHandshakeEnded();
  // After a coordinator was started again: checkpoints wait this long for
  // the processes that come back (as many as their last checkpoint had).
  static constexpr uint64_t kRejoinWaitTicks = 30;
  static constexpr uint64_t kRejoinQuietTicks = 3;

  // Introspection (status lines, tests).
  size_t num_workers() const { return workers_.size(); }
  bool processes_left_running() const { return !workers_.empty() && !killed_all_; }
  bool checkpoint_in_progress() const { return ckpt_.has_value(); }
  bool restart_in_progress() const;
  // As in DMTCP: there are processes and all of them run (no checkpoint or
  // restart in progress). Site scripts wait for RUNNING=yes after a launch.
  bool running() const {
    return !workers_.empty() && !checkpoint_in_progress() && !restart_in_progress() &&
           !resume_in_progress() && !rejoin_in_progress();
  }
  // Processes of a computation whose coordinator died are coming back:
  // fewer than its last checkpoint had, or one came back within the last
  // kRejoinQuietTicks (each tries every second; the count is stale when
  // processes were forked since, or none was ever checkpointed).
  bool rejoin_in_progress() const {
    return rejoin_expected_ > 0 && ticks_ < rejoin_until_ &&
           (rejoin_expected_ > workers_.size() || ticks_ - last_rejoin_tick_ < kRejoinQuietTicks);
  }
  // Some process has not yet passed kBarrierRefilled after a checkpoint or
  // a restart: its checkpoint thread is busy, so a new checkpoint waits.
  bool resume_in_progress() const;
  uint32_t generation() const { return generation_; }
  uint64_t computation_id() const { return computation_id_; }
  uint32_t interval() const { return config_.interval; }
  std::optional<WorkerState> worker_state(ClientId id) const;
  std::string ListText() const;

 private:
  struct Worker {
    ClientId id = 0;
    int32_t pid = 0;
    std::string host, program, unique_id;
    WorkerState state = WorkerState::kRunning;
    bool restart_waiting = false;  // restarted and not yet released
    bool refill_barrier = false;   // its runtime passes kBarrierRefilled
    bool resume_first = false;     // its checkpoints resume before the commit (forked)
    bool takes_order = false;      // it takes kCheckpointOrder
    bool resuming = false;         // between a checkpoint or restart and kBarrierRefilled
    proto::ProcessIdentity identity{};
    // Tick of its last sign of life in a checkpoint: a barrier reached or
    // left, progress in writing its image.
    uint64_t progress_tick = 0;
  };
  struct Checkpoint {
    uint32_t generation = 0;
    std::set<ClientId> participants;  // still connected
    std::set<ClientId> reported;      // sent CheckpointDone
    size_t forked = 0;                // images written by forked children
    std::map<std::string, std::set<ClientId>> barriers;
    std::vector<ClientId> waiters;  // 'b' commands to answer at the end
    std::vector<ImageRecord> images;
    std::vector<std::string> errors;
    bool written_released = false;  // kBarrierCheckpointed passed
    // Children that participants reported (host, virtual pid) and that have
    // not joined yet: ckpt:suspended waits for them, until a deadline (tick).
    std::map<std::pair<std::string, int32_t>, uint64_t> awaited;
    bool suspended_released = false;  // no process joins the checkpoint after it
    bool resume_first = false;        // the order every participant is told (kCheckpointOrder)
    uint64_t started_tick = 0;
    // A deadline a command gave it (tick; 0: none): past it, before the
    // images are all written, the checkpoint is abandoned.
    uint64_t deadline_tick = 0;
    uint32_t deadline_secs = 0;
    // Processes that have not stopped and were seen stopped by a signal or
    // a tracer: ticks in a row.
    std::map<ClientId, uint32_t> seen_stopped;
  };

  bool OnWorkerHello(ClientId id, const proto::Hello& hello, proto::HelloReply* reply);
  void OnBarrier(ClientId id, const std::string& name, uint32_t generation);
  void OnCheckpointDone(ClientId id, const proto::CheckpointDone& done);
  void OnKvPut(const proto::KeyValue& kv);
  void OnChildren(ClientId id, const proto::Children& children);
  // A process that joins the checkpoint in progress (a child forked just
  // before it): it gets its DoCheckpoint now.
  void AddParticipant(ClientId id);
  // A process that joined while a checkpoint is stopping processes: in it
  // if it is a reported child or a participant's exec'd successor.
  void JoinCheckpointInProgress(ClientId id);
  void SendDoCheckpoint(ClientId id);
  void OnKvGet(ClientId id, const proto::KeyValue& kv);
  void OnProgramBarrier(ClientId from, const proto::ProgramBarrier& b);

  // Starts a checkpoint; false (with the reply status and text) if it cannot.
  bool StartCheckpoint(std::string* why, proto::CommandStatus* status);
  void CheckCheckpointBarriers();
  void FinishCheckpoint();
  void AbortCheckpoint(const std::string& why);
  // Some process did not stop within config_.checkpoint_timeout: the ones
  // that did resume, and the checkpoint is dropped.
  void AbandonCheckpoint(const std::string& what);
  // Processes the checkpoint waits for that are stopped (SIGSTOP, a job
  // suspended, a debugger): a text naming each and why, empty if none.
  std::string StoppedParticipants();
  // Past its deadline: every process leaves the checkpoint, which fails.
  void AbandonAtDeadline();
  // The checkpoint in progress must be written within `secs` from now.
  void SetDeadline(uint32_t secs);
  // Processes that made no progress for config_.checkpoint_timeout: the
  // checkpoint fails without them (why: what they did not do).
  void AbandonWriters(const std::vector<ClientId>& stuck, const std::string& why);
  // Processes the checkpoint in progress waits on that are neither waiting
  // at a barrier nor done, and silent for config_.checkpoint_timeout.
  std::vector<ClientId> StuckWriters() const;
  // Every participant waits at a barrier of the checkpoint, none has moved
  // for config_.checkpoint_timeout, and so none ever passes (a plugin's
  // barrier that only some processes reach): each one and where it waits.
  std::vector<std::pair<ClientId, std::string>> DeadlockedAtBarriers() const;
  void AbandonDeadlock(const std::vector<std::pair<ClientId, std::string>>& waiting);
  // A process the checkpoint went on without (abandoned_writers_) passes
  // its barrier name alone.
  void PassAlone(ClientId id, const std::string& name);
  void SendAbandoned(ClientId id);
  void CheckGeneralBarriers();
  void CheckRestartBarrier(bool force);
  void ReleaseBarrier(const std::string& name, const std::set<ClientId>& to, int32_t commit = 0);
  // A checkpoint asked for while processes resume starts once they have.
  void DeferCheckpoint(ClientId from, char command, uint32_t deadline = 0);
  void StartDeferredCheckpoint();
  void KillAll();
  void MaybeExitOnLast();
  void EndRejoinWhenComplete();

  void Reply(ClientId to, proto::CommandStatus status, const std::string& text);
  void FillStatus(proto::CommandReply* r) const;

  Config config_;
  Effects& fx_;
  std::map<ClientId, Worker> workers_;
  std::set<ClientId> commands_;  // accepted command clients
  uint64_t computation_id_ = 0;
  uint32_t generation_ = 0;
  bool ever_joined_ = false;
  bool exiting_ = false;
  bool killed_all_ = false;
  bool exit_waits_for_handshakes_ = false;
  uint32_t rejoin_expected_ = 0;  // processes coming back; 0: none
  uint64_t rejoin_until_ = 0;     // tick
  uint64_t last_rejoin_tick_ = 0;
  std::optional<Checkpoint> ckpt_;
  // Barriers outside a checkpoint: who must arrive (the running workers when
  // the first one arrived; later joiners are not waited for) and who did.
  struct GeneralBarrier {
    std::set<ClientId> expected;
    std::set<ClientId> arrived;
  };
  std::map<std::string, GeneralBarrier> general_barriers_;
  // Left out of a checkpoint while still in it (AbandonWriters): each
  // barrier they reach is released at once (ckpt:written as abandoned,
  // ckpt:committed as failed), until they passed the last two.
  std::map<ClientId, int> abandoned_writers_;  // bits: kPassedCommitted, kPassedRefilled
  std::set<ClientId> restart_arrived_;         // at restart:ready
  uint32_t restart_peers_ = 0;                 // expected at restart:ready
  bool restart_forced_ = false;
  uint32_t restarts_resumed_ = 0;  // restarts the program came back from
  std::map<std::string, std::string> kv_;
  // dmtcp_global_barrier() from programs' threads, by (name, epoch): the
  // processes (unique ids) that arrived, and whether all did.
  struct ProgramBarrierState {
    std::set<std::string> arrived;
    bool released = false;
  };
  std::map<std::pair<std::string, uint32_t>, ProgramBarrierState> program_barriers_;
  // A checkpoint asked for (by a command or the timer) while processes
  // resumed, and the 'b' commands waiting for it.
  bool deferred_checkpoint_ = false;
  uint64_t ticks_ = 0;
  std::vector<ClientId> deferred_waiters_;
  uint32_t deferred_deadline_ = 0;  // seconds, from when the deferred checkpoint starts
};

}  // namespace dmtcp::coord
