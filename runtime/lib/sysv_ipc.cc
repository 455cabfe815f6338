// The table of the program's System V ids. Lookups happen on every call
// that names an object (semop in a program's inner loop) and take no lock:
// each slot is a seqlock whose writer holds off checkpoints, and a reader
// that meets a slot being written skips it (it is an object the program
// has not been given yet, or one it removed). Translation changes only at
// a restart, with every thread of the program stopped.
#include "sysv_ipc.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <atomic>

#include "image_format.h"
#include "memory.h"
#include "restart_info.h"
#include "runtime.h"

namespace dmtcp::rt {
namespace {

using image::SysvKind;

constexpr int kMaxIds = 4096;
constexpr long kPage = 4096;

struct Slot {
  std::atomic<uint32_t> seq;   // odd while written
  std::atomic<uint32_t> kind;  // SysvKind, 0: free
  std::atomic<int> virt;
  std::atomic<int> real;
  std::atomic<int> key;  // the program's (IPC_PRIVATE if unknown)
  std::atomic<uint32_t> flags;
};
Slot g_slots[kMaxIds];
std::atomic<int> g_used;                     // slots ever taken: [0, g_used)
std::atomic_flag g_lock = ATOMIC_FLAG_INIT;  // writers, among the program's threads
bool g_overflow;                             // an object was not noted: checkpoints refuse

struct Seen {
  int virt, real, key;
  uint32_t flags;
};

// A consistent copy of slot i if it holds an object of kind.
bool Read(int i, uint32_t kind, Seen* out) {
  const uint32_t s1 = g_slots[i].seq.load(std::memory_order_acquire);
  if (s1 & 1) return false;
  if (g_slots[i].kind.load(std::memory_order_relaxed) != kind) return false;
  out->virt = g_slots[i].virt.load(std::memory_order_relaxed);
  out->real = g_slots[i].real.load(std::memory_order_relaxed);
  out->key = g_slots[i].key.load(std::memory_order_relaxed);
  out->flags = g_slots[i].flags.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  return g_slots[i].seq.load(std::memory_order_relaxed) == s1;
}

int FindVirt(uint32_t kind, int virt, Seen* out) {
  const int n = g_used.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i)
    if (Read(i, kind, out) && out->virt == virt) return i;
  return -1;
}

int FindReal(uint32_t kind, int real, Seen* out) {
  const int n = g_used.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i)
    if (Read(i, kind, out) && out->real == real) return i;
  return -1;
}

void Write(int i, uint32_t kind, int virt, int real, int key, uint32_t flags) {
  Slot& s = g_slots[i];
  s.seq.fetch_add(1, std::memory_order_acq_rel);
  s.kind.store(kind, std::memory_order_relaxed);
  s.virt.store(virt, std::memory_order_relaxed);
  s.real.store(real, std::memory_order_relaxed);
  s.key.store(key, std::memory_order_relaxed);
  s.flags.store(flags, std::memory_order_relaxed);
  s.seq.fetch_add(1, std::memory_order_release);
}

struct HoldOff {
  HoldOff() { WrapperEnter(); }
  ~HoldOff() { WrapperExit(); }
  HoldOff(const HoldOff&) = delete;
  HoldOff& operator=(const HoldOff&) = delete;
};

void Lock() {
  while (g_lock.test_and_set(std::memory_order_acquire)) RawSyscall(SYS_sched_yield);
}
void Unlock() { g_lock.clear(std::memory_order_release); }

// Whether the kernel still has the object (IPC_STAT of every kind fits in
// the largest of the three structures).
bool Alive(uint32_t kind, int real) {
  union {
    struct shmid_ds shm;
    struct semid_ds sem;
    struct msqid_ds msg;
  } ds;
  long r;
  switch (static_cast<SysvKind>(kind)) {
    case SysvKind::kShm:
      r = RawSyscall(SYS_shmctl, real, IPC_STAT, reinterpret_cast<long>(&ds));
      break;
    case SysvKind::kSem:
      r = RawSyscall(SYS_semctl, real, 0, IPC_STAT, reinterpret_cast<long>(&ds));
      break;
    default:
      r = RawSyscall(SYS_msgctl, real, IPC_STAT, reinterpret_cast<long>(&ds));
      break;
  }
  return r == 0 || (r != -EINVAL && r != -EIDRM);
}

