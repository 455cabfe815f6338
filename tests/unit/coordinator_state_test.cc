// The coordinator's rules, driven without sockets through a fake Effects.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "log.h"
#include "state.h"

namespace dmtcp::coord {
namespace {

using proto::MsgType;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Sent {
  ClientId to;
  MsgType type;
  std::vector<char> payload;

  template <typename T>
  T As() const {
    T t{};
    memcpy(&t, payload.data(), std::min(payload.size(), sizeof t));
    return t;
  }
};

class FakeEffects : public Effects {
 public:
  void Send(ClientId to, MsgType type, const void* payload, uint32_t len) override {
    const char* p = static_cast<const char*>(payload);
    sent.push_back({to, type, std::vector<char>(p, p + len)});
  }
  void Close(ClientId id) override { closed.insert(id); }
  void ArmTimer(uint32_t seconds) override { timer.push_back(seconds); }
  std::string CheckpointComplete(const CompletedCheckpoint& ckpt) override {
    completed.push_back(ckpt);
    return script_error;
  }
  std::string SetScriptDir(const std::string& dir) override {
    if (dir == "/refused") return "not a directory";
    script_dir = dir;
    return "";
  }
  void Exit() override { exited = true; }
  bool KillProcess(const proto::ProcessIdentity& who) override {
    killed_pids.push_back(who.real_pid);
    return who.real_pid > 0;
  }
  char ProcessState(const proto::ProcessIdentity& who) override {
    auto it = process_states.find(who.real_pid);
    return it == process_states.end() ? 'S' : it->second;
  }
  std::map<int32_t, char> process_states;
  size_t Handshaking() override { return handshaking; }
  size_t handshaking = 0;

  // Messages of `type` sent to `to` since the last Clear().
  std::vector<Sent> To(ClientId to, MsgType type) const {
    std::vector<Sent> out;
    for (const Sent& s : sent) {
      if (s.to == to && s.type == type) out.push_back(s);
    }
    return out;
  }
  void Clear() { sent.clear(); }

  std::vector<Sent> sent;
  std::set<ClientId> closed;
  std::vector<uint32_t> timer;
  std::vector<CompletedCheckpoint> completed;
  std::string script_error;
  std::string script_dir;
  bool exited = false;
  std::vector<int32_t> killed_pids;
};

class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogQuiet(true);
    null_fd_ = open("/dev/null", O_WRONLY);
    SetLogFd(null_fd_);  // expected protocol errors would clutter the test output
  }
  void TearDown() override {
    SetLogFd(2);
    close(null_fd_);
  }
  int null_fd_ = -1;

  void Make(Config c = {}) {
    c.secret = kSecret;
    uint64_t next = 0x1000;
    c.random_id = [next]() mutable { return next++; };
    state = std::make_unique<State>(std::move(c), fx);
    state->Start();
  }

  // Every connection in these tests was sent this challenge.
  static constexpr uint8_t kNonce[proto::kNonceLen] = {7, 1, 2, 3};

  static proto::Hello HelloFor(proto::Role role, int pid, const char* secret = kSecret) {
    proto::Hello h{};
    h.role = static_cast<uint32_t>(role);
    proto::Challenge c;
    memcpy(c.nonce, kNonce, sizeof c.nonce);
    EXPECT_TRUE(proto::SignHello(&h, secret, c));
    proto::CopyField(h.hostname, sizeof h.hostname, pid % 2 ? "node-a" : "node-b");
    proto::CopyField(h.program, sizeof h.program, "prog");
    std::string uid = "uid-" + std::to_string(pid);
    proto::CopyField(h.unique_id, sizeof h.unique_id, uid.c_str());
    h.pid = pid;
    return h;
  }

  bool SayHello(ClientId id, const proto::Hello& h) { return state->OnHello(id, h, kNonce); }

  proto::HelloReply LastHelloReply(ClientId id) {
    auto r = fx.To(id, MsgType::kHelloReply);
    EXPECT_FALSE(r.empty());
    return r.empty() ? proto::HelloReply{} : r.back().As<proto::HelloReply>();
  }

  bool AddWorker(ClientId id, int pid) { return SayHello(id, HelloFor(proto::Role::kWorker, pid)); }
  // A worker whose runtime passes kBarrierRefilled, as today's runtime does,
  // and that reports its kernel identity (real pid pid + 50000).
  bool AddResumingWorker(ClientId id, int pid, bool restarting = false, uint32_t peers = 0) {
    proto::Hello h = HelloFor(proto::Role::kWorker, pid);
    h.features = proto::kFeatureRefillBarrier;
    h.self.real_pid = pid + 50000;
    if (restarting) {
      h.restarting = 1;
      h.computation_id = 0x77;
      h.generation = 3;
      h.restart_peers = peers;
    }
    return SayHello(id, h);
  }
  // Runs workers through a whole checkpoint up to its commit.
  void CheckpointUpToCommit(std::initializer_list<ClientId> workers) {
    for (ClientId w : workers) Barrier(w, proto::kBarrierSuspended);
    for (ClientId w : workers) Done(w, true, "/ckpt/" + std::to_string(w) + ".dmtcp");
    for (ClientId w : workers) Barrier(w, proto::kBarrierCheckpointed);
    for (ClientId w : workers) Barrier(w, proto::kBarrierCommitted);
  }
  bool AddRestarted(ClientId id, int pid, uint64_t comp, uint32_t gen, uint32_t peers) {
    proto::Hello h = HelloFor(proto::Role::kWorker, pid);
    h.restarting = 1;
    h.computation_id = comp;
    h.generation = gen;
    h.restart_peers = peers;
    return SayHello(id, h);
  }
  void AddCommand(ClientId id) { ASSERT_TRUE(SayHello(id, HelloFor(proto::Role::kCommand, 9999))); }

  void Command(ClientId from, char c, int32_t arg = 0, const char* path = "") {
    proto::Command cmd{};
    cmd.command = c;
    cmd.arg = arg;
    proto::CopyField(cmd.path, sizeof cmd.path, path);
    state->OnMessage(from, MsgType::kCommand, &cmd, sizeof cmd);
  }
  proto::CommandReply LastReply(ClientId to) {
    auto r = fx.To(to, MsgType::kCommandReply);
    EXPECT_FALSE(r.empty()) << "no reply to " << to;
    return r.empty() ? proto::CommandReply{} : r.back().As<proto::CommandReply>();
  }

  void Barrier(ClientId from, const char* name, uint32_t generation = 0) {
    proto::Barrier b{};
    proto::CopyField(b.name, sizeof b.name, name);
    b.generation = generation;
    state->OnMessage(from, MsgType::kBarrier, &b, sizeof b);
  }
  bool Released(ClientId to, const char* name) {
    for (const Sent& s : fx.To(to, MsgType::kBarrierRelease)) {
      if (strcmp(s.As<proto::Barrier>().name, name) == 0) return true;
    }
    return false;
  }
  void Done(ClientId from, bool ok, const std::string& path) {
    proto::CheckpointDone d{};
    d.ok = ok ? 1 : 0;
    d.bytes = 4096;
    std::string host = "host" + std::to_string(from);
    proto::CopyField(d.hostname, sizeof d.hostname, host.c_str());
    proto::CopyField(d.image_path, sizeof d.image_path, path.c_str());
    state->OnMessage(from, MsgType::kCheckpointDone, &d, sizeof d);
  }

  FakeEffects fx;
  std::unique_ptr<State> state;
};

TEST_F(StateTest, WrongSecretIsRejectedAndClosed) {
  Make();
  EXPECT_FALSE(SayHello(5, HelloFor(proto::Role::kWorker, 10, "nope")));
  auto r = LastHelloReply(5);
  EXPECT_EQ(r.status, static_cast<int32_t>(proto::HelloStatus::kBadSecret));
  EXPECT_STRNE(r.message, "");
  EXPECT_EQ(r.computation_id, 0u);  // nothing leaks to a stranger
  EXPECT_TRUE(fx.closed.count(5));
  EXPECT_EQ(state->num_workers(), 0u);
}

TEST_F(StateTest, SecretPrefixIsNotEnough) {
  Make();
  std::string prefix(kSecret, 63);
  EXPECT_FALSE(SayHello(5, HelloFor(proto::Role::kCommand, 10, prefix.c_str())));
  EXPECT_FALSE(SayHello(6, HelloFor(proto::Role::kCommand, 10, "")));
}

TEST_F(StateTest, ProofForAnotherChallengeIsRejected) {
  Make();
  // A Hello recorded on one connection is worth nothing on the next.
  proto::Hello h = HelloFor(proto::Role::kCommand, 10);
  uint8_t other[proto::kNonceLen] = {7, 1, 2, 4};
  EXPECT_FALSE(state->OnHello(5, h, other));
  EXPECT_EQ(LastHelloReply(5).status, static_cast<int32_t>(proto::HelloStatus::kBadSecret));
  EXPECT_TRUE(SayHello(6, h));
}

