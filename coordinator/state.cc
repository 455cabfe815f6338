#include "state.h"

#include <algorithm>
#include <cinttypes>
#include <cstddef>
#include <cstring>

#include "log.h"
#include "secret_file.h"
#include "sha256.h"

namespace dmtcp::coord {
namespace {

using proto::CommandStatus;
using proto::MsgType;

// Forces termination of a fixed string field received from the network.
template <size_t N>
void Terminate(char (&field)[N]) {
  field[N - 1] = '\0';
}

std::string Describe(const std::string& program, int32_t pid, const std::string& host) {
  return program + "[" + std::to_string(pid) + "]@" + host;
}

std::string Hex16(uint64_t v) {
  char buf[17];
  snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

// Bytes of a struct whose last field is a C string: the receiver zero-pads
// the rest, so shorter frames cost less with thousands of clients.
template <typename T>
uint32_t TrimmedLen(const T& msg, const char* last_field, size_t cap) {
  size_t used = static_cast<size_t>(last_field - reinterpret_cast<const char*>(&msg));
  return static_cast<uint32_t>(used + strnlen(last_field, cap - 1) + 1);
}

}  // namespace

const char* WorkerStateName(WorkerState s) {
  switch (s) {
    case WorkerState::kRunning:
      return "RUNNING";
    case WorkerState::kCheckpointing:
      return "CHECKPOINTING";
    case WorkerState::kSuspended:
      return "SUSPENDED";
    case WorkerState::kCheckpointed:
      return "CHECKPOINTED";
    case WorkerState::kRestarting:
      return "RESTARTING";
    case WorkerState::kResuming:
      return "RESUMING";
  }
  return "UNKNOWN";
}

State::State(Config config, Effects& effects) : config_(std::move(config)), fx_(effects) {}

void State::Start() {
  if (config_.interval) fx_.ArmTimer(config_.interval);
  if (config_.expect_rejoin) {
    // Until the first one is back (then: as many as it says), a checkpoint
    // asked for waits rather than fail for want of processes.
    rejoin_expected_ = 1;
    rejoin_until_ = kRejoinWaitTicks;
  }
}

bool State::restart_in_progress() const {
  for (const auto& [id, w] : workers_) {
    if (w.restart_waiting) return true;
  }
  return false;
}

bool State::resume_in_progress() const {
  for (const auto& [id, w] : workers_) {
    if (w.resuming) return true;
  }
  return false;
}

std::optional<WorkerState> State::worker_state(ClientId id) const {
  auto it = workers_.find(id);
  if (it == workers_.end()) return std::nullopt;
  return it->second.state;
}

bool State::OnHello(ClientId id, const proto::Hello& in, const uint8_t* nonce) {
  proto::Hello h = in;
  Terminate(h.hostname);
  Terminate(h.program);
  Terminate(h.unique_id);
  Terminate(h.self.boot_id);
  proto::HelloReply reply{};
  reply.client_id = id;
  bool ok = false;
  uint8_t want[proto::kProofLen];
  proto::ClientProof(config_.secret.c_str(), nonce, h.client_nonce, want);
  if (config_.secret.empty() || !crypto::ConstantTimeEqual(want, h.proof, sizeof want)) {
    reply.status = static_cast<int32_t>(proto::HelloStatus::kBadSecret);
    proto::CopyField(reply.message, sizeof reply.message,
                     "wrong secret: this coordinator belongs to another user or job");
    LogInfo("rejected %s: wrong secret", Describe(h.program, h.pid, h.hostname).c_str());
  } else if (h.role == static_cast<uint32_t>(proto::Role::kCommand)) {
    commands_.insert(id);
    ok = true;
  } else if (h.role == static_cast<uint32_t>(proto::Role::kWorker)) {
    ok = OnWorkerHello(id, h, &reply);
  } else {
    reply.status = static_cast<int32_t>(proto::HelloStatus::kBadVersion);
    snprintf(reply.message, sizeof reply.message, "unknown client role %u", h.role);
  }
  if (reply.status != static_cast<int32_t>(proto::HelloStatus::kBadSecret)) {
    reply.computation_id = computation_id_;
    reply.generation = generation_;
    reply.interval = config_.interval;
    proto::CoordinatorProof(config_.secret.c_str(), nonce, h.client_nonce, reply.proof);
  }
  fx_.Send(id, MsgType::kHelloReply, &reply, sizeof reply);
  if (!ok) fx_.Close(id);
  // After the reply: the client reads nothing else before it.
  if (ok && workers_.count(id)) {
    JoinCheckpointInProgress(id);
    EndRejoinWhenComplete();
  }
  return ok;
}

bool State::OnWorkerHello(ClientId id, const proto::Hello& h, proto::HelloReply* reply) {
  const std::string who = Describe(h.program, h.pid, h.hostname);
  const bool foreign =
      h.computation_id != 0 && computation_id_ != 0 && h.computation_id != computation_id_;
  if (foreign && !workers_.empty()) {
    reply->status = static_cast<int32_t>(proto::HelloStatus::kBusy);
    snprintf(reply->message, sizeof reply->message,
             "this coordinator runs computation %s with %zu processes; use a new coordinator "
             "(--new-coordinator or -p 0)",
             Hex16(computation_id_).c_str(), workers_.size());
    LogInfo("rejected %s of computation %s: busy", who.c_str(), Hex16(h.computation_id).c_str());
    return false;
  }
  if (workers_.empty() || computation_id_ == 0) {
    // A restart takes the processes back to their checkpoint: barriers they
    // passed after it are theirs to pass again.
    program_barriers_.clear();
    if (h.computation_id != 0) {
      // A restarted (or continuing) computation keeps its identity.
      computation_id_ = h.computation_id;
      generation_ = h.generation;
    } else if (computation_id_ == 0) {
      do {
        computation_id_ = config_.random_id ? config_.random_id() : 0;
      } while (computation_id_ == 0 && config_.random_id);
    }
  }
  if (h.features & proto::kFeatureRejoin) {
    if (rejoin_expected_ == 0) rejoin_until_ = ticks_ + kRejoinWaitTicks;
    rejoin_expected_ = std::max({rejoin_expected_, h.restart_peers, 1u});
    last_rejoin_tick_ = ticks_;
  }
  Worker w;
  w.id = id;
  w.pid = h.pid;
  w.host = h.hostname;
  w.program = h.program;
  w.unique_id = h.unique_id;
  w.identity = h.self;
  w.refill_barrier = (h.features & proto::kFeatureRefillBarrier) != 0;
  w.resume_first = (h.features & proto::kFeatureResumeFirst) != 0;
  w.takes_order = (h.features & proto::kFeatureCheckpointOrder) != 0;
  if (h.restarting) {
    w.restart_waiting = true;
    w.resuming = w.refill_barrier;
    w.state = WorkerState::kRestarting;
    restart_peers_ = std::max(restart_peers_, h.restart_peers);
  }
  workers_[id] = std::move(w);
  ever_joined_ = true;
  killed_all_ = false;
  LogInfo("%s %s (client %u, computation %s, %zu processes)", who.c_str(),
          h.restarting                           ? "rejoined after restart"
          : (h.features & proto::kFeatureRejoin) ? "came back after losing its coordinator"
                                                 : "joined",
          id, Hex16(computation_id_).c_str(), workers_.size());
  return true;
}

void State::OnMessage(ClientId id, MsgType type, const void* payload, uint32_t /*len*/) {
  if (commands_.count(id)) {
    // The program interface publishes and queries from the program's own
    // threads over command connections; a put is acknowledged there.
    if (type == MsgType::kKvPut || type == MsgType::kKvGet) {
      proto::KeyValue kv;
      memcpy(&kv, payload, sizeof kv);
      if (type == MsgType::kKvPut) OnKvPut(kv);
      OnKvGet(id, kv);
      return;
    }
    if (type == MsgType::kProgramBarrier) {
      proto::ProgramBarrier b;
      memcpy(&b, payload, sizeof b);
      Terminate(b.name);
      Terminate(b.unique_id);
      OnProgramBarrier(id, b);
      return;
    }
    if (type != MsgType::kCommand) {
      LogError("command client %u sent message type %u", id, static_cast<unsigned>(type));
      fx_.Close(id);
      return;
    }
    proto::Command cmd;
    memcpy(&cmd, payload, sizeof cmd);
    OnCommand(id, cmd);
    return;
  }
  if (!workers_.count(id)) return;  // already gone
  switch (type) {
    case MsgType::kBarrier: {
      proto::Barrier b;
      memcpy(&b, payload, sizeof b);
      Terminate(b.name);
      OnBarrier(id, b.name, b.generation);
      break;
    }
    case MsgType::kCheckpointDone: {
      proto::CheckpointDone d;
      memcpy(&d, payload, sizeof d);
      Terminate(d.hostname);
      Terminate(d.image_path);
      OnCheckpointDone(id, d);
      break;
    }
    case MsgType::kWriteProgress: {
      proto::WriteProgress wp;
      memcpy(&wp, payload, sizeof wp);
      if (ckpt_ && ckpt_->participants.count(id) && wp.generation == ckpt_->generation)
        workers_.at(id).progress_tick = ticks_;
      break;
    }
    case MsgType::kChildren: {
      auto* c = new proto::Children;  // 16 KiB: not on the stack
      memcpy(c, payload, sizeof *c);
      OnChildren(id, *c);
      delete c;
      break;
    }
    case MsgType::kKvPut:
    case MsgType::kKvGet: {
      proto::KeyValue kv;
      memcpy(&kv, payload, sizeof kv);
      if (type == MsgType::kKvPut) {
        OnKvPut(kv);
      } else {
        OnKvGet(id, kv);
      }
      break;
    }
    default:
      LogError("worker client %u sent message type %u", id, static_cast<unsigned>(type));
      fx_.Close(id);
  }
}

void State::OnDisconnect(ClientId id) {
  if (commands_.erase(id)) {
    if (ckpt_) std::erase(ckpt_->waiters, id);
    std::erase(deferred_waiters_, id);
    return;
  }
  auto it = workers_.find(id);
  if (it == workers_.end()) return;
  const std::string who = Describe(it->second.program, it->second.pid, it->second.host);
  // Not yet stopped for the checkpoint: it ended before the checkpoint's
  // cut (a shell's short-lived command, or the old connection of a process
  // that exec'd), and the checkpoint goes on without it.
  const bool before_cut = it->second.state == WorkerState::kCheckpointing;
  workers_.erase(it);
  LogInfo("%s disconnected (%zu processes left)", who.c_str(), workers_.size());
  for (auto& [name, b] : general_barriers_) {
    b.arrived.erase(id);
    b.expected.erase(id);
  }
  restart_arrived_.erase(id);
  abandoned_writers_.erase(id);
  if (ckpt_ && ckpt_->participants.erase(id)) {
    for (auto& [name, arrived] : ckpt_->barriers) arrived.erase(id);
    if (before_cut) {
      LogInfo("%s ended before checkpoint %u stopped it: left out of it", who.c_str(),
              ckpt_->generation);
    } else {
      // Even after its report: its image is only in place once the others'
      // are, and it can no longer put it there.
      ckpt_->errors.push_back(who + " exited during checkpoint " +
                              std::to_string(ckpt_->generation));
    }
    if (ckpt_->participants.empty()) {
      AbortCheckpoint("every process exited during checkpoint " +
                      std::to_string(ckpt_->generation));
    } else {
      CheckCheckpointBarriers();
    }
  }
  if (!restart_in_progress()) {
    restart_peers_ = 0;
    restart_forced_ = false;
    restart_arrived_.clear();
  }
  CheckGeneralBarriers();
  StartDeferredCheckpoint();
  MaybeExitOnLast();
}

void State::MaybeExitOnLast() {
  if (!workers_.empty()) return;
  // The computation is over: a later launch starts a new one.
  computation_id_ = 0;
  generation_ = 0;
  kv_.clear();
  general_barriers_.clear();
  if (ever_joined_ && (config_.exit_on_last || config_.exit_after_ckpt) && !exiting_) {
    if (const size_t n = fx_.Handshaking()) {
      if (!exit_waits_for_handshakes_)
        LogInfo("last process left, %zu connections still in their handshake: waiting for them", n);
      exit_waits_for_handshakes_ = true;
      return;
    }
    LogInfo("last process left: exiting");
    exiting_ = true;
    fx_.Exit();
  }
}

void State::OnHandshakeEnded() {
  if (exit_waits_for_handshakes_) {
    exit_waits_for_handshakes_ = false;
    MaybeExitOnLast();
  }
}

void State::EndRejoinWhenComplete() {
  if (rejoin_expected_ == 0 || rejoin_in_progress()) return;
  if (workers_.empty()) {
    LogInfo("no process came back within %" PRIu64 " s", kRejoinWaitTicks);
  } else if (workers_.size() >= rejoin_expected_) {
    LogInfo("%zu processes are back after the coordinator was started again", workers_.size());
  } else {
    LogInfo("%zu of the %u processes of the last checkpoint came back within %" PRIu64
            " s: checkpoints go on with them",
            workers_.size(), rejoin_expected_, kRejoinWaitTicks);
  }
  rejoin_expected_ = 0;
  StartDeferredCheckpoint();
}

void State::OnBarrier(ClientId id, const std::string& name, uint32_t generation) {
  Worker& w = workers_.at(id);
  w.progress_tick = ticks_;
  if (abandoned_writers_.count(id)) {
    PassAlone(id, name);
    return;
  }
  if (name == proto::kBarrierRestarted) {
    if (!w.restart_waiting) {
      ReleaseBarrier(name, {id});  // nothing to wait for
      return;
    }
    restart_arrived_.insert(id);
    CheckRestartBarrier(false);
    return;
  }
  if (ckpt_ && ckpt_->participants.count(id)) {
    if (name == proto::kBarrierSuspended && generation != 0 && generation != ckpt_->generation) {
      // The request of an abandoned checkpoint, still queued when the
      // process stopped for it: it resumes and then takes this one's.
      SendAbandoned(id);
      return;
    }
    ckpt_->barriers[name].insert(id);
    if (name == proto::kBarrierSuspended) w.state = WorkerState::kSuspended;
    CheckCheckpointBarriers();
    return;
  }
  if (name == proto::kBarrierSuspended) {
    // Stopped for a checkpoint that was abandoned meanwhile.
    LogInfo("%s stopped for a checkpoint that was abandoned: it resumes",
            Describe(w.program, w.pid, w.host).c_str());
    SendAbandoned(id);
    return;
  }
  auto [it, created] = general_barriers_.try_emplace(name);
  if (created) {
    // Processes resuming after a checkpoint or restart meet each other at
    // their barriers; a process that joined meanwhile runs on and is not
    // waited for (nor are resuming ones at a running process's barrier).
    for (const auto& [wid, worker] : workers_)
      if (!worker.restart_waiting && worker.resuming == w.resuming) it->second.expected.insert(wid);
  }
  it->second.expected.insert(id);
  it->second.arrived.insert(id);
  CheckGeneralBarriers();
}

void State::PassAlone(ClientId id, const std::string& name) {
  // Late in a checkpoint that went on without it: it goes through alone;
  // its image goes, and its previous one stays.
  auto late = abandoned_writers_.find(id);
  int32_t commit = 0;
  if (name == proto::kBarrierCheckpointed) commit = proto::kCheckpointAbandoned;
  if (name == proto::kBarrierCommitted) commit = proto::kCommitFailed;
  if (name == proto::kBarrierCommitted) late->second |= 1;
  if (name == proto::kBarrierRefilled) late->second |= 2;
  ReleaseBarrier(name, {id}, commit);
  if (late->second == 3) {
    abandoned_writers_.erase(late);
    const Worker& w = workers_.at(id);
    LogInfo("%s is through the checkpoint that was abandoned without it: it runs on",
            Describe(w.program, w.pid, w.host).c_str());
  }
}

void State::ReleaseBarrier(const std::string& name, const std::set<ClientId>& to, int32_t commit) {
  proto::Barrier b{};
  proto::CopyField(b.name, sizeof b.name, name.c_str());
  b.commit = commit;
  if (ckpt_ && name == proto::kBarrierSuspended)
    b.num_peers = static_cast<uint32_t>(ckpt_->participants.size());
  const bool resumed = name == proto::kBarrierRefilled;
  for (ClientId id : to) {
    auto it = workers_.find(id);
    if (it == workers_.end()) continue;
    fx_.Send(id, MsgType::kBarrierRelease, &b, sizeof b);
    it->second.progress_tick = ticks_;
    if (resumed) {
      // The process runs its program again.
      it->second.resuming = false;
      if (it->second.state == WorkerState::kResuming) it->second.state = WorkerState::kRunning;
    }
  }
}

void State::DeferCheckpoint(ClientId from, char command, uint32_t deadline) {
  const char* until =
      rejoin_in_progress() ? "the processes are back" : "the processes have resumed";
  if (!deferred_checkpoint_) LogInfo("checkpoint deferred until %s", until);
  deferred_checkpoint_ = true;
  if (deadline && (!deferred_deadline_ || deadline < deferred_deadline_))
    deferred_deadline_ = deadline;
  if (command == 'b') deferred_waiters_.push_back(from);
  if (command == 'c')
    Reply(from, CommandStatus::kOk, std::string("checkpoint starts when ") + until);
}

void State::StartDeferredCheckpoint() {
  if (!deferred_checkpoint_ || ckpt_ || resume_in_progress() || restart_in_progress() ||
      rejoin_in_progress())
    return;
  deferred_checkpoint_ = false;
  std::vector<ClientId> waiters;
  waiters.swap(deferred_waiters_);
  const uint32_t deadline = deferred_deadline_;
  deferred_deadline_ = 0;
  std::string why;
  CommandStatus status = CommandStatus::kOk;
  if (!StartCheckpoint(&why, &status)) {
    for (ClientId w : waiters) Reply(w, status, why);
    return;
  }
  if (deadline) SetDeadline(deadline);
  for (ClientId w : waiters) ckpt_->waiters.push_back(w);
}

void State::CheckCheckpointBarriers() {
  for (auto it = ckpt_->barriers.begin(); it != ckpt_->barriers.end();) {
    const std::set<ClientId>& arrived = it->second;
    // The size first: this runs at every arrival, and a full comparison at
    // each would make a barrier of n processes cost n^2. The commit ends the
    // checkpoint, so it never passes before the images are written.
    if (arrived.size() < ckpt_->participants.size() ||
        (it->first == proto::kBarrierSuspended && !ckpt_->awaited.empty()) ||
        !std::includes(arrived.begin(), arrived.end(), ckpt_->participants.begin(),
                       ckpt_->participants.end()) ||
        (it->first == proto::kBarrierCommitted && !ckpt_->written_released)) {
      ++it;
      continue;
    }
    std::string name = it->first;
    std::set<ClientId> to = arrived;
    it = ckpt_->barriers.erase(it);
    // Every process reported an image, and none failed or vanished: the
    // processes may replace their previous images with these.
    const bool all_written = ckpt_->errors.empty() &&
                             ckpt_->reported.size() == ckpt_->participants.size() &&
                             ckpt_->images.size() == ckpt_->participants.size();
    int32_t commit = 0;
    if (name == proto::kBarrierCheckpointed) commit = all_written ? 1 : 0;
    // A process that could not put its image in place reported it before
    // it came here: then every process puts its previous image back.
    if (name == proto::kBarrierCommitted) commit = all_written ? 1 : proto::kCommitFailed;
    ReleaseBarrier(name, to, commit);
    if (name == proto::kBarrierCommitted) {
      FinishCheckpoint();
      return;
    }
    if (name == proto::kBarrierSuspended) ckpt_->suspended_released = true;
    if (name == proto::kBarrierCheckpointed) {
      ckpt_->written_released = true;
      it = ckpt_->barriers.begin();  // the commit may be complete already
    }
  }
}

void State::CheckGeneralBarriers() {
  for (auto it = general_barriers_.begin(); it != general_barriers_.end();) {
    const GeneralBarrier& b = it->second;
    bool all = !b.arrived.empty();
    for (ClientId id : b.expected) {
      if (workers_.count(id) && !b.arrived.count(id)) {
        all = false;
        break;
      }
    }
    if (!all) {
      ++it;
      continue;
    }
    std::string name = it->first;
    std::set<ClientId> to = b.arrived;
    it = general_barriers_.erase(it);
    ReleaseBarrier(name, to);
  }
  StartDeferredCheckpoint();
}

void State::CheckRestartBarrier(bool force) {
  if (restart_arrived_.empty()) return;
  if (!force && !restart_forced_ && restart_arrived_.size() < restart_peers_) return;
  std::set<ClientId> to;
  to.swap(restart_arrived_);
  for (ClientId id : to) {
    Worker& w = workers_.at(id);
    w.restart_waiting = false;
    w.state = w.resuming ? WorkerState::kResuming : WorkerState::kRunning;
  }
  ReleaseBarrier(proto::kBarrierRestarted, to);
  LogInfo("restart: %zu processes resumed%s", to.size(), force ? " (forced)" : "");
  ++restarts_resumed_;
  if (!restart_in_progress()) {
    restart_peers_ = 0;
    restart_forced_ = false;
  }
  CheckGeneralBarriers();
}

bool State::StartCheckpoint(std::string* why, CommandStatus* status) {
  if (workers_.empty()) {
    *status = CommandStatus::kNoProcesses;
    *why = "no processes to checkpoint";
    return false;
  }
  if (restart_in_progress()) {
    *status = CommandStatus::kError;
    *why = "a restart is in progress (the 'f' command forces it)";
    return false;
  }
  ++generation_;
  // What the processes published about the previous checkpoint is stale.
  std::erase_if(kv_,
                [](const auto& kv) { return kv.first.starts_with(proto::kCheckpointKeyPrefix); });
  Checkpoint c;
  c.generation = generation_;
  c.started_tick = ticks_;
  for (auto& [id, w] : workers_) {
    c.participants.insert(id);
    w.state = WorkerState::kCheckpointing;
    w.resuming = w.refill_barrier;
    c.resume_first = c.resume_first || w.resume_first;
  }
  ckpt_ = std::move(c);
  for (const auto& [id, w] : workers_) SendDoCheckpoint(id);
  LogInfo("checkpoint %u of computation %s started (%zu processes)", generation_,
          Hex16(computation_id_).c_str(), workers_.size());
  return true;
}

void State::SendDoCheckpoint(ClientId id) {
  // One order for all: processes that disagreed (one exec'd with its own
  // DMTCP_FORKED_CHECKPOINT) waited at different barriers for ever.
  if (workers_.at(id).takes_order) {
    proto::CheckpointOrder order{};
    order.resume_first = ckpt_->resume_first ? 1 : 0;
    fx_.Send(id, MsgType::kCheckpointOrder, &order, sizeof order);
  }
  proto::DoCheckpoint msg{};
  msg.generation = generation_;
  msg.num_peers = static_cast<uint32_t>(ckpt_->participants.size());
  proto::CopyField(msg.ckpt_dir, sizeof msg.ckpt_dir, config_.worker_ckpt_dir.c_str());
  fx_.Send(id, MsgType::kDoCheckpoint, &msg, TrimmedLen(msg, msg.ckpt_dir, sizeof msg.ckpt_dir));
}

void State::AddParticipant(ClientId id) {
  Worker& w = workers_.at(id);
  if (!ckpt_ || ckpt_->suspended_released || ckpt_->participants.count(id) || w.restart_waiting)
    return;
  ckpt_->participants.insert(id);
  w.state = WorkerState::kCheckpointing;
  w.resuming = w.refill_barrier;
  SendDoCheckpoint(id);
  LogInfo("%s, a child that started just before checkpoint %u, joins it",
          Describe(w.program, w.pid, w.host).c_str(), ckpt_->generation);
}

void State::JoinCheckpointInProgress(ClientId id) {
  if (!ckpt_ || ckpt_->suspended_released) return;
  const Worker& w = workers_.at(id);
  // A child reported before it joined, or the program a participant just
  // exec'd (the same process: its old connection leaves before the cut).
  bool successor = false;
  for (ClientId p : ckpt_->participants) {
    const Worker& pw = workers_.at(p);
    successor |= p != id && pw.pid == w.pid && pw.host == w.host;
  }
  if (ckpt_->awaited.erase({w.host, w.pid}) || successor) AddParticipant(id);
}

void State::OnChildren(ClientId id, const proto::Children& children) {
  if (!ckpt_ || !ckpt_->participants.count(id)) return;
  const std::string host = workers_.at(id).host;
  const uint32_t n = std::min(children.count, proto::kMaxChildren);
  if (children.ended) {
    bool erased = false;
    for (uint32_t i = 0; i < n; ++i) erased |= ckpt_->awaited.erase({host, children.pids[i]}) > 0;
    if (erased) CheckCheckpointBarriers();
    return;
  }
  for (uint32_t i = 0; i < n; ++i) {
    const int32_t pid = children.pids[i];
    ClientId found = 0;
    for (const auto& [wid, w] : workers_)
      if (w.pid == pid && w.host == host) found = wid;
    if (found)
      AddParticipant(found);
    else
      ckpt_->awaited[{host, pid}] = ticks_ + kChildWaitTicks;
  }
}

void State::OnTick() {
  ++ticks_;
  EndRejoinWhenComplete();
  if (ckpt_ && ckpt_->deadline_tick && ticks_ >= ckpt_->deadline_tick && !ckpt_->written_released) {
    AbandonAtDeadline();
    return;
  }
  if (ckpt_ && !ckpt_->suspended_released && config_.checkpoint_timeout &&
      ticks_ - ckpt_->started_tick >= config_.checkpoint_timeout) {
    AbandonCheckpoint("did not stop within " + std::to_string(config_.checkpoint_timeout) +
                      " s (stopped by a signal or a debugger, or stuck in the kernel)");
    return;
  }
  if (ckpt_ && !ckpt_->suspended_released && ticks_ - ckpt_->started_tick >= kStoppedCheckTicks) {
    const std::string stopped = StoppedParticipants();
    if (!stopped.empty()) {
      AbandonCheckpoint("did not stop: " + stopped);
      return;
    }
  }
  if (ckpt_ && ckpt_->suspended_released && config_.checkpoint_timeout) {
    const std::vector<ClientId> stuck = StuckWriters();
    if (!stuck.empty()) {
      AbandonWriters(stuck, "made no progress writing its image for " +
                                std::to_string(config_.checkpoint_timeout) +
                                " s (a hung file system, or stopped by a signal or a debugger)");
      return;
    }
    const auto waiting = DeadlockedAtBarriers();
    if (!waiting.empty()) {
      AbandonDeadlock(waiting);
      return;
    }
  }
  if (!ckpt_ || ckpt_->awaited.empty()) return;
  const bool expired = std::erase_if(ckpt_->awaited, [&](const auto& a) {
    if (a.second > ticks_) return false;
    LogInfo(
        "process %d on %s, a child of a process of the computation, did not join within %" PRIu64
        " s: checkpoint %u goes on without it",
        a.first.second, a.first.first.c_str(), kChildWaitTicks, ckpt_->generation);
    return true;
  });
  if (expired) CheckCheckpointBarriers();
}

void State::FinishCheckpoint() {
  Checkpoint c = std::move(*ckpt_);
  ckpt_.reset();
  for (ClientId id : c.participants) {
    Worker& w = workers_.at(id);
    w.state = w.resuming ? WorkerState::kResuming : WorkerState::kRunning;
    if (!c.reported.count(id)) {
      c.errors.push_back(Describe(w.program, w.pid, w.host) + " reported no image");
    }
  }
  std::string text;
  if (c.errors.empty()) {
    CompletedCheckpoint done;
    done.computation_id = computation_id_;
    done.generation = c.generation;
    done.images = c.images;
    std::string err = fx_.CheckpointComplete(done);
    if (!err.empty()) c.errors.push_back("cannot write the restart script: " + err);
  }
  const bool ok = c.errors.empty();
  if (ok) {
    for (const ImageRecord& img : c.images) text += img.path + "\n";
    if (c.forked)
      LogInfo("checkpoint %u complete: %zu images (%zu written by forked children)", c.generation,
              c.images.size(), c.forked);
    else
      LogInfo("checkpoint %u complete: %zu images", c.generation, c.images.size());
  } else {
    for (const std::string& e : c.errors) text += e + "\n";
    LogError("checkpoint %u failed: %s", c.generation, c.errors.front().c_str());
  }
  for (ClientId w : c.waiters) Reply(w, ok ? CommandStatus::kOk : CommandStatus::kError, text);
  fx_.ArmTimer(config_.interval);  // the next interval counts from now
  if (ok && config_.exit_after_ckpt) {
    LogInfo("--exit-after-ckpt: killing the computation");
    KillAll();
  }
}

void State::AbortCheckpoint(const std::string& why) {
  Checkpoint c = std::move(*ckpt_);
  ckpt_.reset();
  std::string text = why + "\n";
  for (const std::string& e : c.errors) text += e + "\n";
  LogError("checkpoint %u failed: %s", c.generation, why.c_str());
  for (ClientId w : c.waiters) Reply(w, CommandStatus::kError, text);
  fx_.ArmTimer(config_.interval);
}

void State::SendAbandoned(ClientId id) {
  proto::Barrier b{};
  proto::CopyField(b.name, sizeof b.name, proto::kBarrierSuspended);
  b.commit = proto::kCheckpointAbandoned;
  fx_.Send(id, MsgType::kBarrierRelease, &b, sizeof b);
}

std::string State::StoppedParticipants() {
  const std::set<ClientId>& stopped = ckpt_->barriers[proto::kBarrierSuspended];
  std::string text;
  for (ClientId id : ckpt_->participants) {
    if (stopped.count(id)) continue;
    const Worker& w = workers_.at(id);
    const char state = fx_.ProcessState(w.identity);
    if (state != 'T' && state != 't') {
      ckpt_->seen_stopped.erase(id);
      continue;
    }
    if (++ckpt_->seen_stopped[id] < 2) continue;
    const std::string pid = std::to_string(w.identity.real_pid);
    text += (text.empty() ? "" : "; ") + Describe(w.program, w.pid, w.host) +
            (state == 'T' ? " is stopped by a signal (SIGSTOP, SIGTSTP, a suspended job): it "
                            "takes part once it runs again (kill -CONT " +
                                pid + ")"
                          : " is stopped by a tracer (a debugger, strace; pid " + pid +
                                "): it takes part once the tracer lets it run or detaches");
  }
  return text;
}

void State::AbandonCheckpoint(const std::string& what) {
  const std::set<ClientId>& stopped = ckpt_->barriers[proto::kBarrierSuspended];
  std::string late;
  for (ClientId id : ckpt_->participants) {
    Worker& w = workers_.at(id);
    if (stopped.count(id)) SendAbandoned(id);
    if (!stopped.count(id)) late += (late.empty() ? "" : ", ") + Describe(w.program, w.pid, w.host);
    w.state = WorkerState::kRunning;
    w.resuming = false;
  }
  const uint32_t generation = ckpt_->generation;
  AbortCheckpoint("checkpoint " + std::to_string(generation) + " abandoned: " + late + " " + what +
                  "; the other processes run on, and the last complete checkpoint stays the "
                  "newest");
  // One that stops later finds its checkpoint gone (OnBarrier) and resumes.
}

void State::SetDeadline(uint32_t secs) {
  const uint64_t tick = ticks_ + secs;
  if (ckpt_->deadline_tick && ckpt_->deadline_tick <= tick) return;
  ckpt_->deadline_tick = tick;
  ckpt_->deadline_secs = static_cast<uint32_t>(tick - ckpt_->started_tick);
  LogInfo("checkpoint %u must be written within %u s of its start", ckpt_->generation,
          ckpt_->deadline_secs);
}

void State::AbandonAtDeadline() {
  const std::string what =
      "did not finish it within its deadline of " + std::to_string(ckpt_->deadline_secs) + " s";
  if (!ckpt_->suspended_released) {
    // Those still running stop later, find it gone (OnBarrier) and resume.
    AbandonCheckpoint(what);
    return;
  }
  // The processes still writing leave it, as stuck ones do: the others
  // then pass their barriers with the checkpoint failed, and keep their
  // previous images.
  std::vector<ClientId> ids, late;
  std::vector<std::pair<ClientId, std::string>> waiting;
  for (ClientId id : ckpt_->participants) {
    ids.push_back(id);
    bool at_barrier = false;
    for (const auto& [name, arrived] : ckpt_->barriers)
      if (arrived.count(id)) {
        waiting.emplace_back(id, name);
        at_barrier = true;
      }
    if (!at_barrier) late.push_back(id);
  }
  if (!late.empty()) {
    AbandonWriters(late, what);
    return;
  }
  // Every one waits at a barrier that does not pass: each goes on alone.
  AbandonWriters(ids, what);
  for (const auto& [id, name] : waiting) PassAlone(id, name);
}

std::vector<ClientId> State::StuckWriters() const {
  std::vector<ClientId> stuck;
  for (ClientId id : ckpt_->participants) {
    const Worker& w = workers_.at(id);
    if (ticks_ - w.progress_tick < config_.checkpoint_timeout) continue;
    bool waiting = false;
    for (const auto& [name, arrived] : ckpt_->barriers) waiting = waiting || arrived.count(id);
    for (const auto& [name, b] : general_barriers_) waiting = waiting || b.arrived.count(id);
    if (!waiting) stuck.push_back(id);
  }
  return stuck;
}

std::vector<std::pair<ClientId, std::string>> State::DeadlockedAtBarriers() const {
  std::vector<std::pair<ClientId, std::string>> waiting;
  for (ClientId id : ckpt_->participants) {
    if (ticks_ - workers_.at(id).progress_tick < config_.checkpoint_timeout) return {};
    const std::string* at = nullptr;
    for (const auto& [name, arrived] : ckpt_->barriers)
      if (arrived.count(id)) at = &name;
    if (!at) return {};  // writing, or silent elsewhere: StuckWriters' case
    waiting.emplace_back(id, *at);
  }
  return waiting;
}

void State::AbandonDeadlock(const std::vector<std::pair<ClientId, std::string>>& waiting) {
  std::vector<ClientId> ids;
  std::map<std::string, std::string> who_at;
  for (const auto& [id, name] : waiting) {
    const Worker& w = workers_.at(id);
    std::string& who = who_at[name];
    who += (who.empty() ? "" : ", ") + Describe(w.program, w.pid, w.host);
    ids.push_back(id);
  }
  std::string where;
  for (const auto& [name, who] : who_at)
    where += (where.empty() ? "" : "; ") + who + " at '" + name + "'";
  AbandonWriters(ids, "waited " + std::to_string(config_.checkpoint_timeout) +
                          " s at barriers that not all of them reach, a plugin's barrier that "
                          "only some processes call (" +
                          where + ")");
  // Each goes on from where it waits, as one late would.
  for (const auto& [id, name] : waiting) PassAlone(id, name);
}

void State::AbandonWriters(const std::vector<ClientId>& stuck, const std::string& what) {
  std::string names;
  for (ClientId id : stuck) {
    Worker& w = workers_.at(id);
    names += (names.empty() ? "" : ", ") + Describe(w.program, w.pid, w.host);
    ckpt_->participants.erase(id);
    ckpt_->reported.erase(id);
    // A forked writer's process passed resume:refilled already.
    abandoned_writers_[id] = w.resuming ? 0 : 2;
    // The others resume without it: no barrier of theirs waits for it.
    w.resuming = false;
    for (auto& [name, b] : general_barriers_) b.expected.erase(id);
  }
  const std::string why = "checkpoint " + std::to_string(ckpt_->generation) +
                          " abandoned: " + names + " " + what + "; " +
                          (ckpt_->participants.empty() ? "they" : "the other processes") +
                          " run on, and the last complete checkpoint stays the newest";
  if (ckpt_->participants.empty()) {
    AbortCheckpoint(why);
  } else {
    ckpt_->errors.insert(ckpt_->errors.begin(), why);
    LogError("%s", why.c_str());
    CheckCheckpointBarriers();
  }
  CheckGeneralBarriers();
}

void State::OnCheckpointDone(ClientId id, const proto::CheckpointDone& done) {
  if (abandoned_writers_.count(id)) return;  // the report of an abandoned checkpoint
  if (ckpt_ && ckpt_->participants.count(id) && ckpt_->reported.count(id) &&
      ckpt_->written_released && done.ok == 0) {
    // Its image was written, but it could not put it in place.
    const Worker& w = workers_.at(id);
    ckpt_->errors.push_back(Describe(w.program, w.pid, w.host) + ": " + done.image_path);
    return;
  }
  if (!ckpt_ || !ckpt_->participants.count(id) || ckpt_->reported.count(id)) {
    LogInfo("ignoring an image report from client %u outside its checkpoint", id);
    return;
  }
  Worker& w = workers_.at(id);
  ckpt_->reported.insert(id);
  w.state = WorkerState::kCheckpointed;
  if (done.ok == 1) {
    ImageRecord img;
    img.host = done.hostname[0] ? done.hostname : w.host;
    img.path = done.image_path;
    img.bytes = done.bytes;
    ckpt_->images.push_back(std::move(img));
    if (done.forked == 1) ++ckpt_->forked;
  } else {
    ckpt_->errors.push_back(Describe(w.program, w.pid, w.host) + ": " + done.image_path);
  }
}

void State::OnKvPut(const proto::KeyValue& kv) {
  size_t klen =
      kv.key_len ? std::min<size_t>(kv.key_len, sizeof kv.key) : strnlen(kv.key, sizeof kv.key);
  size_t vlen = kv.value_len ? std::min<size_t>(kv.value_len, sizeof kv.value)
                             : strnlen(kv.value, sizeof kv.value);
  kv_[std::string(kv.key, klen)] = std::string(kv.value, vlen);
}

void State::OnKvGet(ClientId id, const proto::KeyValue& kv) {
  size_t klen =
      kv.key_len ? std::min<size_t>(kv.key_len, sizeof kv.key) : strnlen(kv.key, sizeof kv.key);
  proto::KeyValue reply{};
  memcpy(reply.key, kv.key, klen);
  reply.key_len = static_cast<uint32_t>(klen);
  auto it = kv_.find(std::string(kv.key, klen));
  if (it != kv_.end()) {
    reply.found = 1;
    reply.value_len = static_cast<uint32_t>(it->second.size());
    memcpy(reply.value, it->second.data(), it->second.size());
  }
  uint32_t len = static_cast<uint32_t>(offsetof(proto::KeyValue, value) + reply.value_len);
  if (len < sizeof reply) ++len;  // keep a terminator for C-string readers
  fx_.Send(id, MsgType::kKvReply, &reply, len);
}

void State::OnProgramBarrier(ClientId from, const proto::ProgramBarrier& b) {
  ProgramBarrierState& pb = program_barriers_[{b.name, b.epoch}];
  if (!pb.released) {
    pb.arrived.insert(b.unique_id);
    pb.released = !workers_.empty() && std::all_of(workers_.begin(), workers_.end(), [&](auto& w) {
      return pb.arrived.count(w.second.unique_id) > 0;
    });
    // One that arrives here passed epoch - 1: its release holds for those
    // that have not heard of it (a checkpoint came between, and the restart
    // forgot it); and every process passed epoch - 2.
    if (b.epoch > 1) program_barriers_[{b.name, b.epoch - 1}].released = true;
    if (b.epoch > 2) program_barriers_.erase({b.name, b.epoch - 2});
  }
  proto::ProgramBarrier reply = b;
  reply.released = pb.released ? 1 : 0;
  fx_.Send(from, MsgType::kProgramBarrier, &reply, sizeof reply);
}

void State::KillAll() {
  killed_all_ = true;
  size_t by_pid = 0;
  for (const auto& [id, w] : workers_) {
    fx_.Send(id, MsgType::kKill, nullptr, 0);
    // Also by pid where we can: the message needs a checkpoint thread that
    // still reads it.
    if (fx_.KillProcess(w.identity)) ++by_pid;
  }
  if (!workers_.empty())
    LogInfo("killing %zu processes (%zu of them by pid here)", workers_.size(), by_pid);
}

void State::OnTimer() {
  if (workers_.empty() || ckpt_ || restart_in_progress()) return;
  if (resume_in_progress() || rejoin_in_progress()) {
    DeferCheckpoint(kStdinClient, 't');
    return;
  }
  std::string why;
  CommandStatus status;
  StartCheckpoint(&why, &status);
}

void State::OnCommand(ClientId from, const proto::Command& cmd) {
  switch (cmd.command) {
    case 's':
      Reply(from, CommandStatus::kOk, "");
      return;
    case 'l':
      Reply(from, CommandStatus::kOk, ListText());
      return;
    case 'c':
    case 'b': {
      // arg: seconds within which the checkpoint must be written (0: none).
      const uint32_t deadline = cmd.arg > 0 ? static_cast<uint32_t>(cmd.arg) : 0;
      if (ckpt_) {
        if (deadline) SetDeadline(deadline);
        if (cmd.command == 'b') {
          ckpt_->waiters.push_back(from);
        } else {
          Reply(from, CommandStatus::kOk,
                "checkpoint " + std::to_string(ckpt_->generation) + " already in progress");
        }
        return;
      }
      if ((resume_in_progress() && !restart_in_progress() && !workers_.empty()) ||
          rejoin_in_progress()) {
        DeferCheckpoint(from, cmd.command, deadline);
        return;
      }
      std::string why;
      CommandStatus status = CommandStatus::kOk;
      if (!StartCheckpoint(&why, &status)) {
        Reply(from, status, why);
        return;
      }
      if (deadline) SetDeadline(deadline);
      if (cmd.command == 'b') {
        ckpt_->waiters.push_back(from);
      } else {
        Reply(from, CommandStatus::kOk, "checkpoint " + std::to_string(generation_) + " started");
      }
      return;
    }
    case 'i':
      if (cmd.arg < 0) {
        Reply(from, CommandStatus::kError, "invalid interval " + std::to_string(cmd.arg));
        return;
      }
      config_.interval = static_cast<uint32_t>(cmd.arg);
      fx_.ArmTimer(config_.interval);
      LogInfo("checkpoint interval set to %u s", config_.interval);
      Reply(from, CommandStatus::kOk, "");
      return;
    case 'd': {
      // A coordinator started for a job before the job knew its directory
      // (a site prolog's) learns it here: images and restart script go there.
      std::string dir(cmd.path, strnlen(cmd.path, sizeof cmd.path));
      std::string err;
      if (dir.empty() || dir[0] != '/') {
        err = "the checkpoint directory must be an absolute path";
      } else if (ckpt_) {
        err = "a checkpoint is in progress";
      } else {
        err = fx_.SetScriptDir(dir);
      }
      if (!err.empty()) {
        Reply(from, CommandStatus::kError, "cannot use checkpoint directory " + dir + ": " + err);
        return;
      }
      config_.worker_ckpt_dir = dir;
      LogInfo("checkpoint directory set to %s", dir.c_str());
      Reply(from, CommandStatus::kOk, "");
      return;
    }
    case 'k':
      Reply(from, CommandStatus::kOk, "killing " + std::to_string(workers_.size()) + " processes");
      KillAll();
      return;
    case 'q':
      Reply(from, CommandStatus::kOk, "");
      KillAll();
      if (ckpt_) {
        for (ClientId w : ckpt_->waiters) {
          Reply(w, CommandStatus::kError, "the coordinator is exiting");
        }
        ckpt_->waiters.clear();
      }
      for (ClientId w : deferred_waiters_)
        Reply(w, CommandStatus::kError, "the coordinator is exiting");
      deferred_waiters_.clear();
      LogInfo("quit command: exiting");
      exiting_ = true;
      fx_.Exit();
      return;
    case 'f':
      if (!restart_in_progress()) {
        Reply(from, CommandStatus::kOk, "no restart is waiting");
        return;
      }
      restart_forced_ = true;
      LogInfo("forcing the restart with %zu of %u processes", restart_arrived_.size(),
              restart_peers_);
      CheckRestartBarrier(true);
      Reply(from, CommandStatus::kOk, "");
      return;
    default:
      Reply(from, CommandStatus::kError, std::string("unknown command '") + cmd.command + "'");
  }
}

std::string State::ListText() const {
  std::string s;
  for (const auto& [id, w] : workers_) {
    s += std::to_string(id) + ", " + Describe(w.program, w.pid, w.host) + ", " + w.unique_id +
         ", " + WorkerStateName(w.state) + "\n";
  }
  return s;
}

void State::FillStatus(proto::CommandReply* r) const {
  r->num_peers = static_cast<uint32_t>(workers_.size());
  r->running = running() ? 1 : 0;
  r->interval = config_.interval;
  r->generation = generation_;
  r->computation_id = computation_id_;
  r->restarts = restarts_resumed_;
}

void State::Reply(ClientId to, CommandStatus status, const std::string& text) {
  proto::CommandReply r{};
  r.status = static_cast<int32_t>(status);
  FillStatus(&r);
  std::string t = text;
  if (t.size() >= sizeof r.text) {
    // Cut at a line end and say so, rather than mid-line.
    static const char kMore[] = "...\n";
    size_t cut = t.rfind('\n', sizeof r.text - sizeof kMore - 1);
    t = t.substr(0, cut == std::string::npos ? 0 : cut + 1) + kMore;
  }
  proto::CopyField(r.text, sizeof r.text, t.c_str());
  fx_.Send(to, MsgType::kCommandReply, &r, TrimmedLen(r, r.text, sizeof r.text));
}

}  // namespace dmtcp::coord