// The program's id for the kernel's `real`, noting the object if new. Its
// id is the kernel's unless a restart left that id to another object.
int NoteLocked(uint32_t kind, int real, int key) {
  Seen seen;
  if (FindReal(kind, real, &seen) >= 0) return seen.virt;
  int virt = real;
  while (FindVirt(kind, virt, &seen) >= 0) virt = (virt + 0x1000001) & 0x7fffffff;
  int slot = -1;
  const int n = g_used.load(std::memory_order_relaxed);
  for (int i = 0; i < n && slot < 0; ++i)
    if (g_slots[i].kind.load(std::memory_order_relaxed) == 0) slot = i;
  if (slot < 0 && n < kMaxIds) {
    slot = n;
    Write(slot, kind, virt, real, key, 0);
    g_used.store(n + 1, std::memory_order_release);
    return virt;
  }
  // Full: objects removed since they were noted (shmctl IPC_RMID, or by
  // another process) give their slots back.
  for (int i = 0; i < n && slot < 0; ++i) {
    const uint32_t k = g_slots[i].kind.load(std::memory_order_relaxed);
    if (k != 0 && !Alive(k, g_slots[i].real.load(std::memory_order_relaxed))) slot = i;
  }
  if (slot < 0) {
    g_overflow = true;
    return real;
  }
  Write(slot, kind, virt, real, key, 0);
  return virt;
}

int Note(uint32_t kind, int real, int key) {
  Lock();
  int virt = NoteLocked(kind, real, key);
  Unlock();
  return virt;
}

void Forget(uint32_t kind, int virt) {
  HoldOff hold;  // no checkpoint finds the table half written
  Lock();
  Seen seen;
  int i = FindVirt(kind, virt, &seen);
  if (i >= 0) Write(i, 0, 0, 0, 0, 0);
  Unlock();
}

int RealId(uint32_t kind, int virt) {
  Seen seen;
  return FindVirt(kind, virt, &seen) >= 0 ? seen.real : virt;
}

// An id the program got elsewhere (from a parent, through exec): noted on
// first use, so that a checkpoint saves the object.
int Translate(uint32_t kind, int virt) {
  Seen seen;
  if (FindVirt(kind, virt, &seen) >= 0) return seen.real;
  if (virt < 0 || !g.enabled) return virt;
  HoldOff hold;
  Lock();
  if (FindVirt(kind, virt, &seen) < 0 && FindReal(kind, virt, &seen) < 0)
    NoteLocked(kind, virt, IPC_PRIVATE);
  Unlock();
  return RealId(kind, virt);
}

// A key the program used whose object a restart made again under
// IPC_PRIVATE (another object had the key on this node).
bool MovedKey(uint32_t kind, int key, Seen* out) {
  if (key == IPC_PRIVATE) return false;
  const int n = g_used.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i)
    if (Read(i, kind, out) && out->key == key && (out->flags & image::kSysvKeyMoved)) return true;
  return false;
}

// Calls on an id: made again with the kernel's new id when a restart
// happened meanwhile (the call failed with EINTR, or with EINVAL/EIDRM if
// the checkpoint came between the translation and the call).
template <typename Call>
long OnId(uint32_t kind, int virt, Call call) {
  for (;;) {
    const int gen = g.resume_gen.load();
    const long r = call(Translate(kind, virt));
    if (r != -1 || !g.enabled || g.resume_gen.load() == gen) return r;
    if (errno != EINTR && errno != EINVAL && errno != EIDRM) return r;
  }
}

int GetObject(uint32_t kind, int key, int flags, int r) {
  (void)flags;
  if (r < 0 || !g.enabled) return r;
  return Note(kind, r, key);
}

// A get whose key a restart moved: the program's object, as the kernel
// would answer for it.
bool AnswerMovedKey(uint32_t kind, int key, int flags, int* out) {
  Seen seen;
  if (!MovedKey(kind, key, &seen)) return false;
  if ((flags & IPC_CREAT) && (flags & IPC_EXCL)) {
    errno = EEXIST;
    *out = -1;
  } else {
    *out = seen.virt;
  }
  return true;
}

