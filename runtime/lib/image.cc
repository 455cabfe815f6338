// Writes this process's image to a temporary name, fsynced. PutImageInPlace
// renames it over the previous one once every process of the computation has
// written its own, keeping the previous one until every process has put its
// own in place (FinishCommit): a failure anywhere, even in a rename, never
// destroys the last good generation nor leaves one mixed with the next.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "affinity.h"
#include "files.h"
#include "forked_checkpoint.h"
#include "helper_threads.h"
#include "image_writer.h"
#include "incremental.h"
#include "made_files.h"
#include "memory.h"
#include "memory_advice.h"
#include "open_files.h"
#include "peer_blocks.h"
#include "pids.h"
#include "proc_dir.h"
#include "process_identity.h"
#include "runtime.h"
#include "saved_folders.h"
#include "sockets.h"
#include "sysv_ipc.h"

namespace dmtcp::rt {

extern "C" [[noreturn]] void dmtcp_restore_entry(const void* handoff);
extern char g_restore_stack[128 * 1024];

namespace {

constexpr uint64_t kMapsCap = 8 << 20;
constexpr uint64_t kPagemapEntries = 64 * 1024;
constexpr int kMaxKeptFds = 1024;  // the image, and the made files' (made_files.h)

// Closes every descriptor but keep[0..n) (in any order).
void CloseAllBut(int* keep, int n) {
  for (int i = 1; i < n; ++i)  // insertion sort: a few hundred at most
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) {
      const int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  unsigned from = 0;
  for (int i = 0; i < n; ++i) {
    if (static_cast<unsigned>(keep[i]) > from)
      RawSyscall(SYS_close_range, from, static_cast<unsigned>(keep[i]) - 1, 0);
    from = static_cast<unsigned>(keep[i]) + 1;
  }
  RawSyscall(SYS_close_range, from, ~0U, 0);
}

// The numeric fields of a /proc/<pid>/stat file (ident::ParseProcStat);
// the number of the last one parsed, 0 if it cannot be read.
int ReadProcStat(const char* path, uint64_t* field, int cap) {
  static char buf[4096];
  int fd = static_cast<int>(
      RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_RDONLY | O_CLOEXEC));
  if (fd < 0) return 0;
  long n = RawSyscall(SYS_read, fd, reinterpret_cast<long>(buf), sizeof buf - 1);
  RawSyscall(SYS_close, fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  return ident::ParseProcStat(buf, field, cap);
}

void ReadStatFields(image::ProcessInfo* pi) {
  uint64_t field[64];
  if (ReadProcStat("/proc/self/stat", field, 64) < 51) return;
  pi->start_code = field[26];
  pi->end_code = field[27];
  pi->start_stack = field[28];
  pi->start_data = field[45];
  pi->end_data = field[46];
  pi->start_brk = field[47];
  pi->arg_start = field[48];
  pi->arg_end = field[49];
  pi->env_start = field[50];
  pi->env_end = field[51];
  pi->brk = static_cast<uint64_t>(RawSyscall(SYS_brk, 0));
  // Field 7: the controlling terminal's device; a pty (major 136) by number.
  const uint64_t tty = field[7];
  pi->ctty_pty = ((tty >> 8) & 0xfff) == 136
                     ? static_cast<int32_t>(((tty >> 12) & 0xfff00) | (tty & 0xff))
                     : -1;
}

// True if the child has begun to exit (PF_EXITING in /proc/<pid>/stat).
bool ChildExiting(pid_t child) {
  char path[48] = "/proc/";
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(child));
  StrCat(path, sizeof path, num);
  StrCat(path, sizeof path, "/stat");
  uint64_t field[16];
  constexpr uint64_t kPfExiting = 0x4;
  return ReadProcStat(path, field, 16) >= 9 && (field[9] & kPfExiting);
}

// A zombie's exit status, or false if the child has not exited. __WALL: a
// child made by clone() with another exit signal than SIGCHLD is a zombie
// that a plain waitid does not see.
bool ExitedChild(pid_t child, siginfo_t* info) {
  *info = siginfo_t{};
  return RawSyscall(SYS_waitid, P_PID, child, reinterpret_cast<long>(info),
                    WEXITED | WNOWAIT | WNOHANG | __WALL, 0) == 0 &&
         info->si_pid == child;
}

// Every zombie, when there are more than ProcessInfo holds.
image::ProcessInfo::Zombie g_zombies[image::kMaxZombies];

// Our children that have exited but were not waited for, with their
// status (waitid with WNOWAIT leaves them for the program to reap).
// Returns how many there are, which may be more than the image holds.
uint32_t RecordZombies(image::ProcessInfo* pi) {
  pi->num_zombies = 0;
  uint32_t all = 0;
  ForEachChild([&](pid_t child) {
    siginfo_t info;
    bool exited = ExitedChild(child, &info);
    // One that began to exit before it was stopped was left out of the
    // checkpoint (its connection closed first): the restored parent must
    // find it as a zombie, so wait the moment it takes to become one.
    for (const long deadline = MonotonicMs() + 2000;
         !exited && MonotonicMs() < deadline && ChildExiting(child);) {
      struct timespec t = {0, 1000 * 1000};
      RawSyscall(SYS_nanosleep, reinterpret_cast<long>(&t), 0);
      exited = ExitedChild(child, &info);
    }
    if (!exited) return;  // still running (it is a process of the computation)
    if (all++ >= image::kMaxZombies) return;
    auto& z = g_zombies[pi->num_zombies];
    z.vpid = VirtualPid(child);
    z.code = info.si_code;
    z.status = info.si_status;
    if (pi->num_zombies < std::size(pi->zombies)) pi->zombies[pi->num_zombies] = z;
    ++pi->num_zombies;
  });
  return all;
}

void SetError(char* err, size_t cap, const char* what, const char* path, int e) {
  char num[16];
  FormatUint(num, sizeof num, static_cast<uint64_t>(e));
  // strerrordesc_np: a constant string, no locale, nothing allocated.
  const char* desc = strerrordesc_np(e);
  err[0] = 0;
  StrCat(err, cap, what);
  StrCat(err, cap, path);
  StrCat(err, cap, ": ");
  StrCat(err, cap, desc ? desc : "error");
  StrCat(err, cap, " (errno ");
  StrCat(err, cap, num);
  StrCat(err, cap, ")");
}

// After an error of a checkpoint's: the program's hard limit that caused it, if one is set
// (the runtime raises soft limits up to the hard ones while the program is stopped).
void AddHardLimitNote(char* err, size_t cap, int resource, const char* name) {
  struct rlimit l;
  if (RawSyscall(SYS_prlimit64, 0, resource, 0, reinterpret_cast<long>(&l)) != 0 ||
      l.rlim_max == RLIM_INFINITY)
    return;
  char num[24];
  FormatUint(num, sizeof num, l.rlim_max);
  StrCat(err, cap, "; the process's hard ");
  StrCat(err, cap, name);
  StrCat(err, cap, " limit is ");
  StrCat(err, cap, num);
}

struct HelperWork {
  image::ImageWriter* writer;
  int index;
};

void RunHelper(void* arg) {
  auto* work = static_cast<HelperWork*>(arg);
  work->writer->WorkerLoop(work->index);
}

}  // namespace

