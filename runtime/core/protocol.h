// Wire protocol between the coordinator, the runtime inside checkpointed
// processes and the commands. Fixed-size payloads so that the runtime can
// encode and decode messages without allocating (it talks to the coordinator
// while other threads of the program are frozen).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dmtcp::proto {

constexpr uint32_t kMagic = 0x43544d44;  // "DMTC" little-endian
constexpr uint16_t kVersion = 2;         // 2: challenge-response instead of the secret
constexpr uint32_t kMaxPayload = 64 * 1024;
constexpr int kDefaultPort = 7779;

enum class MsgType : uint16_t {
  kHello = 1,             // client -> coordinator, payload Hello
  kHelloReply = 2,        // coordinator -> client, payload HelloReply
  kChallenge = 3,         // coordinator -> client, first on every connection; Challenge
  kDoCheckpoint = 10,     // coordinator -> worker, payload DoCheckpoint
  kBarrier = 11,          // worker -> coordinator: reached; payload Barrier
  kBarrierRelease = 12,   // coordinator -> worker: everyone reached; Barrier
  kCheckpointDone = 13,   // worker -> coordinator, payload CheckpointDone
  kKill = 14,             // coordinator -> worker, no payload
  kChildren = 15,         // worker -> coordinator, payload Children
  kWriteProgress = 16,    // worker -> coordinator, payload WriteProgress
  kCheckpointOrder = 17,  // coordinator -> worker, just before kDoCheckpoint: CheckpointOrder
  kCommand = 20,          // command client -> coordinator, payload Command
  kCommandReply = 21,     // coordinator -> command client, CommandReply
  kKvPut = 30,            // worker -> coordinator, payload KeyValue
  kKvGet = 31,            // worker -> coordinator, payload KeyValue (key only)
  kKvReply = 32,          // coordinator -> worker, payload KeyValue
  kProgramBarrier = 33,   // command client <-> coordinator, payload ProgramBarrier
};

struct FrameHeader {
  uint32_t magic;
  uint16_t version;
  uint16_t type;
  uint32_t length;  // payload bytes that follow
  uint32_t reserved;
};
static_assert(sizeof(FrameHeader) == 16);

enum class Role : uint32_t { kWorker = 1, kCommand = 2 };

constexpr size_t kSecretLen = 64;  // hex characters
constexpr size_t kNonceLen = 32;
constexpr size_t kProofLen = 32;  // HMAC-SHA256

// The coordinator speaks first: a fresh random nonce per connection, so a
// recorded Hello is worthless on another connection.
struct Challenge {
  uint8_t nonce[kNonceLen];
};
constexpr size_t kNameLen = 64;
constexpr size_t kPathLen = 4096;

// Which process a worker is, as the kernel knows it: enough for a coordinator
// on the same machine and in the same pid namespace to kill it by pid (a
// process whose checkpoint thread is stuck cannot read a kill message),
// and to be sure the pid was not reused since.
struct ProcessIdentity {
  int32_t real_pid;  // in the pid namespace below; 0: unknown
  uint32_t reserved;
  uint64_t start_time;  // /proc/<pid>/stat field 22: clock ticks after boot
  uint64_t pid_ns;      // inode of /proc/<pid>/ns/pid
  char boot_id[40];     // /proc/sys/kernel/random/boot_id: this machine, this boot
};

// Hello.features: what a worker's runtime does, so that a coordinator can
// serve images written by an older runtime too.
constexpr uint32_t kFeatureRefillBarrier = 1;  // passes kBarrierRefilled before it resumes
// A running process that lost its coordinator and joins one started again
// at the same address; restart_peers is how many processes its last
// checkpoint had (checkpoints wait a while for as many to be back).
constexpr uint32_t kFeatureRejoin = 2;
// Its checkpoint resumes the program before the images are committed
// (DMTCP_FORKED_CHECKPOINT=1: a forked child may still be writing).
constexpr uint32_t kFeatureResumeFirst = 4;
// It takes kCheckpointOrder: every process of a checkpoint must pass its
// barriers in the same order, whatever its own setting.
constexpr uint32_t kFeatureCheckpointOrder = 8;