TEST_F(StateTest, ReplyProvesTheCoordinatorKnowsTheSecret) {
  Make();
  proto::Hello h = HelloFor(proto::Role::kCommand, 10);
  ASSERT_TRUE(SayHello(5, h));
  proto::Challenge c;
  memcpy(c.nonce, kNonce, sizeof c.nonce);
  EXPECT_TRUE(proto::ReplyIsGenuine(LastHelloReply(5), kSecret, c, h));
  EXPECT_FALSE(proto::ReplyIsGenuine(LastHelloReply(5), "another secret", c, h));
}

TEST_F(StateTest, UnknownRoleIsRejected) {
  Make();
  proto::Hello h = HelloFor(proto::Role::kWorker, 10);
  h.role = 77;
  EXPECT_FALSE(SayHello(5, h));
  EXPECT_TRUE(fx.closed.count(5));
}

TEST_F(StateTest, StatusWithoutWorkers) {
  Make();
  AddCommand(1);
  Command(1, 's');
  auto r = LastReply(1);
  EXPECT_EQ(r.status, static_cast<int32_t>(proto::CommandStatus::kOk));
  EXPECT_EQ(r.num_peers, 0u);
  EXPECT_EQ(r.running, 0u);  // DMTCP: RUNNING=no without processes
  EXPECT_EQ(r.generation, 0u);
}

TEST_F(StateTest, FirstWorkerGetsAComputationId) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  auto r = LastHelloReply(2);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.client_id, 2u);
  EXPECT_EQ(r.computation_id, 0x1000u);
  ASSERT_TRUE(AddWorker(3, 101));
  EXPECT_EQ(LastHelloReply(3).computation_id, 0x1000u);
  EXPECT_EQ(state->num_workers(), 2u);
  EXPECT_TRUE(state->running());
}

TEST_F(StateTest, CheckpointWithoutProcesses) {
  Make();
  AddCommand(1);
  Command(1, 'c');
  EXPECT_EQ(LastReply(1).status, static_cast<int32_t>(proto::CommandStatus::kNoProcesses));
  Command(1, 'b');
  EXPECT_EQ(LastReply(1).status, static_cast<int32_t>(proto::CommandStatus::kNoProcesses));
  EXPECT_FALSE(state->checkpoint_in_progress());
}

// Processes whose own settings disagree (one forked, one in place) are all told one order: the
// forked one's, resume first, since it may have a child still writing; an old runtime that does
// not take the order is not sent it.
TEST_F(StateTest, EveryProcessIsToldOneCheckpointOrder) {
  Make();
  for (auto [id, features] :
       {std::pair{2u, proto::kFeatureCheckpointOrder},
        std::pair{3u, proto::kFeatureCheckpointOrder | proto::kFeatureResumeFirst},
        std::pair{4u, 0u}}) {
    proto::Hello h = HelloFor(proto::Role::kWorker, static_cast<int>(100 + id));
    h.features = proto::kFeatureRefillBarrier | features;
    ASSERT_TRUE(SayHello(id, h));
  }
  AddCommand(1);
  Command(1, 'c');
  for (ClientId w : {2u, 3u}) {
    auto o = fx.To(w, MsgType::kCheckpointOrder);
    ASSERT_EQ(o.size(), 1u) << w;
    EXPECT_EQ(o[0].As<proto::CheckpointOrder>().resume_first, 1u) << w;
    EXPECT_EQ(fx.To(w, MsgType::kDoCheckpoint).size(), 1u);
  }
  EXPECT_TRUE(fx.To(4, MsgType::kCheckpointOrder).empty());
  EXPECT_EQ(fx.To(4, MsgType::kDoCheckpoint).size(), 1u);
}

TEST_F(StateTest, WithoutForkedProcessesTheOrderIsCommitFirst) {
  Make();
  for (ClientId id : {2u, 3u}) {
    proto::Hello h = HelloFor(proto::Role::kWorker, static_cast<int>(100 + id));
    h.features = proto::kFeatureRefillBarrier | proto::kFeatureCheckpointOrder;
    ASSERT_TRUE(SayHello(id, h));
  }
  AddCommand(1);
  Command(1, 'c');
  for (ClientId w : {2u, 3u}) {
    auto o = fx.To(w, MsgType::kCheckpointOrder);
    ASSERT_EQ(o.size(), 1u);
    EXPECT_EQ(o[0].As<proto::CheckpointOrder>().resume_first, 0u);
  }
}

TEST_F(StateTest, FullBlockingCheckpoint) {
  Config c;
  c.worker_ckpt_dir = "/ckpt";
  c.interval = 60;
  Make(c);
  ASSERT_TRUE(AddWorker(2, 100));
  ASSERT_TRUE(AddWorker(3, 101));
  AddCommand(1);
  fx.timer.clear();
  Command(1, 'b');
  EXPECT_TRUE(fx.To(1, MsgType::kCommandReply).empty());  // answered at the end
  for (ClientId w : {2u, 3u}) {
    auto d = fx.To(w, MsgType::kDoCheckpoint);
    ASSERT_EQ(d.size(), 1u);
    auto msg = d[0].As<proto::DoCheckpoint>();
    EXPECT_EQ(msg.generation, 1u);
    EXPECT_EQ(msg.num_peers, 2u);
    EXPECT_STREQ(msg.ckpt_dir, "/ckpt");
    EXPECT_EQ(state->worker_state(w), WorkerState::kCheckpointing);
  }
  EXPECT_FALSE(state->running());

  Barrier(2, proto::kBarrierSuspended);
  EXPECT_FALSE(Released(2, proto::kBarrierSuspended));
  Barrier(3, proto::kBarrierSuspended);
  EXPECT_TRUE(Released(2, proto::kBarrierSuspended));
  EXPECT_TRUE(Released(3, proto::kBarrierSuspended));
  EXPECT_EQ(state->worker_state(2), WorkerState::kSuspended);

  Done(2, true, "/ckpt/a.dmtcp");
  Done(3, true, "/ckpt/b.dmtcp");
  EXPECT_EQ(state->worker_state(3), WorkerState::kCheckpointed);
  Barrier(2, proto::kBarrierCheckpointed);
  Barrier(2, proto::kBarrierCommitted);
  EXPECT_TRUE(fx.completed.empty());
  Barrier(3, proto::kBarrierCheckpointed);
  Barrier(3, proto::kBarrierCommitted);
  EXPECT_TRUE(Released(2, proto::kBarrierCheckpointed));
  EXPECT_TRUE(Released(3, proto::kBarrierCheckpointed));

  ASSERT_EQ(fx.completed.size(), 1u);
  EXPECT_EQ(fx.completed[0].generation, 1u);
  EXPECT_EQ(fx.completed[0].computation_id, 0x1000u);
  ASSERT_EQ(fx.completed[0].images.size(), 2u);
  EXPECT_EQ(fx.completed[0].images[0].path, "/ckpt/a.dmtcp");
  EXPECT_EQ(fx.completed[0].images[0].host, "host2");
  auto r = LastReply(1);
  EXPECT_EQ(r.status, 0);
  EXPECT_STREQ(r.text, "/ckpt/a.dmtcp\n/ckpt/b.dmtcp\n");
  EXPECT_EQ(r.generation, 1u);
  EXPECT_TRUE(state->running());
  EXPECT_EQ(state->worker_state(2), WorkerState::kRunning);
  ASSERT_FALSE(fx.timer.empty());
  EXPECT_EQ(fx.timer.back(), 60u);  // the interval restarts after a checkpoint
}

TEST_F(StateTest, PluginBarrierInsideCheckpointWaitsForParticipantsOnly) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  AddCommand(1);
  Command(1, 'c');
  EXPECT_EQ(LastReply(1).status, 0);
  ASSERT_TRUE(AddWorker(3, 101));  // joins late: not part of this checkpoint
  EXPECT_TRUE(fx.To(3, MsgType::kDoCheckpoint).empty());
  Barrier(2, "ckpt:drained");
  EXPECT_TRUE(Released(2, "ckpt:drained"));
}

TEST_F(StateTest, DisconnectDuringCheckpointReleasesOthersAndFailsIt) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  ASSERT_TRUE(AddWorker(3, 101));
  AddCommand(1);
  Command(1, 'b');
  Barrier(3, proto::kBarrierSuspended);
  state->OnDisconnect(3);  // stopped for the checkpoint, then killed
  Barrier(2, proto::kBarrierSuspended);
  EXPECT_TRUE(Released(2, proto::kBarrierSuspended));
  Done(2, true, "/a");
  Barrier(2, proto::kBarrierCheckpointed);
  Barrier(2, proto::kBarrierCommitted);
  EXPECT_TRUE(Released(2, proto::kBarrierCheckpointed));
  EXPECT_TRUE(fx.completed.empty());  // an incomplete checkpoint gets no restart script
  auto r = LastReply(1);
  EXPECT_EQ(r.status, static_cast<int32_t>(proto::CommandStatus::kError));
  EXPECT_NE(std::string(r.text).find("exited during checkpoint 1"), std::string::npos) << r.text;
}