void FillProcessInfo(image::ProcessInfo* pi) {
  pi->real_pid = static_cast<int32_t>(RawSyscall(SYS_getpid));
  pi->pid = MyVirtualPid();
  pi->ppid = VirtualPid(static_cast<pid_t>(RawSyscall(SYS_getppid)));
  pi->pgid = VirtualGroupId(static_cast<pid_t>(RawSyscall(SYS_getpgid, 0)));
  pi->sid = VirtualGroupId(static_cast<pid_t>(RawSyscall(SYS_getsid, 0)));
  pi->generation = g.generation;
  pi->num_peers = g.num_peers;
  pi->computation_id = g.computation_id;
  pi->ckpt_time = static_cast<uint64_t>(time(nullptr));
  StrCopy(pi->hostname, sizeof pi->hostname, g.hostname);
  StrCopy(pi->program, sizeof pi->program, g.program);
  StrCopy(pi->unique_id, sizeof pi->unique_id, g.unique_id);
  StrCopy(pi->cwd, sizeof pi->cwd, g.cwd);
  pi->restore_entry = reinterpret_cast<uint64_t>(&dmtcp_restore_entry);
  pi->restore_stack_top = reinterpret_cast<uint64_t>(g_restore_stack + sizeof g_restore_stack);
  for (int i = 0; i < g.num_threads.load(); ++i)
    if (g.threads[i].is_main) pi->main_fs_base = g.threads[i].fs_base;
  pi->ctty_pty = -1;
  ReadStatFields(pi);
  const uint32_t zombies = RecordZombies(pi);
  if (zombies > pi->num_zombies) {
    // The restored program would wait for the others in vain.
    char num[64];
    FormatUint(num, sizeof num, zombies);
    StrCat(num, sizeof num, " ended children it has not waited for; a checkpoint keeps at most ");
    char most[16];
    FormatUint(most, sizeof most, image::kMaxZombies);
    CheckpointFailed("it has ", num, most);
  }
}

