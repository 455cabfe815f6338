// Start of the runtime in a launched process: read the settings that
// dmtcp_launch put in the environment, join the coordinator, start the
// checkpoint thread.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "environment.h"
#include "files.h"
#include "io.h"
#include "pids.h"
#include "pipes.h"
#include "plugins.h"
#include "posix_mqueues.h"
#include "runtime.h"
#include "shared_object_views.h"
#include "write_tracking.h"

namespace dmtcp::rt {
namespace {

const char* Env(const char* a, const char* b = nullptr) {
  const char* v = EnvironmentValue(a);
  if ((!v || !*v) && b) v = EnvironmentValue(b);
  return v && *v ? v : nullptr;
}

int EnvInt(const char* name, int def) {
  const char* v = EnvironmentValue(name);
  if (!v || !*v) return def;
  char* end;
  long n = strtol(v, &end, 10);
  return *end ? def : static_cast<int>(n);
}

bool ReadSecretFile(const char* path, char* out, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, out, cap - 1);
  close(fd);
  if (n <= 0) return false;
  out[n] = 0;
  while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ')) out[--n] = 0;
  return n > 0;
}

// Our own commands may run inside a launched shell script: they must not
// become part of the computation they control.
bool IsOwnCommand(const char* prog) {
  static const char* const kOwn[] = {"dmtcp_launch", "dmtcp_command", "dmtcp_coordinator",
                                     "dmtcp_restart", "dmtcp_restart_loader"};
  for (const char* name : kOwn)
    if (strcmp(prog, name) == 0) return true;
  return false;
}

void ProbeRseq() {
  // glibc >= 2.35 registers rseq per thread; the area is at the thread
  // pointer plus __rseq_offset. Looked up at run time so older glibc works.
  auto* off = static_cast<const long*>(dlsym(RTLD_DEFAULT, "__rseq_offset"));
  auto* size = static_cast<const unsigned*>(dlsym(RTLD_DEFAULT, "__rseq_size"));
  if (off && size && *size > 0) {
    g.rseq_offset = *off;
    g.rseq_size = *size;
    g.rseq_offset_valid = 1;
  }
}

void MakeUniqueId() {
  uint32_t h = 2166136261u;
  for (const char* p = g.hostname; *p; ++p) h = (h ^ static_cast<uint8_t>(*p)) * 16777619u;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char a[16], b[16], c[24];
  FormatUint(a, sizeof a, h, 16);
  FormatUint(b, sizeof b, static_cast<uint64_t>(getpid()));
  FormatUint(c, sizeof c, static_cast<uint64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000, 16);
  g.unique_id[0] = 0;
  StrCat(g.unique_id, sizeof g.unique_id, a);
  StrCat(g.unique_id, sizeof g.unique_id, "-");
  StrCat(g.unique_id, sizeof g.unique_id, b);
  StrCat(g.unique_id, sizeof g.unique_id, "-");
  StrCat(g.unique_id, sizeof g.unique_id, c);
}

void ReadConfig() {
  Config& c = g.cfg;
  c.fail_rc = EnvInt("DMTCP_FAIL_RC", 99);
  if (c.fail_rc <= 0 || c.fail_rc > 255) c.fail_rc = 99;
  StrCopy(c.coord_host, sizeof c.coord_host, Env("DMTCP_COORD_HOST", "DMTCP_HOST"));
  if (!c.coord_host[0]) StrCopy(c.coord_host, sizeof c.coord_host, "localhost");
  const char* port = Env("DMTCP_COORD_PORT", "DMTCP_PORT");
  c.coord_port = port ? atoi(port) : proto::kDefaultPort;
  if (const char* s = Env("DMTCP_COORD_SECRET")) {
    StrCopy(c.secret, sizeof c.secret, s);
  } else {
    char path[4096];
    const char* file = Env("DMTCP_COORD_SECRET_FILE");
    if (!file && io::DefaultSecretPath(c.coord_port, path, sizeof path)) file = path;
    if (file) ReadSecretFile(file, c.secret, sizeof c.secret);
  }
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) StrCopy(cwd, sizeof cwd, "/tmp");
  if (const char* d = Env("DMTCP_CHECKPOINT_DIR")) {
    if (d[0] == '/') {
      StrCopy(c.ckpt_dir, sizeof c.ckpt_dir, d);
    } else {
      StrCopy(c.ckpt_dir, sizeof c.ckpt_dir, cwd);
      StrCat(c.ckpt_dir, sizeof c.ckpt_dir, "/");
      StrCat(c.ckpt_dir, sizeof c.ckpt_dir, d);
    }
  } else {
    StrCopy(c.ckpt_dir, sizeof c.ckpt_dir, cwd);
  }
  const char* gz = Env("DMTCP_GZIP");
  c.gzip = !(gz && strcmp(gz, "0") == 0);
  c.ckpt_signal = EnvInt("DMTCP_SIGCKPT", SIGUSR2);
  if (c.ckpt_signal < 1 || c.ckpt_signal > 64 || c.ckpt_signal == SIGKILL ||
      c.ckpt_signal == SIGSTOP)
    c.ckpt_signal = SIGUSR2;
  c.no_coordinator = Env("DMTCP_NO_COORDINATOR") != nullptr;
  c.interval = EnvInt("DMTCP_CHECKPOINT_INTERVAL", 0);
  c.checkpoint_threads = EnvInt("DMTCP_CHECKPOINT_THREADS", 0);
  if (const char* r = Env("DMTCP_REFUSE_DEVICES"))
    StrCopy(c.refuse_devices, sizeof c.refuse_devices, r);
  c.forked_checkpoint = EnvInt("DMTCP_FORKED_CHECKPOINT", 0) == 1;
  c.incremental = EnvInt("DMTCP_INCREMENTAL", 1) != 0;
  c.share_blocks = EnvInt("DMTCP_SHARED_BLOCKS", 1) != 0;
  c.full_every = EnvInt("DMTCP_INCREMENTAL_FULL_EVERY", 8);
  if (c.full_every < 1) c.full_every = 1;
  const char* tracking = Env("DMTCP_INCREMENTAL_TRACKING");
  c.kernel_tracking = !tracking || !StartsWith(tracking, "hash") || tracking[4] != 0;
  c.ckpt_open_files = EnvInt("DMTCP_CKPT_OPEN_FILES", 0) == 1;
  if (const char* f = Env("DMTCP_CHECKPOINT_FOLDERS"))
    StrCopy(c.ckpt_folders, sizeof c.ckpt_folders, f);
  const int tmp_mb = EnvInt("DMTCP_TMP_FILE_MAX_MB", -1);
  c.tmp_file_max = tmp_mb < 0 ? ~uint64_t{0} : static_cast<uint64_t>(tmp_mb) << 20;
}

}  // namespace