// --- checkpoint -----------------------------------------------------------

struct Buffer {
  char* p = nullptr;
  size_t len = 0;
  bool Reserve(size_t n) {
    if (n <= len) return true;
    Free();
    const size_t want = (n + kPage - 1) & ~static_cast<size_t>(kPage - 1);
    long r = RawSyscall(SYS_mmap, 0, static_cast<long>(want), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r < 0 && r > -4096) return false;
    p = reinterpret_cast<char*>(r);
    len = want;
    return true;
  }
  void Free() {
    if (p) RawSyscall(SYS_munmap, reinterpret_cast<long>(p), static_cast<long>(len));
    p = nullptr;
    len = 0;
  }
};

void SetErr(char* err, size_t cap, const char* what, int id, long e) {
  char num[24];
  err[0] = 0;
  StrCat(err, cap, g.program);
  StrCat(err, cap, ": ");
  StrCat(err, cap, what);
  FormatUint(num, sizeof num, static_cast<uint64_t>(id));
  StrCat(err, cap, num);
  if (e) {
    StrCat(err, cap, ": errno ");
    FormatUint(num, sizeof num, static_cast<uint64_t>(e));
    StrCat(err, cap, num);
  }
}

bool WriteShm(image::ImageWriter& w, image::SysvObjectInfo& info, char* err, size_t cap) {
  struct shmid_ds ds;
  if (RawSyscall(SYS_shmctl, info.real_id, IPC_STAT, reinterpret_cast<long>(&ds)) != 0)
    return true;  // gone
  if (!(info.flags & image::kSysvKeyMoved)) info.key = ds.shm_perm.__key;
  info.mode = ds.shm_perm.mode & 0777;
  info.size = ds.shm_segsz;
  if (ds.shm_perm.mode & SHM_DEST) info.flags |= image::kSysvRemoved;
  long base = RawSyscall(SYS_shmat, info.real_id, 0, SHM_RDONLY);
  if (base < 0 && base > -4096) {
    SetErr(err, cap, "cannot read System V shared memory segment ", info.virt_id, -base);
    return false;
  }
  bool ok = w.WriteRecord(image::RecordType::kSysvObject, &info, sizeof info) &&
            WriteObjectPages(w, reinterpret_cast<const char*>(base), info.size, true);
  RawSyscall(SYS_shmdt, base);
  return ok;
}

bool WriteSem(image::ImageWriter& w, image::SysvObjectInfo& info, Buffer& buf, char* err,
              size_t cap) {
  struct semid_ds ds;
  if (RawSyscall(SYS_semctl, info.real_id, 0, IPC_STAT, reinterpret_cast<long>(&ds)) != 0)
    return true;
  if (!(info.flags & image::kSysvKeyMoved)) info.key = ds.sem_perm.__key;
  info.mode = ds.sem_perm.mode & 0777;
  info.size = ds.sem_nsems;
  info.data_len = info.size * 2;
  if (!buf.Reserve(info.data_len + 2)) {
    SetErr(err, cap, "no memory to save System V semaphore set ", info.virt_id, 0);
    return false;
  }
  long r = RawSyscall(SYS_semctl, info.real_id, 0, GETALL, reinterpret_cast<long>(buf.p));
  if (r != 0) {
    SetErr(err, cap, "cannot read System V semaphore set ", info.virt_id, -r);
    return false;
  }
  return w.WriteRecord(image::RecordType::kSysvObject, &info, sizeof info, buf.p, info.data_len);
}

