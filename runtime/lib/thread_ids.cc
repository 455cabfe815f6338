// Thread ids that glibc keeps in the program's own memory. A mutex records
// its owner's kernel thread id (__owner; and in the lock word itself when it
// is robust or priority-inheriting), a read-write lock its writer's
// (__cur_writer), and glibc compares them with the calling thread's id. A
// restart gives every thread a new kernel id, so a thread that held a
// recursive or error-checking mutex across it would no longer own it.
//
// Every restored thread notes its move (old id -> new id) in a table that
// outlives restarts. The robust mutexes a thread holds are on its robust
// list: they are corrected at once, at restart. The others are corrected
// when the program next touches them, in wrappers of the pthread calls
// that compare owners: cheap, a single load while nothing has moved.
#include "thread_ids.h"

#include <dlfcn.h>
#include <link.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#include <atomic>

#include "runtime.h"

namespace dmtcp::rt {
namespace {

// Open addressing on the old id; an old id is entered once (ids of one
// boot are not reused while the table lives... and a reused one maps to
// the newest move).
constexpr uint32_t kSlots = 1 << 15;
struct Move {
  std::atomic<int32_t> from;
  std::atomic<int32_t> to;
};
Move g_moves[kSlots];
std::atomic<uint32_t> g_num_moves;

uint32_t Slot(int32_t tid) { return (static_cast<uint32_t>(tid) * 2654435761u) & (kSlots - 1); }

int32_t MovedTo(int32_t tid) {
  if (tid <= 0) return 0;
  for (uint32_t i = Slot(tid), n = 0; n < kSlots; i = (i + 1) & (kSlots - 1), ++n) {
    const int32_t from = g_moves[i].from.load(std::memory_order_acquire);
    if (from == 0) return 0;
    if (from == tid) return g_moves[i].to.load(std::memory_order_relaxed);
  }
  return 0;
}

constexpr uint32_t kTidMask = FUTEX_TID_MASK;

// A lock word that holds an owner's id (robust and PI mutexes).
void FixLockWord(int* word) {
  auto* w = reinterpret_cast<std::atomic<uint32_t>*>(word);
  uint32_t v = w->load(std::memory_order_relaxed);
  const int32_t to = MovedTo(static_cast<int32_t>(v & kTidMask));
  if (to) w->compare_exchange_strong(v, (v & ~kTidMask) | static_cast<uint32_t>(to));
}

bool Moved() { return g_num_moves.load(std::memory_order_relaxed) != 0; }

void FixMutex(pthread_mutex_t* m) {
  if (!m) return;
  if (const int32_t to = MovedTo(m->__data.__owner)) m->__data.__owner = to;
  // PTHREAD_MUTEX_ROBUST_NORMAL_NP (16) and PTHREAD_MUTEX_PRIO_INHERIT_NP (32).
  if (m->__data.__kind & (16 | 32)) FixLockWord(&m->__data.__lock);
}

void FixRwlock(pthread_rwlock_t* l) {
  if (!l) return;
  if (const int32_t to = MovedTo(l->__data.__cur_writer)) l->__data.__cur_writer = to;
}

// The dynamic loader's own locks (dlopen, dlsym, dlclose and
// dl_iterate_phdr take them) are recursive mutexes in ld.so's _rtld_global,
// out of reach of the wrappers: a thread caught inside dlopen came back
// from a restart unable to unlock them, and the next dlopen or dlsym of any
// thread waited for ever. Found once, at startup: dlsym itself takes them.
char* g_rtld_global;
size_t g_rtld_global_size;

__attribute__((constructor)) void FindLoaderLocks() {
  void* p = dlsym(RTLD_DEFAULT, "_rtld_global");
  Dl_info info;
  void* entry = nullptr;  // the symbol's ElfW(Sym)
  if (!p || !dladdr1(p, &info, &entry, RTLD_DL_SYMENT) || !entry) return;
  const auto* sym = static_cast<const ElfW(Sym)*>(entry);
  g_rtld_global = static_cast<char*>(p);
  g_rtld_global_size = sym->st_size;
}

// A held recursive mutex (kind PTHREAD_MUTEX_RECURSIVE_NP) that names
// `from` as its owner: anything else there is left as it is.
void FixLoaderLocks(pid_t from, pid_t to) {
  constexpr size_t kMutex = sizeof(pthread_mutex_t);
  for (size_t off = 0; g_rtld_global && off + kMutex <= g_rtld_global_size; off += 8) {
    auto* m = reinterpret_cast<pthread_mutex_t*>(g_rtld_global + off);
    if (m->__data.__kind == PTHREAD_MUTEX_RECURSIVE_NP && m->__data.__lock != 0 &&
        m->__data.__count >= 1 && m->__data.__owner == from)
      m->__data.__owner = to;
  }
}

}  // namespace

void ReleaseOrphanedLoaderLocks() {
  constexpr size_t kMutex = sizeof(pthread_mutex_t);
  const long pid = RawSyscall(SYS_getpid);
  const pid_t me = GetTid();
  for (size_t off = 0; g_rtld_global && off + kMutex <= g_rtld_global_size; off += 8) {
    auto* m = reinterpret_cast<pthread_mutex_t*>(g_rtld_global + off);
    // Only what is surely a held recursive mutex (a lock word of 1 or 2, a
    // count, a thread id as owner): anything else in ld.so's data is left.
    const pid_t owner = m->__data.__owner;
    if (m->__data.__kind != PTHREAD_MUTEX_RECURSIVE_NP || m->__data.__lock < 1 ||
        m->__data.__lock > 2 || m->__data.__count < 1 || owner <= 0)
      continue;
    if (owner != me && RawSyscall(SYS_tgkill, pid, owner, 0) == 0) continue;
    LogNum(
        "restart: released a dynamic loader lock that no thread of the process holds; its "
        "owner was thread ",
        owner);
    m->__data.__owner = 0;
    m->__data.__count = 0;
    __atomic_store_n(&m->__data.__lock, 0, __ATOMIC_RELEASE);
    RawSyscall(SYS_futex, reinterpret_cast<long>(&m->__data.__lock), FUTEX_WAKE_PRIVATE, 1 << 30);
  }
}

pid_t CurrentTid(pid_t tid) {
  const int32_t to = Moved() ? MovedTo(tid) : 0;
  return to ? to : tid;
}

void NoteThreadMoved(pid_t from, pid_t to, void* robust_head) {
  if (from <= 0 || to <= 0 || from == to) return;
  // Earlier moves of this thread now end at its new id.
  for (uint32_t i = 0; i < kSlots && Moved(); ++i)
    if (g_moves[i].from.load(std::memory_order_relaxed) != 0 &&
        g_moves[i].to.load(std::memory_order_relaxed) == from)
      g_moves[i].to.store(to, std::memory_order_relaxed);
  for (uint32_t i = Slot(from), n = 0; n < kSlots; i = (i + 1) & (kSlots - 1), ++n) {
    int32_t expected = 0;
    if (g_moves[i].from.load() == from || g_moves[i].from.compare_exchange_strong(expected, from)) {
      g_moves[i].to.store(to, std::memory_order_release);
      g_num_moves.fetch_add(1);
      break;
    }
  }
  FixLoaderLocks(from, to);
  // The robust mutexes this thread holds, linked from its robust list
  // (entries are tagged in bit 0 for PI futexes).
  struct RobustList {
    RobustList* next;
  };
  struct RobustHead {
    RobustList list;
    long futex_offset;
    RobustList* list_op_pending;
  };
  auto* head = static_cast<RobustHead*>(robust_head);
  if (!head) return;
  auto untag = [](RobustList* p) {
    return reinterpret_cast<RobustList*>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t{1});
  };
  auto fix = [&](RobustList* e) {
    auto* word = reinterpret_cast<uint32_t*>(reinterpret_cast<char*>(e) + head->futex_offset);
    if ((*word & kTidMask) == static_cast<uint32_t>(from))
      *word = (*word & ~kTidMask) | static_cast<uint32_t>(to);
  };
  int guard = 0;
  for (RobustList* e = untag(head->list.next); e && e != &head->list && guard < (1 << 20);
       e = untag(e->next), ++guard)
    fix(e);
  if (RobustList* p = untag(head->list_op_pending)) fix(p);
}

}  // namespace dmtcp::rt