struct Hello {
  uint32_t role;        // Role
  uint32_t restarting;  // 1 when a restarted process rejoins
  uint8_t client_nonce[kNonceLen];
  uint8_t proof[kProofLen];  // ClientProof: the secret itself never travels
  char hostname[kNameLen];
  char program[kNameLen];
  char unique_id[kNameLen];  // stable across restarts of the same process
  int32_t pid;
  int32_t ppid;
  uint32_t generation;      // number of the last checkpoint this process has
  uint32_t restart_peers;   // when restarting: processes in the computation
  uint64_t computation_id;  // 0 for a new process: the coordinator assigns
  // Added in place of a version change: a shorter Hello (an older runtime
  // restarted from its image) arrives zero-padded.
  uint32_t features;  // kFeature* bits
  uint32_t reserved;
  ProcessIdentity self;  // workers: the process itself
};

enum class HelloStatus : int32_t {
  kOk = 0,
  kBadSecret = 1,
  kBadVersion = 2,
  kBusy = 3,  // e.g. a restarting process meets a running computation
};

struct HelloReply {
  int32_t status;  // HelloStatus
  uint32_t client_id;
  uint64_t computation_id;
  uint32_t generation;       // the coordinator's current checkpoint generation
  uint32_t interval;         // seconds, 0 = none
  uint8_t proof[kProofLen];  // CoordinatorProof when kOk: the client knows it is ours
  char message[256];
};

// Whether this checkpoint resumes the programs before the images are
// committed (any participant writes through a forked child), or after.
struct CheckpointOrder {
  uint32_t resume_first;
  uint32_t reserved;
};

struct DoCheckpoint {
  uint32_t generation;      // number this checkpoint will carry
  uint32_t num_peers;       // processes taking part
  char ckpt_dir[kPathLen];  // empty: the process's own DMTCP_CHECKPOINT_DIR
};

// Barrier names used by the runtime; plugins add their own.
inline constexpr const char kBarrierSuspended[] = "ckpt:suspended";
inline constexpr const char kBarrierCheckpointed[] = "ckpt:written";
// Every process has put its new image in place (or removed it): only now is
// the generation complete, the restart script written and a blocking
// checkpoint answered.
inline constexpr const char kBarrierCommitted[] = "ckpt:committed";
inline constexpr const char kBarrierRestarted[] = "restart:ready";
// Pipe buffers: every process has claimed the pipes it could drain.
inline constexpr const char kBarrierPipesElected[] = "ckpt:pipes-elected";
// Every process has drained its TCP connections (it read while waiting).
inline constexpr const char kBarrierTcpDrained[] = "ckpt:tcp-drained";
// Every process has marked the open file descriptions it shares with the
// one that won them (see runtime/lib/shared_files.cc).
inline constexpr const char kBarrierFilesMarked[] = "ckpt:files-marked";
// After resume or restart: every published key-value pair is visible.
inline constexpr const char kBarrierNameService[] = "resume:nameservice";
// After resume or restart: every process has put back the data it drained
// (pipes, TCP). No process runs its program before this, or a writer that
// resumed first would put new data ahead of older data still to come back,
// or fill the buffer that a refill waits on.
inline constexpr const char kBarrierRefilled[] = "resume:refilled";

constexpr int32_t kCheckpointAbandoned = -1;
// In the release of kBarrierCommitted: a process could not put its image in
// place, so every process puts its previous image back.
constexpr int32_t kCommitFailed = -2;

struct Barrier {
  char name[kNameLen];
  // In the release of kBarrierCheckpointed: 1 when every process wrote its
  // image, so each may put its new image in place of the old one; 0 when
  // the checkpoint failed and the new images must go (the previous
  // generation stays whole). In the release of kBarrierSuspended:
  // kCheckpointAbandoned when some process did not stop in time (or the
  // checkpoint is one the coordinator gave up already): the process resumes
  // its program, nothing of the checkpoint is kept.
  int32_t commit;
  // In the release of kBarrierSuspended: the processes the checkpoint
  // holds (those that ended before it stopped them are left out), which
  // each image records for its restart to wait for. 0 in other releases.
  uint32_t num_peers;
  // Sent by a worker: the checkpoint it is in (DoCheckpoint's generation;
  // 0 from older runtimes). A process stopped for a while may still hold
  // the request of a checkpoint that was abandoned: at ckpt:suspended the
  // coordinator tells it so (kCheckpointAbandoned) and it takes the next.
  uint32_t generation;
};

