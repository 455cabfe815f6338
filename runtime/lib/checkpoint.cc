// The checkpoint thread: waits for the coordinator, and runs one checkpoint
// through its phases (suspend, write, resume), each ended by a barrier
// across the computation. After a restart it wakes up here again, in the
// new process, rejoins the coordinator and resumes the program.
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "children.h"
#include "clocks.h"
#include "environment.h"
#include "forked_checkpoint.h"
#include "incremental.h"
#include "peer_blocks.h"
#include "pids.h"
#include "plugins.h"
#include "posix_timers.h"
#include "process_settings.h"
#include "protocol.h"
#include "queued_signals.h"
#include "runtime.h"
#include "sysv_ipc.h"
#include "thread_ids.h"

namespace dmtcp::rt {
namespace {

using proto::MsgType;

// From the coordinator's kCheckpointOrder for the checkpoint it starts:
// 1 resume first, 0 commit first, -1 not said (this process's setting).
int g_told_order = -1;

// Whether this checkpoint resumes the program before the images are
// committed: the coordinator's order when it said one (the same for every
// process), else this process's own setting.
bool ResumeFirst() { return g_told_order >= 0 ? g_told_order == 1 : g.cfg.forked_checkpoint; }

void ReportDone(bool ok, const char* path_or_error, uint64_t bytes, bool forked = false) {
  static proto::CheckpointDone done;
  memset(&done, 0, sizeof done);
  done.ok = ok ? 1 : 0;
  done.forked = forked ? 1 : 0;
  done.bytes = bytes;
  StrCopy(done.hostname, sizeof done.hostname, g.hostname);
  StrCopy(done.image_path, sizeof done.image_path, path_or_error);
  CoordSend(static_cast<int>(MsgType::kCheckpointDone), &done, sizeof done);
}

void Event(DmtcpEvent_t e, int is_restart = -1) {
  DmtcpEventData_t data;
  memset(&data, 0, sizeof data);
  if (is_restart >= 0) data.resumeInfo.isRestart = is_restart;
  PluginEvent(e, &data);
}

bool Barrier(const char* name) { return g.cfg.no_coordinator || CoordBarrier(name); }

// After the image is written (is_restart 0) or in the restored process (1):
// the events of DMTCP 2 and 3 up to the point where the program runs again.
void ResumeEvents(int is_restart) {
  Event(is_restart ? DMTCP_EVENT_RESTART : DMTCP_EVENT_RESUME, is_restart);
  if (is_restart ? g.hook_restart : g.hook_post) (is_restart ? g.hook_restart : g.hook_post)();
  Event(DMTCP_EVENT_REGISTER_NAME_SERVICE_DATA, is_restart);
  // Everything published is visible to every process after this barrier.
  Barrier(proto::kBarrierNameService);
  Event(DMTCP_EVENT_SEND_QUERIES, is_restart);
  Event(DMTCP_EVENT_REFILL, is_restart);
  // Only when every process has put its drained data back may any of them
  // run: a writer that ran first would get ahead of that data.
  Barrier(proto::kBarrierRefilled);
  Event(DMTCP_EVENT_THREADS_RESUME, is_restart);
}

// The shared memory objects' descriptors dmtcp_restart handed every process it restored (the
// loader has mapped them), and the list of them.
void CloseSharedObjectFds() {
  const int list = g.restart.shared_fds_table_fd;
  if (list < 0) return;
  int32_t fds[512];
  uint64_t done = 0;
  while (done < g.restart.num_shared_fds) {
    const uint64_t want =
        g.restart.num_shared_fds - done < 512 ? g.restart.num_shared_fds - done : 512;
    const long n = RawSyscall(SYS_pread64, list, reinterpret_cast<long>(fds),
                              static_cast<long>(want * sizeof fds[0]),
                              static_cast<long>(done * sizeof fds[0]));
    if (n == -EINTR) continue;
    if (n <= 0 || n % static_cast<long>(sizeof fds[0]) != 0) break;
    for (long i = 0; i < n / static_cast<long>(sizeof fds[0]); ++i) RawSyscall(SYS_close, fds[i]);
    done += static_cast<uint64_t>(n) / sizeof fds[0];
  }
  RawSyscall(SYS_close, list);
}

// Runs in the restored process: rejoin and wait for every peer.
void ContinueAfterRestart() {
  g.ckpt_tid = GetTid();  // a new thread in a new process
  // Owners are corrected by each restored thread: only then is a lock's
  // owner known to be gone.
  if (WaitForThreadsRestored()) ReleaseOrphanedLoaderLocks();
  OpenTaskDir(false);  // the old process's number is not ours here
  if (!MapPidTable(g.restart.pid_table_fd)) Fatal("restart: bad pid table from dmtcp_restart");
  if (!TranslateSysvIds(g.restart.sysv_table_fd))
    Fatal("restart: bad System V id table from dmtcp_restart");
  CloseSharedObjectFds();  // mapped by the loader already
  if (g.restart.ckpt_dir[0]) StrCopy(g.cfg.ckpt_dir, sizeof g.cfg.ckpt_dir, g.restart.ckpt_dir);
  g.cfg.fail_rc = g.restart.fail_rc;
  RestoreProcessSettings();
  RaiseLimitsForCheckpoint();  // the program's limit again; room for ours until it runs
  RestorePosixTimers();
  RestoreProcessCpuTime();
  // Perhaps another host now: the coordinator, the restart script and the
  // next images name this one.
  struct utsname uts;
  if (RawSyscall(SYS_uname, reinterpret_cast<long>(&uts)) == 0)
    StrCopy(g.hostname, sizeof g.hostname, uts.nodename);
  if (g.restart.no_coordinator) {
    g.cfg.no_coordinator = true;
  } else {
    if (!CoordConnect(CoordJoin::kRestart))
      Fatal("restart: cannot join the coordinator at ", g.restart.coord_host);
    if (!CoordBarrier(proto::kBarrierRestarted)) Fatal("restart: lost the coordinator");
    PointEnvironmentAtCoordinator();
  }
  // Every process of the computation has attached its segments by now.
  MarkRemovedSysvSegments();
  g.num_restarts.fetch_add(1);
  g.restarting = false;
  RaisePendingSignals(g.shared_pending, false);
  QueueSignalsAgain();
  ResumeEvents(1);
}

// Reports this process's image and learns whether every other process
// wrote its own: only then does the new image replace the previous one.
void Conclude(bool ok, const char* path, uint64_t bytes, bool forked, char* error, size_t cap) {
  if (!ok) Log("checkpoint failed: ", error);
  bool keep = ok;
  if (!g.cfg.no_coordinator) {
    ReportDone(ok, ok ? path : error, bytes, forked);
    int commit = 0;
    bool released =
        CoordBarrierPolling(proto::kBarrierCheckpointed, nullptr, nullptr, nullptr, &commit);
    keep = ok && released && commit == 1;
    if (ok && !keep) {
      Log(!released ? "lost the coordinator during the checkpoint; keeping the previous image"
          : commit == proto::kCheckpointAbandoned
              ? "the coordinator abandoned the checkpoint (past its --checkpoint-timeout: its "
                "log says why); keeping the previous image"
              : "the checkpoint failed in another process; keeping the previous image");
    }
    bool placed = false;
    if (keep) {
      placed = PutImageInPlace(path, error, cap);
      if (!placed) {
        Log("checkpoint failed: ", error);
        ReportDone(false, error, 0);  // the others take their images back
      }
    } else if (ok) {
      DropImage(path);
    }
    if (released) {
      int verdict = 0;
      // Lost the coordinator here: whether every process put its image in
      // place is unknown, and the previous generation is whole for sure.
      if (!CoordBarrierPolling(proto::kBarrierCommitted, nullptr, nullptr, nullptr, &verdict) ||
          verdict == proto::kCommitFailed)
        keep = false;
    }
    keep = keep && placed;
    if (placed) FinishCommit(path, keep);
    if (placed && !keep)
      Log("another process could not put its image in place; keeping the "
          "previous image");
  } else if (ok) {
    keep = PutImageInPlace(path, error, cap);
    if (keep)
      FinishCommit(path, true);
    else
      Log("checkpoint failed: ", error);
  }
  EndPeerGeneration(path, keep);  // every process is past writing its image
  if (keep) {
    StrCopy(g.ckpt_filename, sizeof g.ckpt_filename, path);
    g.num_checkpoints.fetch_add(1);
  } else {
    g.num_failed_checkpoints.fetch_add(1);
  }
}

// Writes the image unless a subsystem already failed this checkpoint
// (CheckpointFailed) while it saved its state.
bool WriteImageUnlessFailed(const char* dir, char* path, size_t cap, uint64_t* bytes, char* error,
                            size_t errcap, bool* forked = nullptr) {
  if (g.ckpt_error[0]) {
    StrCopy(error, errcap, g.ckpt_error);
    return false;
  }
  return WriteImage(dir, path, cap, bytes, error, errcap, forked);
}

void CheckpointSteps(const char* dir) {
  static char path[4200];
  static char error[1024];
  g.ckpt_error[0] = 0;
  Event(DMTCP_EVENT_PRESUSPEND);
  if (!SuspendThreads()) {
    ResumeThreads();
    if (!g.ckpt_error[0]) CheckpointFailed("its threads did not stop for the checkpoint");
    Log("checkpoint failed: ", g.ckpt_error);
    g.num_failed_checkpoints.fetch_add(1);
    if (!g.cfg.no_coordinator) {
      ReportDone(false, g.ckpt_error, 0);
      // Keep step with the others through every barrier of a checkpoint
      // (none after an abandoned one).
      int verdict = 0;
      if (!CoordBarrierPolling(proto::kBarrierSuspended, nullptr, nullptr, nullptr, &verdict,
                               nullptr) ||
          verdict == proto::kCheckpointAbandoned)
        return;
      CoordBarrier(proto::kBarrierPipesElected);
      CoordBarrier(proto::kBarrierTcpDrained);
      CoordBarrier(proto::kBarrierFilesMarked);
      if (ResumeFirst()) {  // in the others' order (CheckpointSteps below)
        CoordBarrier(proto::kBarrierNameService);
        CoordBarrier(proto::kBarrierRefilled);
      }
      CoordBarrier(proto::kBarrierCheckpointed);
      CoordBarrier(proto::kBarrierCommitted);
      if (!ResumeFirst()) {
        CoordBarrier(proto::kBarrierNameService);
        CoordBarrier(proto::kBarrierRefilled);
      }
    }
    return;
  }
  Event(DMTCP_EVENT_THREADS_SUSPEND);
  RaiseLimitsForCheckpoint();
  if (!g.cfg.no_coordinator) {
    ReportChildrenToJoin();
    uint32_t peers = 0;
    int verdict = 0;
    static pollfd coord_only[1];
    if (!CoordBarrierPolling(
            proto::kBarrierSuspended, [](pollfd*) { return 0; }, ReportEndedChildren, coord_only,
            &verdict, &peers) ||
        verdict == proto::kCheckpointAbandoned) {
      // Another process did not stop in time (or the coordinator is gone):
      // this one runs on.
      if (verdict == proto::kCheckpointAbandoned)
        Log("the coordinator abandoned the checkpoint: a process did not stop in time");
      g.num_failed_checkpoints.fetch_add(1);
      LowerLimitsAfterCheckpoint();
      ResumeThreads();
      return;
    }
    // Fewer than asked when some ended before they were stopped: the image
    // says how many processes its restart waits for.
    if (peers) g.num_peers = peers;
  }
  Event(DMTCP_EVENT_LEADER_ELECTION);
  Event(DMTCP_EVENT_DRAIN);
  Event(DMTCP_EVENT_PRECHECKPOINT);
  if (g.hook_pre) g.hook_pre();
  Event(DMTCP_EVENT_WRITE_CKPT);
  SaveSignalActions();
  SaveProcessSettings();
  SavePosixTimers();
  SaveCpuTimes();
  TakeQueuedSignals();  // first: what remains pending is one instance each
  g.shared_pending = PendingSignals(GetTid(), "ShdPnd:");
  if (RawSyscall(SYS_getcwd, reinterpret_cast<long>(g.cwd), sizeof g.cwd) < 0) g.cwd[0] = 0;
  if (dmtcp_ctx_save(&g.threads[0].ctx) == 0) {
    uint64_t bytes = 0;
    HoldImageFolder(dir);
    if (ResumeFirst()) {
      // A copy-on-write child may hold the memory as it is: the program runs
      // again while it writes, and the checkpoint ends when it has. The
      // order of the barriers is the same whether it could fork or not.
      bool forked = false;
      bool ok = WriteImageUnlessFailed(dir, path, sizeof path, &bytes, error, sizeof error,
                                       g.cfg.forked_checkpoint ? &forked : nullptr);
      QueueSignalsAgain();
      ResumeEvents(0);
      LowerLimitsAfterCheckpoint();
      ResumeThreads();
      Event(DMTCP_EVENT_RUNNING);
      if (forked) ok = FinishForkedWrite(path, sizeof path, &bytes, error, sizeof error);
      Conclude(ok, path, bytes, forked, error, sizeof error);
      ReleaseImageFolder();
      return;
    }
    bool ok = WriteImageUnlessFailed(dir, path, sizeof path, &bytes, error, sizeof error);
    QueueSignalsAgain();
    Conclude(ok, path, bytes, false, error, sizeof error);
    ReleaseImageFolder();
    ResumeEvents(0);
    LowerLimitsAfterCheckpoint();
    ResumeThreads();
  } else {
    ForgetImageFolder();
    ForgetIncremental();
    ForgetPeerBlocks();
    ForgetRaisedLimits();
    ContinueAfterRestart();
    LowerLimitsAfterCheckpoint();
    ResumeThreads(1);
  }
  Event(DMTCP_EVENT_RUNNING);
}

void Checkpoint(const char* dir) {
  g.ckpt_active.store(1);
  CheckpointSteps(dir);
  g.ckpt_active.store(0);
  FutexWakeAll(&g.ckpt_active);
}

const char* CoordAddress() {
  static char text[sizeof g.cfg.coord_host + 16];
  StrCopy(text, sizeof text, g.cfg.coord_host);
  StrCat(text, sizeof text, ":");
  char port[16];
  FormatUint(port, sizeof port, static_cast<uint64_t>(g.cfg.coord_port));
  StrCat(text, sizeof text, port);
  return text;
}

// Until a coordinator answers at the address this process knows: one that
// died and is started again there (dmtcp_job does it) takes the process
// back, with the secret it left behind. The program runs on meanwhile.
void Rejoin() {
  g.coord_lost = true;
  for (;;) {
    if (CoordConnect(CoordJoin::kRejoin)) {
      Log("joined the coordinator at ", CoordAddress(), " again");
      g.coord_lost = false;
      return;
    }
    struct timespec second = {1, 0};
    RawSyscall(SYS_nanosleep, reinterpret_cast<long>(&second), 0);
  }
}

void* CheckpointThreadMain(void*) {
  sigset_t all;
  sigfillset(&all);
  RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all), 0, 8);
  g.ckpt_tid = GetTid();
  if (g.cfg.no_coordinator) {
    // Checkpoints on the interval or when the program asks for one.
    for (;;) {
      struct timespec ts = {g.cfg.interval > 0 ? g.cfg.interval : 3600, 0};
      RawSyscall(SYS_futex, reinterpret_cast<long>(&g.ckpt_request), FUTEX_WAIT_PRIVATE, 0,
                 reinterpret_cast<long>(&ts));
      if (!g.ckpt_request.exchange(0) && g.cfg.interval <= 0) continue;
      ++g.generation;
      g.num_peers = 1;
      Checkpoint(g.cfg.ckpt_dir);
    }
  }
  if (g.join_pending == State::JoinPending::kForkConnection && !CoordFinishJoin())
    g.join_pending = State::JoinPending::kRejoin;
  if (g.join_pending == State::JoinPending::kRejoin) Rejoin();
  g.join_pending = State::JoinPending::kNone;
  static proto::DoCheckpoint msg;
  for (;;) {
    int type;
    static_assert(sizeof msg >= sizeof(proto::CheckpointOrder));
    if (!CoordRecv(&type, &msg, sizeof msg)) {
      Log("lost the connection to the coordinator at ", CoordAddress(),
          "; trying every second to join it again");
      Rejoin();
      continue;
    }
    if (type == static_cast<int>(MsgType::kKill)) KilledByCoordinator();
    if (type == static_cast<int>(MsgType::kCheckpointOrder)) {
      proto::CheckpointOrder order;
      memcpy(&order, &msg, sizeof order);
      g_told_order = order.resume_first ? 1 : 0;
      continue;
    }
    if (type != static_cast<int>(MsgType::kDoCheckpoint)) continue;
    g.generation = msg.generation;
    g.num_peers = msg.num_peers;
    msg.ckpt_dir[sizeof msg.ckpt_dir - 1] = 0;
    Checkpoint(msg.ckpt_dir[0] ? msg.ckpt_dir : g.cfg.ckpt_dir);
    g_told_order = -1;
  }
}

}  // namespace

void StartCheckpointThread() {
  // Created with the real pthread_create: this thread is not the program's.
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  // It starts with the creator's mask: all blocked from its first
  // instruction, or a signal sent to the process early (kill(getpid())
  // right at the start of main) may land in it, not in the program.
  uint64_t all = ~uint64_t{0}, old = 0;
  RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all),
             reinterpret_cast<long>(&old), sizeof all);
  const int r = RealPthreadCreate()(&t, &attr, CheckpointThreadMain, nullptr);
  RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&old), 0, sizeof old);
  if (r != 0) Fatal("cannot start the checkpoint thread");
  pthread_attr_destroy(&attr);
}

}  // namespace dmtcp::rt