bool WriteMsg(image::ImageWriter& w, image::SysvObjectInfo& info, Buffer& buf, char* err,
              size_t cap) {
  struct msqid_ds ds;
  if (RawSyscall(SYS_msgctl, info.real_id, IPC_STAT, reinterpret_cast<long>(&ds)) != 0) return true;
  if (!(info.flags & image::kSysvKeyMoved)) info.key = ds.msg_perm.__key;
  info.mode = ds.msg_perm.mode & 0777;
  info.qbytes = ds.msg_qbytes;
  const uint64_t count = ds.msg_qnum;
  // Per message: type and length (16 bytes), its text; then room to receive one.
  const uint64_t state_cap = ds.__msg_cbytes + count * 16;
  const uint64_t recv_cap = ds.__msg_cbytes + 16;
  if (state_cap > image::kMaxSysvState || !buf.Reserve(state_cap + recv_cap)) {
    SetErr(err, cap, "too much data queued in System V message queue ", info.virt_id, 0);
    return false;
  }
  char* state = buf.p;
  char* recv = buf.p + state_cap;
  uint64_t used = 0, n = 0;
  for (; n < count; ++n) {
    // A copy of message n, left in the queue (MSG_COPY).
    long got =
        RawSyscall(SYS_msgrcv, info.real_id, reinterpret_cast<long>(recv),
                   static_cast<long>(recv_cap - 8), static_cast<long>(n), IPC_NOWAIT | MSG_COPY);
    if (got == -ENOMSG) break;
    if (got < 0 || used + 16 + static_cast<uint64_t>(got) > state_cap) {
      SetErr(err, cap, "cannot read System V message queue ", info.virt_id, got < 0 ? -got : 0);
      return false;
    }
    int64_t type;
    __builtin_memcpy(&type, recv, 8);
    const uint64_t len = static_cast<uint64_t>(got);
    __builtin_memcpy(state + used, &type, 8);
    __builtin_memcpy(state + used + 8, &len, 8);
    __builtin_memcpy(state + used + 16, recv + 8, len);
    used += 16 + len;
  }
  info.size = n;
  info.data_len = used;
  return w.WriteRecord(image::RecordType::kSysvObject, &info, sizeof info, state, used);
}

}  // namespace

void NoteAttachedSysvSegments(const char* maps) {
  // "start-end perms offset dev inode   /SYSV0000002a (deleted)": the inode
  // is the segment's id.
  for (const char* line = maps; *line;) {
    const char* end = line;
    while (*end && *end != '\n') ++end;
    const char* name = nullptr;
    for (const char* p = line; p + 5 <= end && !name; ++p)
      if (p[0] == '/' && p[1] == 'S' && p[2] == 'Y' && p[3] == 'S' && p[4] == 'V') name = p;
    if (name) {
      int field = 0;
      const char* p = line;
      while (p < name && field < 4) {  // skip four fields
        while (p < name && *p != ' ') ++p;
        while (p < name && *p == ' ') ++p;
        ++field;
      }
      uint64_t inode = 0;
      while (p < name && *p >= '0' && *p <= '9')
        inode = inode * 10 + static_cast<uint64_t>(*p++ - '0');
      if (inode <= 0x7fffffff) {
        Seen seen;
        if (FindReal(static_cast<uint32_t>(SysvKind::kShm), static_cast<int>(inode), &seen) < 0)
          NoteLocked(static_cast<uint32_t>(SysvKind::kShm), static_cast<int>(inode), IPC_PRIVATE);
      }
    }
    line = *end ? end + 1 : end;
  }
}

void SysvAfterFork() { g_lock.clear(); }

bool SysvObjectsInUse() {
  const int n = g_used.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i)
    if (g_slots[i].kind.load(std::memory_order_relaxed) != 0) return true;
  return false;
}