TEST_F(StateTest, ProcessThatEndedBeforeTheCutIsLeftOut) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  ASSERT_TRUE(AddWorker(3, 101));
  AddCommand(1);
  Command(1, 'b');
  state->OnDisconnect(3);  // a short-lived command that ended before it was stopped
  Barrier(2, proto::kBarrierSuspended);
  EXPECT_TRUE(Released(2, proto::kBarrierSuspended));
  Done(2, true, "/a");
  Barrier(2, proto::kBarrierCheckpointed);
  Barrier(2, proto::kBarrierCommitted);
  ASSERT_EQ(fx.completed.size(), 1u);
  EXPECT_EQ(fx.completed[0].images.size(), 1u);
  EXPECT_EQ(LastReply(1).status, 0);
}

TEST_F(StateTest, EveryoneLeavingAbortsTheCheckpoint) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  AddCommand(1);
  Command(1, 'b');
  state->OnDisconnect(2);
  EXPECT_FALSE(state->checkpoint_in_progress());
  EXPECT_EQ(LastReply(1).status, static_cast<int32_t>(proto::CommandStatus::kError));
}

TEST_F(StateTest, FailedImageFailsTheBlockingCheckpoint) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  AddCommand(1);
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended);
  Done(2, false, "disk full");
  Barrier(2, proto::kBarrierCheckpointed);
  Barrier(2, proto::kBarrierCommitted);
  EXPECT_TRUE(fx.completed.empty());
  auto r = LastReply(1);
  EXPECT_EQ(r.status, static_cast<int32_t>(proto::CommandStatus::kError));
  EXPECT_NE(std::string(r.text).find("disk full"), std::string::npos);
}

// The verdict in the last release of barrier `name` to id (0 if none).
int32_t Verdict(FakeEffects& fx, ClientId id, const char* name) {
  auto r = fx.To(id, MsgType::kBarrierRelease);
  for (auto it = r.rbegin(); it != r.rend(); ++it) {
    auto b = it->As<proto::Barrier>();
    if (std::string(b.name) == name) return b.commit;
  }
  return 0;
}
int32_t SuspendedVerdict(FakeEffects& fx, ClientId id) {
  return Verdict(fx, id, proto::kBarrierSuspended);
}

// Every image was written, but one process could not put its image in place
// (a rename that failed): the commit tells every process to put its previous
// image back, the checkpoint fails naming why, and no restart script names
// the half-replaced generation.
TEST_F(StateTest, ImageThatCannotBePutInPlaceTakesTheWholeGenerationBack) {
  Make(Config{});
  ASSERT_TRUE(AddWorker(2, 100));
  ASSERT_TRUE(AddWorker(3, 101));
  AddCommand(1);
  Command(1, 'b');
  for (ClientId w : {2u, 3u}) Barrier(w, proto::kBarrierSuspended);
  for (ClientId w : {2u, 3u}) Done(w, true, "/ckpt/" + std::to_string(w) + ".dmtcp");
  for (ClientId w : {2u, 3u}) Barrier(w, proto::kBarrierCheckpointed);
  EXPECT_EQ(Verdict(fx, 2, proto::kBarrierCheckpointed), 1);
  Barrier(2, proto::kBarrierCommitted);
  Done(3, false, "cannot rename checkpoint image to /ckpt/3.dmtcp: Operation not permitted");
  Barrier(3, proto::kBarrierCommitted);
  for (ClientId w : {2u, 3u})
    EXPECT_EQ(Verdict(fx, w, proto::kBarrierCommitted), proto::kCommitFailed);
  EXPECT_TRUE(fx.completed.empty());
  auto r = LastReply(1);
  EXPECT_EQ(r.status, static_cast<int32_t>(proto::CommandStatus::kError));
  EXPECT_NE(std::string(r.text).find("cannot rename"), std::string::npos);
  // The next one goes through whole, with its commit.
  Command(1, 'b');
  CheckpointUpToCommit({2, 3});
  for (ClientId w : {2u, 3u}) EXPECT_EQ(Verdict(fx, w, proto::kBarrierCommitted), 1);
  EXPECT_EQ(fx.completed.size(), 1u);
}

// A process stopped by a signal (or a tracer) cannot take part: once it is seen stopped twice in
// a row, kStoppedCheckTicks after the start, the checkpoint is abandoned, naming it and how it
// goes on, not after the timeout. One stopped for a moment only is waited for.
TEST_F(StateTest, CheckpointWhoseProcessIsStoppedIsAbandonedEarly) {
  Config c;
  c.checkpoint_timeout = 120;
  Make(c);
  ASSERT_TRUE(AddResumingWorker(2, 100));
  ASSERT_TRUE(AddResumingWorker(3, 101));
  AddCommand(1);
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended);
  fx.process_states[50101] = 'T';
  for (uint64_t t = 1; t < State::kStoppedCheckTicks; ++t) state->OnTick();
  state->OnTick();  // seen stopped once
  fx.process_states[50101] = 'R';
  state->OnTick();  // running again: counted anew
  fx.process_states[50101] = 'T';
  state->OnTick();
  EXPECT_TRUE(state->checkpoint_in_progress());
  state->OnTick();  // twice in a row
  EXPECT_FALSE(state->checkpoint_in_progress());
  EXPECT_EQ(SuspendedVerdict(fx, 2), proto::kCheckpointAbandoned);
  const std::string text = LastReply(1).text;
  EXPECT_NE(text.find("is stopped by a signal"), std::string::npos) << text;
  EXPECT_NE(text.find("kill -CONT 50101"), std::string::npos) << text;
  EXPECT_EQ(text.find("[100]"), std::string::npos) << text;
  // A tracer's stop is named as such.
  Barrier(3, proto::kBarrierSuspended, 1);
  fx.process_states[50101] = 't';
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended);
  for (uint64_t t = 0; t < State::kStoppedCheckTicks + 1; ++t) state->OnTick();
  EXPECT_FALSE(state->checkpoint_in_progress());
  const std::string traced = LastReply(1).text;
  EXPECT_NE(traced.find("is stopped by a tracer"), std::string::npos) << traced;
}

// A process that never stops (SIGSTOP, a debugger, a hung file system): past
// the timeout the checkpoint is abandoned, the process that stopped resumes,
// the 'b' command hears which process did not stop, and the computation runs
// and checkpoints again. The late process, once it stops, is told to resume.
TEST_F(StateTest, CheckpointWhoseProcessDoesNotStopIsAbandonedAfterTheTimeout) {
  Config c;
  c.checkpoint_timeout = 3;
  Make(c);
  ASSERT_TRUE(AddWorker(2, 100));
  ASSERT_TRUE(AddWorker(3, 101));
  AddCommand(1);
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended);
  state->OnTick();
  state->OnTick();
  EXPECT_TRUE(state->checkpoint_in_progress());
  EXPECT_EQ(SuspendedVerdict(fx, 2), 0);
  state->OnTick();
  EXPECT_FALSE(state->checkpoint_in_progress());
  EXPECT_TRUE(state->running());
  EXPECT_EQ(SuspendedVerdict(fx, 2), proto::kCheckpointAbandoned);
  auto r = LastReply(1);
  EXPECT_EQ(r.status, static_cast<int32_t>(proto::CommandStatus::kError));
  const std::string text = r.text;
  EXPECT_NE(text.find("abandoned"), std::string::npos) << text;
  EXPECT_NE(text.find("101"), std::string::npos) << text;  // the late one, by pid
  EXPECT_EQ(text.find("[100]"), std::string::npos) << text;
  EXPECT_TRUE(fx.completed.empty());
  // The late process stops at last, for the checkpoint that is gone (1).
  Barrier(3, proto::kBarrierSuspended, 1);
  EXPECT_EQ(SuspendedVerdict(fx, 3), proto::kCheckpointAbandoned);
  // The next checkpoint (2) completes; the late process had asked for 1 by
  // a second request still queued, which stops it once more: not counted.
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended, 2);
  fx.sent.clear();
  Barrier(3, proto::kBarrierSuspended, 1);
  EXPECT_EQ(SuspendedVerdict(fx, 3), proto::kCheckpointAbandoned);
  EXPECT_FALSE(Released(2, proto::kBarrierSuspended));
  Barrier(3, proto::kBarrierSuspended, 2);
  EXPECT_TRUE(Released(2, proto::kBarrierSuspended));
  EXPECT_EQ(SuspendedVerdict(fx, 2), 0);
  Done(2, true, "/a");
  Done(3, true, "/b");
  for (ClientId id : {2, 3}) Barrier(id, proto::kBarrierCheckpointed);
  for (ClientId id : {2, 3}) Barrier(id, proto::kBarrierCommitted);
  EXPECT_EQ(fx.completed.size(), 1u);
}