namespace {

// The checkpoint's own memory, given back.
void FreeScratch(long sm, uint64_t len) {
  RawSyscall(SYS_munmap, sm, static_cast<long>(len));
  ReleaseFdData();
}

void TempName(const char* path, char* tmp, size_t cap) {
  tmp[0] = 0;
  StrCat(tmp, cap, path);
  StrCat(tmp, cap, ".temp");
}

}  // namespace

namespace {

// path + ".previous": the image of the last complete generation while a new
// one is being put in place.
void PreviousName(const char* path, char* out, size_t cap) {
  out[0] = 0;
  StrCat(out, cap, path);
  StrCat(out, cap, ".previous");
}

}  // namespace

namespace {
// The image folder, opened while the program is stopped and kept where the
// runtime's descriptors live: a forked checkpoint syncs it while the
// program runs, and an open() then takes the program's lowest free number,
// for a moment (its dup2 onto that number fails with EBUSY) or, by the
// time the runtime closes it, a descriptor the program put there.
int g_folder_fd = -1;
}  // namespace

void HoldImageFolder(const char* dir) {
  const long fd = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(dir),
                             O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  g_folder_fd = static_cast<int>(RawSyscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, ProtectedFdBase() + 2));
  RawSyscall(SYS_close, fd);
}

void ReleaseImageFolder() {
  if (g_folder_fd >= 0) RawSyscall(SYS_close, g_folder_fd);
  g_folder_fd = -1;
}

void ForgetImageFolder() { g_folder_fd = -1; }

int ImageFolderFd() { return g_folder_fd; }

namespace {

// Makes the renames and removals in path's folder durable.
void SyncFolderOf(const char* path) {
  if (g_folder_fd >= 0) {
    RawSyscall(SYS_fsync, g_folder_fd);
    return;
  }
  char dir[4200];
  StrCopy(dir, sizeof dir, path);
  char* slash = nullptr;
  for (char* p = dir; *p; ++p)
    if (*p == '/') slash = p;
  if (slash == dir)
    slash[1] = 0;
  else if (slash)
    *slash = 0;
  int dfd =
      static_cast<int>(RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(slash ? dir : "."),
                                  O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd >= 0) {
    RawSyscall(SYS_fsync, dfd);
    RawSyscall(SYS_close, dfd);
  }
}

}  // namespace

void DropImage(const char* path) {
  char tmp[4200];
  TempName(path, tmp, sizeof tmp);
  RawSyscall(SYS_unlink, reinterpret_cast<long>(tmp));
}