// Sent by a worker once its threads are stopped for a checkpoint, before
// ckpt:suspended: its live children that run the runtime (one message per
// kMaxChildren). A child forked (or spawned) just before the checkpoint may
// not have joined yet, or joined after the checkpoint began: the
// coordinator brings it into the checkpoint, or waits for it to join,
// before it releases ckpt:suspended, so that no process is left out of the
// images while its parent waits for it.
constexpr uint32_t kMaxChildren = 4096;
// ended = 1: children reported before that ended without joining (the
// parent sees them as zombies while it is stopped); not to wait for.
struct Children {
  uint32_t count;
  uint32_t ended;
  int32_t pids[kMaxChildren];  // virtual pids, as their Hello names them
};

struct CheckpointDone {
  int32_t ok;       // 1 on success
  uint32_t forked;  // 1 if a forked child wrote the image (the program ran meanwhile)
  uint64_t bytes;
  char hostname[kNameLen];
  char image_path[kPathLen];  // absolute; or the error text when !ok
};

// Sent by a worker at most once a second while its image is being written
// (by it or by its forked writer): a checkpoint whose writer sends none for
// the checkpoint timeout is abandoned (a hung file system, a stopped writer).
struct WriteProgress {
  uint64_t bytes;  // written so far
  uint32_t generation;
  uint32_t pad;
};

struct Command {
  char command;  // one of the coordinator's commands, see below
  uint8_t pad[3];
  int32_t arg;          // interval for 'i'
  char path[kPathLen];  // absolute directory for 'd'; shorter frames leave it empty
};

// Commands: 'c' checkpoint (reply at once), 'b' checkpoint and reply when
// the images are written, 's' status, 'l' list, 'i' set interval, 'd' set
// the checkpoint directory, 'k' kill the computation, 'q' kill and quit,
// 'f' force a pending restart.
enum class CommandStatus : int32_t {
  kOk = 0,
  kError = 1,        // text says why
  kNoProcesses = 2,  // checkpoint asked with nothing to checkpoint
};

struct CommandReply {
  int32_t status;  // CommandStatus
  uint32_t num_peers;
  uint32_t running;  // 1 when all processes run (not in a checkpoint)
  uint32_t interval;
  uint32_t generation;
  uint64_t computation_id;
  uint32_t restarts;  // restarts whose processes all resumed (the program runs again)
  uint32_t reserved;
  char text[16384];  // list output, error text, or image list for 'b'
};

// Keys under this prefix describe one checkpoint; the coordinator drops
// them when the next one starts.
inline constexpr const char kCheckpointKeyPrefix[] = "dmtcp.ckpt.";

struct KeyValue {
  int32_t found;  // in kKvReply: 1 found, 0 not found
  uint32_t key_len;
  uint32_t value_len;
  char key[1024];
  char value[4096];
};

// dmtcp_global_barrier() called by a program's thread: one process's arrival
// at the epoch-th barrier of this name. Sent again until the reply says
// released (once every process of the computation arrived): idempotent, and
// no connection stays open across a checkpoint or a coordinator restart.
struct ProgramBarrier {
  char name[kNameLen];
  char unique_id[kNameLen];  // the process's, as in its Hello
  uint32_t epoch;            // 1 for the first barrier of this name
  uint32_t released;         // in the reply
};

static_assert(sizeof(CommandReply) < kMaxPayload);

// Encodes a frame into out (at least sizeof(FrameHeader)+len bytes).
size_t EncodeFrame(MsgType type, const void* payload, uint32_t len, void* out);
// Validates a header; returns false for a foreign, wrong-version or
// oversized frame.
bool ValidHeader(const FrameHeader& h);

// Proofs of knowing the secret, bound to both nonces and to the side that
// sends them (a proof cannot be reflected back).
void ClientProof(const char* secret, const uint8_t* server_nonce, const uint8_t* client_nonce,
                 uint8_t out[kProofLen]);
void CoordinatorProof(const char* secret, const uint8_t* server_nonce, const uint8_t* client_nonce,
                      uint8_t out[kProofLen]);
// Fills hello->client_nonce (random) and hello->proof for this challenge.
// False if no random bytes could be had.
bool SignHello(Hello* hello, const char* secret, const Challenge& challenge);
// Whether a successful reply carries the coordinator's proof for our Hello.
bool ReplyIsGenuine(const HelloReply& reply, const char* secret, const Challenge& challenge,
                    const Hello& hello);

// Copies a C string into a fixed field, always terminated.
void CopyField(char* dst, size_t cap, const char* src);

}  // namespace dmtcp::proto