// The release of the written barrier tells each process whether to put its
// new image in place (two-phase commit of a generation).
int32_t CommitVerdict(FakeEffects& fx, ClientId id) {
  auto r = fx.To(id, MsgType::kBarrierRelease);
  for (auto it = r.rbegin(); it != r.rend(); ++it) {
    auto b = it->As<proto::Barrier>();
    if (std::string(b.name) == proto::kBarrierCheckpointed) return b.commit;
  }
  ADD_FAILURE() << "no release of " << proto::kBarrierCheckpointed << " to client " << id;
  return -1;
}

// The release of barrier `name` last sent to `id`: its commit field (or 99 if none).
int32_t ReleaseCommit(FakeEffects& fx, ClientId id, const char* name) {
  auto r = fx.To(id, MsgType::kBarrierRelease);
  for (auto it = r.rbegin(); it != r.rend(); ++it) {
    auto b = it->As<proto::Barrier>();
    if (std::string(b.name) == name) return b.commit;
  }
  return 99;
}

// A deadline given with the command (dmtcp_command --timeout, dmtcp_job before a
// job's end) abandons the checkpoint long before the coordinator's own timeout:
// while processes stop, and while they write; a later request can only make
// the deadline of the checkpoint in progress earlier.
TEST_F(StateTest, CheckpointPastItsDeadlineIsAbandoned) {
  Config c;
  c.checkpoint_timeout = 120;
  Make(c);
  ASSERT_TRUE(AddResumingWorker(2, 100));
  ASSERT_TRUE(AddResumingWorker(3, 101));
  AddCommand(1);
  AddCommand(4);
  Command(1, 'c');  // no deadline
  Barrier(2, proto::kBarrierSuspended, 1);
  state->OnTick();
  Command(4, 'b', 2);   // joins it, with a deadline 2 s from now
  Command(1, 'b', 30);  // a later deadline changes nothing
  state->OnTick();
  EXPECT_TRUE(state->checkpoint_in_progress());
  state->OnTick();
  EXPECT_FALSE(state->checkpoint_in_progress());
  EXPECT_EQ(SuspendedVerdict(fx, 2), proto::kCheckpointAbandoned);
  for (ClientId id : {1, 4}) {
    auto r = LastReply(id);
    EXPECT_EQ(r.status, static_cast<int32_t>(proto::CommandStatus::kError));
    const std::string text = r.text;
    EXPECT_NE(text.find("[101]"), std::string::npos) << text;
    EXPECT_NE(text.find("within its deadline of 3 s"), std::string::npos) << text;
    EXPECT_EQ(text.find("[100]"), std::string::npos) << text;
  }
  Barrier(3, proto::kBarrierSuspended, 1);  // late: its checkpoint is gone
  EXPECT_EQ(SuspendedVerdict(fx, 3), proto::kCheckpointAbandoned);

  // Checkpoint 2: both stop, 2 writes its image, 3 is still writing at the
  // deadline: 3 leaves it, 2 drops its new image, the checkpoint fails.
  fx.Clear();
  Command(4, 'b', 2);
  Barrier(2, proto::kBarrierSuspended, 2);
  Barrier(3, proto::kBarrierSuspended, 2);
  ASSERT_TRUE(Released(3, proto::kBarrierSuspended));
  Done(2, true, "/a");
  Barrier(2, proto::kBarrierCheckpointed);
  state->OnTick();
  EXPECT_FALSE(Released(2, proto::kBarrierCheckpointed));
  state->OnTick();
  EXPECT_TRUE(Released(2, proto::kBarrierCheckpointed));
  EXPECT_EQ(CommitVerdict(fx, 2), 0);
  Barrier(2, proto::kBarrierCommitted);
  EXPECT_FALSE(state->checkpoint_in_progress());
  const std::string text = LastReply(4).text;
  EXPECT_NE(text.find("[101]"), std::string::npos) << text;
  EXPECT_NE(text.find("within its deadline of 2 s"), std::string::npos) << text;
  EXPECT_TRUE(fx.completed.empty());
  Done(3, true, "/b");  // its write ends: it goes through alone, its image goes
  Barrier(3, proto::kBarrierCheckpointed);
  EXPECT_EQ(ReleaseCommit(fx, 3, proto::kBarrierCheckpointed), proto::kCheckpointAbandoned);

  // Without a deadline the next one completes, however long it takes.
  fx.Clear();
  Barrier(3, proto::kBarrierCommitted);
  for (ClientId id : {2, 3}) Barrier(id, proto::kBarrierRefilled);
  Command(4, 'b');
  for (ClientId id : {2, 3}) Barrier(id, proto::kBarrierSuspended, 3);
  for (int i = 0; i < 10; ++i) state->OnTick();
  Done(2, true, "/a");
  Done(3, true, "/b");
  for (ClientId id : {2, 3}) Barrier(id, proto::kBarrierCheckpointed);
  for (ClientId id : {2, 3}) Barrier(id, proto::kBarrierCommitted);
  EXPECT_EQ(fx.completed.size(), 1u);
}

TEST_F(StateTest, WriterSilentForTheTimeoutIsLeftOutAndTheCheckpointFails) {
  Config c;
  c.checkpoint_timeout = 3;
  Make(c);
  ASSERT_TRUE(AddResumingWorker(2, 100));
  ASSERT_TRUE(AddResumingWorker(3, 101));
  AddCommand(1);
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended, 1);
  Barrier(3, proto::kBarrierSuspended, 1);
  ASSERT_TRUE(Released(3, proto::kBarrierSuspended));
  Done(2, true, "/a");
  Barrier(2, proto::kBarrierCheckpointed);
  // 3 writes: progress now and then keeps the checkpoint going past the timeout.
  proto::WriteProgress wp{};
  wp.generation = 1;
  for (int i = 0; i < 5; ++i) {
    state->OnTick();
    wp.bytes += 1 << 20;
    state->OnMessage(3, MsgType::kWriteProgress, &wp, sizeof wp);
  }
  EXPECT_TRUE(state->checkpoint_in_progress());
  // Progress of another generation is not progress in this one.
  wp.generation = 7;
  state->OnTick();
  state->OnTick();
  state->OnMessage(3, MsgType::kWriteProgress, &wp, sizeof wp);
  EXPECT_TRUE(state->checkpoint_in_progress());
  EXPECT_FALSE(Released(2, proto::kBarrierCheckpointed));
  state->OnTick();  // 3 s without progress
  EXPECT_TRUE(Released(2, proto::kBarrierCheckpointed));
  EXPECT_EQ(CommitVerdict(fx, 2), 0);  // 2 drops its new image
  Barrier(2, proto::kBarrierCommitted);
  EXPECT_FALSE(state->checkpoint_in_progress());
  auto r = LastReply(1);
  EXPECT_EQ(r.status, static_cast<int32_t>(proto::CommandStatus::kError));
  const std::string text = r.text;
  EXPECT_NE(text.find("[101]"), std::string::npos) << text;
  EXPECT_NE(text.find("no progress writing"), std::string::npos) << text;
  EXPECT_EQ(text.find("[100]"), std::string::npos) << text;
  EXPECT_TRUE(fx.completed.empty());
  // 2 resumes without waiting for 3.
  Barrier(2, proto::kBarrierRefilled);
  EXPECT_TRUE(Released(2, proto::kBarrierRefilled));
  // 3 ends its write at last: it goes through alone, and its image goes.
  Done(3, true, "/b");
  Barrier(3, proto::kBarrierCheckpointed);
  EXPECT_EQ(ReleaseCommit(fx, 3, proto::kBarrierCheckpointed), proto::kCheckpointAbandoned);
  Barrier(3, proto::kBarrierCommitted);
  EXPECT_EQ(ReleaseCommit(fx, 3, proto::kBarrierCommitted), proto::kCommitFailed);
  Barrier(3, proto::kBarrierRefilled);
  EXPECT_TRUE(Released(3, proto::kBarrierRefilled));
  // The next checkpoint waits for both again, and completes.
  fx.Clear();
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended, 2);
  EXPECT_FALSE(Released(2, proto::kBarrierSuspended));
  Barrier(3, proto::kBarrierSuspended, 2);
  EXPECT_TRUE(Released(2, proto::kBarrierSuspended));
  Done(2, true, "/a");
  Done(3, true, "/b");
  for (ClientId id : {2, 3}) Barrier(id, proto::kBarrierCheckpointed);
  EXPECT_EQ(CommitVerdict(fx, 3), 1);
  for (ClientId id : {2, 3}) Barrier(id, proto::kBarrierCommitted);
  ASSERT_EQ(fx.completed.size(), 1u);
  EXPECT_EQ(fx.completed[0].images.size(), 2u);
}