bool PutImageInPlace(const char* path, char* err, size_t errcap) {
  char tmp[4200], prev[4200];
  TempName(path, tmp, sizeof tmp);
  PreviousName(path, prev, sizeof prev);
  RawSyscall(SYS_unlink, reinterpret_cast<long>(prev));
  // The previous image stays reachable until the whole generation is in
  // place (FinishCommit): one process that fails takes every one back.
  long r = RawSyscall(SYS_link, reinterpret_cast<long>(path), reinterpret_cast<long>(prev));
  if (r != 0 && r != -ENOENT) {
    SetError(err, errcap, "cannot keep the previous image as ", prev, static_cast<int>(-r));
    DropImage(path);
    return false;
  }
  r = RawSyscall(SYS_rename, reinterpret_cast<long>(tmp), reinterpret_cast<long>(path));
  if (r != 0) {
    SetError(err, errcap, "cannot rename checkpoint image to ", path, static_cast<int>(-r));
    DropImage(path);
    RawSyscall(SYS_unlink, reinterpret_cast<long>(prev));
    return false;
  }
  SyncFolderOf(path);
  return true;
}

void FinishCommit(const char* path, bool committed) {
  char prev[4200];
  PreviousName(path, prev, sizeof prev);
  IncrementalCommitted(path, committed);
  if (committed) {
    RawSyscall(SYS_unlink, reinterpret_cast<long>(prev));
    return;
  }
  // Another process could not put its image in place: this one's previous
  // image comes back (none: this generation's goes), so the folder holds
  // the last complete generation, whole.
  if (RawSyscall(SYS_rename, reinterpret_cast<long>(prev), reinterpret_cast<long>(path)) != 0)
    RawSyscall(SYS_unlink, reinterpret_cast<long>(path));
  SyncFolderOf(path);
}

namespace {

// At most once a second: the coordinator abandons a checkpoint whose
// writer is silent for its timeout.
void ReportWriteProgress(uint64_t bytes) {
  static long last_ms;
  const long now = MonotonicMs();
  if (now - last_ms < 1000) return;
  last_ms = now;
  CoordReportWriteProgress(bytes);
}

}  // namespace

