// The program interface of dmtcp.h (and, through libdmtcpaware, of
// dmtcpaware.h) and the coordinator services plugins use: key-value pairs
// and barriers.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dmtcp.h"
#include "io.h"
#include "plugins.h"
#include "protocol.h"
#include "runtime.h"

using namespace dmtcp;
using namespace dmtcp::rt;

namespace {

void SleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, nullptr);
}

bool OnCheckpointThread() { return GetTid() == g.ckpt_tid; }

// How many times this process reached each barrier name from its threads
// (a program call: it may allocate).
struct BarrierEpoch {
  BarrierEpoch* next;
  uint32_t epoch;
  char name[proto::kNameLen];
};
BarrierEpoch* g_barrier_epochs;
pthread_mutex_t g_barrier_epochs_lock = PTHREAD_MUTEX_INITIALIZER;

uint32_t NextBarrierEpoch(const char* name) {
  pthread_mutex_lock(&g_barrier_epochs_lock);
  BarrierEpoch* e = g_barrier_epochs;
  while (e && strncmp(e->name, name, sizeof e->name - 1) != 0) e = e->next;
  if (!e && (e = static_cast<BarrierEpoch*>(calloc(1, sizeof *e)))) {
    StrCopy(e->name, sizeof e->name, name);
    e->next = g_barrier_epochs;
    g_barrier_epochs = e;
  }
  const uint32_t epoch = e ? ++e->epoch : 0;
  pthread_mutex_unlock(&g_barrier_epochs_lock);
  return epoch;
}

// A request from a program thread may be cut by a checkpoint (the thread is
// frozen mid-exchange; after a restart its socket is gone): it is made
// again on a new connection, to the coordinator of the moment.
bool Request(char command, int arg, proto::CommandReply* reply) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (CoordCommand(command, arg, reply, sizeof *reply)) return true;
    SleepMs(100);
  }
  return false;
}

bool KvRequest(bool put, proto::KeyValue* kv) {
  if (g.cfg.no_coordinator) return false;
  if (!OnCheckpointThread()) {
    proto::KeyValue copy = *kv;
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (CoordKvCommand(put, kv, sizeof *kv)) return true;
      *kv = copy;
      SleepMs(100);
    }
    return false;
  }
  auto type = put ? proto::MsgType::kKvPut : proto::MsgType::kKvGet;
  if (!CoordSend(static_cast<int>(type), kv, sizeof *kv)) return false;
  if (put) return true;
  for (;;) {
    int t;
    if (!CoordRecv(&t, kv, sizeof *kv)) return false;
    if (t == static_cast<int>(proto::MsgType::kKvReply)) return true;
    if (t == static_cast<int>(proto::MsgType::kKill)) KilledByCoordinator();
  }
}

// Definitions name functions in parentheses: dmtcp.h has same-named macros.
// Keys of one database: its id (8 bytes, as DMTCP) then the key bytes.
bool MakeKey(proto::KeyValue* kv, const char* id, const void* key, uint32_t key_len) {
  memset(kv, 0, sizeof *kv);
  size_t idlen = id ? strnlen(id, 8) : 0;
  if (idlen + 1 + key_len > sizeof kv->key) return false;
  memcpy(kv->key, id, idlen);
  kv->key[idlen] = 0;
  memcpy(kv->key + idlen + 1, key, key_len);
  kv->key_len = static_cast<uint32_t>(idlen + 1 + key_len);
  return true;
}

}  // namespace