// A plugin's barrier inside a checkpoint that only one process calls: the
// other waits at ckpt:written, neither barrier can pass. After the timeout
// the checkpoint fails naming both and where they wait; each goes on alone.
TEST_F(StateTest, BarriersThatNotAllProcessesReachAreAbandonedAfterTheTimeout) {
  Config c;
  c.checkpoint_timeout = 3;
  Make(c);
  ASSERT_TRUE(AddResumingWorker(2, 100));
  ASSERT_TRUE(AddResumingWorker(3, 101));
  AddCommand(1);
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended, 1);
  Barrier(3, proto::kBarrierSuspended, 1);
  ASSERT_TRUE(Released(3, proto::kBarrierSuspended));
  Done(2, true, "/a");
  Barrier(2, proto::kBarrierCheckpointed);
  Barrier(3, "plugin:lonely");
  state->OnTick();
  state->OnTick();
  EXPECT_TRUE(state->checkpoint_in_progress());
  EXPECT_FALSE(Released(3, "plugin:lonely"));
  state->OnTick();  // 3 s without a barrier passing
  EXPECT_FALSE(state->checkpoint_in_progress());
  auto r = LastReply(1);
  EXPECT_EQ(r.status, static_cast<int32_t>(proto::CommandStatus::kError));
  const std::string text = r.text;
  EXPECT_NE(text.find("[100]@node-b at 'ckpt:written'"), std::string::npos) << text;
  EXPECT_NE(text.find("[101]@node-a at 'plugin:lonely'"), std::string::npos) << text;
  EXPECT_TRUE(fx.completed.empty());
  EXPECT_EQ(ReleaseCommit(fx, 2, proto::kBarrierCheckpointed), proto::kCheckpointAbandoned);
  EXPECT_TRUE(Released(3, "plugin:lonely"));
  Barrier(2, proto::kBarrierCommitted);
  EXPECT_EQ(ReleaseCommit(fx, 2, proto::kBarrierCommitted), proto::kCommitFailed);
  Done(3, true, "/b");
  Barrier(3, proto::kBarrierCheckpointed);
  EXPECT_EQ(ReleaseCommit(fx, 3, proto::kBarrierCheckpointed), proto::kCheckpointAbandoned);
  // The next checkpoint waits for both again, and completes.
  for (ClientId id : {2, 3}) {
    Barrier(id, proto::kBarrierCommitted);
    Barrier(id, proto::kBarrierRefilled);
  }
  fx.Clear();
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended, 2);
  EXPECT_FALSE(Released(2, proto::kBarrierSuspended));
  Barrier(3, proto::kBarrierSuspended, 2);
  EXPECT_TRUE(Released(2, proto::kBarrierSuspended));
  Done(2, true, "/a");
  Done(3, true, "/b");
  for (ClientId id : {2, 3}) Barrier(id, proto::kBarrierCheckpointed);
  EXPECT_EQ(CommitVerdict(fx, 3), 1);
  for (ClientId id : {2, 3}) Barrier(id, proto::kBarrierCommitted);
  ASSERT_EQ(fx.completed.size(), 1u);
}

TEST_F(StateTest, ImagesAreCommittedOnlyWhenEveryProcessWroteOne) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  ASSERT_TRUE(AddWorker(3, 101));
  AddCommand(1);
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended);
  Barrier(3, proto::kBarrierSuspended);
  Done(2, true, "/a");
  Done(3, true, "/b");
  Barrier(2, proto::kBarrierCheckpointed);
  Barrier(2, proto::kBarrierCommitted);
  Barrier(3, proto::kBarrierCheckpointed);
  Barrier(3, proto::kBarrierCommitted);
  EXPECT_EQ(CommitVerdict(fx, 2), 1);
  EXPECT_EQ(CommitVerdict(fx, 3), 1);

  // One process out of space: nobody replaces the previous generation.
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended);
  Barrier(3, proto::kBarrierSuspended);
  Done(2, true, "/a");
  Done(3, false, "No space left on device");
  Barrier(2, proto::kBarrierCheckpointed);
  Barrier(2, proto::kBarrierCommitted);
  Barrier(3, proto::kBarrierCheckpointed);
  Barrier(3, proto::kBarrierCommitted);
  EXPECT_EQ(CommitVerdict(fx, 2), 0);
  EXPECT_EQ(CommitVerdict(fx, 3), 0);
  EXPECT_EQ(fx.completed.size(), 1u);  // the restart script still names the first
}

TEST_F(StateTest, BlockingCheckpointWaitsUntilEveryImageIsInPlace) {
  // Answered at the written barrier, a caller could kill the computation
  // while some processes have not yet renamed their images: mixed generations.
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  AddCommand(1);
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended);
  Done(2, true, "/a");
  Barrier(2, proto::kBarrierCheckpointed);
  EXPECT_EQ(CommitVerdict(fx, 2), 1);
  EXPECT_TRUE(fx.To(1, MsgType::kCommandReply).empty());
  EXPECT_TRUE(fx.completed.empty());
  Barrier(2, proto::kBarrierCommitted);
  EXPECT_EQ(fx.completed.size(), 1u);
  EXPECT_EQ(LastReply(1).status, static_cast<int32_t>(proto::CommandStatus::kOk));
}

TEST_F(StateTest, ProcessKilledAfterItsReportFailsTheCheckpoint) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  ASSERT_TRUE(AddWorker(3, 101));
  AddCommand(1);
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended);
  Barrier(3, proto::kBarrierSuspended);
  Done(2, true, "/a");
  Done(3, true, "/b");
  Barrier(2, proto::kBarrierCheckpointed);
  Barrier(2, proto::kBarrierCommitted);
  state->OnDisconnect(3);  // kill -9 before it could put its image in place
  EXPECT_EQ(CommitVerdict(fx, 2), 0);
  EXPECT_TRUE(fx.completed.empty());
  auto r = LastReply(1);
  EXPECT_EQ(r.status, static_cast<int32_t>(proto::CommandStatus::kError));
  EXPECT_NE(std::string(r.text).find("exited during checkpoint"), std::string::npos);
}

TEST_F(StateTest, RestartScriptErrorFailsTheBlockingCheckpoint) {
  Make();
  fx.script_error = "read-only file system";
  ASSERT_TRUE(AddWorker(2, 100));
  AddCommand(1);
  Command(1, 'b');
  Barrier(2, proto::kBarrierSuspended);
  Done(2, true, "/a");
  Barrier(2, proto::kBarrierCheckpointed);
  Barrier(2, proto::kBarrierCommitted);
  auto r = LastReply(1);
  EXPECT_EQ(r.status, static_cast<int32_t>(proto::CommandStatus::kError));
  EXPECT_NE(std::string(r.text).find("read-only"), std::string::npos);
}

TEST_F(StateTest, SecondBlockingCommandJoinsTheRunningCheckpoint) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  AddCommand(1);
  AddCommand(4);
  Command(1, 'b');
  Command(4, 'b');
  Command(4, 'c');
  EXPECT_EQ(fx.To(2, MsgType::kDoCheckpoint).size(), 1u);
  Barrier(2, proto::kBarrierSuspended);
  Done(2, true, "/a");
  Barrier(2, proto::kBarrierCheckpointed);
  Barrier(2, proto::kBarrierCommitted);
  EXPECT_EQ(fx.To(1, MsgType::kCommandReply).size(), 1u);
  EXPECT_EQ(fx.To(4, MsgType::kCommandReply).size(), 2u);  // 'c' at once, 'b' at the end
}

TEST_F(StateTest, CommandClientGoneBeforeTheEnd) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  AddCommand(1);
  Command(1, 'b');
  state->OnDisconnect(1);
  Barrier(2, proto::kBarrierSuspended);
  Done(2, true, "/a");
  Barrier(2, proto::kBarrierCheckpointed);
  Barrier(2, proto::kBarrierCommitted);
  EXPECT_TRUE(fx.To(1, MsgType::kCommandReply).empty());
  EXPECT_EQ(fx.completed.size(), 1u);
}

TEST_F(StateTest, IntervalTimerStartsCheckpoints) {
  Config c;
  c.interval = 5;
  Make(c);
  ASSERT_EQ(fx.timer, std::vector<uint32_t>{5});
  state->OnTimer();  // no processes: nothing
  EXPECT_FALSE(state->checkpoint_in_progress());
  ASSERT_TRUE(AddWorker(2, 100));
  state->OnTimer();
  EXPECT_TRUE(state->checkpoint_in_progress());
  state->OnTimer();  // already running: not a second one
  EXPECT_EQ(fx.To(2, MsgType::kDoCheckpoint).size(), 1u);
}