bool WriteImage(const char* dir, char* path, size_t cap, uint64_t* bytes, char* err, size_t errcap,
                bool* forked) {
  if (forked) *forked = false;
  path[0] = 0;
  StrCat(path, cap, dir);
  StrCat(path, cap, "/ckpt_");
  StrCat(path, cap, g.program);
  StrCat(path, cap, "_");
  StrCat(path, cap, g.unique_id);
  StrCat(path, cap, ".dmtcp");
  char tmp[4200];
  tmp[0] = 0;
  TempName(path, tmp, sizeof tmp);

  const int helpers = std::min(HelperCount(), image::ImageWriter::kMaxWorkers);
  const uint64_t writer_len = (image::ImageWriter::ScratchSize(helpers) + 4095) & ~uint64_t{4095};
  const uint64_t stacks_len = static_cast<uint64_t>(helpers) * kHelperStackSize;
  const uint64_t scratch_len =
      ((writer_len + stacks_len + kMapsCap + kPagemapEntries * 8) + 4095) & ~uint64_t{4095};
  long sm = RawSyscall(SYS_mmap, 0, static_cast<long>(scratch_len), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (sm < 0 && sm > -4096) {
    SetError(err, errcap, "cannot allocate checkpoint buffers for ", path, static_cast<int>(-sm));
    AddHardLimitNote(err, errcap, RLIMIT_AS, "address-space (RLIMIT_AS)");
    AddHardLimitNote(err, errcap, RLIMIT_DATA, "data (RLIMIT_DATA)");
    return false;
  }
  auto* scratch = reinterpret_cast<char*>(sm);
  char dev[256];
  if (MappedDeviceRefused(scratch + writer_len + stacks_len, kMapsCap, dev, sizeof dev)) {
    err[0] = 0;
    StrCat(err, errcap, g.program);
    StrCat(err, errcap, " uses the device ");
    StrCat(err, errcap, dev);
    StrCat(err, errcap,
           " (memory shared with a network card or accelerator), which cannot be checkpointed;"
           " with Open MPI, run with --mca pml ob1 --mca btl tcp,self,vader"
           " (OMPI_MCA_pml=ob1 OMPI_MCA_btl=tcp,self,vader) so that no rank opens it");
    FreeScratch(sm, scratch_len);
    return false;
  }
  if (HasAioRing(scratch + writer_len + stacks_len)) {
    err[0] = 0;
    StrCat(err, errcap, g.program);
    StrCat(err, errcap,
           " has a Linux native AIO context (io_setup), whose ring and requests live in the "
           "kernel: a restart cannot make it again (POSIX aio_read, which glibc runs in "
           "threads, can be checkpointed)");
    FreeScratch(sm, scratch_len);
    return false;
  }
  NoteAttachedSysvSegments(scratch + writer_len + stacks_len);
  // A new file, not the old one truncated: another process's image may
  // hold a link to one left here (peer_blocks.h).
  RawSyscall(SYS_unlink, reinterpret_cast<long>(tmp));
  int fd = static_cast<int>(RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(tmp),
                                       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd < 0) {
    SetError(err, errcap, "cannot create ", tmp, -fd);
    FreeScratch(sm, scratch_len);
    return false;
  }
  // The image being written and its folder are ours, not the program's.
  int skip[2] = {fd, g_folder_fd};
  char* stacks = scratch + writer_len;
  if (!RecordFds(skip, 2)) {
    err[0] = 0;
    StrCat(err, errcap, g.program);
    StrCat(err, errcap, ": ");
    StrCat(err, errcap, RecordFdsError()[0] ? RecordFdsError() : "cannot list /proc/self/fd");
    RawSyscall(SYS_close, fd);
    RawSyscall(SYS_unlink, reinterpret_cast<long>(tmp));
    FreeScratch(sm, scratch_len);
    return false;
  }
  image::ProcessInfo pi{};
  FillProcessInfo(&pi);
  if (g.ckpt_error[0]) {
    StrCopy(err, errcap, g.ckpt_error);
    RawSyscall(SYS_close, fd);
    RawSyscall(SYS_unlink, reinterpret_cast<long>(tmp));
    FreeScratch(sm, scratch_len);
    return false;
  }
  pi.num_threads = static_cast<uint32_t>(g.num_threads.load());
  pi.num_fds = static_cast<uint32_t>(RecordedFdCount());
  // Everything that is not memory is recorded: a forked child may write the
  // rest while the program runs.
  bool child = false;
  // Before the fork: what a child would not inherit decides it.
  if (!ReadMemoryAdvice()) {
    err[0] = 0;
    StrCat(err, errcap, g.program);
    StrCat(err, errcap,
           ": cannot read the madvise advice of its memory (/proc/self/smaps), or "
           "more than 65536 areas carry advice");
    RawSyscall(SYS_close, fd);
    RawSyscall(SYS_unlink, reinterpret_cast<long>(tmp));
    FreeScratch(sm, scratch_len);
    return false;
  }
  // Opened now, before a forked writer exists, and after the descriptors
  // were listed: they are not the program's.
  static int keep[kMaxKeptFds];
  keep[0] = fd;
  const int num_keep =
      1 + OpenMadeFiles(keep + 1, kMaxKeptFds - 1, scratch + writer_len + stacks_len);
  if (forked && ForkAllowed(scratch + writer_len + stacks_len)) {  // maps, as read above
    long pid = ForkWriter();
    if (pid > 0) {
      RawSyscall(SYS_close, fd);
      CloseMadeFiles();
      FreeScratch(sm, scratch_len);
      *forked = true;
      return true;
    }
    if (pid == 0) {
      // It needs none of the program's descriptors: holding them would
      // delay what their closing means (end of file, a peer's FIN).
      child = true;
      CloseAllBut(keep, num_keep);
    }
  }

  MemoryScratch ms;
  ms.maps = stacks + stacks_len;
  ms.maps_cap = kMapsCap;
  ms.pagemap = reinterpret_cast<uint64_t*>(ms.maps + kMapsCap);
  ms.pagemap_cap = kPagemapEntries;
  ms.skip_start = static_cast<uint64_t>(sm);
  ms.skip_end = static_cast<uint64_t>(sm) + scratch_len;
  PidTableRange(&ms.skip2_start, &ms.skip2_end);
  TcpDrainRange(&ms.skip3_start, &ms.skip3_end);
  FdDataRange(&ms.skip4_start, &ms.skip4_end);

  static image::ImageWriter w;
  static HelperThread threads[image::ImageWriter::kMaxWorkers];
  static HelperWork work[image::ImageWriter::kMaxWorkers];
  // Before Begin, which reports its header: the writer is static, and the
  // one in memory may still name a forked writer's reporter (restored from
  // a forked writer's image, or inherited by a fork of such a process),
  // whose shared page a process writing in place does not have.
  w.SetProgress(child ? NoteForkedWriteProgress : ReportWriteProgress);
  bool ok = w.Begin(fd, g.cfg.gzip, scratch, helpers);
  // A forked writer's table would die with it: its image is whole.
  if (ok && !child) {
    PrepareIncremental(w, path, g.generation);
    BeginPeerBlocks(w, path, tmp, g.generation);
  }
  IncrementalRange(&ms.skip5_start, &ms.skip5_end);
  PeerIndexRange(&ms.skip6_start, &ms.skip6_end);
  int started = 0;
  for (; ok && started < helpers; ++started) {
    work[started] = {&w, started + 1};
    if (!StartHelper(&threads[started], stacks + started * kHelperStackSize, kHelperStackSize,
                     RunHelper, &work[started]))
      break;  // fewer helpers: the writer encodes what they do not
  }
  // The data saved with the descriptors is in the image once they are: its
  // memory holds each made file in turn.
  size_t made_cap = 0;
  char* made_buf = FdDataBuffer(&made_cap);
  static char object_err[512];  // why an object could not be saved
  object_err[0] = 0;
  ok = ok && WriteCpuRecords(w) && WriteFdRecords(w) && WriteMadeFiles(w, made_buf, made_cap) &&
       WriteSysvObjects(w, object_err, sizeof object_err) &&
       WriteOpenFiles(w, object_err, sizeof object_err) &&
       WriteSavedFolders(w, object_err, sizeof object_err) &&
       WriteFileContents(w, ms.maps, object_err, sizeof object_err) &&
       WriteMemory(w, ms, &pi.num_areas) && WriteBaseImages(w, path) && WritePeerImages(w, path) &&
       (pi.num_zombies <= std::size(pi.zombies) ||
        w.WriteRecord(image::RecordType::kZombies, g_zombies,
                      pi.num_zombies * sizeof g_zombies[0])) &&
       w.WriteRecord(image::RecordType::kProcess, &pi, sizeof pi) && w.End();
  w.StopWorkers();
  CloseMadeFiles();  // those a failure left unwritten
  for (int i = 0; i < started; ++i) JoinHelper(&threads[i]);
  EndPeerBlocks();
  int e = w.error();
  if (ok && RawSyscall(SYS_fsync, fd) != 0) {
    ok = false;
    e = 5;
  }
  RawSyscall(SYS_close, fd);
  FreeScratch(sm, scratch_len);
  if (!ok) {
    if (object_err[0])
      StrCopy(err, errcap, object_err);
    else if (g.ckpt_error[0])  // a refusal on the way (WriteMemory)
      StrCopy(err, errcap, g.ckpt_error);
    else
      SetError(err, errcap, "cannot write checkpoint image ", tmp, e ? e : 5);
    if (e == EFBIG) AddHardLimitNote(err, errcap, RLIMIT_FSIZE, "file-size (RLIMIT_FSIZE)");
    RawSyscall(SYS_unlink, reinterpret_cast<long>(tmp));
    if (child) ExitWriter(false, path, err, 0);
    return false;
  }
  *bytes = w.bytes_written();
  if (child) ExitWriter(true, path, err, *bytes);
  IncrementalWritten(w);
  return true;
}

}  // namespace dmtcp::rt