void JoinAsNewProcess(int connecting_fd) {
  MakeUniqueId();
  g.num_checkpoints.store(0);
  g.num_restarts.store(0);
  g.ckpt_filename[0] = 0;
  OpenTaskDir(true);    // the parent's threads were listed there
  DropWriteTracking();  // the parent's: this memory is not registered
  // Only what is safe in the child of a threaded program happens here: no
  // name resolution, no waiting on the coordinator. The checkpoint thread
  // completes the connection the fork handler began (the parent's fork()
  // returned only once it had, which --exit-on-last relies on) and says
  // hello; a checkpoint meanwhile waits for the child (the parent named
  // it). glibc makes thread creation in a fork child safe.
  if (!g.cfg.no_coordinator) {
    ReadOwnIdentity();
    g.join_pending = State::JoinPending::kRejoin;
    if (connecting_fd >= 0) {
      g.coord_fd = static_cast<int>(
          RawSyscall(SYS_fcntl, connecting_fd, F_DUPFD_CLOEXEC, ProtectedFdBase()));
      RawSyscall(SYS_close, connecting_fd);
      if (g.coord_fd >= 0) g.join_pending = State::JoinPending::kForkConnection;
    }
  }
  StartCheckpointThread();
}

namespace {

// After an exec (see ExecInThisProcess): the connection the process had
// before it, kept until now so that the process never counted as gone.
void CloseInheritedConnection() {
  const char* v = EnvironmentValue(kInheritedCoordFd);
  if (!v) return;
  const int fd = atoi(v);
  struct stat st;
  if (fd > 2 && fd != g.coord_fd && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) close(fd);
  RemoveFromEnvironment(kInheritedCoordFd);
}

// After an exec: the computation the process belongs to, from the entry
// ExecInThisProcess made ("<fd>,<id hex>,<generation>,<peers>").
bool AdoptInheritedComputation() {
  const char* v = EnvironmentValue(kInheritedCoordFd);
  if (!v) return false;
  const char* p = strchr(v, ',');
  if (!p) return true;
  char* end = nullptr;
  g.computation_id = strtoull(p + 1, &end, 16);
  if (*end == ',') g.generation = static_cast<uint32_t>(strtoul(end + 1, &end, 10));
  if (*end == ',') g.num_peers = static_cast<uint32_t>(strtoul(end + 1, &end, 10));
  if (*end == ',') g.coord_lost = end[1] == '1';
  return true;
}

// After an exec or spawn in a restarted computation: the table of virtual
// pids, so that this program keeps its process's virtual pid and sees the
// others' (and a fork never makes a pid that stands for another process).
int InheritedPidTableFd() {
  const char* v = EnvironmentValue(kPidTableFd);
  RemoveFromEnvironment(kPidTableFd);
  if (!v) return -1;
  const int fd = atoi(v);
  struct stat st;
  return fd > 2 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fd : -1;
}

void MapInheritedPidTable() {
  const int fd = InheritedPidTableFd();
  if (fd >= 0 && !MapPidTable(fd))
    Log("an inherited pid table is not one; pids are not translated");
}

void CloseInheritedPidTable() {
  const int fd = InheritedPidTableFd();
  if (fd >= 0) close(fd);
}

__attribute__((constructor)) void DmtcpInit() {
  ResolveNextSymbols();  // before any checkpoint can start
  StrCopy(g.program, sizeof g.program, program_invocation_short_name);
  if (IsOwnCommand(g.program) || EnvironmentValue("DMTCP_DISABLE")) {
    CloseInheritedConnection();
    CloseInheritedPidTable();
    return;
  }
  ReadConfig();
  RememberPreload();
  gethostname(g.hostname, sizeof g.hostname - 1);
  MapInheritedPidTable();
  InitPids();
  MakeUniqueId();
  ProbeRseq();
  g.coord_fd = -1;
  OpenTaskDir(false);
  RegisterFilesPlugin();
  RegisterMessageQueuesPlugin();  // claims before the pipes' election barrier
  RegisterPipesPlugin();
  RegisterSharedObjectViewsPlugin();
  LoadPlugins();
  InstallSignalHandler();
  const bool continues = AdoptInheritedComputation();
  if (!g.cfg.no_coordinator && !CoordConnect(CoordJoin::kLaunch)) {
    char port[16] = ":";
    FormatUint(port + 1, sizeof port - 1, static_cast<uint64_t>(g.cfg.coord_port));
    if (!continues) Fatal("cannot join the coordinator at ", g.cfg.coord_host, port);
    // A process of a running computation that exec'd while its coordinator
    // was gone: it runs on, and joins when the coordinator is back.
    if (!g.coord_lost)
      Log("no coordinator at ", g.cfg.coord_host, port, "; joining it when it is back");
    g.coord_lost = true;
    g.join_pending = State::JoinPending::kRejoin;
  }
  CloseInheritedConnection();
  g.enabled = true;
  StartCheckpointThread();
  PluginEvent(DMTCP_EVENT_INIT);
  if (EnvironmentValue("DMTCP_EXEC_MARK")) {
    RemoveFromEnvironment("DMTCP_EXEC_MARK");
    PluginEvent(DMTCP_EVENT_POST_EXEC);
  }
}

__attribute__((destructor)) void DmtcpFinish() {
  if (!g.enabled) return;
  if (GetTid() != g.ckpt_tid) {
    // From here to the end of the process no checkpoint starts: one that
    // stopped it now would see it exit halfway (the coordinator counts a
    // process that ends before it is stopped as left out, and one that
    // ends after as a failed checkpoint). Never left: exit ends it.
    HoldOffCheckpoints();
  }
  PluginEvent(DMTCP_EVENT_EXIT);
}

}  // namespace
}  // namespace dmtcp::rt