TEST_F(StateTest, IntervalCommand) {
  Make();
  AddCommand(1);
  Command(1, 'i', 7);
  EXPECT_EQ(LastReply(1).interval, 7u);
  EXPECT_EQ(fx.timer.back(), 7u);
  Command(1, 'i', 0);
  EXPECT_EQ(fx.timer.back(), 0u);
  Command(1, 'i', -1);
  EXPECT_EQ(LastReply(1).status, static_cast<int32_t>(proto::CommandStatus::kError));
  EXPECT_EQ(state->interval(), 0u);
}

TEST_F(StateTest, CheckpointDirectoryCommand) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  AddCommand(1);
  Command(1, 'd', 0, "relative/dir");
  EXPECT_EQ(LastReply(1).status, static_cast<int32_t>(proto::CommandStatus::kError));
  Command(1, 'd', 0, "/refused");
  EXPECT_EQ(LastReply(1).status, static_cast<int32_t>(proto::CommandStatus::kError));
  EXPECT_EQ(fx.script_dir, "");
  Command(1, 'd', 0, "/job/ckpt");
  EXPECT_EQ(LastReply(1).status, static_cast<int32_t>(proto::CommandStatus::kOk));
  EXPECT_EQ(fx.script_dir, "/job/ckpt");
  Command(1, 'c');
  auto d = fx.To(2, MsgType::kDoCheckpoint);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_STREQ(d[0].As<proto::DoCheckpoint>().ckpt_dir, "/job/ckpt");
  Command(1, 'd', 0, "/other");  // not in the middle of a checkpoint
  EXPECT_EQ(LastReply(1).status, static_cast<int32_t>(proto::CommandStatus::kError));
  EXPECT_EQ(fx.script_dir, "/job/ckpt");
}

TEST_F(StateTest, ListShowsEveryWorker) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  ASSERT_TRUE(AddWorker(3, 101));
  AddCommand(1);
  Command(1, 'l');
  EXPECT_STREQ(LastReply(1).text,
               "2, prog[100]@node-b, uid-100, RUNNING\n3, prog[101]@node-a, uid-101, RUNNING\n");
}

TEST_F(StateTest, RestartAdoptsComputationAndWaitsForAllPeers) {
  Make();
  ASSERT_TRUE(AddRestarted(2, 100, 0xabc, 4, 2));
  auto r = LastHelloReply(2);
  EXPECT_EQ(r.computation_id, 0xabcu);
  EXPECT_EQ(r.generation, 4u);
  EXPECT_TRUE(state->restart_in_progress());
  EXPECT_FALSE(state->running());
  EXPECT_EQ(state->worker_state(2), WorkerState::kRestarting);
  Barrier(2, proto::kBarrierRestarted);
  EXPECT_FALSE(Released(2, proto::kBarrierRestarted));

  AddCommand(1);
  Command(1, 'c');  // no checkpoint while restarting
  EXPECT_EQ(LastReply(1).status, static_cast<int32_t>(proto::CommandStatus::kError));

  ASSERT_TRUE(AddRestarted(3, 101, 0xabc, 4, 2));
  Barrier(3, proto::kBarrierRestarted);
  EXPECT_TRUE(Released(2, proto::kBarrierRestarted));
  EXPECT_TRUE(Released(3, proto::kBarrierRestarted));
  EXPECT_TRUE(state->running());
  Command(1, 'c');
  EXPECT_EQ(fx.To(2, MsgType::kDoCheckpoint)[0].As<proto::DoCheckpoint>().generation, 5u);
}

// The status counts restarts that came back (dmtcp_job tells a restart that
// failed before the program ran from a program that ran and ended).
TEST_F(StateTest, StatusCountsRestartsThatResumed) {
  Make();
  AddCommand(1);
  Command(1, 's');
  EXPECT_EQ(LastReply(1).restarts, 0u);
  ASSERT_TRUE(AddRestarted(2, 100, 0xabc, 4, 2));
  Barrier(2, proto::kBarrierRestarted);
  Command(1, 's');
  EXPECT_EQ(LastReply(1).restarts, 0u);  // one of two is back: not yet
  ASSERT_TRUE(AddRestarted(3, 101, 0xabc, 4, 2));
  Barrier(3, proto::kBarrierRestarted);
  Command(1, 's');
  EXPECT_EQ(LastReply(1).restarts, 1u);
}

TEST_F(StateTest, RestartOfAnotherComputationIsBusy) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  EXPECT_FALSE(AddRestarted(3, 101, 0xdead, 1, 1));
  auto r = LastHelloReply(3);
  EXPECT_EQ(r.status, static_cast<int32_t>(proto::HelloStatus::kBusy));
  EXPECT_NE(std::string(r.message).find("new coordinator"), std::string::npos);
  EXPECT_TRUE(fx.closed.count(3));
  EXPECT_EQ(state->num_workers(), 1u);
}

TEST_F(StateTest, ForceReleasesAnIncompleteRestart) {
  Make();
  ASSERT_TRUE(AddRestarted(2, 100, 0xabc, 1, 3));
  ASSERT_TRUE(AddRestarted(3, 101, 0xabc, 1, 3));
  Barrier(2, proto::kBarrierRestarted);
  AddCommand(1);
  Command(1, 'f');
  EXPECT_EQ(LastReply(1).status, 0);
  EXPECT_TRUE(Released(2, proto::kBarrierRestarted));
  EXPECT_FALSE(Released(3, proto::kBarrierRestarted));
  Barrier(3, proto::kBarrierRestarted);  // late, after the force: released at once
  EXPECT_TRUE(Released(3, proto::kBarrierRestarted));
  EXPECT_TRUE(state->running());
}

TEST_F(StateTest, GeneralBarrierWaitsForAllCurrentWorkers) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  ASSERT_TRUE(AddWorker(3, 101));
  ASSERT_TRUE(AddWorker(4, 102));
  Barrier(2, "plugin:x");
  Barrier(3, "plugin:x");
  EXPECT_FALSE(Released(2, "plugin:x"));
  state->OnDisconnect(4);  // the missing one leaves
  EXPECT_TRUE(Released(2, "plugin:x"));
  EXPECT_TRUE(Released(3, "plugin:x"));
}

TEST_F(StateTest, KeyValueStore) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  proto::KeyValue put{};
  put.key_len = 3;
  memcpy(put.key, "k\0y", 3);  // keys are byte strings
  put.value_len = 5;
  memcpy(put.value, "hello", 5);
  state->OnMessage(2, MsgType::kKvPut, &put, sizeof put);
  put.value_len = 2;
  memcpy(put.value, "hi", 2);
  state->OnMessage(2, MsgType::kKvPut, &put, sizeof put);  // replaces

  proto::KeyValue get{};
  get.key_len = 3;
  memcpy(get.key, "k\0y", 3);
  state->OnMessage(2, MsgType::kKvGet, &get, sizeof get);
  auto r = fx.To(2, MsgType::kKvReply).back().As<proto::KeyValue>();
  EXPECT_EQ(r.found, 1);
  EXPECT_EQ(r.value_len, 2u);
  EXPECT_EQ(std::string(r.value, r.value_len), "hi");

  get.key_len = 1;
  state->OnMessage(2, MsgType::kKvGet, &get, sizeof get);
  EXPECT_EQ(fx.To(2, MsgType::kKvReply).back().As<proto::KeyValue>().found, 0);
}

TEST_F(StateTest, ProtocolViolationsCloseTheClient) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  AddCommand(1);
  proto::Barrier b{};
  state->OnMessage(1, MsgType::kBarrier, &b, sizeof b);  // commands do not do barriers
  EXPECT_TRUE(fx.closed.count(1));
  proto::Command cmd{};
  cmd.command = 's';
  state->OnMessage(2, MsgType::kCommand, &cmd, sizeof cmd);  // workers do not send commands
  EXPECT_TRUE(fx.closed.count(2));
}

TEST_F(StateTest, KillAndQuit) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  AddCommand(1);
  Command(1, 'k');
  EXPECT_EQ(fx.To(2, MsgType::kKill).size(), 1u);
  EXPECT_FALSE(fx.exited);
  Command(1, 'q');
  EXPECT_EQ(fx.To(2, MsgType::kKill).size(), 2u);
  EXPECT_TRUE(fx.exited);
  EXPECT_EQ(LastReply(1).status, 0);
}