bool WriteSysvObjects(image::ImageWriter& w, char* err, size_t cap) {
  if (g_overflow) {
    char num[16];
    FormatUint(num, sizeof num, kMaxIds);
    err[0] = 0;
    StrCat(err, cap, g.program);
    StrCat(err, cap, ": uses more System V IPC objects than the runtime keeps (");
    StrCat(err, cap, num);
    StrCat(err, cap, ")");
    return false;
  }
  static Buffer buf;
  bool ok = true;
  const int n = g_used.load(std::memory_order_acquire);
  for (int i = 0; i < n && ok; ++i) {
    const uint32_t kind = g_slots[i].kind.load(std::memory_order_relaxed);
    if (kind == 0) continue;
    image::SysvObjectInfo info{};
    info.kind = kind;
    info.virt_id = g_slots[i].virt.load(std::memory_order_relaxed);
    info.real_id = g_slots[i].real.load(std::memory_order_relaxed);
    info.key = g_slots[i].key.load(std::memory_order_relaxed);
    info.flags = g_slots[i].flags.load(std::memory_order_relaxed) & image::kSysvKeyMoved;
    if (!Alive(kind, info.real_id)) {
      Write(i, 0, 0, 0, 0, 0);  // removed (by anyone): its slot is free again
      continue;
    }
    switch (static_cast<SysvKind>(kind)) {
      case SysvKind::kShm:
        ok = WriteShm(w, info, err, cap);
        break;
      case SysvKind::kSem:
        ok = WriteSem(w, info, buf, err, cap);
        break;
      case SysvKind::kMsg:
        ok = WriteMsg(w, info, buf, err, cap);
        break;
    }
  }
  buf.Free();
  return ok;
}

bool TranslateSysvIds(int table_fd) {
  if (table_fd < 0) return true;
  struct stat st;
  if (RawSyscall(SYS_fstat, table_fd, reinterpret_cast<long>(&st)) != 0 ||
      static_cast<uint64_t>(st.st_size) < sizeof(SysvRestartTable))
    return false;
  long p = RawSyscall(SYS_mmap, 0, st.st_size, PROT_READ, MAP_PRIVATE, table_fd, 0);
  RawSyscall(SYS_close, table_fd);
  if (p < 0 && p > -4096) return false;
  const auto* t = reinterpret_cast<const SysvRestartTable*>(p);
  const auto* e = reinterpret_cast<const SysvRestartEntry*>(t + 1);
  const bool ok = t->magic == kSysvTableMagic &&
                  sizeof *t + t->count * sizeof *e <= static_cast<uint64_t>(st.st_size);
  for (uint32_t i = 0; ok && i < t->count; ++i) {
    Seen seen;
    const int slot = FindVirt(e[i].kind, e[i].virt_id, &seen);
    if (slot < 0 || seen.real != e[i].old_id) continue;  // another process's object
    Write(slot, e[i].kind, seen.virt, e[i].real_id, seen.key, e[i].flags);
  }
  RawSyscall(SYS_munmap, p, st.st_size);
  return ok;
}

void MarkRemovedSysvSegments() {
  const int n = g_used.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i) {
    Seen seen;
    if (Read(i, static_cast<uint32_t>(SysvKind::kShm), &seen) &&
        (seen.flags & image::kSysvRemoved)) {
      RawSyscall(SYS_shmctl, seen.real, IPC_RMID, 0);
      Write(i, static_cast<uint32_t>(SysvKind::kShm), seen.virt, seen.real, seen.key,
            seen.flags & ~image::kSysvRemoved);
    }
  }
}

}  // namespace dmtcp::rt

// --- the program's calls ----------------------------------------------------

using dmtcp::rt::g;
namespace {
constexpr uint32_t kShm = static_cast<uint32_t>(dmtcp::image::SysvKind::kShm);
constexpr uint32_t kSem = static_cast<uint32_t>(dmtcp::image::SysvKind::kSem);
constexpr uint32_t kMsg = static_cast<uint32_t>(dmtcp::image::SysvKind::kMsg);

// Commands whose "id" is an index into the kernel's table, or none (the
// numbers differ between the three kinds).
bool IndexCommand(uint32_t kind, int cmd) {
  if (cmd == IPC_INFO) return true;
  if (kind == kShm) return cmd == SHM_INFO || cmd == SHM_STAT || cmd == SHM_STAT_ANY;
  if (kind == kSem) return cmd == SEM_INFO || cmd == SEM_STAT || cmd == SEM_STAT_ANY;
  return cmd == MSG_INFO || cmd == MSG_STAT || cmd == MSG_STAT_ANY;
}
}  // namespace

using namespace dmtcp::rt;