using namespace dmtcp::rt;

// Each wrapper corrects the object's owner first, then calls glibc.
#define DMTCP_OWNER_WRAPPER(ret, name, params, fix, args) \
  extern "C" ret name params {                            \
    static auto real = Next<ret(*) params>(#name);        \
    if (__builtin_expect(Moved(), 0)) fix;                \
    return real args;                                     \
  }

DMTCP_OWNER_WRAPPER(int, pthread_mutex_lock, (pthread_mutex_t * m), FixMutex(m), (m))
DMTCP_OWNER_WRAPPER(int, pthread_mutex_trylock, (pthread_mutex_t * m), FixMutex(m), (m))
DMTCP_OWNER_WRAPPER(int, pthread_mutex_unlock, (pthread_mutex_t * m), FixMutex(m), (m))
DMTCP_OWNER_WRAPPER(int, pthread_mutex_consistent, (pthread_mutex_t * m), FixMutex(m), (m))
DMTCP_OWNER_WRAPPER(int, pthread_mutex_timedlock, (pthread_mutex_t * m, const struct timespec* t),
                    FixMutex(m), (m, t))
DMTCP_OWNER_WRAPPER(int, pthread_mutex_clocklock,
                    (pthread_mutex_t * m, clockid_t c, const struct timespec* t), FixMutex(m),
                    (m, c, t))
DMTCP_OWNER_WRAPPER(int, pthread_cond_wait, (pthread_cond_t * cv, pthread_mutex_t* m), FixMutex(m),
                    (cv, m))
DMTCP_OWNER_WRAPPER(int, pthread_cond_timedwait,
                    (pthread_cond_t * cv, pthread_mutex_t* m, const struct timespec* t),
                    FixMutex(m), (cv, m, t))
DMTCP_OWNER_WRAPPER(int, pthread_cond_clockwait,
                    (pthread_cond_t * cv, pthread_mutex_t* m, clockid_t c,
                     const struct timespec* t),
                    FixMutex(m), (cv, m, c, t))
DMTCP_OWNER_WRAPPER(int, pthread_rwlock_rdlock, (pthread_rwlock_t * l), FixRwlock(l), (l))
DMTCP_OWNER_WRAPPER(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t * l), FixRwlock(l), (l))
DMTCP_OWNER_WRAPPER(int, pthread_rwlock_wrlock, (pthread_rwlock_t * l), FixRwlock(l), (l))
DMTCP_OWNER_WRAPPER(int, pthread_rwlock_trywrlock, (pthread_rwlock_t * l), FixRwlock(l), (l))
DMTCP_OWNER_WRAPPER(int, pthread_rwlock_unlock, (pthread_rwlock_t * l), FixRwlock(l), (l))
DMTCP_OWNER_WRAPPER(int, pthread_rwlock_timedrdlock,
                    (pthread_rwlock_t * l, const struct timespec* t), FixRwlock(l), (l, t))
DMTCP_OWNER_WRAPPER(int, pthread_rwlock_timedwrlock,
                    (pthread_rwlock_t * l, const struct timespec* t), FixRwlock(l), (l, t))