TEST_F(StateTest, ProcessesResumeOnlyAfterEveryRefill) {
  Make();
  ASSERT_TRUE(AddResumingWorker(2, 100));
  ASSERT_TRUE(AddResumingWorker(3, 101));
  AddCommand(1);
  Command(1, 'b');
  CheckpointUpToCommit({2, 3});
  EXPECT_EQ(LastReply(1).status, 0);  // the images are complete
  // Not yet running: the processes still put drained data back.
  EXPECT_FALSE(state->running());
  EXPECT_EQ(state->worker_state(2), WorkerState::kResuming);
  // A process that joins now is not part of the resume barriers.
  ASSERT_TRUE(AddResumingWorker(4, 102));
  for (const char* b : {proto::kBarrierNameService, proto::kBarrierRefilled}) {
    Barrier(2, b);
    EXPECT_FALSE(Released(2, b)) << b;
    Barrier(3, b);
    EXPECT_TRUE(Released(2, b)) << b;
    EXPECT_TRUE(Released(3, b)) << b;
  }
  EXPECT_TRUE(state->running());
  EXPECT_EQ(state->worker_state(2), WorkerState::kRunning);
}

TEST_F(StateTest, CheckpointAskedWhileResumingStartsAfterTheRefill) {
  Make();
  ASSERT_TRUE(AddResumingWorker(2, 100));
  AddCommand(1);
  AddCommand(5);
  Command(1, 'b');
  CheckpointUpToCommit({2});
  ASSERT_EQ(fx.To(2, MsgType::kDoCheckpoint).size(), 1u);
  // The worker's checkpoint thread is busy with its refill: a DoCheckpoint
  // now would be lost. The command waits, and so does the timer.
  Command(5, 'b');
  state->OnTimer();
  EXPECT_EQ(fx.To(2, MsgType::kDoCheckpoint).size(), 1u);
  EXPECT_TRUE(fx.To(5, MsgType::kCommandReply).empty());
  Barrier(2, proto::kBarrierNameService);
  Barrier(2, proto::kBarrierRefilled);
  auto d = fx.To(2, MsgType::kDoCheckpoint);
  ASSERT_EQ(d.size(), 2u);  // one checkpoint, not one per request
  EXPECT_EQ(d[1].As<proto::DoCheckpoint>().generation, 2u);
  CheckpointUpToCommit({2});
  auto r = LastReply(5);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.generation, 2u);
}

TEST_F(StateTest, RestartedProcessesResumeAfterTheirRefill) {
  Make();
  ASSERT_TRUE(AddResumingWorker(2, 100, true, 2));
  ASSERT_TRUE(AddResumingWorker(3, 101, true, 2));
  Barrier(2, proto::kBarrierRestarted);
  Barrier(3, proto::kBarrierRestarted);
  EXPECT_TRUE(Released(3, proto::kBarrierRestarted));
  EXPECT_FALSE(state->running());
  EXPECT_EQ(state->worker_state(3), WorkerState::kResuming);
  Barrier(2, proto::kBarrierNameService);
  Barrier(3, proto::kBarrierNameService);
  Barrier(2, proto::kBarrierRefilled);
  EXPECT_FALSE(state->running());
  Barrier(3, proto::kBarrierRefilled);
  EXPECT_TRUE(Released(2, proto::kBarrierRefilled));
  EXPECT_TRUE(state->running());
}

TEST_F(StateTest, ResumingProcessThatExitsDoesNotHoldTheOthers) {
  Make();
  ASSERT_TRUE(AddResumingWorker(2, 100));
  ASSERT_TRUE(AddResumingWorker(3, 101));
  AddCommand(1);
  Command(1, 'c');
  CheckpointUpToCommit({2, 3});
  Barrier(2, proto::kBarrierNameService);
  state->OnDisconnect(3);
  EXPECT_TRUE(Released(2, proto::kBarrierNameService));
  Barrier(2, proto::kBarrierRefilled);
  EXPECT_TRUE(Released(2, proto::kBarrierRefilled));
  EXPECT_TRUE(state->running());
}

TEST_F(StateTest, KillAlsoKillsEveryProcessByItsPid) {
  Make();
  ASSERT_TRUE(AddResumingWorker(2, 100));
  ASSERT_TRUE(AddResumingWorker(3, 101));
  AddCommand(1);
  Command(1, 'k');
  EXPECT_EQ(fx.To(2, MsgType::kKill).size(), 1u);
  EXPECT_EQ(fx.killed_pids, (std::vector<int32_t>{50100, 50101}));
}

void ReportChildren(State& state, ClientId from, std::initializer_list<int32_t> pids) {
  auto c = std::make_unique<proto::Children>();
  for (int32_t p : pids) c->pids[c->count++] = p;
  state.OnMessage(from, MsgType::kChildren, c.get(), sizeof *c);
}

TEST_F(StateTest, ChildForkedJustBeforeTheCheckpointJoinsIt) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  AddCommand(1);
  Command(1, 'b');
  ReportChildren(*state, 2, {200});  // forked, not joined yet
  Barrier(2, proto::kBarrierSuspended);
  EXPECT_FALSE(Released(2, proto::kBarrierSuspended));
  ASSERT_TRUE(AddWorker(3, 200));
  ASSERT_EQ(fx.To(3, MsgType::kDoCheckpoint).size(), 1u);
  // The client reads its HelloReply first, whatever comes after it.
  EXPECT_EQ(
      std::find_if(fx.sent.begin(), fx.sent.end(), [](const Sent& s) { return s.to == 3; })->type,
      MsgType::kHelloReply);
  EXPECT_EQ(state->worker_state(3), WorkerState::kCheckpointing);
  Barrier(3, proto::kBarrierSuspended);
  EXPECT_TRUE(Released(2, proto::kBarrierSuspended));
  EXPECT_EQ(fx.To(3, MsgType::kBarrierRelease).back().As<proto::Barrier>().num_peers, 2u);
}

TEST_F(StateTest, ChildThatJoinedAfterTheCheckpointBeganJoinsIt) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  AddCommand(1);
  Command(1, 'b');
  ASSERT_TRUE(AddWorker(3, 200));  // joined after DoCheckpoint went out
  EXPECT_TRUE(fx.To(3, MsgType::kDoCheckpoint).empty());
  ReportChildren(*state, 2, {200});
  EXPECT_EQ(fx.To(3, MsgType::kDoCheckpoint).size(), 1u);
  Barrier(2, proto::kBarrierSuspended);
  EXPECT_FALSE(Released(2, proto::kBarrierSuspended));
  Barrier(3, proto::kBarrierSuspended);
  EXPECT_TRUE(Released(2, proto::kBarrierSuspended));
}

TEST_F(StateTest, ChildThatNeverJoinsIsWaitedForABoundedTime) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  AddCommand(1);
  Command(1, 'b');
  ReportChildren(*state, 2, {300});
  Barrier(2, proto::kBarrierSuspended);
  for (uint64_t i = 1; i < State::kChildWaitTicks; ++i) state->OnTick();
  EXPECT_FALSE(Released(2, proto::kBarrierSuspended));
  state->OnTick();
  EXPECT_TRUE(Released(2, proto::kBarrierSuspended));
}

TEST_F(StateTest, ExitOnLast) {
  Config c;
  c.exit_on_last = true;
  Make(c);
  AddCommand(1);
  state->OnDisconnect(1);  // commands do not count
  EXPECT_FALSE(fx.exited);
  ASSERT_TRUE(AddWorker(2, 100));
  ASSERT_TRUE(AddWorker(3, 101));
  state->OnDisconnect(2);
  EXPECT_FALSE(fx.exited);
  state->OnDisconnect(3);
  EXPECT_TRUE(fx.exited);
  EXPECT_EQ(state->computation_id(), 0u);
}

TEST_F(StateTest, ExitOnLastWaitsForAConnectionStillInItsHandshake) {
  // A parent forks and ends at once: the child's connection (begun before
  // the fork) is queued but has not said hello yet.
  Config c;
  c.exit_on_last = true;
  Make(c);
  ASSERT_TRUE(AddWorker(2, 100));
  fx.handshaking = 1;
  state->OnDisconnect(2);
  EXPECT_FALSE(fx.exited);
  proto::Hello child = HelloFor(proto::Role::kWorker, 101);
  child.computation_id = 0x1000;
  fx.handshaking = 0;
  ASSERT_TRUE(SayHello(3, child));
  EXPECT_EQ(state->computation_id(), 0x1000u);  // the child keeps the computation
  state->OnHandshakeEnded();                    // nothing to wait for: still running
  EXPECT_FALSE(fx.exited);
  fx.handshaking = 1;
  state->OnDisconnect(3);
  EXPECT_FALSE(fx.exited);
  fx.handshaking = 0;
  state->OnHandshakeEnded();  // that connection never said hello
  EXPECT_TRUE(fx.exited);
}