extern "C" {

int shmget(key_t key, size_t size, int flags) {
  static auto real = Next<int (*)(key_t, size_t, int)>("shmget");
  int moved;
  if (g.enabled && AnswerMovedKey(kShm, key, flags, &moved)) return moved;
  HoldOff hold;
  return GetObject(kShm, key, flags, real(key, size, flags));
}

int semget(key_t key, int nsems, int flags) {
  static auto real = Next<int (*)(key_t, int, int)>("semget");
  int moved;
  if (g.enabled && AnswerMovedKey(kSem, key, flags, &moved)) return moved;
  HoldOff hold;
  return GetObject(kSem, key, flags, real(key, nsems, flags));
}

int msgget(key_t key, int flags) {
  static auto real = Next<int (*)(key_t, int)>("msgget");
  int moved;
  if (g.enabled && AnswerMovedKey(kMsg, key, flags, &moved)) return moved;
  HoldOff hold;
  return GetObject(kMsg, key, flags, real(key, flags));
}

void* shmat(int id, const void* addr, int flags) {
  static auto real = Next<void* (*)(int, const void*, int)>("shmat");
  void* out = nullptr;
  OnId(kShm, id, [&](int real_id) {
    out = real(real_id, addr, flags);
    return out == reinterpret_cast<void*>(-1) ? -1L : 0L;
  });
  return out;
}

int shmctl(int id, int cmd, struct shmid_ds* buf) {
  static auto real = Next<int (*)(int, int, struct shmid_ds*)>("shmctl");
  if (IndexCommand(kShm, cmd)) return real(id, cmd, buf);
  return static_cast<int>(OnId(kShm, id, [&](int real_id) { return real(real_id, cmd, buf); }));
}

int semop(int id, struct sembuf* ops, size_t n) {
  static auto real = Next<int (*)(int, struct sembuf*, size_t)>("semop");
  return static_cast<int>(OnId(kSem, id, [&](int real_id) { return real(real_id, ops, n); }));
}

int semtimedop(int id, struct sembuf* ops, size_t n, const struct timespec* timeout) {
  static auto real =
      Next<int (*)(int, struct sembuf*, size_t, const struct timespec*)>("semtimedop");
  return static_cast<int>(
      OnId(kSem, id, [&](int real_id) { return real(real_id, ops, n, timeout); }));
}

int semctl(int id, int num, int cmd, ...) {
  static auto real = Next<int (*)(int, int, int, ...)>("semctl");
  // The fourth argument (union semun) is there only for these commands.
  unsigned long arg = 0;
  switch (cmd) {
    case SETVAL:
    case GETALL:
    case SETALL:
    case IPC_STAT:
    case IPC_SET:
    case IPC_INFO:
    case SEM_INFO:
    case SEM_STAT:
    case SEM_STAT_ANY: {
      va_list ap;
      va_start(ap, cmd);
      arg = va_arg(ap, unsigned long);
      va_end(ap);
      break;
    }
    default:
      break;
  }
  if (IndexCommand(kSem, cmd)) return real(id, num, cmd, arg);
  const int r =
      static_cast<int>(OnId(kSem, id, [&](int real_id) { return real(real_id, num, cmd, arg); }));
  if (r == 0 && cmd == IPC_RMID && g.enabled) Forget(kSem, id);
  return r;
}

int msgsnd(int id, const void* msg, size_t size, int flags) {
  static auto real = Next<int (*)(int, const void*, size_t, int)>("msgsnd");
  return static_cast<int>(
      OnId(kMsg, id, [&](int real_id) { return real(real_id, msg, size, flags); }));
}

ssize_t msgrcv(int id, void* msg, size_t size, long type, int flags) {
  static auto real = Next<ssize_t (*)(int, void*, size_t, long, int)>("msgrcv");
  return OnId(kMsg, id, [&](int real_id) { return real(real_id, msg, size, type, flags); });
}

int msgctl(int id, int cmd, struct msqid_ds* buf) {
  static auto real = Next<int (*)(int, int, struct msqid_ds*)>("msgctl");
  if (IndexCommand(kMsg, cmd)) return real(id, cmd, buf);
  const int r =
      static_cast<int>(OnId(kMsg, id, [&](int real_id) { return real(real_id, cmd, buf); }));
  if (r == 0 && cmd == IPC_RMID && g.enabled) Forget(kMsg, id);
  return r;
}

}  // extern "C"
