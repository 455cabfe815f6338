// State of the runtime inside a checkpointed process. Everything here lives
// in static storage so that it is saved with the image and needs no
// allocation on the checkpoint and restart paths.
#pragma once

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "image_format.h"
#include "restart_info.h"

namespace dmtcp::rt {

struct Ctx {
  uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
  uint32_t mxcsr;
  uint16_t fpucw;
  uint16_t pad;
};

extern "C" int dmtcp_ctx_save(Ctx* c) __attribute__((returns_twice));
extern "C" [[noreturn]] void dmtcp_ctx_restore(const Ctx* c, int value);
extern "C" long dmtcp_raw_clone(unsigned long flags, void* stack, int* ptid, int* ctid,
                                unsigned long tls, void (*fn)(void*), void* arg);

// Threads of one process a checkpoint keeps (the kernel's default pid_max):
// more fail the checkpoint with a message (threads.cc).
constexpr int kMaxThreads = 32768;
// si_code of the checkpoint signal (rt_tgsigqueueinfo): not one the kernel
// or libc uses, so the program's own signals are never taken for it.
constexpr int kCkptSiCode = -0x444d;

struct ThreadRec {
  pid_t tid;
  pid_t vtid;  // the thread id the program knows
  int is_main;
  int is_ckpt;
  int* tid_addr;  // glibc's tid field (clear_child_tid)
  uint64_t fs_base;
  void* robust_head;
  size_t robust_len;
  stack_t altstack;
  char comm[16];
  long personality;   // per thread in the kernel: the execution domain flags
  long nice;          // per thread too (setpriority(PRIO_PROCESS, 0) sets the caller's)
  int64_t cpu_ns;     // CPU time the thread had used, as the program sees it
  uint64_t pending;   // signals pending for this thread only, raised again at restart
  int cpus_saved;     // cpus holds the thread's affinity
  uint64_t cpus[16];  // sched_getaffinity, by kernel CPU number
  // A wait the thread was blocked in names a process by its kernel pid; the
  // kernel makes the call again after a restart, with the pid of the new
  // run put in its place (threads.cc).
  int pid_arg_reg;  // 0, or the register (REG_RDI, REG_RSI) that holds it
  pid_t pid_arg;    // the process's virtual pid; negative for a group
  Ctx ctx;
};

struct ProcessSettings {
  bool saved;
  uint32_t umask;
  int subreaper;
  itimerval itimers[3];  // ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF
};

struct Config {
  char coord_host[256];
  int coord_port;
  char secret[80];
  char ckpt_dir[4096];
  bool gzip;
  bool no_coordinator;
  int ckpt_signal;
  int fail_rc;
  int interval;            // only without a coordinator
  int checkpoint_threads;  // DMTCP_CHECKPOINT_THREADS, 0 = one per CPU we may use
  bool forked_checkpoint;  // DMTCP_FORKED_CHECKPOINT=1
  bool ckpt_open_files;    // DMTCP_CKPT_OPEN_FILES=1: files open for writing are saved
  // DMTCP_TMP_FILE_MAX_MB: files of the node's temporary folders larger
  // than this are left out of the image (default: none is).
  uint64_t tmp_file_max;
  char refuse_devices[1024];  // DMTCP_REFUSE_DEVICES: more devices to refuse
  // DMTCP_CHECKPOINT_FOLDERS: absolute paths, colon-separated, saved whole.
  char ckpt_folders[4096];
  // DMTCP_INCREMENTAL (default 1): images refer to the unchanged memory of
  // the last generation's; DMTCP_INCREMENTAL_FULL_EVERY: every N-th is whole.
  bool incremental;
  // DMTCP_SHARED_BLOCKS (default 1, with DMTCP_INCREMENTAL): memory that
  // other processes writing into the same folder saved is referred to.
  bool share_blocks;
  int full_every;
  // DMTCP_INCREMENTAL_TRACKING: "kernel" (default) asks the kernel which
  // pages were written where it can say; "hash" hashes every block.
  bool kernel_tracking;
};

struct State {
  Config cfg;
  char program[64];
  char hostname[64];
  char unique_id[64];
  uint64_t computation_id;
  uint32_t generation;
  uint32_t num_peers;
  int coord_fd;  // at a high number, hidden from the program
  // /proc/self/task, opened where the program does not run (launch, fork
  // child, restart) and listed again at each checkpoint: no descriptor is
  // made beside the program's running threads (see OpenTaskDir).
  int task_dir_fd;
  // What the checkpoint thread does first: nothing (joined), finish the
  // connection a fork began, or join a coordinator that was not there.
  enum class JoinPending { kNone, kForkConnection, kRejoin } join_pending;
  // The coordinator is gone and this process (or the one it was before an
  // exec, or its parent) said so: a coordinator not there is no news.
  bool coord_lost;
  pid_t ckpt_tid;
  bool enabled;
  bool restarting;  // true in the restored process until it resumes
  RestartInfo restart;
  // Threads frozen in the current checkpoint.
  ThreadRec threads[kMaxThreads];
  std::atomic<int> num_threads;
  std::atomic<int> num_arrived;
  std::atomic<int> resume_gen;
  std::atomic<int> in_checkpoint;
  std::atomic<int> ckpt_round;  // carried by the checkpoint signal (si_int)
  // Threads inside the checkpoint signal handler, the checkpoint's or
  // restored ones: after a resume, those not yet out still block the signal.
  std::atomic<int> threads_in_handler;
  // Restored threads whose kernel state is back (restart: counted up to num_threads).
  std::atomic<int> threads_restored;
  // 1 from the start of a checkpoint until its end (past the resume of the
  // program's threads when a forked child writes the image): a process that
  // exits meanwhile waits, or its image would be lost with it.
  std::atomic<int> ckpt_active;
  // Wrapped calls that must not overlap a checkpoint (pthread_create, fork).
  std::atomic<int> wrappers_active;
  std::atomic<int> ckpt_pending;
  // Saved at checkpoint, restored at restart.
  struct KernelSigaction {
    void* handler;
    unsigned long flags;
    void* restorer;
    uint64_t mask;
  } sigactions[65];
  char cwd[4096];
  int rseq_offset_valid;
  long rseq_offset;
  unsigned rseq_size;
  // The program's own action for the checkpoint signal, if it set one.
  struct sigaction user_ckpt_action;
  // Program interface.
  std::atomic<int> num_checkpoints;
  std::atomic<int> num_restarts;
  // Checkpoints of this process that ended without an image kept (failed,
  // abandoned): dmtcp_checkpoint() returns an error instead of waiting.
  std::atomic<int> num_failed_checkpoints;
  char ckpt_filename[4200];
  void (*hook_pre)();
  void (*hook_post)();
  void (*hook_restart)();
  std::atomic<int> ckpt_request;  // no coordinator: a checkpoint was asked for
  // Set by a subsystem that cannot save its state exactly (CheckpointFailed):
  // the checkpoint then fails with this message and the previous
  // generation stays the newest.
  char ckpt_error[1024];
  // The program's resource limits (process_settings.cc): {soft, hard} per resource.
  uint64_t limits[16][2];
  bool limits_saved[16];
  ProcessSettings settings;
  uint64_t shared_pending;  // signals pending for the whole process
};

extern State g;

// Logging to stderr (never stdout): "[dmtcp] ...". Async-signal-safe.
void Log(const char* a, const char* b = "", const char* c = "", const char* d = "");
void LogNum(const char* what, long value);
[[noreturn]] void Fatal(const char* a, const char* b = "", const char* c = "");
// Fails the checkpoint in progress with "<program>: a b c" (the first
// failure stands). Only on the checkpoint thread, before the image is written.
void CheckpointFailed(const char* a, const char* b = "", const char* c = "");

// Small async-signal-safe string helpers.
size_t StrLen(const char* s);
bool StartsWith(const char* s, const char* prefix);
void StrCopy(char* dst, size_t cap, const char* src);
void StrCat(char* dst, size_t cap, const char* src);
void FormatUint(char* out, size_t cap, uint64_t v, int base = 10);

long RawSyscall(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0);
pid_t GetTid();
long MonotonicMs();  // CLOCK_MONOTONIC in milliseconds, by a raw system call
// Memory of the runtime's own that grows by mremap (no allocator on the
// checkpoint path): room for n more bytes after used, at least `initial`
// in all; false if the address space has none (nothing else changes then).
struct GrowingRoom {
  char* base;
  uint64_t cap;
  uint64_t used;
};
bool GrowRoom(GrowingRoom& r, uint64_t n, uint64_t initial);
// The next definition (libc's) of a wrapped call. ResolveNextSymbols looks
// every exported name up once, at start (next_symbols.cc says why).
void ResolveNextSymbols();
void* NextSymbol(const char* name);
template <typename Fn>
Fn Next(const char* name) {
  return reinterpret_cast<Fn>(NextSymbol(name));
}
void FutexWait(std::atomic<int>* addr, int expected);
void FutexWakeAll(std::atomic<int>* addr);

// Subsystems.
// How a process joins the coordinator (coord.cc): its first time, as the
// child of a fork (a connection its parent began), restored by a restart,
// or again after it lost a coordinator that was started again.
enum class CoordJoin { kLaunch, kForkChild, kRestart, kRejoin };
bool CoordConnect(CoordJoin kind);
// fork(): the child begins its own connection to the coordinator in its
// fork handler, where it alone runs (a new socket takes the lowest free
// number for a moment, which a program thread running beside it could
// see); the parent waits until it has, so the coordinator knows the child
// before fork() returns (a checkpoint then includes it, --exit-on-last
// waits for it). Begin and Wait in the parent; Connect in the child returns
// the non-blocking connection (-1 when there is none) that CoordFinishJoin
// completes from g.coord_fd.
struct ForkHandoff;
ForkHandoff* ForkHandoffBegin();
void ForkHandoffWait(ForkHandoff* h);
int ForkHandoffConnect(ForkHandoff* h, bool connect);
int ProtectedFdBase();  // where the runtime's own descriptors go
bool CoordFinishJoin();
// Reads who this process is (pid, start time) for its hellos to come.
void ReadOwnIdentity();
bool CoordSend(int type, const void* p, uint32_t len);
// Tells the coordinator the image grows (a silent writer is abandoned).
void CoordReportWriteProgress(uint64_t bytes);
bool CoordRecv(int* type, void* buf, uint32_t cap);
bool CoordBarrier(const char* name);
// A barrier during which fill(fds) names descriptors to watch (returns how
// many) and ready() runs after each wait on them (100 ms at most). fds has room
// for every descriptor fill names, plus one. Without fill: CoordBarrier.
// The release's commit and num_peers go to *commit and *peers if given.
bool CoordBarrierPolling(const char* name, int (*fill)(pollfd*), void (*ready)(), pollfd* fds,
                         int* commit = nullptr, uint32_t* peers = nullptr);
// A short-lived command connection, for calls from the program's threads.
bool CoordCommand(char command, int arg, void* reply, size_t cap);
bool CoordKvCommand(bool put, void* kv, size_t cap);
// A program thread's arrival at a barrier (proto::ProgramBarrier): 1 when
// every process arrived, 0 not yet, -1 no answer.
int CoordProgramBarrier(const char* name, uint32_t epoch);
// On the worker connection (checkpoint thread only). Get returns the
// value's length, or -1 if the key is not there.
bool CoordKvPut(const char* key, const void* value, uint32_t len);
long CoordKvGet(const char* key, void* value, uint32_t cap);
[[noreturn]] void KilledByCoordinator();
void StartCheckpointThread();              // checkpoint.cc
void JoinAsNewProcess(int connecting_fd);  // init.cc: after fork
bool PidTaken(pid_t real);                 // pids.cc
// Whether some process of the computation runs under a kernel pid that is
// not its virtual pid (it was restarted): a new pid may then be ambiguous.
bool PidsMoved();  // pids.cc
// Before a process is made whose pid cannot be chosen again (posix_spawn):
// while the kernel's next pid is a restored process's virtual pid, it is
// used up by a child that exits at once.
void SkipTakenPids();         // pids.cc
void InstallSignalHandler();  // signals.cc
void SaveSignalActions();
void RestoreSignalActions();
bool SuspendThreads();  // threads.cc
// (Re)opens g.task_dir_fd at a high number; only where no program thread
// runs. Forgets (does not close) the one it had when `inherited` is false.
void OpenTaskDir(bool close_old);
// Lets the stopped threads run; then each one's THREAD_RESUME and
// RESUME_USER_THREAD events, on this thread.
void ResumeThreads(int is_restart = 0);
void SaveCurrentThread(ThreadRec* rec);
void RestoreThreadKernelState(const ThreadRec* rec);
void RecreateThreads();
// At restart: until every restored thread has its kernel state back; false
// if some had not after 10 s.
bool WaitForThreadsRestored();
// Signals pending (the hex field of /proc/self/task/<tid>/status, e.g.
// "SigPnd:" or "ShdPnd:"), without the checkpoint signal; and raised again.
uint64_t PendingSignals(pid_t tid, const char* field);
void RaisePendingSignals(uint64_t set, bool thread);

// The ids, address-space fields and zombies of this process, for its image.
void FillProcessInfo(image::ProcessInfo* pi);
// Writes the image. With `forked` (forked checkpoints), a copy-on-write
// child may write the memory while this process goes on: then *forked is
// set and the result comes from FinishForkedWrite.
// Puts the image WriteImage left at path's temporary name in place (keep),
// or removes it. False (err says why) if it could not be put in place.
// The image written to path's temporary name: removed (a failed checkpoint);
// put in place of the previous one, kept aside (false, with err, if not);
// then, once the whole generation is known to be in place or not, the
// previous one removed or put back.
void DropImage(const char* path);
bool PutImageInPlace(const char* path, char* err, size_t errcap);
// The image folder dir held open, from where the program is stopped to the
// end of the checkpoint, for the syncs that follow its renames (a forked
// checkpoint makes them while the program runs). Forget: after a restart,
// where the number names nothing of ours.
void HoldImageFolder(const char* dir);
void ReleaseImageFolder();
void ForgetImageFolder();
// The image folder held for this checkpoint, or -1.
int ImageFolderFd();
void FinishCommit(const char* path, bool committed);
bool WriteImage(const char* dir, char* path, size_t cap, uint64_t* bytes, char* err, size_t errcap,
                bool* forked = nullptr);  // image.cc
using PthreadCreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
PthreadCreateFn RealPthreadCreate();  // wrappers.cc
void WrapperEnter();
void WrapperExit();
// WrapperEnter once no checkpoint is active, not even one whose forked
// child still writes this process's image (a process that exits or execs
// meanwhile would lose it); no other starts until WrapperExit.
void HoldOffCheckpoints();

}  // namespace dmtcp::rt