TEST_F(StateTest, CoordinatorStartedAgainTakesBackTheComputation) {
  Config c;
  c.interval = 60;
  Make(c);
  auto rejoin = [&](ClientId id, int pid) {
    proto::Hello h = HelloFor(proto::Role::kWorker, pid);
    h.features = proto::kFeatureRefillBarrier | proto::kFeatureRejoin;
    h.computation_id = 0x77;
    h.generation = 5;
    h.restart_peers = 3;  // its last checkpoint had three processes
    return SayHello(id, h);
  };
  ASSERT_TRUE(rejoin(2, 100));
  EXPECT_EQ(state->computation_id(), 0x77u);
  EXPECT_EQ(state->generation(), 5u);
  EXPECT_TRUE(state->rejoin_in_progress());
  EXPECT_FALSE(state->running());
  // A checkpoint asked for now would leave the others out: it waits.
  AddCommand(1);
  Command(1, 'b');
  state->OnTimer();
  EXPECT_FALSE(state->checkpoint_in_progress());
  ASSERT_TRUE(rejoin(3, 101));
  EXPECT_FALSE(state->checkpoint_in_progress());
  ASSERT_TRUE(rejoin(4, 102));
  // As many as its last checkpoint had: a moment more for processes forked since then.
  for (uint64_t t = 1; t < State::kRejoinQuietTicks; ++t) state->OnTick();
  EXPECT_FALSE(state->checkpoint_in_progress());
  state->OnTick();
  ASSERT_TRUE(state->checkpoint_in_progress());
  for (ClientId w : {2, 3, 4}) {
    auto d = fx.To(w, MsgType::kDoCheckpoint);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].As<proto::DoCheckpoint>().generation, 6u);
  }
  CheckpointUpToCommit({2, 3, 4});
  EXPECT_FALSE(state->checkpoint_in_progress());
  EXPECT_EQ(LastReply(1).status, static_cast<int32_t>(proto::CommandStatus::kOk));
}

TEST_F(StateTest, CoordinatorThatTookOverASecretWaitsForItsProcesses) {
  Config c;
  c.expect_rejoin = true;
  Make(c);
  AddCommand(1);
  Command(1, 'b');  // a job's interval, just after the coordinator was started again
  EXPECT_TRUE(fx.To(1, MsgType::kCommandReply).empty());
  proto::Hello h = HelloFor(proto::Role::kWorker, 100);
  h.features = proto::kFeatureRefillBarrier | proto::kFeatureRejoin;
  h.computation_id = 0x77;
  h.restart_peers = 1;
  ASSERT_TRUE(SayHello(2, h));
  for (uint64_t t = 0; t < State::kRejoinQuietTicks; ++t) state->OnTick();
  EXPECT_TRUE(state->checkpoint_in_progress());
}

TEST_F(StateTest, ComputationNeverCheckpointedComesBackWholeBeforeItsFirstCheckpoint) {
  Config c;
  c.expect_rejoin = true;
  Make(c);
  AddCommand(1);
  Command(1, 'b');
  auto rejoin = [&](ClientId id, int pid) {
    proto::Hello h = HelloFor(proto::Role::kWorker, pid);
    h.features = proto::kFeatureRefillBarrier | proto::kFeatureRejoin;
    h.computation_id = 0x77;
    h.restart_peers = 0;  // no checkpoint yet: the count is not known
    return SayHello(id, h);
  };
  ASSERT_TRUE(rejoin(2, 100));
  state->OnTick();
  ASSERT_TRUE(rejoin(3, 101));  // a second later (its retry came later)
  for (uint64_t t = 1; t < State::kRejoinQuietTicks; ++t) state->OnTick();
  EXPECT_FALSE(state->checkpoint_in_progress());
  state->OnTick();
  ASSERT_TRUE(state->checkpoint_in_progress());
  EXPECT_EQ(fx.To(2, MsgType::kDoCheckpoint).size(), 1u);
  EXPECT_EQ(fx.To(3, MsgType::kDoCheckpoint).size(), 1u);
}

TEST_F(StateTest, ProcessesThatDoNotComeBackHoldCheckpointsForABoundedTime) {
  Make();
  proto::Hello h = HelloFor(proto::Role::kWorker, 100);
  h.features = proto::kFeatureRefillBarrier | proto::kFeatureRejoin;
  h.computation_id = 0x77;
  h.restart_peers = 2;  // the other one ended meanwhile
  ASSERT_TRUE(SayHello(2, h));
  AddCommand(1);
  Command(1, 'c');
  for (uint64_t t = 1; t < State::kRejoinWaitTicks; ++t) state->OnTick();
  EXPECT_FALSE(state->checkpoint_in_progress());
  state->OnTick();
  EXPECT_TRUE(state->checkpoint_in_progress());
  EXPECT_EQ(fx.To(2, MsgType::kDoCheckpoint).size(), 1u);
}

// dmtcp_global_barrier() from programs' threads: process `pid` (unique id "uid-<pid>") asks,
// over command connection `from`, whether barrier `epoch` of "step" is released.
bool ProgramBarrier(State& state, FakeEffects& fx, ClientId from, int pid, uint32_t epoch) {
  proto::ProgramBarrier b{};
  proto::CopyField(b.name, sizeof b.name, "step");
  const std::string uid = "uid-" + std::to_string(pid);
  proto::CopyField(b.unique_id, sizeof b.unique_id, uid.c_str());
  b.epoch = epoch;
  fx.Clear();
  state.OnMessage(from, MsgType::kProgramBarrier, &b, sizeof b);
  auto r = fx.To(from, MsgType::kProgramBarrier);
  EXPECT_EQ(r.size(), 1u);
  return !r.empty() && r[0].As<proto::ProgramBarrier>().released == 1;
}

TEST_F(StateTest, ProgramBarrierPassesOnceEveryProcessArrivedAndSurvivesARestart) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  ASSERT_TRUE(AddWorker(3, 101));
  AddCommand(9);
  EXPECT_FALSE(ProgramBarrier(*state, fx, 9, 100, 1));
  EXPECT_FALSE(ProgramBarrier(*state, fx, 9, 100, 1));  // asking again changes nothing
  EXPECT_TRUE(ProgramBarrier(*state, fx, 9, 101, 1));
  EXPECT_TRUE(ProgramBarrier(*state, fx, 9, 100, 1));
  EXPECT_FALSE(ProgramBarrier(*state, fx, 9, 101, 2));
  // Killed and restarted from a checkpoint where 100 waited in barrier 2 without having heard
  // that it passed, and 101 was past it: 101's arrival at 3 tells that 2 passed.
  state->OnDisconnect(2);
  state->OnDisconnect(3);
  for (auto [id, pid] : {std::pair<ClientId, int>{4, 100}, {5, 101}}) {
    proto::Hello h = HelloFor(proto::Role::kWorker, pid);
    h.restarting = 1;
    h.computation_id = state->computation_id();
    h.restart_peers = 2;
    ASSERT_TRUE(SayHello(id, h));
  }
  EXPECT_FALSE(ProgramBarrier(*state, fx, 9, 100, 2));
  EXPECT_FALSE(ProgramBarrier(*state, fx, 9, 101, 3));
  EXPECT_TRUE(ProgramBarrier(*state, fx, 9, 100, 2));
  EXPECT_TRUE(ProgramBarrier(*state, fx, 9, 100, 3));
}

TEST_F(StateTest, WithoutExitOnLastANewComputationStarts) {
  Make();
  ASSERT_TRUE(AddWorker(2, 100));
  uint64_t first = state->computation_id();
  state->OnDisconnect(2);
  EXPECT_FALSE(fx.exited);
  ASSERT_TRUE(AddWorker(3, 101));
  EXPECT_NE(state->computation_id(), first);
  EXPECT_EQ(state->generation(), 0u);
}

TEST_F(StateTest, ExitAfterCheckpointKillsTheComputation) {
  Config c;
  c.exit_after_ckpt = true;
  Make(c);
  ASSERT_TRUE(AddWorker(2, 100));
  state->OnTimer();  // no interval: OnTimer still checkpoints when called
  Barrier(2, proto::kBarrierSuspended);
  Done(2, true, "/a");
  Barrier(2, proto::kBarrierCheckpointed);
  Barrier(2, proto::kBarrierCommitted);
  EXPECT_EQ(fx.To(2, MsgType::kKill).size(), 1u);
  state->OnDisconnect(2);
  EXPECT_TRUE(fx.exited);
}

TEST_F(StateTest, LongListIsCutAtALineEnd) {
  Make();
  for (ClientId id = 2; id < 600; ++id) ASSERT_TRUE(AddWorker(id, static_cast<int>(id)));
  AddCommand(1);
  Command(1, 'l');
  std::string text = LastReply(1).text;
  EXPECT_LT(text.size(), sizeof(proto::CommandReply::text));
  EXPECT_EQ(text.substr(text.size() - 4), "...\n");
}

}  // namespace
}  // namespace dmtcp::coord