extern "C" {

int(dmtcp_is_enabled)(void) { return g.enabled ? 1 : 0; }

int(dmtcp_checkpoint)(void) {
  if (!g.enabled) return DMTCP_NOT_PRESENT;
  const int ckpts = g.num_checkpoints.load();
  const int restarts = g.num_restarts.load();
  const int failed = g.num_failed_checkpoints.load();
  if (g.cfg.no_coordinator) {
    g.ckpt_request.store(1);
    FutexWakeAll(&g.ckpt_request);
  } else {
    proto::CommandReply reply;
    for (int tries = 0;; ++tries) {
      const bool sent = CoordCommand('c', 0, &reply, sizeof reply);
      // Our own checkpoint may cut the exchange short: that is success.
      if (g.num_checkpoints.load() != ckpts || g.num_restarts.load() != restarts ||
          g.num_failed_checkpoints.load() != failed)
        break;
      if (sent && reply.status == static_cast<int32_t>(proto::CommandStatus::kOk)) break;
      if (tries > 600) return -1;  // the coordinator stayed busy or away for a minute
      SleepMs(100);
    }
  }
  // This thread is stopped by the checkpoint it asked for; when it runs
  // again one of the counters has moved.
  while (g.num_checkpoints.load() == ckpts && g.num_restarts.load() == restarts &&
         g.num_failed_checkpoints.load() == failed)
    SleepMs(10);
  if (g.num_checkpoints.load() == ckpts && g.num_restarts.load() == restarts) return -1;
  return g.num_restarts.load() != restarts ? DMTCP_AFTER_RESTART : DMTCP_AFTER_CHECKPOINT;
}

int(dmtcp_disable_ckpt)(void) {
  if (!g.enabled) return DMTCP_NOT_PRESENT;
  WrapperEnter();  // recursive per thread
  return 1;
}

int(dmtcp_enable_ckpt)(void) {
  if (!g.enabled) return DMTCP_NOT_PRESENT;
  WrapperExit();
  return 1;
}

int dmtcp_plugin_disable_ckpt(void) { return (dmtcp_disable_ckpt)() == 1 ? 1 : 0; }
void dmtcp_plugin_enable_ckpt(void) { (dmtcp_enable_ckpt)(); }

int(dmtcp_get_coordinator_status)(int* num_peers, int* is_running) {
  if (!g.enabled) return DMTCP_NOT_PRESENT;
  if (g.cfg.no_coordinator) {
    if (num_peers) *num_peers = 1;
    if (is_running) *is_running = 1;
    return DMTCP_IS_PRESENT;
  }
  proto::CommandReply reply;
  if (!Request('s', 0, &reply)) return -1;
  if (num_peers) *num_peers = static_cast<int>(reply.num_peers);
  if (is_running) *is_running = static_cast<int>(reply.running);
  return DMTCP_IS_PRESENT;
}

int(dmtcp_get_local_status)(int* num_checkpoints, int* num_restarts) {
  if (!g.enabled) return DMTCP_NOT_PRESENT;
  if (num_checkpoints) *num_checkpoints = g.num_checkpoints.load();
  if (num_restarts) *num_restarts = g.num_restarts.load();
  return DMTCP_IS_PRESENT;
}

const char*(dmtcp_get_ckpt_dir)(void) { return g.cfg.ckpt_dir; }

int(dmtcp_set_ckpt_dir)(const char* dir) {
  if (dir && dir[0] == '/') StrCopy(g.cfg.ckpt_dir, sizeof g.cfg.ckpt_dir, dir);
  return DMTCP_IS_PRESENT;
}

const char*(dmtcp_get_ckpt_filename)(void) { return g.ckpt_filename; }
const char*(dmtcp_get_uniquepid_str)(void) { return g.unique_id; }
uint32_t(dmtcp_get_generation)(void) { return g.generation; }
int checkpoint_is_pending(void) { return g.ckpt_pending.load(); }

int(dmtcp_install_hooks)(dmtcp_fnptr_t pre, dmtcp_fnptr_t post, dmtcp_fnptr_t restart) {
  g.hook_pre = pre;
  g.hook_post = post;
  g.hook_restart = restart;
  return DMTCP_IS_PRESENT;
}

// Runs a coordinator command for dmtcpaware's dmtcpRunCommand; 1 if accepted.
int dmtcp_run_coordinator_command(char command, int arg) {
  if (!g.enabled || g.cfg.no_coordinator) return 0;
  proto::CommandReply reply;
  return Request(command, arg, &reply) &&
                 reply.status == static_cast<int32_t>(proto::CommandStatus::kOk)
             ? 1
             : 0;
}

int dmtcp_send_key_val_pair_to_coordinator(const char* id, const void* key, uint32_t key_len,
                                           const void* val, uint32_t val_len) {
  proto::KeyValue kv;
  if (!MakeKey(&kv, id, key, key_len) || val_len > sizeof kv.value) return 0;
  memcpy(kv.value, val, val_len);
  kv.value_len = val_len;
  return KvRequest(true, &kv) ? 1 : 0;
}

int dmtcp_send_key_val_pair_to_coordinator_sync(const char* id, const void* key, uint32_t key_len,
                                                const void* val, uint32_t val_len) {
  if (!dmtcp_send_key_val_pair_to_coordinator(id, key, key_len, val, val_len)) return 0;
  // A query behind it returns once the coordinator has stored the pair.
  proto::KeyValue kv;
  MakeKey(&kv, id, key, key_len);
  return KvRequest(false, &kv) ? 1 : 0;
}

int dmtcp_send_query_to_coordinator(const char* id, const void* key, uint32_t key_len, void* val,
                                    uint32_t* val_len) {
  if (!key || key_len == 0 || !val || !val_len || *val_len == 0) return 0;
  proto::KeyValue kv;
  if (!MakeKey(&kv, id, key, key_len) || !KvRequest(false, &kv) || !kv.found) return 0;
  uint32_t n = kv.value_len < *val_len ? kv.value_len : *val_len;
  memcpy(val, kv.value, n);
  *val_len = kv.value_len;
  return static_cast<int>(kv.value_len);
}

void dmtcp_global_barrier(const char* name) {
  if (g.cfg.no_coordinator || !name) return;
  if (OnCheckpointThread()) {
    char full[64] = "plugin:";
    StrCat(full, sizeof full, name);
    if (!CoordBarrier(full)) Log("lost the coordinator in barrier ", name);
    return;
  }
  // A program's thread: every process of the computation meets here. It
  // asks again and again, each time on a new connection, so that a
  // checkpoint, a restart or a coordinator started again may come between.
  const uint32_t epoch = NextBarrierEpoch(name);
  bool said = false;
  for (long wait_ms = 5;; wait_ms = wait_ms < 500 ? wait_ms * 2 : 500) {
    const int r = CoordProgramBarrier(name, epoch);
    if (r == 1) return;
    if (r < 0 && !said) Log("no answer from the coordinator in barrier ", name, "; asking again");
    said = said || r < 0;
    SleepMs(wait_ms);
  }
}

// Processes of this node are a subset of the computation: a global barrier
// is a correct (if stronger) local one.
void dmtcp_local_barrier(const char* name) { dmtcp_global_barrier(name); }

const char* dmtcp_get_tmpdir(void) {
  static char dir[4096];
  if (!dir[0]) io::UserTmpDir(dir, sizeof dir);
  return dir;
}

const char* dmtcp_get_computation_id_str(void) {
  static char id[24];
  FormatUint(id, sizeof id, g.computation_id, 16);
  return id;
}

int dmtcp_get_ckpt_signal(void) { return g.cfg.ckpt_signal; }
int dmtcp_is_running_state(void) { return g.in_checkpoint.load() ? 0 : 1; }
int dmtcp_no_coordinator(void) { return g.cfg.no_coordinator ? 1 : 0; }
const char* dmtcp_get_executable_path(void) {
  static char path[4096];
  long n = RawSyscall(SYS_readlink, reinterpret_cast<long>("/proc/self/exe"),
                      reinterpret_cast<long>(path), sizeof path - 1);
  path[n > 0 ? n : 0] = 0;
  return path;
}
int dmtcp_is_protected_fd(int fd) { return fd == g.coord_fd ? 1 : 0; }

}  // extern "C"
